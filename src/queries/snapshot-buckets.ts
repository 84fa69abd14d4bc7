import { type SQL, sql } from 'drizzle-orm';
import { type Database, queryRows } from '../db/client.js';
import { toDecimalText, toInstant, toNumber } from '../db/values.js';
import { linkPreviousBuckets, type MetricStats, type SnapshotBucket } from '../metrics/bucket-stats.js';
import { type Granularity, METRICS, type Metric, type MetricDefinition } from '../metrics/catalog.js';
import { archiveReadSettings, archiveUnreadable, readArchivedRows } from '../retention/archive-reader.js';
import type { S3Settings } from '../retention/archive-store.js';
import {
  at,
  granularityOfRank,
  granularityRank,
  nextLabelAtRank,
  rankSql,
  rawPartColumns,
  rollupPartColumns,
  rollupRowsRecordset,
  truncAtRank,
} from './rollup-parts.js';
import { type ArchiveManifest, toManifest } from './rollups.js';

/** A campaign and the zone its buckets follow. */
export interface BucketTarget {
  campaignId: string;
  timeZone: string;
}

/** What is asked of every campaign in one batch. */
export interface SnapshotBucketsQuery {
  /** Half-open range of snapshot instants: from <= t < to. */
  from?: Date;
  to?: Date;
  granularity: Granularity;
  metrics: readonly MetricDefinition[];
  /** Keyset: only buckets starting after / before this bucket start. */
  after?: Date;
  before?: Date;
  /** Newest first (for backward pages) or oldest first. */
  descending: boolean;
  /** Buckets per campaign. */
  limit: number;
  withTotalCount: boolean;
  /**
   * Series: every bucket at one granularity and zone, the ones asked for coarsened to the
   * coarsest rollup the range touches (in that rollup's zone). Otherwise (snapshots) each
   * node comes at the finest stored granularity that holds it exactly.
   */
  uniform?: boolean;
}

export interface SnapshotBucketsResult {
  /** Ascending by start, each linked to its predecessor for DELTA. */
  buckets: SnapshotBucket[];
  totalCount: number | null;
  /** uniform: the granularity and zone of every bucket; else the ones asked for. */
  granularity: Granularity;
  timeZone: string;
}

/**
 * Buckets over raw snapshots UNION stored rollups UNION archived quarters, all as partial
 * aggregates (a raw snapshot is a part of one sample) that merge exactly: FIRST/LAST by
 * instant, MIN/MAX, SUM and COUNT (AVG = SUM / COUNT). Which bucket a part lands in:
 *
 * - a stored part (rollup row or archived quarter) at max(asked, its own granularity), in
 *   its own zone (rollups follow the campaign's zone, contract);
 * - where such a bucket is coarser than asked or in another zone it is a "region", and
 *   every part inside it (a late raw snapshot, a finer rollup) joins the coarsest region
 *   holding it, so a bucket never shows part of a rollup's samples under another label;
 * - any other raw snapshot at the asked granularity and zone.
 *
 * In `uniform` mode (series) the granularity is raised to the coarsest stored part in the
 * range and the zone is that part's: one bucketing for everything, no regions.
 *
 * A stored part is included whole when some of its samples may lie in [from, to) (its
 * first_at < to and last_at >= from): a rollup cannot be split.
 *
 * Archived quarters live in Parquet files: the statement reports which files the answer
 * needs (overlapping the range, or holding the LAST before the first bucket for DELTA), and
 * runs again with their rows passed in. Without archives that is one statement.
 */
