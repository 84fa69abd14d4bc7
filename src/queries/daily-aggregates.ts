import { type SQL, sql } from 'drizzle-orm';
import { type Database, queryRows } from '../db/client.js';
import { METRICS } from '../metrics/catalog.js';
import { raw } from './bucket-query.js';
import { mergedRollupAggregates, rollupValueColumns } from './rollup-parts.js';
import { campaignIdIn } from './target-list.js';

/**
 * Upkeep of the pre-aggregated local days and weeks (src/db/schema/daily-aggregates.ts):
 * each (campaign, zone, local day) row of campaign_metrics_daily is the exact partial
 * aggregate of the raw snapshots of that day, each row of campaign_metrics_weekly the merge
 * of the days of its ISO week, for the campaign's own zone and every zone of
 * daily_aggregate_zones. Every writer of raw snapshots calls one of these in its
 * transaction: ingest and retention refresh the periods they touched, the bulk seed and zone
 * changes rebuild.
 */

/** A pre-aggregated table: its periods start at local midnights of `unit`s. */
interface PeriodTable {
  table: SQL;
  /** The start column (a local midnight in time_zone). */
  start: SQL;
  unit: 'day' | 'week';
  /** Every column, in table order. */
  names: readonly string[];
  /** The same as a list. */
  columns: SQL;
  /** `excluded.` and every column, for an upsert. */
  excluded: SQL;
}

function periodTable(table: string, start: string, unit: PeriodTable['unit']): PeriodTable {
  const columns = [
    'campaign_id',
    'time_zone',
    start,
    'sample_count',
    'first_at',
    'last_at',
    ...rollupValueColumns(),
  ];
  return {
    table: raw(table),
    start: raw(start),
    unit,
    names: columns,
    columns: raw(columns.join(', ')),
    excluded: raw(columns.map((c) => `excluded.${c}`).join(', ')),
  };
}

const DAYS = periodTable('campaign_metrics_daily', 'day_start', 'day');
const WEEKS = periodTable('campaign_metrics_weekly', 'week_start', 'week');

/** Per metric: MIN, MAX, SUM and (nullable metrics) COUNT of the raw rows `s` of a group. */
const GROUP_AGGREGATES = raw(
  METRICS.flatMap(({ column: c, nullable }) => [
    `min(s.${c}) AS ${c}_min`,
    `max(s.${c}) AS ${c}_max`,
    `sum(s.${c}::numeric) AS ${c}_sum`,
    ...(nullable ? [`count(s.${c})::int AS ${c}_count`] : []),
  ]).join(', '),
);

/** The daily columns of a group `g` with its first row `f` and last row `l`. */
const DAILY_VALUES = raw(
  DAYS.names
    .map((column) => {
      if (column.endsWith('_first')) return `f.${column.slice(0, -'_first'.length)} AS ${column}`;
      if (column.endsWith('_last')) return `l.${column.slice(0, -'_last'.length)} AS ${column}`;
      return `g.${column}`;
    })
    .join(', '),
);

/**
 * The raw row at a group's first or last instant. LIMIT 1 keeps it a per-group primary-key
 * probe: as a plain join the planner may hash the whole snapshot table for a big rebuild.
 */
const endpoint = (instant: 'first_at' | 'last_at') => sql`
      SELECT * FROM campaign_metrics_snapshots e
      WHERE e.campaign_id = g.campaign_id AND e.snapshot_date = g.${raw(instant)} LIMIT 1`;

/**
 * Daily rows of the raw snapshots `s` that `rowsOfDays` yields with d(campaign_id,
 * time_zone, day_start). FIRST and LAST come from the rows at the group's first and last
 * instant (two primary-key probes) rather than from ordered aggregates: a sort per group
 * and metric costs several times the grouping.
 */
function dailyRows(rowsOfDays: SQL): SQL {
  return sql`
    SELECT ${DAILY_VALUES}
    FROM (
      SELECT d.campaign_id, d.time_zone, d.day_start, count(*)::int AS sample_count,
             min(s.snapshot_date) AS first_at, max(s.snapshot_date) AS last_at, ${GROUP_AGGREGATES}
      ${rowsOfDays}
      GROUP BY 1, 2, 3
    ) g
    CROSS JOIN LATERAL (${endpoint('first_at')}) f
    CROSS JOIN LATERAL (${endpoint('last_at')}) l`;
}

/** (campaign_id, time_zone) of every zone kept for campaigns `c` matching `where`. */
function keptZones(where: SQL): SQL {
  return sql`
    SELECT c.id AS campaign_id, z.time_zone
    FROM campaigns c
    CROSS JOIN LATERAL (SELECT c.time_zone UNION SELECT time_zone FROM daily_aggregate_zones) z
    WHERE ${where}`;
}

