import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase, queryRows } from '../src/db/client.js';
import { bucketSelection } from '../src/metrics/bucket-selection.js';
import { metricDefinition } from '../src/metrics/catalog.js';
import { budgetBurnInputs } from '../src/queries/budget-burn-inputs.js';
import { visibleCampaignsById } from '../src/queries/campaigns-by-id.js';
import { dailyValues } from '../src/queries/daily-values.js';
import { latestSnapshotsByCampaign } from '../src/queries/latest-snapshots.js';
import { snapshotBuckets } from '../src/queries/snapshot-buckets.js';
import { bulkSeed } from '../src/seed/bulk-seed.js';

/**
 * Hand-written statements (src/queries, sent through drizzle's `execute`, which asks
 * postgres.js not to prepare) run as named prepared statements unless turned off. One
 * connection per pool, so the session that ran a statement is the one asked about it.
 */
const serverUrl = process.env.DATABASE_URL;

describe.skipIf(!serverUrl)('prepared statements on PostgreSQL (needs DATABASE_URL)', () => {
  const name = `cmg_prepared_${randomBytes(5).toString('hex')}`;
  const admin = serverUrl ? postgres(serverUrl, { max: 1, onnotice: () => {} }) : undefined;
  let databaseUrl = '';

  beforeAll(async () => {
    await admin?.unsafe(`CREATE DATABASE ${name}`);
    const url = new URL(serverUrl ?? '');
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
    const migrated = await openDatabase({ databaseUrl, maxConnections: 1 });
    await migrated.migrate();
    await migrated.close();
  });
  afterAll(async () => {
    await admin?.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin?.end();
  });

  const preparedAfterLatestRead = async (handle: DatabaseHandle) => {
    await latestSnapshotsByCampaign(handle.db, ['7d1f4b2e-0000-4000-8000-000000000002'], {
      previous: false,
      details: false,
    });
    const rows = await queryRows<{ statement: string }>(
      handle.db,
      sql`SELECT statement FROM pg_prepared_statements WHERE NOT from_sql`,
    );
    return rows
      .map((row) => row.statement)
      .filter((statement) => statement.includes('JOIN campaign_latest_snapshots'));
  };

  it('prepares hand-written statements by default, once per text, reused', async () => {
    const handle = await openDatabase({ databaseUrl, maxConnections: 1 });
    try {
      expect(await preparedAfterLatestRead(handle)).toHaveLength(1);
      // the same text again: reused, not prepared a second time
      expect(await preparedAfterLatestRead(handle)).toHaveLength(1);
    } finally {
      await handle.close();
    }
  });

  it('sends them unnamed when DATABASE_PREPARED_STATEMENTS is off (PgBouncer in transaction mode)', async () => {
    const handle = await openDatabase({ databaseUrl, maxConnections: 1, prepareStatements: false });
    try {
      expect(await preparedAfterLatestRead(handle)).toHaveLength(0);
    } finally {
      await handle.close();
    }
  });

  it('keeps generic plans for the statements of one campaign (no planning per chart)', async () => {
    // 20 campaigns x 60 days, 6-hourly, analyzed: the planner's costs come from real statistics
    const seeder = postgres(databaseUrl, { max: 1, onnotice: () => {} });
    await bulkSeed(seeder, {
      campaigns: 20,
      days: 60,
      cadence: 'EVERY_6_HOURS',
      hourlyCampaigns: 0,
      seed: 60,
      end: new Date('2026-03-01T00:00:00Z'),
    }).finally(() => seeder.end());
    const handle = await openDatabase({ databaseUrl, maxConnections: 1 });
    try {
      const [campaign] = await queryRows<{ id: string }>(
        handle.db,
        sql`SELECT id FROM campaigns ORDER BY id LIMIT 1`,
      );
      const id = String(campaign?.id);
      const query = {
        from: new Date('2026-01-01T00:00:00Z'),
        to: new Date('2026-02-01T00:00:00Z'),
        granularity: 'DAY' as const,
        selection: bucketSelection([['VOLUNTEERS_CURRENT', 'LAST']]),
        descending: false,
        limit: 100,
        withTotalCount: false,
      };
      const volunteers = metricDefinition('VOLUNTEERS_CURRENT');
      // PostgreSQL weighs a generic plan after five custom ones
      for (let i = 0; i < 8; i++) {
        const [buckets] = await snapshotBuckets(
          handle.db,
          [{ campaignId: id, timeZone: 'Europe/Berlin' }],
          query,
        );
        expect(buckets && 'buckets' in buckets ? buckets.buckets.length : 0).toBe(31);
        expect((await visibleCampaignsById(handle.db, null, [id])).get(id)?.id).toBe(id);
        const latest = await latestSnapshotsByCampaign(handle.db, [id], { previous: false, details: false });
        expect(latest.get(id)?.start).toEqual(new Date('2026-02-28T18:00:00Z'));
        expect((await budgetBurnInputs(handle.db, [id]))[0]?.now).toEqual(new Date('2026-02-28T18:00:00Z'));
        expect(
          (await dailyValues(handle.db, [id], { metric: volunteers, lookbackDays: 7 }))[0]?.days,
        ).toHaveLength(7);
      }
      const plans = await queryRows<{ statement: string; generic_plans: string; custom_plans: string }>(
        handle.db,
        sql`SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements WHERE NOT from_sql`,
      );
      const plansOf = (marker: string) => {
        const found = plans.filter((plan) => plan.statement.includes(marker));
        expect(found).toHaveLength(1);
        return { custom: Number(found[0]?.custom_plans), generic: Number(found[0]?.generic_plans) };
      };
      for (const marker of [
        'campaign_metrics_rollups',
        'now_at',
        'latest_at',
        'JOIN campaign_latest_snapshots',
        'AS campaign_tenant_id',
      ]) {
        expect(plansOf(marker), marker).toEqual({ custom: 5, generic: 3 });
      }
    } finally {
      await handle.close();
    }
  });
});
