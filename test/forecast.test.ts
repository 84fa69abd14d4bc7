import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORD_SNAPSHOTS, snapshotInput, UPSERT_CAMPAIGN } from './fixtures/snapshot-inputs.js';
import { createTestDatabase, execute, executeOk, type TestDatabase } from './helpers/test-database.js';

let db: TestDatabase;
const DAY = 86_400_000;

/** A campaign (in Asia/Kolkata, which must not matter: days are UTC) with these sessions counts. */
async function campaignWith(snapshots: [at: string, sessions: number | null][]): Promise<string> {
  const data = await executeOk(db.gateway, UPSERT_CAMPAIGN, {
    input: { name: 'Forecast', status: 'ACTIVE', timeZone: 'Asia/Kolkata' },
  });
  const id: string = data.upsertCampaign.id;
  await executeOk(db.gateway, RECORD_SNAPSHOTS, {
    input: snapshots.map(([at, sessions]) => snapshotInput(id, { at, sessionsCompleted: sessions })),
  });
  return id;
}

const FORECAST = /* GraphQL */ `
  query Forecast($id: ID!, $horizon: Int!, $lookback: Int, $at: Float!, $past: Float!) {
    campaign(id: $id) {
      forecast(metric: TOTAL_SESSIONS_COMPLETED, horizonDays: $horizon, lookbackDays: $lookback) {
        metric slopePerDay intercept r2 days origin
        points { date value lower upper }
        reaches: reachesValueAt(value: $at)
        past: reachesValueAt(value: $past)
      }
    }
  }
`;
async function forecast(id: string, variables: Record<string, unknown> = {}) {
  const data = await executeOk(db.gateway, FORECAST, { id, horizon: 3, at: 0, past: 0, ...variables });
  return data.campaign.forecast;
}

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.close());

