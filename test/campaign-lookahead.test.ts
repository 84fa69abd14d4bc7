import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORD_SNAPSHOTS, snapshotInput, UPSERT_CAMPAIGN } from './fixtures/snapshot-inputs.js';
import { createTestDatabase, execute, executeOk, type TestDatabase } from './helpers/test-database.js';

/**
 * Query.campaign reads the campaign in the statement of the buckets its fields ask for, so
 * buckets in the campaign's zone cost one statement, not a lookup and then the buckets. The
 * zone matters here: Kolkata is UTC+5:30 all year, so its local days start at 18:30Z and
 * differ from UTC's. Expected values worked out by hand:
 *
 * | snapshot (UTC)   | volunteers | Kolkata day (starts)       | UTC day    |
 * | 2026-01-01 17:00 | 3          | Jan 1 (2025-12-31T18:30Z)  | Jan 1      |
 * | 2026-01-01 20:00 | 5          | Jan 2 (2026-01-01T18:30Z)  | Jan 1      |
 * | 2026-01-02 10:00 | 8          | Jan 2                      | Jan 2      |
 */
const KOLKATA_DAYS = ['2025-12-31T18:30:00.000Z', '2026-01-01T18:30:00.000Z'];
const UTC_DAYS = ['2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z'];

const SERIES = /* GraphQL */ `
  query Series($id: ID!, $from: DateTime!, $to: DateTime!, $timeZone: TimeZone, $skip: Boolean = false) {
    campaign(id: $id) {
      name timeZone
      series(metrics: [VOLUNTEERS_CURRENT], from: $from, to: $to, granularity: DAY, timeZone: $timeZone)
        @skip(if: $skip) {
        timeZone timestamps
        columns { values }
      }
    }
  }
`;
const KOLKATA_RANGE = { from: KOLKATA_DAYS[0], to: '2026-01-02T18:30:00Z' };

let db: TestDatabase;
let kolkata: string;
let utc: string;

beforeAll(async () => {
  db = await createTestDatabase();
  const create = async (name: string, timeZone: string) =>
    (await executeOk(db.gateway, UPSERT_CAMPAIGN, { input: { name, status: 'ACTIVE', timeZone } }))
      .upsertCampaign.id as string;
  kolkata = await create('Kolkata fixture', 'Asia/Kolkata');
  utc = await create('UTC fixture', 'UTC');
  const samples: [string, number][] = [
    ['2026-01-01T17:00:00Z', 3],
    ['2026-01-01T20:00:00Z', 5],
    ['2026-01-02T10:00:00Z', 8],
  ];
  await executeOk(db.gateway, RECORD_SNAPSHOTS, {
    input: [kolkata, utc].flatMap((id) =>
      samples.map(([at, volunteers]) => snapshotInput(id, { at, volunteers: [volunteers, 10] })),
    ),
  });
});
afterAll(() => db?.close());

/** The response and the statements the request sent. */
async function run(query: string, variables: Record<string, unknown>) {
  db.statements.length = 0;
  const response = await execute(db.gateway, query, variables);
  return { ...response, statements: db.statements.length };
}

