import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORD_SNAPSHOTS, snapshotInput, UPSERT_CAMPAIGN } from './fixtures/snapshot-inputs.js';
import { createTestDatabase, execute, executeOk, type TestDatabase } from './helpers/test-database.js';

/**
 * New York around its 2024 spring-forward (2024-03-10, a 23-hour day). Local midnights
 * worked out by hand: EST (UTC-5) until the 10th, EDT (UTC-4) after.
 */
const MIDNIGHTS = [
  '2024-03-08T05:00:00.000Z',
  '2024-03-09T05:00:00.000Z',
  '2024-03-10T05:00:00.000Z',
  '2024-03-11T04:00:00.000Z',
  '2024-03-12T04:00:00.000Z',
  '2024-03-13T04:00:00.000Z',
];
const FROM = '2024-03-08T05:00:00Z';
const TO = '2024-03-14T04:00:00Z';

const SNAPSHOTS: [at: string, volunteers: number, spent: string][] = [
  ['2024-03-07T12:00:00Z', 5, '0.50'], // before the range: only DELTA sees it
  ['2024-03-08T12:00:00Z', 10, '1.00'],
  ['2024-03-08T18:00:00Z', 12, '2.50'],
  // no data on the 9th and 10th
  ['2024-03-11T12:00:00Z', 7, '4.00'],
  ['2024-03-12T15:00:00Z', 9, '4.25'],
  // none on the 13th
];

const SERIES = /* GraphQL */ `
  query Series($id: ID!, $granularity: Granularity!, $stat: Stat, $fill: GapFill, $from: DateTime!, $to: DateTime!) {
    campaign(id: $id) {
      series(metrics: [VOLUNTEERS_CURRENT, BUDGET_SPENT], from: $from, to: $to, granularity: $granularity,
             stat: $stat, fill: $fill) {
        granularity timeZone timestamps
        columns { metric stat values }
      }
    }
  }
`;

let db: TestDatabase;
let id: string;

beforeAll(async () => {
  db = await createTestDatabase();
  const created = await executeOk(db.gateway, UPSERT_CAMPAIGN, {
    input: { name: 'New York fixture', status: 'ACTIVE', timeZone: 'America/New_York' },
  });
  id = created.upsertCampaign.id;
  await executeOk(db.gateway, RECORD_SNAPSHOTS, {
    input: SNAPSHOTS.map(([at, volunteers, spent]) =>
      snapshotInput(id, { at, volunteers: [volunteers, 20], spent }),
    ),
  });
});
afterAll(() => db?.close());

async function series(variables: Record<string, unknown>) {
  const data = await executeOk(db.gateway, SERIES, {
    id,
    from: FROM,
    to: TO,
    granularity: 'DAY',
    ...variables,
  });
  return data.campaign.series;
}

describe('series', () => {
  it('omits empty days with fill NONE', async () => {
    const result = await series({ fill: 'NONE' });
    expect(result.granularity).toBe('DAY');
    expect(result.timeZone).toBe('America/New_York');
    expect(result.timestamps).toEqual([MIDNIGHTS[0], MIDNIGHTS[3], MIDNIGHTS[4]]);
    expect(result.columns).toEqual([
      { metric: 'VOLUNTEERS_CURRENT', stat: 'LAST', values: [12, 7, 9] },
      { metric: 'BUDGET_SPENT', stat: 'LAST', values: [2.5, 4, 4.25] },
    ]);
  });

  it('emits every local day with fill NULL, including the 23-hour day', async () => {
    const result = await series({ fill: 'NULL' });
    expect(result.timestamps).toEqual(MIDNIGHTS);
    expect(result.columns[0].values).toEqual([12, null, null, 7, 9, null]);
  });

  it('carries the last value forward with fill PREVIOUS', async () => {
    const result = await series({ fill: 'PREVIOUS' });
    expect(result.timestamps).toEqual(MIDNIGHTS);
    expect(result.columns[1].values).toEqual([2.5, 2.5, 2.5, 4, 4.25, 4.25]);
  });

  it.each([
    ['FIRST', [10, 7, 9], [1, 4, 4.25]],
    ['MIN', [10, 7, 9], [1, 4, 4.25]],
    ['MAX', [12, 7, 9], [2.5, 4, 4.25]],
    ['AVG', [11, 7, 9], [1.75, 4, 4.25]],
    // LAST minus the LAST of the nearest earlier non-empty day (the 7th for the first)
    ['DELTA', [7, -5, 2], [2, 1.5, 0.25]],
  ])('computes %s per day', async (stat, volunteers, spent) => {
    const result = await series({ stat });
    expect(result.columns.map((c: { values: number[] }) => c.values)).toEqual([volunteers, spent]);
    expect(result.columns.map((c: { stat: string }) => c.stat)).toEqual([stat, stat]);
  });

  it('returns one point per snapshot at RAW', async () => {
    const result = await series({ granularity: 'RAW', fill: 'NULL' });
    expect(result.timestamps).toEqual(SNAPSHOTS.slice(1).map(([at]) => new Date(at).toISOString()));
    expect(result.columns[0].values).toEqual([10, 12, 7, 9]);
  });

  it('refuses a series too long to chart instead of exhausting memory', async () => {
    const result = await execute(db.gateway, SERIES, {
      id,
      from: '2015-01-01T00:00:00Z',
      to: '2025-01-01T00:00:00Z',
      granularity: 'HOUR',
      fill: 'NULL',
    });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'granularity' });
  });
});
