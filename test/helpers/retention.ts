import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll } from 'vitest';
import { type Database, queryRows } from '../../src/db/client.js';
import { type RetentionOptions, runRetention } from '../../src/retention/run-retention.js';
import { RECORD_SNAPSHOTS, snapshotInput, UPSERT_CAMPAIGN } from '../fixtures/snapshot-inputs.js';
import {
  type NaiveGranularity,
  type NaiveStats,
  naiveBucketKey,
  naiveBuckets,
  type Sample,
} from './naive-buckets.js';
import { createTestDatabase, executeOk, type TestDatabase } from './test-database.js';

/**
 * A test database and a temporary archive for the tests of the enclosing file or describe
 * block: made before them, removed after. `db` is there once beforeAll has run.
 */
export function databaseWithArchive() {
  const archive = temporaryArchive();
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.close();
    archive.remove();
  });
  return {
    archive,
    get db(): TestDatabase {
      if (!database) throw new Error('the test database is made in beforeAll');
      return database;
    },
  };
}

/** A temporary file:// archive directory, removed by `remove`. */
export function temporaryArchive() {
  const directory = mkdtempSync(path.join(tmpdir(), 'cmg-archive-'));
  return {
    directory,
    url: pathToFileURL(directory).href,
    remove: () => rmSync(directory, { recursive: true, force: true }),
  };
}

/** One snapshot as the test wrote it (the original raw data the oracle works on). */
export interface TestSnapshot {
  at: Date;
  /** cents */
  spent: number;
  volunteers: number;
  sroi: number | null;
  /** SnapshotInput.details (full_snapshot), when the test reads it back */
  details?: Record<string, unknown>;
}

export const TEST_METRICS = {
  BUDGET_SPENT: (s: TestSnapshot) => s.spent / 100,
  VOLUNTEERS_CURRENT: (s: TestSnapshot) => s.volunteers,
  SROI_SCORE: (s: TestSnapshot) => s.sroi,
} as const;
export type TestMetric = keyof typeof TEST_METRICS;
export const STATS = ['FIRST', 'LAST', 'MIN', 'MAX', 'AVG', 'DELTA'] as const;

export async function createCampaignWith(
  db: TestDatabase,
  campaign: { timeZone: string; highValue?: boolean; legalHold?: boolean; name?: string },
  snapshots: readonly TestSnapshot[],
): Promise<string> {
  const created = await executeOk(db.gateway, UPSERT_CAMPAIGN, {
    input: {
      name: campaign.name ?? 'Retention',
      status: 'ACTIVE',
      timeZone: campaign.timeZone,
      highValue: campaign.highValue ?? false,
      legalHold: campaign.legalHold ?? false,
    },
  });
  const id: string = created.upsertCampaign.id;
  for (let i = 0; i < snapshots.length; i += 5000) {
    await executeOk(db.gateway, RECORD_SNAPSHOTS, {
      input: snapshots.slice(i, i + 5000).map((s) =>
        snapshotInput(id, {
          at: s.at.toISOString(),
          spent: (s.spent / 100).toFixed(2),
          allocated: '1000000.00',
          volunteers: [s.volunteers, 50],
          sroi: s.sroi,
          details: s.details,
        }),
      ),
    });
  }
  return id;
}

export function retain(db: Database, archiveUrl: string, asOf: Date, extra: Partial<RetentionOptions> = {}) {
  return runRetention(db, { asOf, now: () => asOf, archive: { url: archiveUrl }, ...extra });
}

export const samplesOf = (snapshots: readonly TestSnapshot[], metric: TestMetric): Sample[] =>
  snapshots.map((s) => ({ at: s.at, value: TEST_METRICS[metric](s) }));

const SERIES = (metrics: string, stats: string[]) => /* GraphQL */ `
  query Series($id: ID!, $from: DateTime!, $to: DateTime!, $granularity: Granularity!) {
    campaign(id: $id) {
      ${stats
        .map(
          (
            stat,
          ) => `${stat}: series(metrics: [${metrics}], from: $from, to: $to, granularity: $granularity, stat: ${stat}) {
        granularity timeZone timestamps columns { metric values }
      }`,
        )
        .join('\n')}
    }
  }`;

