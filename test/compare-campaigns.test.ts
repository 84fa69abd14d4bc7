import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORD_SNAPSHOTS, snapshotInput, UPSERT_CAMPAIGN } from './fixtures/snapshot-inputs.js';
import { createTestDatabase, execute, executeOk, type TestDatabase } from './helpers/test-database.js';

/**
 * compareCampaigns against a table worked out by hand. Snapshots at 00:00 UTC of
 * 2024-01-01 (d1), -02 (d2) and -03 (d3):
 *
 *        volunteers      sroi             spent            outcomeScores
 *        d1  d2  d3      d1   d2   d3     d1   d2   d3     d1             d2             d3
 *   A    10  20  30      2    3    null   100  200  300    lang 50 int 70 lang 60        lang 70 int 90
 *   B    30  20  20      1    1.5  2.5    50   150  250    lang 80        lang 80 int 10 -
 *   C     5   -  20      4    -    4      10   -    20     -              -              lang 40
 *   D     -  10  10      -    null null   -    0    30     -              int 50         int 50
 *   E    (no snapshots)
 */
const D1 = '2024-01-01T00:00:00.000Z';
const D2 = '2024-01-02T00:00:00.000Z';
const D3 = '2024-01-03T00:00:00.000Z';

let db: TestDatabase;
const id: Record<'A' | 'B' | 'C' | 'D' | 'E', string> = { A: '', B: '', C: '', D: '', E: '' };
const extraIds: string[] = [];

async function createCampaign(name: string): Promise<string> {
  const data = await executeOk(db.gateway, UPSERT_CAMPAIGN, { input: { name, status: 'ACTIVE' } });
  return data.upsertCampaign.id;
}

const point = (
  campaign: string,
  at: string,
  volunteers: number,
  sroi: number | null,
  spent: string,
  outcomeScores?: Record<string, number>,
) =>
  snapshotInput(campaign, {
    at,
    volunteers: [volunteers, 50],
    sroi,
    spent,
    ...(outcomeScores ? { details: { outcomeScores } } : {}),
  });

beforeAll(async () => {
  db = await createTestDatabase();
  for (const name of ['A', 'B', 'C', 'D', 'E'] as const) id[name] = await createCampaign(name);
  await executeOk(db.gateway, RECORD_SNAPSHOTS, {
    input: [
      point(id.A, D1, 10, 2, '100.00', { language: 50, integration: 70 }),
      point(id.A, D2, 20, 3, '200.00', { language: 60 }),
      point(id.A, D3, 30, null, '300.00', { language: 70, integration: 90 }),
      point(id.B, D1, 30, 1, '50.00', { language: 80 }),
      point(id.B, D2, 20, 1.5, '150.00', { language: 80, integration: 10 }),
      point(id.B, D3, 20, 2.5, '250.00'),
      point(id.C, D1, 5, 4, '10.00'),
      point(id.C, D3, 20, 4, '20.00', { language: 40 }),
      point(id.D, D2, 10, null, '0.00', { integration: 50 }),
      point(id.D, D3, 10, null, '30.00', { integration: 50 }),
    ],
  });
  for (let i = 0; i < 26; i++) extraIds.push(await createCampaign(`Extra ${i}`));
  await executeOk(db.gateway, RECORD_SNAPSHOTS, {
    input: extraIds.map((campaign, i) => point(campaign, D3, i, i % 3 ? i : null, `${i}.00`)),
  });
});
afterAll(() => db?.close());

const COMPARE = /* GraphQL */ `
  query Compare($ids: [ID!]!, $metrics: [Metric!]!, $from: DateTime, $to: DateTime, $dimensions: [String!]! = ["language"]) {
    compareCampaigns(ids: $ids, metrics: $metrics, from: $from, to: $to) {
      campaign { id }
      values { metric value rank percentile cohortAverage }
    }
    compareOutcomes(ids: $ids, dimensions: $dimensions, from: $from, to: $to) {
      campaign { id }
      outcomes { dimension value rank percentile cohortAverage }
    }
  }
`;

interface Ranked {
  value: number | null;
  rank: number | null;
  percentile: number | null;
  cohortAverage: number | null;
}
interface Row {
  campaign: { id: string };
  values: (Ranked & { metric: string })[];
  outcomes: (Ranked & { dimension: string })[];
}