/** A span of instants [fromAt, toAt] (both included) of one campaign whose raw rows changed. */
export interface TouchedSpan {
  campaignId: string;
  fromAt: Date;
  toAt: Date;
}

/**
 * Recomputes every kept day, then every kept week, overlapping the spans from the rows now
 * present: a period with rows gets its fresh aggregate, a period without is removed (weeks
 * from the days the first statement left). Campaigns are locked first (advisory, in id
 * order): a concurrent writer of the same campaign waits, and its own refresh then reads this
 * transaction's rows too, so the last refresh to commit saw every committed row (READ
 * COMMITTED: each statement reads what has committed before it).
 */
export async function refreshDailyAggregates(db: Database, spans: readonly TouchedSpan[]): Promise<void> {
  if (spans.length === 0) return;
  const json = JSON.stringify(
    spans.map((s) => ({
      campaign_id: s.campaignId,
      from_at: s.fromAt.toISOString(),
      to_at: s.toAt.toISOString(),
    })),
  );
  const spanRows = sql`jsonb_to_recordset(${json}::text::jsonb) AS t(campaign_id uuid, from_at timestamptz, to_at timestamptz)`;
  await db.execute(sql`
    SELECT pg_advisory_xact_lock(hashtextextended('campaign_metrics_daily:' || id::text, 0))
    FROM (SELECT DISTINCT t.campaign_id AS id FROM ${spanRows} ORDER BY 1) locked`);
  await refreshPeriods(db, spanRows, DAYS, (days) =>
    dailyRows(sql`FROM ${days} d
        JOIN campaign_metrics_snapshots s
          ON s.campaign_id = d.campaign_id AND s.snapshot_date >= d.day_start AND s.snapshot_date < d.period_end`),
  );
  await refreshPeriods(db, spanRows, WEEKS, (weeks) =>
    weeklyRows(sql`FROM ${weeks} w
        JOIN campaign_metrics_daily p
          ON p.campaign_id = w.campaign_id AND p.time_zone = w.time_zone
         AND p.day_start >= w.week_start AND p.day_start < w.period_end`),
  );
}

/**
 * One statement: the kept periods of `level` overlapping the spans (a relation with
 * campaign_id, time_zone, the start column and period_end) get `freshRows` of them; those
 * without rows are deleted.
 */
async function refreshPeriods(
  db: Database,
  spanRows: SQL,
  level: PeriodTable,
  freshRows: (periods: SQL) => SQL,
): Promise<void> {
  const { table, start, unit } = level;
  const step = raw(`interval '1 ${unit}'`);
  await db.execute(sql`
    WITH spans AS (SELECT * FROM ${spanRows}),
    periods AS MATERIALIZED (
      SELECT DISTINCT z.campaign_id, z.time_zone, local_start.${start},
             ((local_start.${start} AT TIME ZONE z.time_zone) + ${step}) AT TIME ZONE z.time_zone AS period_end
      FROM spans t
      JOIN (${keptZones(sql`c.id IN (SELECT campaign_id FROM spans)`)}) z ON z.campaign_id = t.campaign_id
      CROSS JOIN LATERAL generate_series(
        date_trunc(${unit}, t.from_at AT TIME ZONE z.time_zone),
        t.to_at AT TIME ZONE z.time_zone,
        ${step}) AS wall(midnight)
      CROSS JOIN LATERAL (SELECT wall.midnight AT TIME ZONE z.time_zone AS ${start}) local_start
    ),
    fresh AS MATERIALIZED (${freshRows(sql`periods`)}),
    emptied AS (
      DELETE FROM ${table} x USING periods d
      WHERE x.campaign_id = d.campaign_id AND x.time_zone = d.time_zone AND x.${start} = d.${start}
        AND NOT EXISTS (SELECT 1 FROM fresh f
                        WHERE f.campaign_id = d.campaign_id AND f.time_zone = d.time_zone AND f.${start} = d.${start})
    )
    INSERT INTO ${table} (${level.columns})
    SELECT ${level.columns} FROM fresh
    ON CONFLICT (campaign_id, time_zone, ${start})
    DO UPDATE SET (${level.columns}) = ROW(${level.excluded})`);
}

/**
 * Weekly rows of the days `p` that `daysOfWeeks` yields with w(campaign_id, time_zone,
 * week_start): the days merged like any parts (FIRST/LAST of the first/last day).
 */
