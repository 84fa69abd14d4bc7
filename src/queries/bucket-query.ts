import { type SQL, sql } from 'drizzle-orm';
import { type BucketSelection, bucketValues } from '../metrics/bucket-selection.js';
import type { Granularity } from '../metrics/catalog.js';
import { at } from './rollup-parts.js';
import { targetList } from './target-list.js';

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
  /** The metrics, statistics and details computed; nothing else is. */
  selection: BucketSelection;
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

export const raw = (text: string) => sql.raw(text);

/** `AND`-joined conditions (true when there are none). */
export const allOf = (conditions: readonly SQL[]): SQL =>
  conditions.length ? sql.join([...conditions], sql` AND `) : sql`true`;

/**
 * Where a bucket statement's targets come from: `from` defines k(campaign_id, time_zone,
 * target), `columns` is what of k each row returns beside the buckets.
 */
export interface TargetSource {
  from: SQL;
  columns: SQL;
}

/** Targets the caller names, campaign and zone each, numbered from 1 in their order. */
export function givenTargets(targets: readonly BucketTarget[]): TargetSource {
  return { from: targetList(targets, 'k'), columns: sql`k.target` };
}

/**
 * One statement for every target: `body` runs per target as a LATERAL subquery that sees
 * k(campaign_id, time_zone, target); rows come back by target (numbered from 1), then `order`.
 */
export function perTarget(source: TargetSource, body: SQL, order: SQL): SQL {
  return sql`
    SELECT ${source.columns}, r.*
    FROM ${source.from}
    CROSS JOIN LATERAL (${body}) r
    ORDER BY k.target, ${order}`;
}

/** The `earlier` row (DELTA's base) beside every row, with has_previous when there is one. */
export const previousJoin = sql`LEFT JOIN (SELECT true AS has_previous, e.* FROM earlier e) previous ON true`;

/**
 * Stored parts (rollup rows, archived quarters; alias `x`) of campaign k that may hold
 * samples in [from, to): first_at < to and last_at >= from. The bucket_start bounds say
 * the same for the (campaign_id, bucket_start) index: a part starts at or before its first
 * sample and spans at most a year (366 days and a DST hour), so it ends before start + 367 days.
 */
export function storedOverlap({ from, to }: Pick<SnapshotBucketsQuery, 'from' | 'to'>): SQL {
  const conditions: SQL[] = [sql`x.campaign_id = k.campaign_id`];
  if (to) conditions.push(sql`x.bucket_start < ${at(to)} AND x.first_at < ${at(to)}`);
  if (from) {
    conditions.push(sql`x.bucket_start > ${at(from)} - interval '367 days' AND x.last_at >= ${at(from)}`);
  }
  return allOf(conditions);
}

/** Values of a bucket that is one raw snapshot `alias` (RAW granularity): no aggregation. */
export function singleValues({ metrics, details }: BucketSelection, alias: string): SQL {
  const columns = metrics.flatMap(({ definition: { column: c }, stats }) =>
    bucketValues(stats).map((value) =>
      value === 'avg' ? `${alias}.${c}::float8 AS ${c}_avg` : `${alias}.${c} AS ${c}_${value}`,
    ),
  );
  if (details) columns.push(`${alias}.full_snapshot AS details`);
  return raw(columns.map((column) => `, ${column}`).join(''));
}

/** `<alias>.<column><suffix> AS <column>_previous` of each metric whose DELTA is asked. */
export function previousValues({ metrics }: BucketSelection, alias: string, suffix: '' | '_last'): SQL {
  const columns = metrics
    .filter(({ stats }) => stats.includes('DELTA'))
    .map(({ definition: { column: c } }) => `, ${alias}.${c}${suffix} AS ${c}_previous`);
  return raw(columns.join(''));
}

/**
 * DELTA of the page's first bucket compares with the latest sample before it that is not
 * its own: samples of its bucket cut off by `from` are its own (b: the `bound` row, label
 * and first_at of the first bucket).
 */
export function notOwn(query: SnapshotBucketsQuery, instant: string): SQL {
  return query.from
    ? sql`NOT (${raw(instant)} >= b.label AND ${raw(instant)} < ${at(query.from)})`
    : sql`true`;
}

/** The latest raw snapshot of campaign k before the page's first bucket, not its own: (previous_at, values). */
export function previousRawSnapshot(query: SnapshotBucketsQuery): SQL {
  return sql`SELECT p.snapshot_date AS previous_at ${previousValues(query.selection, 'p', '')}
        FROM campaign_metrics_snapshots p, bound b
        WHERE p.campaign_id = k.campaign_id AND p.snapshot_date < b.first_at AND ${notOwn(query, 'p.snapshot_date')}
        ORDER BY p.snapshot_date DESC LIMIT 1`;
}
