import { type SQL, sql } from 'drizzle-orm';
import {
  type BucketSelection,
  type BucketValue,
  bucketValues,
  needsPrevious,
} from '../metrics/bucket-selection.js';
import {
  allOf,
  type BucketTarget,
  givenTargets,
  notOwn,
  perTarget,
  previousJoin,
  previousRawSnapshot,
  previousValues,
  raw,
  type SnapshotBucketsQuery,
  singleValues,
  storedOverlap,
} from './bucket-query.js';
import {
  at,
  granularityRank,
  nextLabelAtRank,
  rankSql,
  rawPartColumns,
  rollupPartColumns,
  rollupRowsRecordset,
  truncAtRank,
} from './rollup-parts.js';

/**
 * Values of buckets merged from parts (rawPartColumns / rollupPartColumns columns, and
 * is_raw): FIRST/LAST of the part with the first/last instant (a raw part wins a tie, as a
 * late snapshot overrides), MIN/MAX, AVG = SUM / COUNT; details from the last part.
 */
export function mergedValues({ metrics, details }: BucketSelection): SQL {
  const columns = metrics.flatMap(({ definition: { column: c, nullable }, stats }) => {
    const merge: Record<BucketValue, string> = {
      first: `(array_agg(${c}_first ORDER BY first_at ASC, is_raw DESC))[1]`,
      last: `(array_agg(${c}_last ORDER BY last_at DESC, is_raw DESC))[1]`,
      min: `min(${c}_min)`,
      max: `max(${c}_max)`,
      avg: `(sum(${c}_sum) / nullif(sum(${nullable ? `${c}_count` : 'sample_count'}), 0))::float8`,
    };
    return bucketValues(stats).map((value) => `${merge[value]} AS ${c}_${value}`);
  });
  if (details) columns.push('(array_agg(full_snapshot ORDER BY last_at DESC, is_raw DESC))[1] AS details');
  return raw(columns.map((column) => `, ${column}`).join(''));
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
 * Archived rows (read from Parquet by the caller) come in as `archived`; `archives_needed`
 * reports the files the answer needs (overlapping the range, or holding the LAST before
 * the first bucket for DELTA).
 */
export function mergedBucketStatement(
  targets: readonly BucketTarget[],
  query: SnapshotBucketsQuery,
  archived: readonly Record<string, unknown>[],
): SQL {
  const { from, to, after, before, descending, limit, selection } = query;
  const asked = granularityRank(query.granularity);
  const uniform = query.uniform === true;
  const previous = needsPrevious(selection);
  const details = selection.details ? sql`, full_snapshot` : sql``;

  const rawRange: SQL[] = [sql`s.campaign_id = k.campaign_id`];
  if (from) rawRange.push(sql`s.snapshot_date >= ${at(from)}`);
  if (to) rawRange.push(sql`s.snapshot_date < ${at(to)}`);
  // Keyset bounds on rows: a bucket starting after `after` holds only rows after it; a
  // bucket starting before `before` may be a coarser region reaching past it, by at most a year.
  const keyset: SQL[] = [];
  if (after) keyset.push(sql`s.snapshot_date > ${at(after)}`);
  if (before) keyset.push(sql`s.snapshot_date < ${at(before)} + interval '367 days'`);
  const bucketBounds: SQL[] = [];
  if (after) bucketBounds.push(sql`bucket_start > ${at(after)}`);
  if (before) bucketBounds.push(sql`bucket_start < ${at(before)}`);

  const storedColumns = sql`x.granularity::text AS granularity, x.time_zone, x.bucket_start
        ${selection.details ? sql`, x.full_snapshot` : sql``}, ${rollupPartColumns('x', selection.metrics)},
        ${rankSql(raw('x.granularity'))} AS own`;

  // Raw rows with the bucket each lands in. Two branches with one-time filters: without
  // regions no per-row region lookup runs.
  const valueColumns = raw(
    [
      's.snapshot_date',
      ...selection.metrics.map(({ definition }) => `s.${definition.column}`),
      ...(selection.details ? ['s.full_snapshot'] : []),
    ].join(', '),
  );
  const keyedRaw = (name: string, withKeyset: boolean, columns: SQL) => {
    const filter = allOf([...rawRange, ...(withKeyset ? keyset : [])]);
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
  const order = raw(descending ? 'DESC' : 'ASC');

  const previousParts = previous
    ? sql`,
      bound AS (SELECT bucket_start AS label, first_at FROM page ORDER BY bucket_start ASC, lvl ASC LIMIT 1),
      earlier AS (
        SELECT * FROM (
          (${previousRawSnapshot(query)})
          UNION ALL
          (SELECT x.last_at ${previousValues(selection, 'x', '_last')}
           FROM campaign_metrics_rollups x, bound b
           WHERE x.campaign_id = k.campaign_id AND x.last_at < b.first_at AND ${notOwn(query, 'x.last_at')}
           ORDER BY x.last_at DESC LIMIT 1)
          UNION ALL
          (SELECT x.last_at ${previousValues(selection, 'x', '_last')}
           FROM arch x, bound b
           WHERE x.last_at < b.first_at AND ${notOwn(query, 'x.last_at')}
           ORDER BY x.last_at DESC LIMIT 1)
        ) candidates
        ORDER BY previous_at DESC LIMIT 1
      )`
    : sql``;
  // the archive holding the LAST before the first bucket, when it is later than any stored or raw candidate
  const previousArchive = previous
    ? sql`OR x.bucket_start = (
               SELECT a2.bucket_start FROM campaign_metrics_archives a2, bound b
               WHERE a2.campaign_id = k.campaign_id AND a2.last_at < b.first_at
                 AND a2.last_at > coalesce((SELECT previous_at FROM earlier), '-infinity'::timestamptz)
               ORDER BY a2.bucket_start DESC LIMIT 1)`
    : sql``;

  return perTarget(
    givenTargets(targets),
    sql`
      WITH arch AS MATERIALIZED (
        SELECT * FROM ${rollupRowsRecordset(archived, 'a')} WHERE a.campaign_id = k.campaign_id
      ),
      stored AS MATERIALIZED (
        SELECT ${storedColumns} FROM campaign_metrics_rollups x WHERE ${storedOverlap(query)}
        UNION ALL
        SELECT ${storedColumns} FROM arch x WHERE ${storedOverlap(query)}
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
        SELECT k_lvl, k_zn, k_label, true AS is_raw, ${rawPartColumns('s', selection.metrics)} ${details}
        FROM raw_keyed s
        UNION ALL
        SELECT k_lvl, k_zn, k_label, false, ${rollupPartColumns('n', selection.metrics)} ${details}
        FROM stored_keyed n
      ),
      page AS (
        SELECT * FROM (
          SELECT s.k_lvl AS lvl, s.k_zn AS zn, s.k_label AS bucket_start, 1 AS sample_count,
                 s.snapshot_date AS first_at, s.snapshot_date AS last_at ${singleValues(selection, 's')}
          FROM raw_keyed s WHERE s.k_lvl = 0
          UNION ALL
          SELECT k_lvl, k_zn, k_label, sum(sample_count)::int, min(first_at), max(last_at) ${mergedValues(selection)}
          FROM parts WHERE NOT (is_raw AND k_lvl = 0) GROUP BY 1, 2, 3
        ) buckets
        WHERE ${allOf(bucketBounds)}
        ORDER BY bucket_start ${order}, lvl ${order}
        LIMIT ${limit}
      )
      ${previousParts}
      SELECT counted.total_count, counted.mode_lvl, counted.mode_zn, counted.archives_needed,
             page.* ${previous ? sql`, previous.*` : sql``}
      FROM (
        SELECT ${totalCount} AS total_count, m.glvl AS mode_lvl, m.gzn AS mode_zn,
          (SELECT coalesce(jsonb_agg(to_jsonb(x.*)), '[]'::jsonb) FROM campaign_metrics_archives x
           WHERE x.campaign_id = k.campaign_id AND ((${storedOverlap(query)}) ${previousArchive})) AS archives_needed
        FROM mode m
      ) counted
      LEFT JOIN page ON true
      ${previous ? previousJoin : sql``}
`,
    sql`r.bucket_start ASC, r.lvl ASC`,
  );
}