describe('Query.campaign with bucket fields', () => {
  it("reads the campaign and its series in one statement, in the campaign's zone", async () => {
    const { data, errors, statements } = await run(SERIES, { id: kolkata, ...KOLKATA_RANGE });
    expect(errors).toBeUndefined();
    expect(data?.campaign).toEqual({
      name: 'Kolkata fixture',
      timeZone: 'Asia/Kolkata',
      series: { timeZone: 'Asia/Kolkata', timestamps: KOLKATA_DAYS, columns: [{ values: [3, 8] }] },
    });
    expect(statements).toBe(1);
  });

  it('follows the zone the field names', async () => {
    const { data, statements } = await run(SERIES, {
      id: kolkata,
      from: UTC_DAYS[0],
      to: '2026-01-03T00:00:00Z',
      timeZone: 'UTC',
    });
    expect(data?.campaign.series).toEqual({
      timeZone: 'UTC',
      timestamps: UTC_DAYS,
      columns: [{ values: [5, 8] }],
    });
    expect(statements).toBe(1);
  });

  it('answers two campaigns by alias, each in its own zone, in one statement', async () => {
    const { data, errors, statements } = await run(
      /* GraphQL */ `
        query Two($a: ID!, $b: ID!, $from: DateTime!, $to: DateTime!) {
          a: campaign(id: $a) { ...Days }
          b: campaign(id: $b) { ...Days }
        }
        fragment Days on Campaign {
          name
          series(metrics: [VOLUNTEERS_CURRENT], from: $from, to: $to, granularity: DAY) { timestamps columns { values } }
        }`,
      { a: kolkata, b: utc, from: KOLKATA_DAYS[0], to: '2026-01-03T00:00:00Z' },
    );
    expect(errors).toBeUndefined();
    // Kolkata's range also holds the local day starting 2026-01-02T18:30Z, which has no snapshot
    expect(data?.a).toEqual({
      name: 'Kolkata fixture',
      series: { timestamps: KOLKATA_DAYS, columns: [{ values: [3, 8] }] },
    });
    expect(data?.b).toEqual({
      name: 'UTC fixture',
      series: { timestamps: UTC_DAYS, columns: [{ values: [5, 8] }] },
    });
    expect(statements).toBe(1);
  });

  it('is null for a missing campaign, in one statement', async () => {
    const { data, errors, statements } = await run(SERIES, {
      id: '0b6c43de-5f7c-4c4e-9d4e-6f1f1d3c2b10',
      ...KOLKATA_RANGE,
    });
    expect(errors).toBeUndefined();
    expect(data).toEqual({ campaign: null });
    expect(statements).toBe(1);
  });

  it('leaves a skipped field out of the statement', async () => {
    const { data, statements } = await run(SERIES, { id: kolkata, ...KOLKATA_RANGE, skip: true });
    expect(data?.campaign).toEqual({ name: 'Kolkata fixture', timeZone: 'Asia/Kolkata' });
    expect(statements).toBe(1);
    expect(db.statements[0]).not.toContain('campaign_metrics_snapshots');
  });

  it('lets the field report arguments it refuses, with its path, and sends no bucket statement', async () => {
    const { data, errors, statements } = await run(SERIES, {
      id: kolkata,
      from: '2026-01-03T00:00:00Z',
      to: '2026-01-01T00:00:00Z',
    });
    expect(errors).toHaveLength(1);
    expect(errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(errors?.[0]?.path).toEqual(['campaign', 'series']);
    // series is non-null, so its error nulls the campaign
    expect(data).toEqual({ campaign: null });
    expect(statements).toBe(1);
    expect(db.statements[0]).not.toContain('campaign_metrics_snapshots');
  });

  it('reads year over year with the campaign in one statement', async () => {
    const { data, errors, statements } = await run(
      /* GraphQL */ `
        query($id: ID!) {
          campaign(id: $id) { yearOverYear(metric: VOLUNTEERS_CURRENT, year: 2026, granularity: MONTH) { current previous } }
        }`,
      { id: kolkata },
    );
    expect(errors).toBeUndefined();
    // January 2026 in Kolkata: the LAST is 8 (2026-01-02 10:00Z); nothing in any other month or in 2025
    expect(data?.campaign.yearOverYear).toEqual({
      current: [8, ...Array(11).fill(null)],
      previous: Array(12).fill(null),
    });
    expect(statements).toBe(1);
  });

  it('sends a series and year over year of one campaign as two statements, not a lookup and two more', async () => {
    const { data, errors, statements } = await run(
      /* GraphQL */ `
        query($id: ID!, $from: DateTime!, $to: DateTime!) {
          campaign(id: $id) {
            series(metrics: [VOLUNTEERS_CURRENT], from: $from, to: $to, granularity: DAY) { timestamps columns { values } }
            yearOverYear(metric: VOLUNTEERS_CURRENT, year: 2026, granularity: MONTH) { current }
          }
        }`,
      { id: kolkata, ...KOLKATA_RANGE },
    );
    expect(errors).toBeUndefined();
    expect(data?.campaign).toEqual({
      series: { timestamps: KOLKATA_DAYS, columns: [{ values: [3, 8] }] },
      yearOverYear: { current: [8, ...Array(11).fill(null)] },
    });
    expect(statements).toBe(2);
  });

  it('pages snapshots after a cursor in the campaign zone: the lookup first, then the page', async () => {
    const PAGE = /* GraphQL */ `
      query($id: ID!, $after: String) {
        campaign(id: $id) {
          snapshots(granularity: DAY, first: 1, after: $after) {
            edges { node { snapshotDate sampleCount value(metric: VOLUNTEERS_CURRENT, stat: MAX) } }
            pageInfo { endCursor hasNextPage }
          }
        }
      }`;
    const first = await run(PAGE, { id: kolkata });
    expect(first.statements).toBe(1);
    const page = first.data?.campaign.snapshots;
    expect(page.edges).toEqual([{ node: { snapshotDate: KOLKATA_DAYS[0], sampleCount: 1, value: 3 } }]);
    expect(page.pageInfo.hasNextPage).toBe(true);

    const second = await run(PAGE, { id: kolkata, after: page.pageInfo.endCursor });
    expect(second.errors).toBeUndefined();
    expect(second.data?.campaign.snapshots.edges).toEqual([
      { node: { snapshotDate: KOLKATA_DAYS[1], sampleCount: 2, value: 8 } },
    ]);
    expect(second.statements).toBe(2);
  });
});
