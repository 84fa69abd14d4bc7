import { type SQL, sql } from 'drizzle-orm';
import { type BucketSelection, bucketValues, needsPrevious } from '../metrics/bucket-selection.js';
import {
  allOf,
  notOwn,
  perTarget,
  previousJoin,
  previousRawSnapshot,
  raw,
  type SnapshotBucketsQuery,
  singleValues,
  storedOverlap,
  type TargetSource,
} from './bucket-query.js';
import { mergedValues } from './merged-bucket-statement.js';
import {
  at,
  granularityRank,
  nextLabelAtRank,
  rawPartColumns,
  rollupPartColumns,
  truncAtRank,
} from './rollup-parts.js';

/**
 * Buckets of campaigns whose answer no stored part (rollup row, archived quarter) can
 * change: the common case, a range newer than anything retention rolled up. Raw snapshots
 * only, grouped in one pass at the asked granularity and zone.
 *
 * Each campaign first probes the rollup and archive indexes for a part overlapping the
 * range; with one, its raw rows are not read at all (a one-time filter) and `stored_parts`
 * is true: the caller answers it with the merging statement instead. With DELTA the same
 * holds for a stored part later than the raw sample before the first bucket.
 */
export function rawBucketStatement(source: TargetSource, query: SnapshotBucketsQuery): SQL {
  const { from, to, after, before, descending, limit, selection, granularity } = query;
  const rank = granularityRank(granularity);
  const order = raw(descending ? 'DESC' : 'ASC');
  const label = truncAtRank(raw(String(rank)), raw('s.snapshot_date'), raw('k.time_zone'));
  const previous = needsPrevious(selection);

  const inRange: SQL[] = [sql`s.campaign_id = k.campaign_id`, sql`NOT (SELECT stored FROM probe)`];
  if (from) inRange.push(sql`s.snapshot_date >= ${at(from)}`);
  if (to) inRange.push(sql`s.snapshot_date < ${at(to)}`);
  // Keyset: a bucket starting after `after` holds only later rows; one starting before
  // `before` ends by the end of the bucket holding `before`.
  const keysetRows: SQL[] = [];
  const keysetLabels: SQL[] = [];
  if (after) {
    keysetRows.push(sql`s.snapshot_date > ${at(after)}`);
    keysetLabels.push(sql`label > ${at(after)}`);
  }
  if (before) {
    const bucketOfBefore = truncAtRank(raw(String(rank)), at(before), raw('k.time_zone'));
    keysetRows.push(
      rank === 0
        ? sql`s.snapshot_date < ${at(before)}`
        : sql`s.snapshot_date < ${nextLabelAtRank(raw(String(rank)), bucketOfBefore, raw('k.time_zone'))}`,
    );
    keysetLabels.push(sql`label < ${at(before)}`);
  }
  const rows = allOf([...inRange, ...keysetRows]);
  // The range again for the FIRST/LAST probes: on the month-partitioned table an unbounded
  // probe is planned over every partition of the campaign (a hash join reading all its rows).
  const probeRange = (alias: 'f' | 'l') =>
    allOf([
      ...(from ? [sql`${raw(alias)}.snapshot_date >= ${at(from)}`] : []),
      ...(to ? [sql`${raw(alias)}.snapshot_date < ${at(to)}`] : []),
    ]);

  const rawPage =
    rank === 0
      ? sql`
        SELECT s.snapshot_date AS bucket_start, 1 AS sample_count,
               s.snapshot_date AS first_at, s.snapshot_date AS last_at ${singleValues(selection, 's')}
        FROM campaign_metrics_snapshots s
        WHERE ${rows}
        ORDER BY s.snapshot_date ${order} LIMIT ${limit}`
      : groupedPage(
          selection,
          label,
          rows,
          probeRange,
          allOf(keysetLabels),
          sql`ORDER BY label ${order} LIMIT ${limit}`,
        );

  const rawTotalCount = sql`(SELECT count(*)::int FROM (
          SELECT DISTINCT ${label} FROM campaign_metrics_snapshots s WHERE ${allOf(inRange)}) bucket)`;

  // DAY and coarser buckets in a zone whose local days are pre-aggregated for the campaign
  // read those days where the range holds them whole (a one-time choice per campaign).
  const daily = rank >= DAY_RANK && !selection.details ? dailyParts(query, rank, inRange, keysetRows) : null;
  // Both branches even where the zone is the campaign's own (always kept): with the raw one,
  // PostgreSQL keeps the statement's generic plan; without it, it plans every execution
  // afresh (the 30-day series: 0.63 -> 1.33 ms of PostgreSQL CPU per answer).
  const page = daily
    ? sql`(${pageColumns(selection, daily.page(allOf(keysetLabels), sql`ORDER BY label ${order} LIMIT ${limit}`))}
            WHERE (SELECT daily FROM covered))
          UNION ALL
          (${pageColumns(selection, rawPage)} WHERE NOT (SELECT daily FROM covered))`
    : rawPage;
  const totalCount = !query.withTotalCount
    ? sql`NULL::int`
    : daily
      ? sql`CASE WHEN (SELECT daily FROM covered) THEN ${daily.totalCount} ELSE ${rawTotalCount} END`
      : rawTotalCount;

  const storedBefore = (table: string) => sql`EXISTS (
          SELECT 1 FROM ${raw(table)} x, bound b
          WHERE x.campaign_id = k.campaign_id AND x.bucket_start < b.first_at AND x.last_at < b.first_at
            AND ${notOwn(query, 'x.last_at')}
            AND x.last_at >= coalesce((SELECT previous_at FROM earlier), '-infinity')
            AND x.bucket_start > coalesce((SELECT previous_at FROM earlier) - interval '367 days', '-infinity'))`;
  const previousParts = previous
    ? sql`,
      bound AS (SELECT bucket_start AS label, first_at FROM page ORDER BY bucket_start ASC LIMIT 1),
      earlier AS (${previousRawSnapshot(query)})`
    : sql``;

  return perTarget(
    source,
    sql`
      WITH probe AS MATERIALIZED (
        SELECT EXISTS (SELECT 1 FROM campaign_metrics_rollups x WHERE ${storedOverlap(query)})
            OR EXISTS (SELECT 1 FROM campaign_metrics_archives x WHERE ${storedOverlap(query)}) AS stored
      ),
      ${daily ? sql`covered AS MATERIALIZED (SELECT ${dailyKept} AS daily),` : sql``}
      page AS (${page})
      ${previousParts}
      SELECT probe.stored
             ${previous ? sql`OR ${storedBefore('campaign_metrics_rollups')} OR ${storedBefore('campaign_metrics_archives')}` : sql``}
             AS stored_parts,
             ${totalCount} AS total_count, page.*
             ${previous ? sql`, previous.*` : sql``}
      FROM probe
      LEFT JOIN page ON true
      ${previous ? previousJoin : sql``}`,
    sql`r.bucket_start ASC`,
  );
}

