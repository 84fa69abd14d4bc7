import { type SQL, sql } from 'drizzle-orm';
import { type Database, queryRows } from '../db/client.js';
import { METRICS } from '../metrics/catalog.js';
import { raw } from './bucket-query.js';
import { rollupValueColumns } from './rollup-parts.js';
import { campaignIdIn } from './target-list.js';

/**
 * Upkeep of campaign_metrics_daily (src/db/schema/daily-aggregates.ts): each (campaign, zone,
 * local day) row is the exact partial aggregate of the raw snapshots of that day, for the
 * campaign's own zone and every zone of daily_aggregate_zones. Every writer of raw snapshots
 * calls one of these in its transaction: ingest and retention refresh the days they touched,
 * the bulk seed and zone changes rebuild.
 */

const DAILY_COLUMNS = [
  'campaign_id',
  'time_zone',
  'day_start',
  'sample_count',
  'first_at',
  'last_at',
  ...rollupValueColumns(),
];
const COLUMN_LIST = raw(DAILY_COLUMNS.join(', '));

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
  DAILY_COLUMNS.map((column) => {
    if (column.endsWith('_first')) return `f.${column.slice(0, -'_first'.length)} AS ${column}`;
    if (column.endsWith('_last')) return `l.${column.slice(0, -'_last'.length)} AS ${column}`;
    return `g.${column}`;
  }).join(', '),
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
 * Recomputes every kept day overlapping the spans from the raw rows now present: a day with
 * rows gets its fresh aggregate, a day without is removed. One statement. Campaigns are
 * locked first (advisory, in id order): a concurrent writer of the same campaign waits, and
 * its own refresh then reads this transaction's rows too, so the last refresh to commit saw
 * every committed row (READ COMMITTED: each statement reads what has committed before it).
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
  await db.execute(sql`
    WITH spans AS (SELECT * FROM ${spanRows}),
    days AS MATERIALIZED (
      SELECT DISTINCT z.campaign_id, z.time_zone, local_midnight.day_start,
             ((local_midnight.day_start AT TIME ZONE z.time_zone) + interval '1 day') AT TIME ZONE z.time_zone AS day_end
      FROM spans t
      JOIN (${keptZones(sql`c.id IN (SELECT campaign_id FROM spans)`)}) z ON z.campaign_id = t.campaign_id
      CROSS JOIN LATERAL generate_series(
        date_trunc('day', t.from_at AT TIME ZONE z.time_zone),
        t.to_at AT TIME ZONE z.time_zone,
        interval '1 day') AS wall(midnight)
      CROSS JOIN LATERAL (SELECT wall.midnight AT TIME ZONE z.time_zone AS day_start) local_midnight
    ),
    fresh AS MATERIALIZED (
      ${dailyRows(sql`FROM days d
        JOIN campaign_metrics_snapshots s
          ON s.campaign_id = d.campaign_id AND s.snapshot_date >= d.day_start AND s.snapshot_date < d.day_end`)}
    ),
    emptied AS (
      DELETE FROM campaign_metrics_daily x USING days d
      WHERE x.campaign_id = d.campaign_id AND x.time_zone = d.time_zone AND x.day_start = d.day_start
        AND NOT EXISTS (SELECT 1 FROM fresh f
                        WHERE f.campaign_id = d.campaign_id AND f.time_zone = d.time_zone AND f.day_start = d.day_start)
    )
    INSERT INTO campaign_metrics_daily (${COLUMN_LIST})
    SELECT ${COLUMN_LIST} FROM fresh
    ON CONFLICT (campaign_id, time_zone, day_start)
    DO UPDATE SET (${COLUMN_LIST}) = ROW(${raw(DAILY_COLUMNS.map((c) => `excluded.${c}`).join(', '))})`);
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
 * Builds the daily rows of the scope again from the raw snapshots: one grouping pass (faster
 * than day-by-day refreshes when most days change: a bulk load, a new zone, a campaign
 * moving to another zone). Removes the scope's rows of zones no longer kept. Rows go in in
 * key order, so a campaign's year of days sits on a few dozen pages, not one page per day.
 */
export async function rebuildDailyAggregates(db: Database, scope: DailyRebuildScope = {}): Promise<number> {
  const campaignsIn = scope.campaignIds ? campaignIdIn(scope.campaignIds) : sql`true`;
  const zonesIn = (column: string) =>
    scope.timeZones ? sql`${raw(column)} = ANY(${zoneArray(scope.timeZones)})` : sql`true`;
  await db.execute(sql`
    DELETE FROM campaign_metrics_daily x
    WHERE x.campaign_id IN (SELECT c.id FROM campaigns c WHERE ${campaignsIn}) AND ${zonesIn('x.time_zone')}`);
  const [row] = await queryRows<{ days: number }>(
    db,
    sql`
    WITH inserted AS (
      INSERT INTO campaign_metrics_daily (${COLUMN_LIST})
      ${dailyRows(sql`FROM (${keptZones(sql`${campaignsIn} AND ${zonesIn('z.time_zone')}`)}) z
        JOIN campaign_metrics_snapshots s ON s.campaign_id = z.campaign_id
        CROSS JOIN LATERAL (SELECT z.campaign_id, z.time_zone,
                                   date_trunc('day', s.snapshot_date, z.time_zone) AS day_start) d`)}
      ORDER BY g.campaign_id, g.time_zone, g.day_start
      RETURNING 1
    )
    SELECT count(*)::int AS days FROM inserted`,
  );
  return row?.days ?? 0;
}

/**
 * Makes daily_aggregate_zones exactly `zones`, in one transaction: a zone added is built for
 * every campaign, a zone dropped loses its rows (but where it is a campaign's own zone).
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
      await tx.execute(sql`
        DELETE FROM campaign_metrics_daily x USING campaigns c
        WHERE c.id = x.campaign_id AND x.time_zone = ANY(${list}) AND x.time_zone <> c.time_zone`);
    }
    if (added.length === 0) return { added, removed, days: 0 };
    for (const zone of added)
      await tx.execute(sql`INSERT INTO daily_aggregate_zones (time_zone) VALUES (${zone})`);
    return { added, removed, days: await rebuildDailyAggregates(tx, { timeZones: added }) };
  });
}
