import { type SQL, sql } from 'drizzle-orm';
import { type Database, queryRows } from '../db/client.js';
import { toDecimalText, toInstant, toNumber } from '../db/values.js';
import { linkPreviousBuckets, type MetricStats, type SnapshotBucket } from '../metrics/bucket-stats.js';
import type { Granularity, Metric, MetricDefinition } from '../metrics/catalog.js';

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
}

export interface SnapshotBucketsResult {
  /** Ascending by start, each linked to its predecessor for DELTA. */
  buckets: SnapshotBucket[];
  totalCount: number | null;
}

const DATE_TRUNC_UNIT: Record<Exclude<Granularity, 'RAW'>, string> = {
  HOUR: 'hour',
  DAY: 'day',
  WEEK: 'week',
  MONTH: 'month',
  QUARTER: 'quarter',
  YEAR: 'year',
};

const col = (alias: string, name: string) => sql.raw(`${alias}.${name}`);
const at = (instant: Date) => sql`${instant.toISOString()}::timestamptz`;

/** The bucket an instant column falls in (in the target's zone): the instant itself at RAW. */
function bucketOf(column: SQL, granularity: Granularity): SQL {
  if (granularity === 'RAW') return column;
  return sql`date_trunc(${sql.raw(`'${DATE_TRUNC_UNIT[granularity]}'`)}, ${column}, k.time_zone)`;
}

function rangeFilter({ from, to }: SnapshotBucketsQuery): SQL {
  const conditions = [sql`s.campaign_id = k.campaign_id`];
  if (from) conditions.push(sql`s.snapshot_date >= ${at(from)}`);
  if (to) conditions.push(sql`s.snapshot_date < ${at(to)}`);
  return sql.join(conditions, sql` AND `);
}

/**
 * One statement for any number of campaigns: per campaign (a correlated LATERAL over the
 * list) the page of buckets with statistics of every requested metric and the values of
 * each bucket's first and last snapshot, the latest snapshot before the page (for DELTA of
 * its first bucket) and, when asked, the number of buckets in the whole range. Keyset
 * bounds also bound snapshot_date, so each index range scan starts at the cursor.
 */
/** Results come back in the order of `targets`. */
export async function snapshotBuckets(
  db: Database,
  targets: readonly BucketTarget[],
  query: SnapshotBucketsQuery,
): Promise<SnapshotBucketsResult[]> {
  if (targets.length === 0) return [];
  const { granularity, metrics, after, before, descending, limit } = query;
  const bucket = bucketOf(sql.raw('s.snapshot_date'), granularity);
  const keyset: SQL[] = [];
  if (after) keyset.push(sql`s.snapshot_date > ${at(after)}`);
  if (before) keyset.push(sql`s.snapshot_date < ${at(before)}`);
  const bucketBounds: SQL[] = [sql`true`];
  if (after) bucketBounds.push(sql`bucket_start > ${at(after)}`);
  if (before) bucketBounds.push(sql`bucket_start < ${at(before)}`);

  const aggregates = metrics.map(
    ({ column }) =>
      sql`, min(s.${sql.raw(column)}) AS ${sql.raw(`${column}_min`)}, max(s.${sql.raw(column)}) AS ${sql.raw(`${column}_max`)}, avg(s.${sql.raw(column)})::float8 AS ${sql.raw(`${column}_avg`)}`,
  );
  // At RAW a bucket is one snapshot: its first and last values are the same row.
  const firstAlias = granularity === 'RAW' ? 'l' : 'f';
  const endpoints = metrics.map(
    ({ column }) =>
      sql`, ${col(firstAlias, column)} AS ${sql.raw(`${column}_first`)}, ${col('l', column)} AS ${sql.raw(`${column}_last`)}`,
  );
  const previous = metrics.map(
    ({ column }) => sql`, ${col('p', column)} AS ${sql.raw(`${column}_previous`)}`,
  );
  const firstJoin =
    granularity === 'RAW'
      ? sql``
      : sql`JOIN campaign_metrics_snapshots f ON f.campaign_id = k.campaign_id AND f.snapshot_date = g.first_at`;
  const totalCount = query.withTotalCount
    ? sql`(SELECT count(DISTINCT ${bucket})::int FROM campaign_metrics_snapshots s WHERE ${rangeFilter(query)})`
    : sql`NULL::int`;
  const order = descending ? sql`DESC` : sql`ASC`;

  const rows = await queryRows(
    db,
    sql`
    SELECT k.target, r.*
    FROM unnest(${`{${targets.map((t) => t.campaignId).join(',')}}`}::uuid[],
                ${`{${targets.map((t) => `"${t.timeZone}"`).join(',')}}`}::text[])
         WITH ORDINALITY AS k(campaign_id, time_zone, target)
    CROSS JOIN LATERAL (
      WITH grouped AS (
        SELECT * FROM (
          SELECT ${bucket} AS bucket_start, count(*)::int AS sample_count,
                 min(s.snapshot_date) AS first_at, max(s.snapshot_date) AS last_at
                 ${sql.join(aggregates)}
          FROM campaign_metrics_snapshots s
          WHERE ${sql.join([rangeFilter(query), ...keyset], sql` AND `)}
          GROUP BY 1
        ) buckets
        WHERE ${sql.join(bucketBounds, sql` AND `)}
        ORDER BY bucket_start ${order}
        LIMIT ${limit}
      ),
      page AS (
        SELECT g.*, l.full_snapshot ${sql.join(endpoints)}
        FROM grouped g
        JOIN campaign_metrics_snapshots l ON l.campaign_id = k.campaign_id AND l.snapshot_date = g.last_at
        ${firstJoin}
      )
      SELECT counted.total_count, page.*, earlier.*
      FROM (SELECT ${totalCount} AS total_count) counted
      LEFT JOIN page ON true
      LEFT JOIN LATERAL (
        SELECT true AS has_previous ${sql.join(previous)}
        FROM campaign_metrics_snapshots p
        WHERE p.campaign_id = k.campaign_id
          AND p.snapshot_date < (SELECT min(bucket_start) FROM grouped)
        ORDER BY p.snapshot_date DESC
        LIMIT 1
      ) earlier ON true
    ) r
    ORDER BY r.bucket_start ASC`,
  );

  const rowsByTarget = targets.map((): Record<string, unknown>[] => []);
  for (const row of rows) rowsByTarget[Number(row.target) - 1]?.push(row);
  return targets.map((target, i) => toResult(rowsByTarget[i] ?? [], target, query));
}

function toResult(
  rows: Record<string, unknown>[],
  target: BucketTarget,
  query: SnapshotBucketsQuery,
): SnapshotBucketsResult {
  const bucketRows = rows.filter((row) => row.bucket_start !== null);
  const first = bucketRows[0];
  const earlier =
    first?.has_previous === true
      ? Object.fromEntries(query.metrics.map((m) => [m.metric, toDecimalText(first[`${m.column}_previous`])]))
      : null;
  return {
    buckets: linkPreviousBuckets(
      bucketRows.map((row) => toBucket(row, target, query)),
      earlier,
    ),
    totalCount: rows.length ? toNumber(rows[0]?.total_count) : null,
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
  return {
    campaignId: target.campaignId,
    start: toInstant(row.bucket_start),
    granularity: query.granularity,
    timeZone: target.timeZone,
    sampleCount: Number(row.sample_count),
    metrics,
    previousLast: null,
    details: (row.full_snapshot ?? {}) as Record<string, unknown>,
  };
}