/**
 * Buckets of the raw snapshots `s` matching `rows`, keyed by `label`: one grouping pass computes the
 * sample count, the first and last instants and MIN/MAX/AVG; FIRST, LAST and details are
 * the columns of the bucket's first or last snapshot, one unique-index probe per bucket of
 * the page. (An ordered aggregate, array_agg(... ORDER BY), costs a sort per group and
 * statistic: several times the whole grouping on a year of hourly rows.)
 */
function groupedPage(
  selection: BucketSelection,
  label: SQL,
  rows: SQL,
  probeRange: (alias: 'f' | 'l') => SQL,
  labelFilter: SQL,
  orderAndLimit: SQL,
): SQL {
  const columns = new Set(['s.snapshot_date']);
  const aggregates: string[] = [];
  const endpoints: string[] = [];
  for (const { definition, stats } of selection.metrics) {
    const c = definition.column;
    for (const value of bucketValues(stats)) {
      if (value === 'first') endpoints.push(`f.${c} AS ${c}_first`);
      else if (value === 'last') endpoints.push(`l.${c} AS ${c}_last`);
      else {
        columns.add(`s.${c}`);
        aggregates.push(
          value === 'avg'
            ? `(sum(${c}::numeric) / nullif(count(${c}), 0))::float8 AS ${c}_avg`
            : `${value}(${c}) AS ${c}_${value}`,
        );
      }
    }
  }
  if (selection.details) endpoints.push('l.full_snapshot AS details');
  const probe = (alias: 'f' | 'l', instant: 'first_at' | 'last_at') =>
    endpoints.some((column) => column.startsWith(`${alias}.`))
      ? sql`LEFT JOIN campaign_metrics_snapshots ${raw(alias)}
              ON ${raw(alias)}.campaign_id = k.campaign_id AND ${raw(alias)}.snapshot_date = g.${raw(instant)}
                 AND ${probeRange(alias)}`
      : sql``;
  return sql`
    SELECT g.* ${raw(endpoints.map((column) => `, ${column}`).join(''))}
    FROM (
      SELECT label AS bucket_start, count(*)::int AS sample_count,
             min(snapshot_date) AS first_at, max(snapshot_date) AS last_at
             ${raw(aggregates.map((column) => `, ${column}`).join(''))}
      FROM (SELECT ${label} AS label, ${raw([...columns].join(', '))} FROM campaign_metrics_snapshots s WHERE ${rows}) s
      WHERE ${labelFilter}
      GROUP BY label
      ${orderAndLimit}
    ) g
    ${probe('f', 'first_at')}
    ${probe('l', 'last_at')}`;
}

