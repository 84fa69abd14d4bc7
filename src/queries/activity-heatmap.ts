import { sql } from 'drizzle-orm';
import { type Database, queryRows } from '../db/client.js';
import { toNumber } from '../db/values.js';
import type { HeatmapSum } from '../metrics/activity-heatmap.js';
import type { MetricDefinition } from '../metrics/catalog.js';
import { targetList } from './target-list.js';

/** A campaign and the zone its weekdays and hours are read in. */
export interface HeatmapTarget {
  campaignId: string;
  timeZone: string;
}

/** What is asked of every campaign in one batch. */
export interface ActivityHeatmapQuery {
  metric: MetricDefinition;
  /** Half-open range of the later snapshots: from <= t < to. */
  from: Date;
  to: Date;
}

const at = (instant: Date) => sql`${instant.toISOString()}::timestamptz`;

/**
 * Per campaign, in one statement: the metric's increments between consecutive snapshots
 * that have a value (lag() over the snapshots in [from, to) plus the last one before
 * `from`), summed exactly (numeric) per local ISO weekday and hour of the later snapshot
 * and per weekday (GROUPING SETS). Only cells with increments come back; results in the
 * order of `targets`.
 */
export async function activityHeatmapSums(
  db: Database,
  targets: readonly HeatmapTarget[],
  { metric, from, to }: ActivityHeatmapQuery,
): Promise<HeatmapSum[][]> {
  if (targets.length === 0) return [];
  const column = sql.raw(metric.column);
  const rows = await queryRows(
    db,
    sql`
    SELECT k.target, h.day_of_week, h.hour, h.total::text AS total
    FROM ${targetList(targets, 'k')}
    CROSS JOIN LATERAL (
      SELECT i.day_of_week, i.hour, sum(i.increment) AS total
      FROM (
        SELECT s.snapshot_date,
               extract(isodow FROM s.snapshot_date AT TIME ZONE k.time_zone)::int AS day_of_week,
               extract(hour FROM s.snapshot_date AT TIME ZONE k.time_zone)::int AS hour,
               s.value - lag(s.value) OVER (ORDER BY s.snapshot_date) AS increment
        FROM (
          (SELECT snapshot_date, ${column} AS value FROM campaign_metrics_snapshots
           WHERE campaign_id = k.campaign_id AND snapshot_date < ${at(from)} AND ${column} IS NOT NULL
           ORDER BY snapshot_date DESC LIMIT 1)
          UNION ALL
          (SELECT snapshot_date, ${column} FROM campaign_metrics_snapshots
           WHERE campaign_id = k.campaign_id AND snapshot_date >= ${at(from)} AND snapshot_date < ${at(to)}
             AND ${column} IS NOT NULL)
        ) s
      ) i
      WHERE i.snapshot_date >= ${at(from)} AND i.increment IS NOT NULL
      GROUP BY GROUPING SETS ((i.day_of_week, i.hour), (i.day_of_week))
    ) h`,
  );
  const sums = targets.map((): HeatmapSum[] => []);
  for (const row of rows) {
    sums[Number(row.target) - 1]?.push({
      dayOfWeek: Number(row.day_of_week),
      hour: row.hour === null ? null : Number(row.hour),
      value: toNumber(row.total) ?? 0,
    });
  }
  return sums;
}
