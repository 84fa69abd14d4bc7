import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORD_SNAPSHOTS, snapshotInput, UPSERT_CAMPAIGN } from './fixtures/snapshot-inputs.js';
import { createTestDatabase, executeOk, type TestDatabase } from './helpers/test-database.js';

let db: TestDatabase;

async function campaignWith(
  endsAt: string | null,
  snapshots: [at: string, spent: string][],
  allocated = '1000.00',
): Promise<string> {
  const data = await executeOk(db.gateway, UPSERT_CAMPAIGN, {
    input: { name: 'Burn', status: 'ACTIVE', endsAt },
  });
  const id: string = data.upsertCampaign.id;
  if (snapshots.length) {
    await executeOk(db.gateway, RECORD_SNAPSHOTS, {
      input: snapshots.map(([at, spent]) => snapshotInput(id, { at, spent, allocated })),
    });
  }
  return id;
}

const BURN = /* GraphQL */ `
  query Burn($id: ID!) {
    campaign(id: $id) {
      budgetBurn {
        asOf allocated spent remaining dailyBurnRate projectedSpendAtEnd projectedExhaustionDate status
      }
    }
  }
`;
const burnOf = async (id: string) => (await executeOk(db.gateway, BURN, { id })).campaign.budgetBurn;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.close());

describe('Campaign.budgetBurn', () => {
  it('measures from the latest snapshot at or before now - 14 days (OVERSPENDING)', async () => {
    const id = await campaignWith('2024-04-01T00:00:00Z', [
      ['2024-02-20T00:00:00Z', '100.00'],
      ['2024-03-01T00:00:00Z', '300.00'], // exactly now - 14 days: the base
      ['2024-03-05T00:00:00Z', '400.00'],
      ['2024-03-15T00:00:00Z', '650.00'],
    ]);
    // rate (650 - 300) / 14 = 25.00; 17 days to endsAt: 650 + 425 = 1075.00;
    // remaining 350.00 / 25 = 14 days -> 2024-03-29, before endsAt 2024-04-01
    expect(await burnOf(id)).toEqual({
      asOf: '2024-03-15T00:00:00.000Z',
      allocated: '1000.00',
      spent: '650.00',
      remaining: '350.00',
      dailyBurnRate: 25,
      projectedSpendAtEnd: '1075.00',
      projectedExhaustionDate: '2024-03-29T00:00:00.000Z',
      status: 'OVERSPENDING',
    });
  });

  it('measures from the first snapshot when none is 14 days old (UNDERSPENDING)', async () => {
    const id = await campaignWith('2024-04-01T00:00:00Z', [
      ['2024-03-10T12:00:00Z', '100.00'],
      ['2024-03-15T00:00:00Z', '190.00'],
    ]);
    // 4.5 days for 90.00: 20.00 a day; 17 days: 190 + 340 = 530.00 < 800;
    // remaining 810 / 20 = 40.5 days -> 2024-04-24T12:00Z
    expect(await burnOf(id)).toMatchObject({
      dailyBurnRate: 20,
      projectedSpendAtEnd: '530.00',
      projectedExhaustionDate: '2024-04-24T12:00:00.000Z',
      status: 'UNDERSPENDING',
    });
  });

  it('is ON_TRACK between the two', async () => {
    const id = await campaignWith('2024-04-04T00:00:00Z', [
      ['2024-03-01T00:00:00Z', '0.00'],
      ['2024-03-15T00:00:00Z', '350.00'],
    ]);
    // 25.00 a day; 20 days: 350 + 500 = 850.00 >= 800; 650 / 25 = 26 days -> 2024-04-10, after endsAt
    expect(await burnOf(id)).toMatchObject({
      dailyBurnRate: 25,
      projectedSpendAtEnd: '850.00',
      projectedExhaustionDate: '2024-04-10T00:00:00.000Z',
      status: 'ON_TRACK',
    });
  });

  it('is UNKNOWN with a single snapshot', async () => {
    const id = await campaignWith('2024-04-01T00:00:00Z', [['2024-03-15T00:00:00Z', '190.00']]);
    expect(await burnOf(id)).toEqual({
      asOf: '2024-03-15T00:00:00.000Z',
      allocated: '1000.00',
      spent: '190.00',
      remaining: '810.00',
      dailyBurnRate: 0,
      projectedSpendAtEnd: null,
      projectedExhaustionDate: null,
      status: 'UNKNOWN',
    });
  });

  it('is UNKNOWN without endsAt, keeping rate and exhaustion', async () => {
    const id = await campaignWith(null, [
      ['2024-03-01T00:00:00Z', '0.10'],
      ['2024-03-15T00:00:00Z', '0.80'],
    ]);
    // 0.70 / 14 = 0.05 a day; remaining 999.20 / 0.05 = 19984 days after 2024-03-15
    expect(await burnOf(id)).toMatchObject({
      dailyBurnRate: 0.05,
      projectedSpendAtEnd: null,
      projectedExhaustionDate: new Date(
        Date.parse('2024-03-15T00:00:00Z') + 19_984 * 86_400_000,
      ).toISOString(),
      status: 'UNKNOWN',
    });
  });

  it('is null without snapshots', async () => {
    const id = await campaignWith('2024-04-01T00:00:00Z', []);
    expect(await burnOf(id)).toBeNull();
  });
});