export async function snapshotBuckets(
  db: Database,
  targets: readonly BucketTarget[],
  query: SnapshotBucketsQuery,
  { s3 = archiveReadSettings() }: { s3?: S3Settings } = {},
): Promise<(SnapshotBucketsResult | Error)[]> {
  const results: (SnapshotBucketsResult | Error | undefined)[] = targets.map(() => undefined);
  const archived: Record<string, unknown>[] = [];
  const loaded = new Set<string>();
  let pending = targets.map((_, i) => i);
  // each pass can only add files older than the ones before; four reach any DELTA chain
  for (let pass = 0; pending.length > 0; pass++) {
    const batch = pending.map((i) => targets[i] as BucketTarget);
    const rows = await queryRows(db, bucketStatement(batch, query, archived));
    const rowsByTarget = batch.map((): Record<string, unknown>[] => []);
    for (const row of rows) rowsByTarget[Number(row.target) - 1]?.push(row);
    const next: number[] = [];
    for (const [b, i] of pending.entries()) {
      const targetRows = rowsByTarget[b] ?? [];
      const needed = neededManifests(targetRows[0]).filter((m) => !loaded.has(m.objectUrl));
      if (needed.length === 0 || pass >= 4) {
        results[i] = toResult(targetRows, targets[i] as BucketTarget, query);
        continue;
      }
      try {
        for (const manifest of needed) {
          archived.push(...(await readArchivedRows(manifest, s3)));
          loaded.add(manifest.objectUrl);
        }
        next.push(i);
      } catch (error) {
        results[i] = archiveUnreadable(error);
      }
    }
    pending = next;
  }
  return results.map((result) => result ?? new Error('bucket query returned no result'));
}

function neededManifests(row: Record<string, unknown> | undefined): ArchiveManifest[] {
  const value = row?.archives_needed;
  if (value === null || value === undefined) return [];
  const list = (typeof value === 'string' ? JSON.parse(value) : value) as Record<string, unknown>[];
  return list.map(toManifest);
}

const raw = (text: string) => sql.raw(text);
const col = (alias: string, name: string) => raw(`${alias}.${name}`);
const list = (parts: string[]) => raw(parts.join(', '));