function weeklyRows(daysOfWeeks: SQL): SQL {
  return sql`
    SELECT w.campaign_id, w.time_zone, w.week_start, ${mergedRollupAggregates('p', { details: false })}
    ${daysOfWeeks}
    GROUP BY 1, 2, 3`;
}

/** Zone names (IANA: no quotes or commas) as a text[] parameter. */
const zoneArray = (zones: readonly string[]): SQL =>
  sql`${`{${zones.map((zone) => `"${zone}"`).join(',')}}`}::text[]`;

export interface DailyRebuildScope {
  /** Only these campaigns (default: all). */
  campaignIds?: readonly string[];
  /** Only these zones (default: every kept zone). */
  timeZones?: readonly string[];
}

/**
 * Builds the daily rows of the scope again from the raw snapshots, then its weeks from those
 * days: one grouping pass each (faster than period-by-period refreshes when most change: a
 * bulk load, a new zone, a campaign moving to another zone). Removes the scope's rows of zones
 * no longer kept. Rows go in in key order, so a campaign's year of days sits on a few dozen
 * pages, not one page per day. Returns the number of days.
 */
export async function rebuildDailyAggregates(db: Database, scope: DailyRebuildScope = {}): Promise<number> {
  const campaignsIn = scope.campaignIds ? campaignIdIn(scope.campaignIds) : sql`true`;
  const zonesIn = (column: string) =>
    scope.timeZones ? sql`${raw(column)} = ANY(${zoneArray(scope.timeZones)})` : sql`true`;
  const inScope = (alias: string) =>
    sql`${raw(alias)}.campaign_id IN (SELECT c.id FROM campaigns c WHERE ${campaignsIn}) AND ${zonesIn(`${alias}.time_zone`)}`;
  for (const { table } of [WEEKS, DAYS]) await db.execute(sql`DELETE FROM ${table} x WHERE ${inScope('x')}`);
  const [row] = await queryRows<{ days: number }>(
    db,
    sql`
    WITH inserted AS (
      INSERT INTO campaign_metrics_daily (${DAYS.columns})
      ${dailyRows(sql`FROM (${keptZones(sql`${campaignsIn} AND ${zonesIn('z.time_zone')}`)}) z
        JOIN campaign_metrics_snapshots s ON s.campaign_id = z.campaign_id
        CROSS JOIN LATERAL (SELECT z.campaign_id, z.time_zone,
                                   date_trunc('day', s.snapshot_date, z.time_zone) AS day_start) d`)}
      ORDER BY g.campaign_id, g.time_zone, g.day_start
      RETURNING 1
    )
    SELECT count(*)::int AS days FROM inserted`,
  );
  await db.execute(sql`
    INSERT INTO campaign_metrics_weekly (${WEEKS.columns})
    ${weeklyRows(sql`FROM campaign_metrics_daily p
      CROSS JOIN LATERAL (SELECT p.campaign_id, p.time_zone,
                                 date_trunc('week', p.day_start, p.time_zone) AS week_start) w
      WHERE ${inScope('p')}`)}
    ORDER BY 1, 2, 3`);
  return row?.days ?? 0;
}

/**
 * Makes daily_aggregate_zones exactly `zones`, in one transaction: a zone added is built for
 * every campaign, a zone dropped loses its rows of days and weeks (but where it is a campaign's own zone).
 * Snapshots written while a new zone builds may miss its days: change the list while ingest
 * is paused (as for a migration). Returns what changed.
 */
export async function setDailyAggregateZones(
  db: Database,
  zones: readonly string[],
): Promise<{ added: string[]; removed: string[]; days: number }> {
  return db.transaction(async (tx) => {
    const current = (
      await queryRows<{ time_zone: string }>(tx, sql`SELECT time_zone FROM daily_aggregate_zones FOR UPDATE`)
    ).map((row) => row.time_zone);
    const added = zones.filter((zone) => !current.includes(zone));
    const removed = current.filter((zone) => !zones.includes(zone));
    if (removed.length) {
      const list = zoneArray(removed);
      await tx.execute(sql`DELETE FROM daily_aggregate_zones WHERE time_zone = ANY(${list})`);
      for (const { table } of [WEEKS, DAYS]) {
        await tx.execute(sql`
          DELETE FROM ${table} x USING campaigns c
          WHERE c.id = x.campaign_id AND x.time_zone = ANY(${list}) AND x.time_zone <> c.time_zone`);
      }
    }
    if (added.length === 0) return { added, removed, days: 0 };
    for (const zone of added)
      await tx.execute(sql`INSERT INTO daily_aggregate_zones (time_zone) VALUES (${zone})`);
    return { added, removed, days: await rebuildDailyAggregates(tx, { timeZones: added }) };
  });
}
