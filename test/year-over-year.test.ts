import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORD_SNAPSHOTS, snapshotInput, UPSERT_CAMPAIGN } from './fixtures/snapshot-inputs.js';
import { type NaiveStats, naiveBuckets, type Sample } from './helpers/naive-buckets.js';
import { createTestDatabase, execute, executeOk, type TestDatabase } from './helpers/test-database.js';

let db: TestDatabase;
let id: string;

/** TOTAL_SESSIONS_COMPLETED around the ISO week-years 2019 (52 weeks), 2020 (53) and 2021. */
const SNAPSHOTS: [at: string, sessions: number][] = [
  ['2018-12-30T12:00:00Z', 5], // Sun, 2018-W52 (calendar 2018): DELTA of 2019-W01 looks back to it
  ['2018-12-31T12:00:00Z', 10], // Mon, 2019-W01 although calendar 2018
  ['2019-01-06T12:00:00Z', 12], // Sun, 2019-W01
  ['2019-03-05T12:00:00Z', 40], // Tue, 2019-W10 (64 days after 2018-12-31)
  ['2019-12-29T23:00:00Z', 100], // Sun, 2019-W52
  ['2019-12-30T01:00:00Z', 110], // Mon, 2020-W01 although calendar 2019
  ['2020-03-03T12:00:00Z', 150], // Tue, 2020-W10 (64 days after 2019-12-30)
  ['2020-12-28T00:00:00Z', 300], // Mon, 2020-W53
  ['2021-01-03T23:59:00Z', 320], // Sun, 2020-W53 although calendar 2021
  ['2021-01-04T00:00:00Z', 330], // Mon, 2021-W01
];

const YOY = /* GraphQL */ `
  query Yoy($id: ID!, $year: Int!, $granularity: Granularity, $stat: Stat, $timeZone: TimeZone) {
    campaign(id: $id) {
      yearOverYear(metric: TOTAL_SESSIONS_COMPLETED, year: $year, granularity: $granularity, stat: $stat,
                   timeZone: $timeZone) {
        metric stat granularity timeZone year previousYear periods current previous change
      }
    }
  }
`;
async function yoy(variables: Record<string, unknown>) {
  return (await executeOk(db.gateway, YOY, { id, ...variables })).campaign.yearOverYear;
}

/** nulls except at the given 1-based periods. */
function sparse(length: number, values: Record<number, number>): (number | null)[] {
  return Array.from({ length }, (_, i) => values[i + 1] ?? null);
}

beforeAll(async () => {
  db = await createTestDatabase();
  const created = await executeOk(db.gateway, UPSERT_CAMPAIGN, {
    input: { name: 'YoY', status: 'ACTIVE', timeZone: 'UTC' },
  });
  id = created.upsertCampaign.id;
  await executeOk(db.gateway, RECORD_SNAPSHOTS, {
    input: SNAPSHOTS.map(([at, sessions]) => snapshotInput(id, { at, sessionsCompleted: sessions })),
  });
});
afterAll(() => db?.close());