function bucketStatement(
  targets: readonly BucketTarget[],
  query: SnapshotBucketsQuery,
  archived: readonly Record<string, unknown>[],
): SQL {
  const { from, to, after, before, descending, limit, metrics } = query;
  const asked = granularityRank(query.granularity);
  const uniform = query.uniform === true;

  const storedRange: SQL[] = [];
  if (from) storedRange.push(sql`x.last_at >= ${at(from)}`);
  if (to) storedRange.push(sql`x.first_at < ${at(to)}`);
  const archiveRange: SQL[] = [];
  if (from) archiveRange.push(sql`a.last_at >= ${at(from)}`);
  if (to) archiveRange.push(sql`a.first_at < ${at(to)}`);
  const rawRange: SQL[] = [sql`s.campaign_id = k.campaign_id`];
  if (from) rawRange.push(sql`s.snapshot_date >= ${at(from)}`);
  if (to) rawRange.push(sql`s.snapshot_date < ${at(to)}`);
  // Keyset bounds on rows: a bucket starting after `after` holds only rows after it; a
  // bucket starting before `before` may be a coarser region reaching past it, by at most a year.
  const keyset: SQL[] = [];
  if (after) keyset.push(sql`s.snapshot_date > ${at(after)}`);
  if (before) keyset.push(sql`s.snapshot_date < ${at(before)} + interval '367 days'`);
  const bucketBounds: SQL[] = [sql`true`];
  if (after) bucketBounds.push(sql`bucket_start > ${at(after)}`);
  if (before) bucketBounds.push(sql`bucket_start < ${at(before)}`);

  const storedColumns = (alias: string) =>
    sql`${col(alias, 'granularity')}::text AS granularity, ${col(alias, 'time_zone')}, ${col(alias, 'bucket_start')},
        ${col(alias, 'full_snapshot')}, ${rollupPartColumns(alias)}, ${rankSql(col(alias, 'granularity'))} AS own`;
  const where = (conditions: SQL[]) =>
    conditions.length ? sql` AND ${sql.join(conditions, sql` AND `)}` : sql``;

  // Raw rows with the bucket each lands in. Two branches with one-time filters: without
  // regions (the common case: no rollups in the range) no per-row region lookup runs.
  const valueColumns = raw(['s.snapshot_date', ...metrics.map(({ column }) => `s.${column}`)].join(', '));
  const keyedRaw = (name: string, withKeyset: boolean, columns: SQL) => {
    const filter = sql.join([...rawRange, ...(withKeyset ? keyset : [])], sql` AND `);
    return sql`
    ${raw(name)} AS (
      SELECT ${columns}, m.glvl AS k_lvl, m.gzn AS k_zn,
             ${truncAtRank(raw('m.glvl'), raw('s.snapshot_date'), raw('m.gzn'))} AS k_label
      FROM campaign_metrics_snapshots s CROSS JOIN mode m
      WHERE ${filter} AND NOT EXISTS (SELECT 1 FROM regions)
      UNION ALL
      SELECT ${columns}, coalesce(rg.lvl, m.glvl), coalesce(rg.zn, m.gzn),
             coalesce(rg.label, ${truncAtRank(raw('m.glvl'), raw('s.snapshot_date'), raw('m.gzn'))})
      FROM campaign_metrics_snapshots s CROSS JOIN mode m
      LEFT JOIN LATERAL (
        SELECT r.lvl, r.zn, r.label FROM regions r
        WHERE s.snapshot_date >= r.label AND s.snapshot_date < r.region_end
        ORDER BY r.lvl DESC LIMIT 1
      ) rg ON true
      WHERE ${filter} AND EXISTS (SELECT 1 FROM regions)
    )`;
  };
  const totalCount = query.withTotalCount
    ? sql`(SELECT count(*)::int FROM (
          SELECT k_lvl, k_zn, k_label FROM raw_count_keys
          UNION SELECT k_lvl, k_zn, k_label FROM stored_keyed) keys)`
    : sql`NULL::int`;

  const aggregates = metrics.map(
    ({ column: c, nullable }) =>
      sql`, min(${raw(`${c}_min`)}) AS ${raw(`${c}_min`)}, max(${raw(`${c}_max`)}) AS ${raw(`${c}_max`)},
          (sum(${raw(`${c}_sum`)}) / nullif(sum(${raw(nullable ? `${c}_count` : 'sample_count')}), 0))::float8
            AS ${raw(`${c}_avg`)}`,
  );
  // a raw snapshot shown at RAW is a node on its own: no aggregation
  const single = metrics.map(
    ({ column: c }) =>
      sql`, ${raw(c)} AS ${raw(`${c}_min`)}, ${raw(c)} AS ${raw(`${c}_max`)}, ${raw(c)}::float8 AS ${raw(`${c}_avg`)}`,
  );
  const endpoints = metrics.map(
    ({ column: c }) =>
      sql`, CASE WHEN g.raw_first_at = g.first_at THEN f.${raw(c)} ELSE fs.${raw(`${c}_first`)} END AS ${raw(`${c}_first`)},
          CASE WHEN g.raw_last_at = g.last_at THEN l.${raw(c)} ELSE ls.${raw(`${c}_last`)} END AS ${raw(`${c}_last`)}`,
  );
  // DELTA of the page's first bucket: the latest sample before it that is not its own
  // (samples of its bucket cut off by `from` are its own, as without rollups)
  const notOwn = (instant: string) =>
    from ? sql` AND NOT (${raw(instant)} >= b.label AND ${raw(instant)} < ${at(from)})` : sql``;
  const previousRaw = list(METRICS.map(({ column: c }) => `p.${c} AS ${c}_previous`));
  const previousStored = (alias: string) =>
    list(METRICS.map(({ column: c }) => `${alias}.${c}_last AS ${c}_previous`));
  const order = descending ? sql`DESC` : sql`ASC`;

  return sql`
    SELECT k.target, r.*
    FROM unnest(${`{${targets.map((t) => t.campaignId).join(',')}}`}::uuid[],
                ${`{${targets.map((t) => `"${t.timeZone}"`).join(',')}}`}::text[])
         WITH ORDINALITY AS k(campaign_id, time_zone, target)
    CROSS JOIN LATERAL (
      WITH arch AS MATERIALIZED (
        SELECT * FROM ${rollupRowsRecordset(archived, 'a')} WHERE a.campaign_id = k.campaign_id
      ),
      stored AS MATERIALIZED (
        SELECT ${storedColumns('x')} FROM campaign_metrics_rollups x
        WHERE x.campaign_id = k.campaign_id ${where(storedRange)}
        UNION ALL
        SELECT ${storedColumns('x')} FROM arch x WHERE true ${where(storedRange)}
      ),
      mode AS MATERIALIZED (
        ${
          uniform
            ? sql`SELECT greatest(${asked}, coalesce(max(own), 0))::int AS glvl,
                    coalesce((array_agg(time_zone ORDER BY own DESC))[1], k.time_zone) AS gzn FROM stored`
            : sql`SELECT ${asked}::int AS glvl, k.time_zone AS gzn`
        }
      ),
      natural_keys AS MATERIALIZED (
        SELECT st.*, n.lvl, n.zn, ${truncAtRank(raw('n.lvl'), raw('st.bucket_start'), raw('n.zn'))} AS label
        FROM stored st CROSS JOIN mode m
        CROSS JOIN LATERAL (
          SELECT greatest(m.glvl, st.own) AS lvl, ${uniform ? sql`m.gzn` : sql`st.time_zone`} AS zn
        ) n
      ),
      regions AS MATERIALIZED (
        SELECT DISTINCT n.lvl, n.zn, n.label, ${nextLabelAtRank(raw('n.lvl'), raw('n.label'), raw('n.zn'))} AS region_end
        FROM natural_keys n CROSS JOIN mode m
        WHERE n.lvl <> m.glvl OR n.zn <> m.gzn
      ),
      stored_keyed AS MATERIALIZED (
        SELECT n.*, coalesce(rg.lvl, n.lvl) AS k_lvl, coalesce(rg.zn, n.zn) AS k_zn, coalesce(rg.label, n.label) AS k_label
        FROM natural_keys n
        LEFT JOIN LATERAL (
          SELECT r.lvl, r.zn, r.label FROM regions r
          WHERE r.lvl > n.lvl AND n.bucket_start >= r.label AND n.bucket_start < r.region_end
          ORDER BY r.lvl DESC LIMIT 1
        ) rg ON true
      ),
      ${keyedRaw('raw_keyed', true, valueColumns)},
      ${query.withTotalCount ? sql`${keyedRaw('raw_count_keys', false, raw('s.snapshot_date'))},` : sql``}
      parts AS (
        SELECT k_lvl, k_zn, k_label, true AS is_raw, ${rawPartColumns('s', metrics)} FROM raw_keyed s
        UNION ALL
        SELECT k_lvl, k_zn, k_label, false, ${rollupPartColumns('n', metrics)} FROM stored_keyed n
      ),
      grouped AS (
        SELECT * FROM (
          SELECT k_lvl AS lvl, k_zn AS zn, k_label AS bucket_start, 1 AS sample_count,
                 snapshot_date AS first_at, snapshot_date AS last_at,
                 snapshot_date AS raw_first_at, snapshot_date AS raw_last_at
                 ${sql.join(single)}
          FROM raw_keyed WHERE k_lvl = 0
          UNION ALL
          SELECT k_lvl, k_zn, k_label, sum(sample_count)::int,
                 min(first_at), max(last_at),
                 min(first_at) FILTER (WHERE is_raw),
                 max(last_at) FILTER (WHERE is_raw)
                 ${sql.join(aggregates)}
          FROM parts WHERE NOT (is_raw AND k_lvl = 0) GROUP BY 1, 2, 3
        ) buckets
        WHERE ${sql.join(bucketBounds, sql` AND `)}
        ORDER BY bucket_start ${order}, lvl ${order}
        LIMIT ${limit}
      ),
      page AS (
        SELECT g.*, CASE WHEN g.raw_last_at = g.last_at THEN l.full_snapshot ELSE ls.full_snapshot END AS details
               ${sql.join(endpoints)}
        FROM grouped g
        LEFT JOIN campaign_metrics_snapshots f
          ON g.raw_first_at = g.first_at AND f.campaign_id = k.campaign_id AND f.snapshot_date = g.first_at
        LEFT JOIN campaign_metrics_snapshots l
          ON g.raw_last_at = g.last_at AND l.campaign_id = k.campaign_id AND l.snapshot_date = g.last_at
        LEFT JOIN LATERAL (
          SELECT * FROM stored_keyed n
          WHERE g.raw_first_at IS DISTINCT FROM g.first_at
            AND n.k_lvl = g.lvl AND n.k_zn = g.zn AND n.k_label = g.bucket_start AND n.first_at = g.first_at
          LIMIT 1
        ) fs ON true
        LEFT JOIN LATERAL (
          SELECT * FROM stored_keyed n
          WHERE g.raw_last_at IS DISTINCT FROM g.last_at
            AND n.k_lvl = g.lvl AND n.k_zn = g.zn AND n.k_label = g.bucket_start AND n.last_at = g.last_at
          LIMIT 1
        ) ls ON true
      ),
      bound AS (SELECT bucket_start AS label, first_at FROM page ORDER BY bucket_start ASC, lvl ASC LIMIT 1),
      earlier AS (
        SELECT * FROM (
          (SELECT p.snapshot_date AS previous_at, ${previousRaw}
           FROM campaign_metrics_snapshots p, bound b
           WHERE p.campaign_id = k.campaign_id AND p.snapshot_date < b.first_at ${notOwn('p.snapshot_date')}
           ORDER BY p.snapshot_date DESC LIMIT 1)
          UNION ALL
          (SELECT x.last_at, ${previousStored('x')}
           FROM campaign_metrics_rollups x, bound b
           WHERE x.campaign_id = k.campaign_id AND x.last_at < b.first_at ${notOwn('x.last_at')}
           ORDER BY x.last_at DESC LIMIT 1)
          UNION ALL
          (SELECT x.last_at, ${previousStored('x')}
           FROM arch x, bound b
           WHERE x.last_at < b.first_at ${notOwn('x.last_at')}
           ORDER BY x.last_at DESC LIMIT 1)
        ) candidates
        ORDER BY previous_at DESC LIMIT 1
      )
      SELECT counted.total_count, counted.mode_lvl, counted.mode_zn, counted.archives_needed,
             page.*, previous.*
      FROM (
        SELECT ${totalCount} AS total_count, m.glvl AS mode_lvl, m.gzn AS mode_zn,
          (SELECT coalesce(jsonb_agg(to_jsonb(a.*)), '[]'::jsonb) FROM campaign_metrics_archives a
           WHERE a.campaign_id = k.campaign_id AND (
             (true ${where(archiveRange)})
             OR a.bucket_start = (
               SELECT a2.bucket_start FROM campaign_metrics_archives a2, bound b
               WHERE a2.campaign_id = k.campaign_id AND a2.last_at < b.first_at
                 AND a2.last_at > coalesce((SELECT previous_at FROM earlier), '-infinity'::timestamptz)
               ORDER BY a2.bucket_start DESC LIMIT 1))) AS archives_needed
        FROM mode m
      ) counted
      LEFT JOIN page ON true
      LEFT JOIN (SELECT true AS has_previous, e.* FROM earlier e) previous ON true
    ) r
    ORDER BY r.bucket_start ASC, r.lvl ASC`;
}