/** compareCampaigns' rows with compareOutcomes' outcomes beside them (both answer per id, in order). */
async function compare(variables: Record<string, unknown>): Promise<Row[]> {
  const data = await executeOk<{ compareCampaigns: Omit<Row, 'outcomes'>[]; compareOutcomes: Row[] }>(
    db.gateway,
    COMPARE,
    variables,
  );
  return data.compareCampaigns.map((row, i) => {
    const outcomes = data.compareOutcomes[i];
    if (outcomes?.campaign.id !== row.campaign.id) throw new Error(`rows ${i} name different campaigns`);
    return { ...row, outcomes: outcomes.outcomes };
  });
}

/** [value, rank, percentile] of one metric (or dimension) in every row, in row order. */
function column(rows: Row[], name: string): [number | null, number | null, number | null][] {
  return rows.map((row) => {
    const cell = [...row.values, ...row.outcomes].find(
      (v) => ('metric' in v ? v.metric : v.dimension) === name,
    );
    if (!cell) throw new Error(`no ${name} in row`);
    return [cell.value, cell.rank, cell.percentile];
  });
}

const averageOf = (rows: Row[], name: string) =>
  [...(rows[0]?.values ?? []), ...(rows[0]?.outcomes ?? [])].find(
    (v) => ('metric' in v ? v.metric : v.dimension) === name,
  )?.cohortAverage;

describe('compareCampaigns, LAST values', () => {
  it('ranks the latest values with ties (1, 2, 2, 4), rows in the order given', async () => {
    const rows = await compare({
      ids: [id.D, id.A, id.C, id.B],
      metrics: ['VOLUNTEERS_CURRENT', 'SROI_SCORE', 'BUDGET_SPENT'],
      dimensions: ['language', 'integration'],
    });
    expect(rows.map((row) => row.campaign.id)).toEqual([id.D, id.A, id.C, id.B]);
    expect(rows.map((row) => row.values.map((v) => v.metric))).toEqual(
      Array(4).fill(['VOLUNTEERS_CURRENT', 'SROI_SCORE', 'BUDGET_SPENT']),
    );
    // rows D, A, C, B
    expect(column(rows, 'VOLUNTEERS_CURRENT')).toEqual([
      [10, 4, 0],
      [30, 1, 1],
      [20, 2, 1 / 3],
      [20, 2, 1 / 3],
    ]);
    expect(averageOf(rows, 'VOLUNTEERS_CURRENT')).toBe(20);
    // A's latest sroi is null (not its last non-null value): only C and B are ranked
    expect(column(rows, 'SROI_SCORE')).toEqual([
      [null, null, null],
      [null, null, null],
      [4, 1, 1],
      [2.5, 2, 0],
    ]);
    expect(averageOf(rows, 'SROI_SCORE')).toBe(3.25);
    expect(column(rows, 'BUDGET_SPENT')).toEqual([
      [30, 3, 1 / 3],
      [300, 1, 1],
      [20, 4, 0],
      [250, 2, 2 / 3],
    ]);
    expect(averageOf(rows, 'BUDGET_SPENT')).toBe(150);
    expect(column(rows, 'language')).toEqual([
      [null, null, null],
      [70, 1, 1],
      [40, 2, 0],
      [null, null, null],
    ]);
    expect(averageOf(rows, 'language')).toBe(55);
    expect(column(rows, 'integration')).toEqual([
      [50, 2, 0],
      [90, 1, 1],
      [null, null, null],
      [null, null, null],
    ]);
    expect(averageOf(rows, 'integration')).toBe(70);
  });

  it('takes the last value at or before `to` (a snapshot exactly at `to` counts)', async () => {
    const rows = await compare({ ids: [id.A, id.B, id.C, id.D], metrics: ['VOLUNTEERS_CURRENT'], to: D2 });
    expect(column(rows, 'VOLUNTEERS_CURRENT')).toEqual([
      [20, 1, 2 / 3],
      [20, 1, 2 / 3],
      [5, 4, 0],
      [10, 3, 1 / 3],
    ]);
    expect(averageOf(rows, 'VOLUNTEERS_CURRENT')).toBe(13.75);
    // before any snapshot: no values, no ranks
    const early = await compare({
      ids: [id.A, id.B],
      metrics: ['VOLUNTEERS_CURRENT'],
      to: '2023-12-31T00:00:00Z',
    });
    expect(early.map((row) => row.values[0])).toEqual(
      Array(2).fill({
        metric: 'VOLUNTEERS_CURRENT',
        value: null,
        rank: null,
        percentile: null,
        cohortAverage: null,
      }),
    );
  });

  it('gives a cohort of one rank 1 and percentile 1.0, and a campaign without snapshots no rank', async () => {
    const [only] = await compare({ ids: [id.C], metrics: ['VOLUNTEERS_CURRENT'] });
    expect(only?.values).toEqual([
      { metric: 'VOLUNTEERS_CURRENT', value: 20, rank: 1, percentile: 1, cohortAverage: 20 },
    ]);
    const withEmpty = await compare({ ids: [id.E, id.C], metrics: ['VOLUNTEERS_CURRENT'] });
    expect(column(withEmpty, 'VOLUNTEERS_CURRENT')).toEqual([
      [null, null, null],
      [20, 1, 1],
    ]);
    expect(withEmpty[0]?.campaign.id).toBe(id.E);
  });

  it('returns no rows for no ids', async () => {
    expect(await compare({ ids: [], metrics: ['VOLUNTEERS_CURRENT'] })).toEqual([]);
  });
});