describe('Campaign.forecast', () => {
  it('is null with one day of data', async () => {
    const id = await campaignWith([
      ['2024-05-05T01:00:00Z', 10],
      ['2024-05-05T20:00:00Z', 30],
    ]);
    expect(await forecast(id)).toBeNull();
  });

  it('draws the line through 2 days, r2 1, with a zero-width interval', async () => {
    // day LASTs: 05-02: 10, 05-05: 19 (x = -3, 0): slope 3, intercept 19
    const id = await campaignWith([
      ['2024-05-02T08:00:00Z', 10],
      ['2024-05-05T06:00:00Z', 19],
    ]);
    expect(await forecast(id, { horizon: 2, at: 25, past: 13 })).toEqual({
      metric: 'TOTAL_SESSIONS_COMPLETED',
      slopePerDay: 3,
      intercept: 19,
      r2: 1,
      days: 2,
      origin: '2024-05-05T00:00:00.000Z',
      points: [
        { date: '2024-05-06T00:00:00.000Z', value: 22, lower: 22, upper: 22 },
        { date: '2024-05-07T00:00:00.000Z', value: 25, lower: 25, upper: 25 },
      ],
      reaches: '2024-05-07T00:00:00.000Z', // (25 - 19) / 3 = 2 days
      past: null, // 13: x = -2, before the latest snapshot
    });
  });

  it('fits a perfect line over the days LAST values exactly', async () => {
    // LAST per UTC day 05-01..05-05: 100, 105, 110, 115, 120 (an earlier snapshot of each day differs)
    const snapshots: [string, number | null][] = [];
    for (let d = 0; d < 5; d++) {
      const date = `2024-05-0${d + 1}`;
      snapshots.push([`${date}T00:30:00Z`, 1], [`${date}T18:00:00Z`, 100 + 5 * d]);
    }
    const id = await campaignWith(snapshots);
    const result = await forecast(id, { horizon: 3, at: 125.5, past: 121 });
    expect(result).toEqual({
      metric: 'TOTAL_SESSIONS_COMPLETED',
      slopePerDay: 5,
      intercept: 120,
      r2: 1,
      days: 5,
      origin: '2024-05-05T00:00:00.000Z',
      points: [
        { date: '2024-05-06T00:00:00.000Z', value: 125, lower: 125, upper: 125 },
        { date: '2024-05-07T00:00:00.000Z', value: 130, lower: 130, upper: 130 },
        { date: '2024-05-08T00:00:00.000Z', value: 135, lower: 135, upper: 135 },
      ],
      reaches: '2024-05-06T02:24:00.000Z', // (125.5 - 120) / 5 = 1.1 days
      past: null, // 121: 0.2 days = 04:48 on 05-05, before the 18:00 snapshot
    });
    // lookbackDays 3: 05-03..05-05 only
    expect(await forecast(id, { lookback: 3 })).toMatchObject({ slopePerDay: 5, intercept: 120, days: 3 });
  });

  it('matches an OLS computed here on a noisy series, with t(0.975, n - 2)', async () => {
    // UTC days 06-01..06-10; no data on 06-03 and 06-07; 06-05 ends with a null (left out)
    const daily: [day: number, value: number | null][] = [
      [1, 3],
      [2, 7],
      [4, 6],
      [5, null],
      [6, 11],
      [8, 10],
      [9, 14],
      [10, 18],
    ];
    const snapshots: [string, number | null][] = daily.flatMap(([d, value]) => [
      [`2024-06-${String(d).padStart(2, '0')}T03:00:00Z`, 999] as [string, number],
      [`2024-06-${String(d).padStart(2, '0')}T21:15:00Z`, value] as [string, number | null],
    ]);
    // an old snapshot outside the 30-day lookback (05-11 is the first day inside it)
    snapshots.push(['2024-05-10T12:00:00Z', 500]);
    const id = await campaignWith(snapshots);

    const points = daily.flatMap(([d, y]) => (y === null ? [] : [{ x: d - 10, y }]));
    const n = points.length; // 7
    const mx = points.reduce((a, p) => a + p.x, 0) / n;
    const my = points.reduce((a, p) => a + p.y, 0) / n;
    const sxx = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
    const slope = points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0) / sxx;
    const intercept = my - slope * mx;
    const sse = points.reduce((a, p) => a + (p.y - intercept - slope * p.x) ** 2, 0);
    const sst = points.reduce((a, p) => a + (p.y - my) ** 2, 0);
    const s = Math.sqrt(sse / (n - 2));
    const t5 = 2.5705818356363146; // t table: 5 degrees of freedom, 97.5 %

    const result = await forecast(id, { horizon: 2, at: 30 });
    expect(result.days).toBe(7);
    expect(result.slopePerDay).toBeCloseTo(slope, 10);
    expect(result.intercept).toBeCloseTo(intercept, 10);
    expect(result.r2).toBeCloseTo(1 - sse / sst, 10);
    expect(result.points).toHaveLength(2);
    result.points.forEach(
      (point: { date: string; value: number; lower: number; upper: number }, i: number) => {
        const x = i + 1;
        const value = intercept + slope * x;
        const half = t5 * s * Math.sqrt(1 + 1 / n + (x - mx) ** 2 / sxx);
        expect(point.date).toBe(new Date(Date.parse('2024-06-10T00:00:00Z') + x * DAY).toISOString());
        expect(point.value).toBeCloseTo(value, 10);
        expect(point.lower).toBeCloseTo(value - half, 10);
        expect(point.upper).toBeCloseTo(value + half, 10);
      },
    );
    const reaches = Date.parse('2024-06-10T00:00:00Z') + ((30 - intercept) / slope) * DAY;
    expect(Math.abs(Date.parse(result.reaches) - reaches)).toBeLessThanOrEqual(1);
  });

  it('rejects horizonDays outside 1..3650 and lookbackDays outside 2..3650, naming the argument', async () => {
    const id = await campaignWith([['2024-05-05T01:00:00Z', 10]]);
    const cases: [Record<string, unknown>, string][] = [
      [{ horizon: 0 }, 'horizonDays'],
      [{ horizon: 3651 }, 'horizonDays'],
      [{ lookback: 1 }, 'lookbackDays'],
      [{ lookback: 3651 }, 'lookbackDays'],
    ];
    for (const [variables, field] of cases) {
      const result = await execute(db.gateway, FORECAST, { id, horizon: 3, at: 0, past: 0, ...variables });
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expect(result.errors?.[0]?.message).toContain(field);
    }
    // the limits themselves are fine
    expect(await forecast(id, { horizon: 3650, lookback: 2 })).toBeNull();
  });
});