function toResult(
  rows: Record<string, unknown>[],
  target: BucketTarget,
  query: SnapshotBucketsQuery,
): SnapshotBucketsResult {
  const bucketRows = rows.filter((row) => row.bucket_start !== null && row.bucket_start !== undefined);
  const first = bucketRows[0];
  const earlier =
    first?.has_previous === true
      ? Object.fromEntries(query.metrics.map((m) => [m.metric, toDecimalText(first[`${m.column}_previous`])]))
      : null;
  const head = rows[0];
  const uniform = query.uniform === true && head?.mode_lvl != null;
  return {
    buckets: linkPreviousBuckets(
      bucketRows.map((row) => toBucket(row, target, query)),
      earlier,
    ),
    totalCount: rows.length ? toNumber(head?.total_count) : null,
    granularity: uniform ? granularityOfRank(Number(head?.mode_lvl)) : query.granularity,
    timeZone: uniform ? String(head?.mode_zn) : target.timeZone,
  };
}

function toBucket(
  row: Record<string, unknown>,
  target: BucketTarget,
  query: SnapshotBucketsQuery,
): SnapshotBucket {
  const metrics: Partial<Record<Metric, MetricStats>> = {};
  for (const { metric, column } of query.metrics) {
    metrics[metric as Metric] = {
      first: toDecimalText(row[`${column}_first`]),
      last: toDecimalText(row[`${column}_last`]),
      min: toDecimalText(row[`${column}_min`]),
      max: toDecimalText(row[`${column}_max`]),
      avg: toNumber(row[`${column}_avg`]),
    };
  }
  const details = typeof row.details === 'string' ? JSON.parse(row.details) : row.details;
  return {
    campaignId: target.campaignId,
    start: toInstant(row.bucket_start),
    granularity: row.lvl == null ? query.granularity : granularityOfRank(Number(row.lvl)),
    timeZone: row.zn == null ? target.timeZone : String(row.zn),
    sampleCount: Number(row.sample_count),
    metrics,
    previousLast: null,
    details: (details ?? {}) as Record<string, unknown>,
  };
}