describe('compareCampaigns, AVG over [from, to)', () => {
  it('averages the raw snapshots from `from` up to, not including, `to`', async () => {
    const rows = await compare({
      ids: [id.A, id.B, id.C, id.D],
      metrics: ['VOLUNTEERS_CURRENT', 'SROI_SCORE'],
      from: D1,
      to: D3,
      dimensions: ['language', 'integration'],
    });
    // d1 and d2 only: A (10+20)/2, B (30+20)/2, C 5, D 10
    expect(column(rows, 'VOLUNTEERS_CURRENT')).toEqual([
      [15, 2, 2 / 3],
      [25, 1, 1],
      [5, 4, 0],
      [10, 3, 1 / 3],
    ]);
    expect(averageOf(rows, 'VOLUNTEERS_CURRENT')).toBe(13.75);
    // A (2+3)/2, B (1+1.5)/2, C 4, D only nulls
    expect(column(rows, 'SROI_SCORE')).toEqual([
      [2.5, 2, 0.5],
      [1.25, 3, 0],
      [4, 1, 1],
      [null, null, null],
    ]);
    expect(averageOf(rows, 'SROI_SCORE')).toBeCloseTo(7.75 / 3, 12);
    // language: A (50+60)/2, B (80+80)/2; integration: A 70 (d1 only), B 10, D 50
    expect(column(rows, 'language')).toEqual([
      [55, 2, 0],
      [80, 1, 1],
      [null, null, null],
      [null, null, null],
    ]);
    expect(averageOf(rows, 'language')).toBe(67.5);
    expect(column(rows, 'integration')).toEqual([
      [70, 1, 1],
      [10, 3, 0],
      [null, null, null],
      [50, 2, 0.5],
    ]);
    expect(averageOf(rows, 'integration')).toBeCloseTo(130 / 3, 12);
  });

  it('averages everything from `from` on when `to` is absent', async () => {
    const rows = await compare({ ids: [id.A, id.B, id.C, id.D], metrics: ['VOLUNTEERS_CURRENT'], from: D2 });
    // A (20+30)/2, B (20+20)/2, C 20, D (10+10)/2
    expect(column(rows, 'VOLUNTEERS_CURRENT')).toEqual([
      [25, 1, 1],
      [20, 2, 1 / 3],
      [20, 2, 1 / 3],
      [10, 4, 0],
    ]);
  });
});

