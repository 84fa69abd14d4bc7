/**
 * The weekly activity heatmap: per local weekday (ISO, 1 = Monday .. 7 = Sunday) and hour
 * (0..23), the sum of a metric's increments between consecutive raw snapshots, each
 * increment attributed to the later snapshot's local weekday and hour. The sums themselves
 * come from SQL (exact numeric); this lays them out.
 *
 * Where the contract is silent (the SQL in queries/activity-heatmap.ts follows these):
 * - The first snapshot in [from, to) takes the last snapshot before `from` as its
 *   predecessor, as DELTA looks before its range: heatmaps of adjacent ranges add up to the
 *   heatmap of their union, and a range's total is the counter's growth over it.
 * - Snapshots without a value of the metric are skipped: an increment runs from one
 *   snapshot with a value to the next, so one missing reading loses nothing.
 * - Increments are not clamped: a counter that goes down (a correction) contributes a
 *   negative amount, which keeps the totals telescoping.
 * - cells always lists all 168 cells, Monday 00 first, hours ascending within a day, with
 *   0 where nothing happened; byDayOfWeek has 7 sums, Monday first.
 * - Local hours follow the wall clock: on a spring-forward day the skipped hour stays 0,
 *   and the repeated hour of a fall-back night collects both of its occurrences.
 */

export interface HeatmapCell {
  dayOfWeek: number;
  hour: number;
  value: number;
}

export interface ActivityHeatmap {
  cells: HeatmapCell[];
  byDayOfWeek: number[];
}

/** A sum from SQL: one cell (`hour` set) or one weekday's total (`hour` null). */
export interface HeatmapSum {
  dayOfWeek: number;
  hour: number | null;
  value: number;
}

export function layOutHeatmap(sums: readonly HeatmapSum[]): ActivityHeatmap {
  const cells: HeatmapCell[] = [];
  for (let dayOfWeek = 1; dayOfWeek <= 7; dayOfWeek++) {
    for (let hour = 0; hour < 24; hour++) cells.push({ dayOfWeek, hour, value: 0 });
  }
  const byDayOfWeek = [0, 0, 0, 0, 0, 0, 0];
  for (const { dayOfWeek, hour, value } of sums) {
    if (!(dayOfWeek >= 1 && dayOfWeek <= 7) || (hour !== null && !(hour >= 0 && hour < 24))) {
      throw new RangeError(`no heatmap cell for weekday ${dayOfWeek}, hour ${hour}`);
    }
    if (hour === null) byDayOfWeek[dayOfWeek - 1] = value;
    else (cells[(dayOfWeek - 1) * 24 + hour] as HeatmapCell).value = value;
  }
  return { cells, byDayOfWeek };
}
