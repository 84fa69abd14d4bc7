import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase, queryRows } from '../src/db/client.js';
import { maintainSnapshotPartitions } from '../src/queries/snapshot-partitions.js';
import { RECORD_SNAPSHOTS, snapshotInput, UPSERT_CAMPAIGN } from './fixtures/snapshot-inputs.js';
import {
  createCampaignWith,
  databaseWithArchive,
  expectSeriesEqualsNaive,
  querySeries,
  retain,
  type TestSnapshot,
} from './helpers/retention.js';
import { createTestDatabase, executeOk, type TestDatabase } from './helpers/test-database.js';

/**
 * campaign_metrics_snapshots is range-partitioned by UTC month. Everything below reads the
 * partitions from the catalog (pg_partitioned_table, pg_inherits) and checks rows and answers
 * against values the test wrote itself.
 */

const PARENT = 'campaign_metrics_snapshots';
const monthName = (year: number, month: number) => `${PARENT}_${year}_${String(month).padStart(2, '0')}`;

interface CatalogPartition {
  name: string;
  /** the range as UTC instants: '2026-11-01T00:00:00Z/2026-12-01T00:00:00Z' */
  bound: string;
}

/** The partitions of the snapshot table as the catalog lists them, by name. */
async function catalogPartitions(db: TestDatabase['handle']['db']): Promise<CatalogPartition[]> {
  // the bound literals carry their offset; printing them at UTC makes the text zone-independent
  return queryRows<{ name: string; bound: string }>(
    db,
    sql`SELECT c.relname AS name,
               to_char(r[1]::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z/"')
                 || to_char(r[2]::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS bound
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        CROSS JOIN LATERAL regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \\(''(.+)''\\) TO \\(''(.+)''\\)') AS r
        WHERE i.inhparent = 'campaign_metrics_snapshots'::regclass ORDER BY c.relname`,
  );
}

/** Rows per partition (tableoid says where each row is stored). */
async function rowsByPartition(db: TestDatabase['handle']['db'], campaignId: string) {
  const rows = await queryRows<{ partition: string; count: number }>(
    db,
    sql`SELECT tableoid::regclass::text AS partition, count(*)::int AS count
        FROM campaign_metrics_snapshots WHERE campaign_id = ${campaignId}::uuid GROUP BY 1`,
  );
  return Object.fromEntries(rows.map((row) => [row.partition, row.count]));
}

/** A UTC calendar month as the range catalogPartitions prints. */
function monthBound(year: number, month: number): string {
  const next = month === 12 ? [year + 1, 1] : [year, month + 1];
  const day = (y: number, m: number) => `${y}-${String(m).padStart(2, '0')}-01T00:00:00Z`;
  return `${day(year, month)}/${day(next[0] as number, next[1] as number)}`;
}

describe('the migrated database', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db?.close());

  it('has a parent partitioned by range on snapshot_date with month partitions ahead and no DEFAULT', async () => {
    const [parent] = await queryRows<{ strategy: string; key: string; has_default: boolean }>(
      db.handle.db,
      sql`SELECT p.partstrat AS strategy, a.attname AS key, p.partdefid <> 0 AS has_default
          FROM pg_partitioned_table p
          JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
          WHERE p.partrelid = 'campaign_metrics_snapshots'::regclass AND p.partnatts = 1`,
    );
    // a DEFAULT partition would keep PostgreSQL from scanning the months in order
    expect(parent).toEqual({ strategy: 'r', key: 'snapshot_date', has_default: false });

    const partitions = await catalogPartitions(db.handle.db);
    // this month and the next three, each exactly one UTC month
    const now = new Date();
    for (let ahead = 0; ahead <= 3; ahead += 1) {
      const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + ahead, 1));
      const [year, number] = [month.getUTCFullYear(), month.getUTCMonth() + 1];
      expect(partitions).toContainEqual({ name: monthName(year, number), bound: monthBound(year, number) });
    }
    // and nothing but month partitions
    for (const partition of partitions) {
      const [, year, month] = /_(\d{4})_(\d{2})$/.exec(partition.name) ?? [];
      expect(partition.bound).toBe(monthBound(Number(year), Number(month)));
    }
  });

  it('keys the table by (campaign_id, snapshot_date): the upsert key, holding the partition key', async () => {
    const [key] = await queryRows<{ columns: string }>(
      db.handle.db,
      sql`SELECT string_agg(a.attname, ',' ORDER BY k.ordinality) AS columns
          FROM pg_constraint c
          CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ordinality)
          JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
          WHERE c.conrelid = 'campaign_metrics_snapshots'::regclass AND c.contype = 'p'`,
    );
    expect(key?.columns).toBe('campaign_id,snapshot_date');
  });
});

