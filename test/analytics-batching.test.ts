import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORD_SNAPSHOTS, snapshotInput, UPSERT_CAMPAIGN } from './fixtures/snapshot-inputs.js';
import { createTestDatabase, executeOk, type TestDatabase } from './helpers/test-database.js';

const ZONES = ['UTC', 'Asia/Kolkata', 'Europe/Berlin', 'America/Los_Angeles', 'Pacific/Kiritimati'];
const CAMPAIGNS = 50;

/** Budget burn, forecast, heatmap and year-over-year for a page of campaigns in many zones. */
const DASHBOARD = /* GraphQL */ `
  query Analytics($first: Int) {
    campaigns(first: $first) {
      edges {
        node {
          id
          budgetBurn { status dailyBurnRate }
          forecast(metric: TOTAL_SESSIONS_COMPLETED, horizonDays: 7) { slopePerDay points { value } }
          spentForecast: forecast(metric: BUDGET_SPENT, horizonDays: 7) { slopePerDay }
          activityHeatmap(from: "2024-01-01T00:00:00Z", to: "2024-02-01T00:00:00Z") { byDayOfWeek }
          yearOverYear(metric: TOTAL_SESSIONS_COMPLETED, year: 2024) { current }
          monthly: yearOverYear(metric: BUDGET_SPENT, year: 2024, granularity: MONTH, stat: DELTA) { change }
        }
      }
    }
  }
`;

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
  const input = [];
  for (let i = 0; i < CAMPAIGNS; i++) {
    const data = await executeOk(db.gateway, UPSERT_CAMPAIGN, {
      input: {
        name: `A${i}`,
        status: 'ACTIVE',
        timeZone: ZONES[i % ZONES.length],
        endsAt: '2024-06-01T00:00:00Z',
      },
    });
    for (let day = 1; day <= 20; day++) {
      input.push(
        snapshotInput(data.upsertCampaign.id, {
          at: new Date(Date.UTC(2024, 0, day, 6 * (day % 4))).toISOString(),
          sessionsCompleted: day * (i + 1),
          spent: `${day * 10}.00`,
        }),
      );
    }
  }
  await executeOk(db.gateway, RECORD_SNAPSHOTS, { input });
});
afterAll(() => db?.close());

describe('batching of budgetBurn, forecast, activityHeatmap and yearOverYear', () => {
  it('runs the same statements for 1, 10 and 50 campaigns', async () => {
    const statementsFor = async (first: number) => {
      db.statements.length = 0;
      const data = await executeOk(db.gateway, DASHBOARD, { first });
      expect(data.campaigns.edges).toHaveLength(first);
      for (const { node } of data.campaigns.edges) {
        expect(node.budgetBurn.status).toBe('OVERSPENDING'); // 10.00 a day: 800.00 left lasts to April
        expect(node.forecast.points).toHaveLength(7);
        expect(node.activityHeatmap.byDayOfWeek).toHaveLength(7);
        expect(node.yearOverYear.current).toHaveLength(52);
      }
      return [...db.statements];
    };
    const one = await statementsFor(1);
    // the page; burn inputs; daily values per metric (2); heatmap sums; buckets per argument set (2)
    expect(one).toHaveLength(7);
    expect(await statementsFor(10)).toHaveLength(7);
    expect(await statementsFor(CAMPAIGNS)).toHaveLength(7);
  });
});
