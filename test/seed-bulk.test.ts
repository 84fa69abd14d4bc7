import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql as drizzleSql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/client.js';
import { recordSnapshots } from '../src/ingest/record-snapshots.js';
import { upsertCampaign } from '../src/queries/upsert-campaign.js';
import {
  type BulkSeedPlan,
  bulkSeed,
  bulkSeedIsPresent,
  planCampaigns,
  plannedSnapshots,
  scalePlan,
} from '../src/seed/bulk-seed.js';
import { generateSnapshots, generateSteadyCampaigns, seedWindow } from '../src/seed/generate.js';
import { createTestDatabase, type TestDatabase } from './helpers/test-database.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const serverUrl = process.env.DATABASE_URL;

/** 3 campaigns x 3 days x 4 a day + 1 hourly campaign x 3 days x 24 = 36 + 72 snapshots. */
const PLAN: BulkSeedPlan = {
  campaigns: 3,
  days: 3,
  cadence: 'EVERY_6_HOURS',
  hourlyCampaigns: 1,
  seed: 77,
  // the window spans Europe's switch to summer time
  end: new Date('2026-03-30T00:00:00Z'),
};
const PLAN_SNAPSHOTS = 3 * 3 * 4 + 1 * 3 * 24;

describe('bulk seed plans', () => {
  it('have the sizes of issue 8 and end at a UTC midnight', () => {
    const end = new Date('2026-11-27T15:42:10Z');
    const small = scalePlan('1.5m', end);
    const large = scalePlan('15m', end);
    expect(small.end.toISOString()).toBe('2026-11-27T00:00:00.000Z');
    expect([small.campaigns, small.hourlyCampaigns, small.days]).toEqual([1000, 10, 365]);
    expect([large.campaigns, large.hourlyCampaigns, large.days]).toEqual([10_000, 100, 365]);
    expect(plannedSnapshots(small)).toBe(1000 * 365 * 4 + 10 * 365 * 24);
    expect(plannedSnapshots(large)).toBe(10_000 * 365 * 4 + 100 * 365 * 24);
    expect(plannedSnapshots(PLAN)).toBe(PLAN_SNAPSHOTS);
  });

  it('make ACTIVE campaigns that report at their cadence through the whole window, without outages', () => {
    const { window, campaigns } = planCampaigns(PLAN);
    expect(campaigns.map((c) => [c.values.status, c.profile.cadence])).toEqual([
      ['ACTIVE', 'EVERY_6_HOURS'],
      ['ACTIVE', 'EVERY_6_HOURS'],
      ['ACTIVE', 'EVERY_6_HOURS'],
      ['ACTIVE', 'HOURLY'],
    ]);
    expect(new Set(campaigns.map((c) => c.values.id)).size).toBe(4);
    const start = Date.parse('2026-03-27T00:00:00Z');
    campaigns.forEach((campaign, i) => {
      const stepHours = i < 3 ? 6 : 1;
      const instants = [...generateSnapshots(campaign, window)].map((s) => s.snapshotDate.getTime());
      expect(instants).toEqual(
        Array.from({ length: (3 * 24) / stepHours }, (_, k) => start + k * stepHours * 3_600_000),
      );
    });
  });

  it('are refused on the embedded database by npm run seed -- --scale (exit 2)', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/seed.ts', '--scale', '1.5m'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: '' },
      encoding: 'utf8',
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/--scale needs a PostgreSQL server \(DATABASE_URL\)/);
  });
});

/** "1234.56" or 1234.56 -> 123456n (the generator's money and scores have at most 2 decimals). */
function hundredths(value: string | number): bigint {
  const [whole, fraction = ''] = String(value).split('.');
  return BigInt(`${whole}${fraction.padEnd(2, '0')}`);
}

/** a / b rounded half up to 4 decimals as numeric text, "0.0000" for b = 0 (the contract's utilization). */
function utilization(a: bigint, b: bigint): string {
  if (b === 0n) return '0.0000';
  const scaled = (2n * a * 10_000n + b) / (2n * b);
  return `${scaled / 10_000n}.${String(scaled % 10_000n).padStart(4, '0')}`;
}