const DAY_RANK = 2;
const WEEK_RANK = 3;
/** More than any local day lasts (23 to 25 hours where clocks change; tzdb has none near 48). */
const LONGER_THAN_A_DAY = sql`interval '48 hours'`;

/** Whether campaign k's local days in zone k.time_zone are pre-aggregated (its own zone, or a kept one). */
const dailyKept = sql`(EXISTS (SELECT 1 FROM campaigns c WHERE c.id = k.campaign_id AND c.time_zone = k.time_zone)
          OR EXISTS (SELECT 1 FROM daily_aggregate_zones z WHERE z.time_zone = k.time_zone))`;

/** A page's columns by name, in one order, so that the two branches of a page line up. */
function pageColumns(selection: BucketSelection, page: SQL): SQL {
  const values = selection.metrics.flatMap(({ definition: { column: c }, stats }) =>
    bucketValues(stats).map((value) => `${c}_${value}`),
  );
  return sql`SELECT bucket_start, sample_count, first_at, last_at ${raw(values.map((v) => `, ${v}`).join(''))}
    FROM (${page}) branch`;
}

/**
 * Buckets of campaign k from parts: the pre-aggregated local days (campaign_metrics_daily)
 * lying wholly inside the range, and the raw snapshots of the range's cut days at either end;
 * for WEEK buckets the pre-aggregated weeks (campaign_metrics_weekly) lying wholly inside it,
 * and days only where the range cuts a week. Parts merge exactly (mergedValues), and a local
 * day lies inside one bucket of any granularity from DAY up, in the same zone.
 */
