import { type SQL, sql } from 'drizzle-orm';
import { type Database, queryRows } from '../db/client.js';
import { toDecimalText, toInstant, toNumber } from '../db/values.js';
import { linkPreviousBuckets, type MetricStats, type SnapshotBucket } from '../metrics/bucket-stats.js';
import type { Granularity, Metric, MetricDefinition } from '../metrics/catalog.js';

export interface SnapshotBucketsQuery {
  campaignId: string;
  /** Half-open range of snapshot instants: from <= t < to. */
  from?: Date;
  to?: Date;
  granularity: Granularity;
  timeZone: string;
  metrics: readonly MetricDefinition[];
  /** Keyset: only buckets starting after / before this bucket start. */
  after?: Date;
  before?: Date;
  /** Newest first (for backward pages) or oldest first. */
  descending: boolean;
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

/** The bucket an instant column falls in: the instant itself at RAW. */
function bucketOf(column: SQL, granularity: Granularity, timeZone: string): SQL {
  if (granularity === 'RAW') return column;
  return sql`date_trunc(${sql.raw(`'${DATE_TRUNC_UNIT[granularity]}'`)}, ${column}, ${timeZone}::text)`;
}

function rangeFilter({ campaignId, from, to }: SnapshotBucketsQuery): SQL {
  const conditions = [sql`s.campaign_id = ${campaignId}::uuid`];
  if (from) conditions.push(sql`s.snapshot_date >= ${from.toISOString()}::timestamptz`);
  if (to) conditions.push(sql`s.snapshot_date < ${to.toISOString()}::timestamptz`);
  return sql.join(conditions, sql` AND `);
}

/**
 * One statement: the page of buckets (statistics of every requested metric, the values of
 * the first and last snapshot of each bucket), the latest snapshot before the page (for
 * DELTA of its first bucket) and, when asked, the number of buckets in the whole range.
 * Keyset bounds are applied to snapshot_date too, so the index range scan starts at the
 * cursor instead of the range start.
 */
export async function snapshotBuckets(
  db: Database,
  query: SnapshotBucketsQuery,
): Promise<SnapshotBucketsResult> {
  const { campaignId, granularity, timeZone, metrics, after, before, descending, limit } = query;
  const bucket = bucketOf(sql.raw('s.snapshot_date'), granularity, timeZone);
  const keyset: SQL[] = [];
  if (after) keyset.push(sql`s.snapshot_date > ${after.toISOString()}::timestamptz`);
  if (before) keyset.push(sql`s.snapshot_date < ${before.toISOString()}::timestamptz`);
  const bucketBounds: SQL[] = [sql`true`];
  if (after) bucketBounds.push(sql`bucket_start > ${after.toISOString()}::timestamptz`);
  if (before) bucketBounds.push(sql`bucket_start < ${before.toISOString()}::timestamptz`);

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
  const previous = metrics.map(({ column }) => sql`${col('p', column)} AS ${sql.raw(`${column}_previous`)}`);
  const firstJoin =
    granularity === 'RAW'
      ? sql``
      : sql`JOIN campaign_metrics_snapshots f ON f.campaign_id = ${campaignId}::uuid AND f.snapshot_date = g.first_at`;
  const totalCount = query.withTotalCount
    ? sql`(SELECT count(DISTINCT ${bucket})::int FROM campaign_metrics_snapshots s WHERE ${rangeFilter(query)})`
    : sql`NULL::int`;
  const order = descending ? sql`DESC` : sql`ASC`;

  const rows = await queryRows(
    db,
    sql`
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
      JOIN campaign_metrics_snapshots l ON l.campaign_id = ${campaignId}::uuid AND l.snapshot_date = g.last_at
      ${firstJoin}
    )
    SELECT counted.total_count, page.*, earlier.*
    FROM (SELECT ${totalCount} AS total_count) counted
    LEFT JOIN page ON true
    LEFT JOIN LATERAL (
      SELECT true AS has_previous ${metrics.length ? sql`, ` : sql``}${sql.join(previous, sql`, `)}
      FROM campaign_metrics_snapshots p
      WHERE p.campaign_id = ${campaignId}::uuid
        AND p.snapshot_date < (SELECT min(bucket_start) FROM grouped)
      ORDER BY p.snapshot_date DESC
      LIMIT 1
    ) earlier ON true
    ORDER BY page.bucket_start ASC`,
  );

  const totalCountValue = rows.length ? toNumber(rows[0]?.total_count) : null;
  const bucketRows = rows.filter((row) => row.bucket_start !== null);
  const buckets = bucketRows.map((row) => toBucket(row, query));
  const first = bucketRows[0];
  const earlier =
    first?.has_previous === true
      ? Object.fromEntries(metrics.map((m) => [m.metric, toDecimalText(first[`${m.column}_previous`])]))
      : null;
  return { buckets: linkPreviousBuckets(buckets, earlier), totalCount: totalCountValue };
}

function toBucket(row: Record<string, unknown>, query: SnapshotBucketsQuery): SnapshotBucket {
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
    campaignId: query.campaignId,
    start: toInstant(row.bucket_start),
    granularity: query.granularity,
    timeZone: query.timeZone,
    sampleCount: Number(row.sample_count),
    metrics,
    previousLast: null,
    details: (row.full_snapshot ?? {}) as Record<string, unknown>,
  };
}