describe('compareCampaigns, bad input', () => {
  const errorOf = async (variables: Record<string, unknown>) =>
    (await execute(db.gateway, COMPARE, { metrics: ['VOLUNTEERS_CURRENT'], ...variables })).errors?.[0]
      ?.extensions;

  it('rejects more than 100 ids', async () => {
    const ids = Array.from({ length: 101 }, () => randomUUID());
    expect(await errorOf({ ids })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'ids' });
  });

  it('rejects a malformed and a repeated id, naming its index', async () => {
    expect(await errorOf({ ids: [id.A, 'not-a-uuid'] })).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'ids',
      index: 1,
    });
    expect(await errorOf({ ids: [id.A, id.B, id.A.toUpperCase()] })).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'ids',
      index: 2,
    });
  });

  it('reports an id of no campaign as NOT_FOUND, naming its index', async () => {
    const result = await execute(db.gateway, COMPARE, {
      ids: [id.A, id.B, randomUUID()],
      metrics: ['VOLUNTEERS_CURRENT'],
    });
    expect(result.errors?.[0]?.extensions).toEqual({ code: 'NOT_FOUND', field: 'ids', index: 2 });
    expect(result.data).toBeNull();
  });

  it('rejects an empty metrics list, an unknown metric, from >= to and an empty dimension', async () => {
    expect(await errorOf({ ids: [id.A], metrics: [] })).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'metrics',
    });
    expect((await errorOf({ ids: [id.A], metrics: ['NOPE'] }))?.code).toBe('BAD_USER_INPUT');
    expect(await errorOf({ ids: [id.A], from: D2, to: D2 })).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'to',
    });
    expect(await errorOf({ ids: [id.A], from: D3, to: D2 })).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'to',
    });
    expect(await errorOf({ ids: [id.A], dimensions: [''] })).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'dimensions',
      index: 0,
    });
    expect(await errorOf({ ids: [id.A], dimensions: [] })).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'dimensions',
    });
  });
});

describe('batching', () => {
  const statementsFor = async (query: string, ids: string[]) => {
    db.statements.length = 0;
    const data = await executeOk(db.gateway, query, { ids });
    expect(data.compareCampaigns).toHaveLength(ids.length);
    return db.statements.length;
  };

  it('compares 3 or 30 campaigns in one statement', async () => {
    const query = /* GraphQL */ `
      query Table($ids: [ID!]!) {
        compareCampaigns(ids: $ids, metrics: [VOLUNTEERS_CURRENT, SROI_SCORE, BUDGET_SPENT], from: "2024-01-01T00:00:00Z") {
          campaign { id }
          values { value rank percentile cohortAverage }
        }
      }
    `;
    const all = [id.A, id.B, id.C, id.D, ...extraIds];
    expect(all).toHaveLength(30);
    expect(await statementsFor(query, all.slice(0, 3))).toBe(1);
    expect(await statementsFor(query, all)).toBe(1);
  });

  it('compares outcome dimensions of 30 campaigns in one statement', async () => {
    const all = [id.A, id.B, id.C, id.D, ...extraIds];
    db.statements.length = 0;
    const data = await executeOk(
      db.gateway,
      /* GraphQL */ `query Radar($ids: [ID!]!) {
        compareOutcomes(ids: $ids, dimensions: ["language", "integration"]) { campaign { id } outcomes { value rank } }
      }`,
      { ids: all },
    );
    expect(data.compareOutcomes.map((row: { campaign: { id: string } }) => row.campaign.id)).toEqual(all);
    expect(db.statements).toHaveLength(1);
  });

  it("campaigns' columns come with the comparison's own statement, not a second read", async () => {
    const query = /* GraphQL */ `
      query Table($ids: [ID!]!) {
        compareCampaigns(ids: $ids, metrics: [VOLUNTEERS_CURRENT]) {
          campaign { id name status timeZone highValue legalHold startsAt endsAt }
          values { rank }
        }
      }
    `;
    const all = [id.A, id.B, id.C, id.D, ...extraIds];
    expect(await statementsFor(query, all.slice(0, 3))).toBe(1);
    expect(await statementsFor(query, all)).toBe(1);
    const data = await executeOk(db.gateway, query, { ids: [id.C, extraIds[4]] });
    // as createCampaign wrote them, with the contract's defaults for what it left out
    const campaign = {
      status: 'ACTIVE',
      timeZone: 'UTC',
      highValue: false,
      legalHold: false,
      startsAt: null,
      endsAt: null,
    };
    expect(data.compareCampaigns.map((row: { campaign: unknown }) => row.campaign)).toEqual([
      { id: id.C, name: 'C', ...campaign },
      { id: extraIds[4], name: 'Extra 4', ...campaign },
    ]);
  });
});