function dailyParts(
  query: SnapshotBucketsQuery,
  rank: number,
  inRange: readonly SQL[],
  keysetRows: readonly SQL[],
) {
  const { from, to, after, before, selection } = query;
  const zone = raw('k.time_zone');
  const rankSql = (r: number) => raw(String(r));
  const startOf = (r: number, instant: SQL) => truncAtRank(rankSql(r), instant, zone);
  const label = (instant: string) => truncAtRank(rankSql(rank), raw(instant), zone);
  /** The first local midnight starting a period of rank r at or after `from`. */
  const firstWhole = (r: number, instant: Date) =>
    sql`(CASE WHEN ${startOf(r, at(instant))} = ${at(instant)} THEN ${at(instant)}
         ELSE ${nextLabelAtRank(rankSql(r), startOf(r, at(instant)), zone)} END)`;
  /**
   * Rows of a pre-aggregated table `alias` whose period (of rank r, starting at `start`) lies
   * wholly in the range: it starts at or after `from` and before the period holding `to`.
   */
  const whole = (alias: 'd' | 'w', r: number, withKeyset: boolean, more: readonly SQL[] = []) => {
    const start = raw(`${alias}.${r === DAY_RANK ? 'day_start' : 'week_start'}`);
    const conditions: SQL[] = [
      sql`${raw(alias)}.campaign_id = k.campaign_id`,
      sql`${raw(alias)}.time_zone = k.time_zone`,
      sql`NOT (SELECT stored FROM probe)`,
      ...more,
    ];
    if (from) conditions.push(sql`${start} >= ${at(from)}`);
    if (to) conditions.push(sql`${start} < ${startOf(r, at(to))}`);
    if (withKeyset && after) conditions.push(sql`${start} > ${at(after)}`);
    if (withKeyset && before) {
      conditions.push(sql`${start} < ${nextLabelAtRank(rankSql(rank), startOf(rank, at(before)), zone)}`);
    }
    return allOf(conditions);
  };
  const days = (withKeyset: boolean, more: readonly SQL[] = []) => sql`
    SELECT ${label('d.day_start')} AS label, false AS is_raw, ${rollupPartColumns('d', selection.metrics)}
    FROM campaign_metrics_daily d WHERE ${whole('d', DAY_RANK, withKeyset, more)}`;
  // Raw rows of the cut days: before the first whole day, and from the last cut midnight on.
  // One branch each, so that both bounds of each are index conditions (an OR of the two is
  // a filter over the whole range in a generic plan). The midnights depend on the zone, a
  // column, so each branch also gets a bound of parameters alone, 48 hours (longer than any
  // local day) from its end of the range: with it the executor drops the month partitions
  // outside it before starting instead of locking and initializing them all in the generic
  // plan (bench_1_5m: 15 of 16 per branch; a year of weeks, EXPLAIN execution 1.96 -> 1.03 ms).
  const cutDays: SQL[] = [];
  if (from) {
    cutDays.push(
      sql`s.snapshot_date < ${firstWhole(DAY_RANK, from)} AND s.snapshot_date < ${at(from)} + ${LONGER_THAN_A_DAY}`,
    );
  }
  if (to) {
    cutDays.push(
      sql`s.snapshot_date >= ${startOf(DAY_RANK, at(to))} AND s.snapshot_date >= ${at(to)} - ${LONGER_THAN_A_DAY}`,
    );
  }

  const parts = (withKeyset: boolean) => {
    const branches: SQL[] = [];
    if (rank === WEEK_RANK) {
      // whole weeks, then the whole days of the weeks the range cuts: before the first whole
      // week, and from the week holding `to` on (not before the first whole week)
      branches.push(sql`
    SELECT w.week_start AS label, false AS is_raw, ${rollupPartColumns('w', selection.metrics)}
    FROM campaign_metrics_weekly w WHERE ${whole('w', WEEK_RANK, withKeyset)}`);
      const firstWeek = from && firstWhole(WEEK_RANK, from);
      if (firstWeek) branches.push(days(withKeyset, [sql`d.day_start < ${firstWeek}`]));
      if (to) {
        const lastWeek = startOf(WEEK_RANK, at(to));
        branches.push(
          days(withKeyset, [
            sql`d.day_start >= ${lastWeek}`,
            ...(firstWeek ? [sql`d.day_start >= ${firstWeek}`] : []),
          ]),
        );
      }
    } else {
      branches.push(days(withKeyset));
    }
    for (const cut of cutDays) {
      branches.push(sql`
    SELECT ${label('s.snapshot_date')} AS label, true AS is_raw, ${rawPartColumns('s', selection.metrics)}
    FROM campaign_metrics_snapshots s WHERE ${allOf([...inRange, cut, ...(withKeyset ? keysetRows : [])])}`);
    }
    return sql.join(
      branches,
      sql`
    UNION ALL`,
    );
  };

  return {
    page: (labelFilter: SQL, orderAndLimit: SQL) => sql`
      SELECT label AS bucket_start, sum(sample_count)::int AS sample_count, min(first_at) AS first_at,
             max(last_at) AS last_at ${mergedValues(selection)}
      FROM (${parts(true)}) p
      WHERE ${labelFilter}
      GROUP BY label
      ${orderAndLimit}`,
    totalCount: sql`(SELECT count(DISTINCT label)::int FROM (${parts(false)}) p)`,
  };
}