const decimal2 = (units: bigint) => `${units / 100n}.${String(units % 100n).padStart(2, '0')}`;
const optional2 = (value: number | string | null | undefined) =>
  value === null || value === undefined ? null : decimal2(hundredths(value));
const optionalInt = (value: number | null | undefined) =>
  value === null || value === undefined ? null : value;

describe.skipIf(!serverUrl)('bulkSeed (PostgreSQL suite only: set DATABASE_URL to run)', () => {
  let database: TestDatabase;
  let sql: postgres.Sql;

  /** Every stored column but id and created_at, as text, in key order. */
  const storedSnapshots = async () =>
    (
      await sql<{ row: string }[]>`
        SELECT (to_jsonb(s) - 'id' - 'created_at')::text AS row
        FROM campaign_metrics_snapshots s ORDER BY campaign_id, snapshot_date`
    ).map((r) => r.row);
  const storedCampaigns = async () =>
    (
      await sql<{ row: string }[]>`
        SELECT (to_jsonb(c) - 'created_at' - 'updated_at')::text AS row FROM campaigns c ORDER BY id`
    ).map((r) => r.row);

  beforeAll(async () => {
    database = await createTestDatabase();
    const [row] = await queryRows<{ name: string }>(
      database.handle.db,
      drizzleSql`SELECT current_database() AS name`,
    );
    const url = new URL(serverUrl ?? '');
    url.pathname = `/${row?.name}`;
    sql = postgres(url.toString(), { max: 2, onnotice: () => {} });
  });
  afterAll(async () => {
    await sql?.end();
    await database?.close();
  });

  it('loads exactly the planned rows, is found present, and a rerun changes nothing', async () => {
    expect(await bulkSeedIsPresent(sql, PLAN)).toBe(false);
    const progress: number[] = [];
    const result = await bulkSeed(sql, PLAN, (rows) => progress.push(rows));
    expect(result).toMatchObject({ campaigns: 4, snapshots: PLAN_SNAPSHOTS });
    expect(progress.at(-1)).toBe(PLAN_SNAPSHOTS);
    const perCampaign = await sql<{ count: number }[]>`
      SELECT count(*)::int AS count FROM campaign_metrics_snapshots GROUP BY campaign_id ORDER BY 1`;
    expect(perCampaign.map((r) => r.count)).toEqual([12, 12, 12, 72]);
    // the window's month got its partition, and every row is in it
    const [partitions] = await sql<{ march: number }[]>`
      SELECT count(*)::int AS march FROM campaign_metrics_snapshots_2026_03`;
    expect(partitions).toEqual({ march: PLAN_SNAPSHOTS });
    // the caller's client still parses timestamps (bulkSeed runs drizzle on it for a moment)
    const [newest] = await sql<
      { at: unknown }[]
    >`SELECT max(snapshot_date) AS at FROM campaign_metrics_snapshots`;
    expect(newest?.at).toEqual(new Date('2026-03-29T23:00:00Z'));
    expect(await bulkSeedIsPresent(sql, PLAN)).toBe(true);
    // another plan (other seed) is not present
    expect(await bulkSeedIsPresent(sql, { ...PLAN, seed: 78 })).toBe(false);

    const before = await storedSnapshots();
    await bulkSeed(sql, PLAN, undefined, { streams: 2 });
    expect(await storedSnapshots()).toEqual(before);

    // a missing snapshot at the end of the hourly campaign is noticed
    await sql`DELETE FROM campaign_metrics_snapshots
      WHERE snapshot_date = (SELECT max(snapshot_date) FROM campaign_metrics_snapshots)`;
    expect(await bulkSeedIsPresent(sql, PLAN)).toBe(false);
    await bulkSeed(sql, PLAN);
    expect(await bulkSeedIsPresent(sql, PLAN)).toBe(true);
  });

  it("stores the generator's snapshots of a campaign, with utilizations and remaining computed by the database", async () => {
    const window = seedWindow(PLAN.end, PLAN.days);
    const [hourly] = generateSteadyCampaigns(1, PLAN.seed, window, { cadence: 'HOURLY', firstIndex: 3 });
    if (!hourly) throw new Error('no campaign generated');
    const generated = [...generateSnapshots(hourly, window)];
    expect(generated).toHaveLength(72);
    const stored = await sql<Record<string, string | number | null>[]>`
      SELECT campaign_id::text, to_char(snapshot_date AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') AS at,
             volunteers_target, volunteers_current, volunteers_utilization::text,
             beneficiaries_target, beneficiaries_current, beneficiaries_utilization::text,
             sessions_target, sessions_current, sessions_utilization::text,
             budget_allocated::text, budget_spent::text, budget_remaining::text, budget_utilization::text,
             sroi_score::text, average_vis_score::text, total_hours_logged::text, total_sessions_completed,
             seats_used, seats_committed, credits_consumed::text, credits_allocated::text,
             learners_served, learners_committed, full_snapshot::text
      FROM campaign_metrics_snapshots WHERE campaign_id = ${hourly.values.id}::uuid ORDER BY snapshot_date`;
    const expected = generated.map((s) => {
      const allocated = hundredths(s.budget.allocated);
      const spent = hundredths(s.budget.spent);
      const capacity = (c: { target: number; current: number }) =>
        utilization(BigInt(c.current), BigInt(c.target));
      return {
        campaign_id: hourly.values.id,
        at: s.snapshotDate.toISOString().slice(0, 19),
        volunteers_target: s.volunteers.target,
        volunteers_current: s.volunteers.current,
        volunteers_utilization: capacity(s.volunteers),
        beneficiaries_target: s.beneficiaries.target,
        beneficiaries_current: s.beneficiaries.current,
        beneficiaries_utilization: capacity(s.beneficiaries),
        sessions_target: s.sessions.target,
        sessions_current: s.sessions.current,
        sessions_utilization: capacity(s.sessions),
        budget_allocated: decimal2(allocated),
        budget_spent: decimal2(spent),
        budget_remaining: decimal2(allocated - spent),
        budget_utilization: utilization(spent, allocated),
        sroi_score: optional2(s.impact?.sroiScore),
        average_vis_score: optional2(s.impact?.averageVisScore),
        total_hours_logged: optional2(s.impact?.totalHoursLogged),
        total_sessions_completed: optionalInt(s.impact?.totalSessionsCompleted),
        seats_used: optionalInt(s.monetization?.seatsUsed),
        seats_committed: optionalInt(s.monetization?.seatsCommitted),
        credits_consumed: optional2(s.monetization?.creditsConsumed),
        credits_allocated: optional2(s.monetization?.creditsAllocated),
        learners_served: optionalInt(s.monetization?.learnersServed),
        learners_committed: optionalInt(s.monetization?.learnersCommitted),
        full_snapshot: { ...s.details, campaignName: hourly.values.name, status: 'ACTIVE' },
      };
    });
    expect(stored.map((row) => ({ ...row, full_snapshot: JSON.parse(String(row.full_snapshot)) }))).toEqual(
      expected,
    );
    // the plan's every hour, one snapshot each
    expect(stored[0]?.at).toBe('2026-03-27T00:00:00');
    expect(stored.at(-1)?.at).toBe('2026-03-29T23:00:00');
  });

  it('writes the same campaigns and snapshots as the ingest path (upsertCampaign, recordSnapshots)', async () => {
    await bulkSeed(sql, PLAN);
    const bulkSnapshots = await storedSnapshots();
    const bulkCampaigns = await storedCampaigns();
    expect(bulkSnapshots).toHaveLength(PLAN_SNAPSHOTS);

    await sql`DELETE FROM campaigns`;
    const window = seedWindow(PLAN.end, PLAN.days);
    const campaigns = [
      ...generateSteadyCampaigns(3, PLAN.seed, window, { cadence: 'EVERY_6_HOURS', firstIndex: 0 }),
      ...generateSteadyCampaigns(1, PLAN.seed, window, { cadence: 'HOURLY', firstIndex: 3 }),
    ];
    const db = database.handle.db;
    for (const { values } of campaigns) await upsertCampaign(db, values, null);
    await recordSnapshots(
      db,
      campaigns.flatMap((c) => [...generateSnapshots(c, window)]),
      null,
    );
    expect(await storedCampaigns()).toEqual(bulkCampaigns);
    expect(await storedSnapshots()).toEqual(bulkSnapshots);
  });
});