// ---------------------------------------------------------------------------------------

const SNAPSHOTS_QUERY = /* GraphQL */ `
  query Raw($id: ID!, $from: DateTime!, $to: DateTime!) {
    campaign(id: $id) {
      snapshots(from: $from, to: $to, first: 100) {
        totalCount
        edges { node { snapshotDate sampleCount volunteers { current target utilization } budget { spent remaining } } }
      }
    }
  }
`;
const SERIES_QUERY = /* GraphQL */ `
  query Daily($id: ID!, $from: DateTime!, $to: DateTime!) {
    campaign(id: $id) {
      series(metrics: [VOLUNTEERS_CURRENT, BUDGET_SPENT], from: $from, to: $to, granularity: DAY, stat: LAST) {
        timestamps columns { metric values }
      }
    }
  }
`;

describe('a month without a partition', () => {
  let db: TestDatabase;
  let campaignId: string;
  // 30 June 2019 23:00Z and five July days: two months no partition covers
  const written = [
    { at: '2019-06-30T23:00:00Z', volunteers: 3, spent: '10.00' },
    ...[3, 4, 5, 6, 7].map((day, i) => ({
      at: `2019-07-0${day}T12:00:00Z`,
      volunteers: 4 + i,
      spent: `${20 + 5 * i}.50`,
    })),
  ];
  const FROM = '2019-06-01T00:00:00Z';
  const TO = '2019-08-01T00:00:00Z';

  beforeAll(async () => {
    db = await createTestDatabase();
    const created = await executeOk(db.gateway, UPSERT_CAMPAIGN, {
      input: { name: 'Stranded months', status: 'ACTIVE', timeZone: 'UTC' },
    });
    campaignId = created.upsertCampaign.id;
  });
  afterAll(() => db?.close());

  // by hand: target 20, allocated 1000.00 (snapshotInput), utilization rounded to 4 places
  const expectedNodes = written.map((w) => ({
    snapshotDate: new Date(w.at).toISOString(),
    sampleCount: 1,
    volunteers: { current: w.volunteers, target: 20, utilization: w.volunteers / 20 },
    // money is exact decimal text
    budget: { spent: w.spent, remaining: (1000 - Number(w.spent)).toFixed(2) },
  }));
  const expectedSeries = {
    timestamps: ['2019-06-30', '2019-07-03', '2019-07-04', '2019-07-05', '2019-07-06', '2019-07-07'].map(
      (day) => `${day}T00:00:00.000Z`,
    ),
    columns: [
      { metric: 'VOLUNTEERS_CURRENT', values: written.map((w) => w.volunteers) },
      { metric: 'BUDGET_SPENT', values: written.map((w) => Number(w.spent)) },
    ],
  };

  async function answers() {
    const variables = { id: campaignId, from: FROM, to: TO };
    const raw = await executeOk(db.gateway, SNAPSHOTS_QUERY, variables);
    const series = await executeOk(db.gateway, SERIES_QUERY, variables);
    return {
      totalCount: raw.campaign.snapshots.totalCount,
      nodes: raw.campaign.snapshots.edges.map((edge: { node: unknown }) => edge.node),
      series: series.campaign.series,
    };
  }

  it('ingest into months without a partition creates them first, answers as written', async () => {
    const monthsBefore = (await catalogPartitions(db.handle.db)).map((p) => p.name);
    expect(monthsBefore).not.toContain(monthName(2019, 6));
    const recorded = await executeOk(db.gateway, RECORD_SNAPSHOTS, {
      input: written.map((w) =>
        snapshotInput(campaignId, { at: w.at, volunteers: [w.volunteers, 20], spent: w.spent }),
      ),
    });
    expect(recorded.recordSnapshots.recorded).toBe(6);
    expect(await rowsByPartition(db.handle.db, campaignId)).toEqual({
      [monthName(2019, 6)]: 1,
      [monthName(2019, 7)]: 5,
    });
    const partitions = await catalogPartitions(db.handle.db);
    expect(partitions).toContainEqual({ name: monthName(2019, 7), bound: monthBound(2019, 7) });
    expect(await answers()).toEqual({ totalCount: 6, nodes: expectedNodes, series: expectedSeries });
  });

  it('is idempotent, and concurrent runs create a month once', async () => {
    expect(await maintainSnapshotPartitions(db.handle.db)).toEqual({ created: [] });
    const instants = [new Date('2018-01-02T00:00:00Z')];
    const runs = await Promise.all([
      maintainSnapshotPartitions(db.handle.db, { instants }),
      maintainSnapshotPartitions(db.handle.db, { instants }),
    ]);
    expect(runs.flatMap((run) => run.created)).toEqual([monthName(2018, 1)]);
  });

  it("a late snapshot for a month dropped behind this process's back creates the month again", async () => {
    await executeOk(db.gateway, RECORD_SNAPSHOTS, {
      input: [snapshotInput(campaignId, { at: '2017-03-05T00:00:00Z', volunteers: [1, 20] })],
    });
    // another instance's retention emptied and dropped the month: this process still thinks it exists
    await db.handle.db.execute(
      sql`DELETE FROM campaign_metrics_snapshots WHERE snapshot_date < '2017-04-01'`,
    );
    await db.handle.db.execute(sql.raw(`DROP TABLE ${monthName(2017, 3)}`));
    await executeOk(db.gateway, RECORD_SNAPSHOTS, {
      input: [snapshotInput(campaignId, { at: '2017-03-06T00:00:00Z', volunteers: [2, 20] })],
    });
    expect((await rowsByPartition(db.handle.db, campaignId))[monthName(2017, 3)]).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------

describe('retention drops the months it emptied', () => {
  /** UTC campaigns; cutoffs by hand: raw (high value) 2026-04-15, WEEK 2026-03-16. */
  const AS_OF = new Date('2026-06-15T00:00:00Z');
  const retained = databaseWithArchive();

  const daily = (from: string, to: string, seed: number): TestSnapshot[] => {
    const out: TestSnapshot[] = [];
    for (let t = Date.parse(from), i = 0; t < Date.parse(to); t += 86_400_000, i += 1) {
      out.push({
        at: new Date(t + 12 * 3_600_000),
        spent: 100 * (seed + i) + (i % 7),
        volunteers: 1 + ((seed + i * 3) % 11),
        sroi: i % 4 === 0 ? null : ((seed + i) % 9) * 0.5,
      });
    }
    return out;
  };
  // November 2025 to February 2026 (all old enough for WEEK) and raw June days
  const normal = [...daily('2025-11-01', '2026-03-01', 1), ...daily('2026-06-01', '2026-06-14', 5)];
  // December 2025 under legal hold: never rolled up, so its month stays
  const held = daily('2025-12-01', '2026-01-01', 3);
  const FROM = new Date('2025-11-01T00:00:00Z');
  const TO = new Date('2026-06-15T00:00:00Z');

  it('detaches and drops exactly the emptied old months and keeps every statistic', async () => {
    const normalId = await createCampaignWith(retained.db, { timeZone: 'UTC' }, normal);
    const heldId = await createCampaignWith(retained.db, { timeZone: 'UTC', legalHold: true }, held);
    await maintainSnapshotPartitions(retained.db.handle.db);
    expect(await rowsByPartition(retained.db.handle.db, normalId)).toEqual({
      [monthName(2025, 11)]: 30,
      [monthName(2025, 12)]: 31,
      [monthName(2026, 1)]: 31,
      [monthName(2026, 2)]: 28,
      [monthName(2026, 6)]: 13,
    });
    const check = (actual: unknown, message: string, expected: unknown) =>
      expect(actual, message).toEqual(expected);
    const seriesBefore = await querySeries(retained.db, normalId, FROM, TO, 'MONTH');
    expectSeriesEqualsNaive(seriesBefore, normal, FROM, TO, check);

    const report = await retain(retained.db.handle.db, retained.archive.url, AS_OF);
    expect(report.partitionsDropped).toEqual([monthName(2025, 11), monthName(2026, 1), monthName(2026, 2)]);
    const names = (await catalogPartitions(retained.db.handle.db)).map((p) => p.name);
    for (const dropped of report.partitionsDropped) {
      expect(names).not.toContain(dropped);
      const [table] = await queryRows<{ exists: boolean }>(
        retained.db.handle.db,
        sql`SELECT to_regclass(${dropped}) IS NOT NULL AS exists`,
      );
      expect(table?.exists).toBe(false);
    }
    expect(await rowsByPartition(retained.db.handle.db, heldId)).toEqual({ [monthName(2025, 12)]: 31 });
    expect(await rowsByPartition(retained.db.handle.db, normalId)).toEqual({ [monthName(2026, 6)]: 13 });

    // exactness: the rolled-up statistics equal the naive ones of the original snapshots
    const seriesAfter = await querySeries(retained.db, normalId, FROM, TO, 'MONTH');
    expectSeriesEqualsNaive(seriesAfter, normal, FROM, TO, check);
    expect(seriesAfter).toEqual(seriesBefore);
    expectSeriesEqualsNaive(await querySeries(retained.db, heldId, FROM, TO, 'MONTH'), held, FROM, TO, check);

    const again = await retain(retained.db.handle.db, retained.archive.url, AS_OF);
    expect(again.partitionsDropped).toEqual([]);
  });

  it('a dry run drops nothing', async () => {
    const before = (await catalogPartitions(retained.db.handle.db)).map((p) => p.name);
    const report = await retain(retained.db.handle.db, retained.archive.url, AS_OF, { dryRun: true });
    expect(report.partitionsDropped).toEqual([]);
    expect((await catalogPartitions(retained.db.handle.db)).map((p) => p.name)).toEqual(before);
  });
});

// ---------------------------------------------------------------------------------------

/** A database at the migration before partitioning (a copy of the older migration folders). */
async function databaseAtPreviousMigration(): Promise<{ handle: DatabaseHandle; drop: () => Promise<void> }> {
  const folder = mkdtempSync(path.join(tmpdir(), 'cmg-migrations-'));
  const source = path.resolve(import.meta.dirname, '../drizzle');
  for (const migration of ['20261127100324_init', '20261127105947_retention']) {
    cpSync(path.join(source, migration), path.join(folder, migration), { recursive: true });
  }
  const serverUrl = process.env.DATABASE_URL;
  try {
    if (!serverUrl) {
      const handle = await openDatabase({});
      // the migrators take their driver's database type; the handle's is the shared supertype
      await migratePglite(handle.db as unknown as Parameters<typeof migratePglite>[0], {
        migrationsFolder: folder,
      });
      return { handle, drop: handle.close };
    }
    const name = `cmg_test_${randomBytes(6).toString('hex')}`;
    const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`CREATE DATABASE ${name}`);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    const handle = await openDatabase({ databaseUrl: url.toString() });
    await migratePostgres(handle.db as unknown as Parameters<typeof migratePostgres>[0], {
      migrationsFolder: folder,
    });
    return {
      handle,
      drop: async () => {
        await handle.close();
        await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await admin.end();
      },
    };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

describe('upgrading a database with data', () => {
  it('keeps every row: count and checksum of every column equal before and after', async () => {
    const { handle, drop } = await databaseAtPreviousMigration();
    try {
      const db = handle.db;
      const [kind] = await queryRows<{ kind: string }>(
        db,
        sql`SELECT relkind::text AS kind FROM pg_class WHERE oid = 'campaign_metrics_snapshots'::regclass`,
      );
      expect(kind?.kind).toBe('r');
      await db.execute(sql`
        INSERT INTO campaigns (id, name, status, time_zone) VALUES
          ('00000000-0000-4000-8000-000000000001', 'one', 'ACTIVE', 'UTC'),
          ('00000000-0000-4000-8000-000000000002', 'two', 'PAUSED', 'Europe/Berlin')`);
      // 6-hourly rows over 14 months for two campaigns, nullable columns sometimes null
      await db.execute(sql`
        INSERT INTO campaign_metrics_snapshots (campaign_id, snapshot_date, volunteers_target, volunteers_current,
          beneficiaries_target, beneficiaries_current, sessions_target, sessions_current, budget_allocated,
          budget_spent, sroi_score, total_sessions_completed, credits_consumed, full_snapshot)
        SELECT c.id, t, 20, (n % 25)::int, 0, (n % 5)::int, 40, (n % 41)::int, 5000.00, (n * 1.37)::numeric(12,2),
               CASE WHEN n % 3 = 0 THEN NULL ELSE (n % 97) / 4.0 END, n::int,
               CASE WHEN n % 2 = 0 THEN (n % 13) * 2.5 END, jsonb_build_object('n', n)
        FROM (VALUES ('00000000-0000-4000-8000-000000000001'::uuid), ('00000000-0000-4000-8000-000000000002'::uuid)) AS c(id)
        CROSS JOIN LATERAL generate_series('2024-12-20T00:00:00Z'::timestamptz, '2026-02-10T00:00:00Z', '6 hours')
          WITH ORDINALITY AS g(t, n)`);
      const fingerprint = sql`
        SELECT count(*)::int AS count,
               md5(string_agg(s::text, '|' ORDER BY s.campaign_id, s.snapshot_date)) AS checksum
        FROM campaign_metrics_snapshots s`;
      const [before] = await queryRows<{ count: number; checksum: string }>(db, fingerprint);
      // by hand: 2024-12-20 .. 2026-02-10 is 417 days, 4 a day plus the last instant, twice
      expect(before?.count).toBe(2 * (417 * 4 + 1));

      await handle.migrate();

      const [after] = await queryRows<{ count: number; checksum: string }>(db, fingerprint);
      expect(after).toEqual(before);
      const [kindAfter] = await queryRows<{ kind: string }>(
        db,
        sql`SELECT relkind::text AS kind FROM pg_class WHERE oid = 'campaign_metrics_snapshots'::regclass`,
      );
      expect(kindAfter?.kind).toBe('p');
      // every data month got its partition
      const placed = await queryRows<{ partition: string; count: number }>(
        db,
        sql`SELECT tableoid::regclass::text AS partition, count(*)::int AS count
            FROM campaign_metrics_snapshots GROUP BY 1 ORDER BY 1`,
      );
      expect(placed).toHaveLength(15); // December 2024 .. February 2026
      expect(placed.find((p) => p.partition === monthName(2025, 1))?.count).toBe(2 * 31 * 4);
      // generated columns recomputed the same (they are in the checksum too), the upsert key holds
      const [mismatched] = await queryRows<{ count: number }>(
        db,
        sql`SELECT count(*)::int AS count FROM campaign_metrics_snapshots WHERE budget_remaining <> budget_allocated - budget_spent`,
      );
      expect(mismatched?.count).toBe(0);
      const [old] = await queryRows<{ exists: boolean }>(
        db,
        sql`SELECT to_regclass('campaign_metrics_snapshots_unpartitioned') IS NOT NULL AS exists`,
      );
      expect(old?.exists).toBe(false);
    } finally {
      await drop();
    }
  });
});