describe('Campaign.yearOverYear by ISO week', () => {
  it('2020 (53 weeks) against 2019 (52): week 53 has no counterpart', async () => {
    const result = await yoy({ year: 2020 });
    expect(result).toMatchObject({
      metric: 'TOTAL_SESSIONS_COMPLETED',
      stat: 'LAST',
      granularity: 'WEEK',
      timeZone: 'UTC',
      year: 2020,
      previousYear: 2019,
    });
    expect(result.periods).toEqual(Array.from({ length: 53 }, (_, i) => i + 1));
    expect(result.current).toEqual(sparse(53, { 1: 110, 10: 150, 53: 320 }));
    expect(result.previous).toEqual(sparse(53, { 1: 12, 10: 40, 52: 100 }));
    // (110 - 12) / 12 and (150 - 40) / 40; W53: previous null
    expect(result.change).toEqual(sparse(53, { 1: 98 / 12, 10: 2.75 }));
  });

  it('2021 (52 weeks) against 2020 (53): 2020-W53 is not listed', async () => {
    const result = await yoy({ year: 2021 });
    expect(result.periods).toHaveLength(52);
    expect(result.current).toEqual(sparse(52, { 1: 330 }));
    expect(result.previous).toEqual(sparse(52, { 1: 110, 10: 150 }));
    expect(result.change).toEqual(sparse(52, { 1: (330 - 110) / 110 }));
  });

  it('DELTA as the contract defines it, looking back before both years', async () => {
    const result = await yoy({ year: 2020, stat: 'DELTA' });
    // 2020: W01 110 - 100, W10 150 - 110, W53 320 - 150; 2019: W01 12 - 5 (2018-W52), W10 40 - 12, W52 100 - 40
    expect(result.current).toEqual(sparse(53, { 1: 10, 10: 40, 53: 170 }));
    expect(result.previous).toEqual(sparse(53, { 1: 7, 10: 28, 52: 60 }));
    expect(result.change).toEqual(sparse(53, { 1: 3 / 7, 10: 12 / 28 }));
  });

  it('follows the zone asked for, matching a naive ISO-week grouping', async () => {
    const samples: Sample[] = SNAPSHOTS.map(([at, value]) => ({ at: new Date(at), value }));
    const from = new Date('2018-01-01T00:00:00Z');
    const to = new Date('2022-01-01T00:00:00Z');
    for (const timeZone of ['Pacific/Kiritimati', 'America/Los_Angeles', 'Asia/Kolkata']) {
      for (const stat of ['FIRST', 'LAST', 'DELTA'] as const) {
        const naive = new Map(
          naiveBuckets(samples, from, to, 'WEEK', timeZone).map((b: NaiveStats) => [b.key, b[stat]]),
        );
        const result = await yoy({ year: 2020, stat, timeZone });
        expect(result.timeZone).toBe(timeZone);
        const expected = (year: number) =>
          Array.from({ length: 53 }, (_, i) =>
            year === 2019 && i === 52 ? null : (naive.get(`${year}-W${i + 1}`) ?? null),
          );
        expect(result.current, `${timeZone} ${stat} current`).toEqual(expected(2020));
        expect(result.previous, `${timeZone} ${stat} previous`).toEqual(expected(2019));
      }
    }
    // hand check: at +14 h, 2019-12-29T23:00Z is Monday 2019-12-30 13:00, so 2020-W01 starts with 100
    const kiritimati = await yoy({ year: 2020, stat: 'FIRST', timeZone: 'Pacific/Kiritimati' });
    expect(kiritimati.current[0]).toBe(100);
    // and at -8 h, 2019-12-30T01:00Z is Sunday 2019-12-29 17:00: 2019-W52 ends with 110, 2020-W01 is empty
    const losAngeles = await yoy({ year: 2020, timeZone: 'America/Los_Angeles' });
    expect(losAngeles.previous[51]).toBe(110);
    expect(losAngeles.current[0]).toBeNull();
  });
});

describe('Campaign.yearOverYear by month', () => {
  it('aligns calendar months', async () => {
    const result = await yoy({ year: 2020, granularity: 'MONTH' });
    expect(result.periods).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(result.current).toEqual(sparse(12, { 3: 150, 12: 300 }));
    expect(result.previous).toEqual(sparse(12, { 1: 12, 3: 40, 12: 110 }));
    expect(result.change).toEqual(sparse(12, { 3: 2.75, 12: (300 - 110) / 110 }));
  });
});

describe('Campaign.yearOverYear bad input', () => {
  it('rejects years outside 1970..2100 and granularities other than WEEK and MONTH', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ year: 1969 }, 'year'],
      [{ year: 2101 }, 'year'],
      [{ year: 2020, granularity: 'DAY' }, 'granularity'],
      [{ year: 2020, granularity: 'RAW' }, 'granularity'],
    ];
    for (const [variables, field] of cases) {
      const result = await execute(db.gateway, YOY, { id, ...variables });
      expect(result.errors?.[0]?.extensions, JSON.stringify(variables)).toMatchObject({
        code: 'BAD_USER_INPUT',
        field,
      });
      expect(result.errors?.[0]?.message).toContain(field);
    }
    // the limits themselves are fine
    expect((await yoy({ year: 1970 })).periods).toHaveLength(53);
    expect((await yoy({ year: 2100, granularity: 'MONTH' })).current).toEqual(sparse(12, {}));
  });
});