interface SeriesShape {
  granularity: NaiveGranularity;
  timeZone: string;
  timestamps: string[];
  columns: { metric: string; values: (number | null)[] }[];
}

export interface SeriesAnswer {
  granularity: NaiveGranularity;
  timeZone: string;
  timestamps: string[];
  /** values[metric][stat][i] */
  values: Record<string, Record<string, (number | null)[]>>;
}

export async function querySeries(
  db: TestDatabase,
  id: string,
  from: Date,
  to: Date,
  granularity: NaiveGranularity,
): Promise<SeriesAnswer> {
  const metrics = Object.keys(TEST_METRICS);
  const data = await executeOk<{ campaign: Record<string, SeriesShape> }>(
    db.gateway,
    SERIES(metrics.join(', '), [...STATS]),
    { id, from: from.toISOString(), to: to.toISOString(), granularity },
  );
  const first = data.campaign.FIRST as SeriesShape;
  const values: SeriesAnswer['values'] = {};
  for (const stat of STATS) {
    const series = data.campaign[stat] as SeriesShape;
    for (const column of series.columns) {
      values[column.metric] ??= {};
      (values[column.metric] as Record<string, (number | null)[]>)[stat] = column.values;
    }
  }
  return { granularity: first.granularity, timeZone: first.timeZone, timestamps: first.timestamps, values };
}

/**
 * Asserts a series answer equals the naive statistics of the original snapshots at the
 * granularity and zone the answer reports. `skipFirstDelta`: the first bucket's DELTA when
 * the range starts inside data that only a coarser rollup holds (its earlier LAST is gone).
 */
export function expectSeriesEqualsNaive(
  answer: SeriesAnswer,
  snapshots: readonly TestSnapshot[],
  from: Date,
  to: Date,
  expect: (actual: unknown, message: string, expected: unknown) => void,
  { skipFirstDelta = false }: { skipFirstDelta?: boolean } = {},
) {
  for (const metric of Object.keys(TEST_METRICS) as TestMetric[]) {
    const expected = naiveBuckets(
      samplesOf(snapshots, metric),
      from,
      to,
      answer.granularity,
      answer.timeZone,
    );
    const keys = answer.timestamps.map((t) =>
      naiveBucketKey(new Date(t), answer.granularity, answer.timeZone),
    );
    expect(
      keys,
      `${metric} bucket keys`,
      expected.map((b) => b.key),
    );
    expected.forEach((bucket: NaiveStats, i) => {
      for (const stat of STATS) {
        if (stat === 'DELTA' && i === 0 && skipFirstDelta) continue;
        const actual = answer.values[metric]?.[stat]?.[i] ?? null;
        const want = bucket[stat];
        const close =
          actual === null || want === null ? actual === want : Math.abs((actual as number) - want) < 1e-6;
        expect(close ? want : actual, `${metric} ${stat} ${bucket.key}`, want);
      }
    });
  }
}

/** The stored layout of a campaign: rollups by granularity, archived quarters. */
export async function storedLayout(db: Database, id: string) {
  const rollups = await queryRows(
    db,
    sql`SELECT granularity::text AS granularity, time_zone, bucket_start, bucket_end, sample_count
        FROM campaign_metrics_rollups WHERE campaign_id = ${id}::uuid ORDER BY bucket_start`,
  );
  const archives = await queryRows(
    db,
    sql`SELECT bucket_start, bucket_end, sample_count, object_url FROM campaign_metrics_archives
        WHERE campaign_id = ${id}::uuid ORDER BY bucket_start`,
  );
  const [raw] = await queryRows<{ count: number }>(
    db,
    sql`SELECT count(*)::int AS count FROM campaign_metrics_snapshots WHERE campaign_id = ${id}::uuid`,
  );
  return { rollups, archives, raw: Number(raw?.count ?? 0) };
}
