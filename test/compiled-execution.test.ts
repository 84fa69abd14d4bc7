import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORD_SNAPSHOTS, snapshotInput, UPSERT_CAMPAIGN } from './fixtures/snapshot-inputs.js';
import { createTestDatabase, execute, executeOk, type TestDatabase } from './helpers/test-database.js';

/**
 * Queries run compiled by graphql-jit (src/server/compiled-execution.ts). These are the places
 * where it differs from graphql-js on its own: defaults of non-null variables, and errors whose
 * extensions cannot be written.
 */

let db: TestDatabase;
let id: string;

// Two UTC days with samples; their LAST volunteers are 4 and 9 (the later sample of each day).
const SAMPLES: [at: string, volunteers: number][] = [
  ['2024-05-01T03:00:00Z', 3],
  ['2024-05-01T21:00:00Z', 4],
  ['2024-05-02T10:00:00Z', 9],
];

beforeAll(async () => {
  db = await createTestDatabase();
  const created = await executeOk(db.gateway, UPSERT_CAMPAIGN, {
    input: { name: 'Compiled', status: 'ACTIVE', timeZone: 'UTC' },
  });
  id = created.upsertCampaign.id;
  await executeOk(db.gateway, RECORD_SNAPSHOTS, {
    input: SAMPLES.map(([at, current]) => snapshotInput(id, { at, volunteers: [current, 20] })),
  });
});
afterAll(() => db?.close());

const DAILY = /* GraphQL */ `
  query Daily($id: ID!, $granularity: Granularity! = DAY, $stat: Stat! = LAST) {
    campaign(id: $id) {
      series(metrics: [VOLUNTEERS_CURRENT], from: "2024-05-01T00:00:00Z", to: "2024-05-03T00:00:00Z",
             granularity: $granularity, stat: $stat) {
        granularity timestamps columns { values }
      }
    }
  }
`;

describe('variables under compiled execution', () => {
  it('gives a non-null variable left out its default', async () => {
    const data = await executeOk(db.gateway, DAILY, { id });
    expect(data.campaign.series).toEqual({
      granularity: 'DAY',
      timestamps: ['2024-05-01T00:00:00.000Z', '2024-05-02T00:00:00.000Z'],
      columns: [{ values: [4, 9] }],
    });
  });

  it('uses a value given for a variable with a default', async () => {
    const data = await executeOk(db.gateway, DAILY, { id, stat: 'MIN' });
    expect(data.campaign.series.columns).toEqual([{ values: [3, 9] }]);
  });

  it('refuses null for a non-null variable with a default, with BAD_USER_INPUT and no data', async () => {
    const response = await execute(db.gateway, DAILY, { id, granularity: null });
    expect(response.data).toBeUndefined();
    expect(response.errors).toHaveLength(1);
    expect(response.errors?.[0]?.message).toContain('$granularity');
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  it('refuses a value of the wrong type with BAD_USER_INPUT', async () => {
    const response = await execute(db.gateway, DAILY, { id, granularity: 'FORTNIGHT' });
    expect(response.data).toBeUndefined();
    expect(response.errors?.[0]?.message).toContain('$granularity');
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
  });
});

describe('documents graphql-jit does not run', () => {
  it('answers each operation of a document of several by its operationName', async () => {
    const TWO_OPERATIONS = /* GraphQL */ `
      query Name($id: ID!) { campaign(id: $id) { name } }
      query Zone($id: ID!) { campaign(id: $id) { timeZone } }
    `;
    const send = async (operationName: string) => {
      const response = await db.gateway.fetch('http://gateway.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ query: TWO_OPERATIONS, variables: { id }, operationName }),
      });
      return (await response.json()) as { data?: unknown };
    };
    // the first one asked must not answer for the other
    expect((await send('Name')).data).toEqual({ campaign: { name: 'Compiled' } });
    expect((await send('Zone')).data).toEqual({ campaign: { timeZone: 'UTC' } });
    expect((await send('Name')).data).toEqual({ campaign: { name: 'Compiled' } });
  });
});
