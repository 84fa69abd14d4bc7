import { integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { campaigns } from './campaigns.js';
import { metricStatColumns } from './rollups.js';

/** The campaign and zone of a pre-aggregated period (its key, with the period's start). */
const periodOwner = () => ({
  campaignId: uuid('campaign_id')
    .notNull()
    .references(() => campaigns.id, { onDelete: 'cascade' }),
  timeZone: text('time_zone').notNull(),
});

/** A pre-aggregated period's values: those of a rollup row but its details. */
const periodValues = () => ({
  sampleCount: integer('sample_count').notNull(),
  firstAt: timestamp('first_at', { withTimezone: true }).notNull(),
  lastAt: timestamp('last_at', { withTimezone: true }).notNull(),
  ...metricStatColumns(),
});

/**
 * Pre-aggregated local days (Cube's pre-aggregations, TimescaleDB's continuous aggregates):
 * per campaign, zone and local day, the same partial aggregate as a rollup row, over the raw
 * snapshots of that day. Kept exact by every writer of raw snapshots (src/queries/daily-aggregates.ts),
 * for the campaign's own zone and every zone of daily_aggregate_zones. Bucket statements
 * at DAY or coarser read them for the whole local days of a range instead of the raw rows.
 * Unlike rollups they never replace raw data: they are derived and can be rebuilt.
 */
export const campaignMetricsDaily = pgTable(
  'campaign_metrics_daily',
  {
    ...periodOwner(),
    /** The local midnight starting the day, in time_zone. */
    dayStart: timestamp('day_start', { withTimezone: true }).notNull(),
    ...periodValues(),
  },
  (t) => [primaryKey({ columns: [t.campaignId, t.timeZone, t.dayStart] })],
);

/**
 * Pre-aggregated local ISO weeks, merged from the days above (TimescaleDB's hierarchical
 * continuous aggregates): the same zones, kept by the same writers in the same transaction.
 * WEEK buckets read them for the whole weeks of a range, a seventh of the rows of the days.
 */
export const campaignMetricsWeekly = pgTable(
  'campaign_metrics_weekly',
  {
    ...periodOwner(),
    /** The local Monday midnight starting the week, in time_zone. */
    weekStart: timestamp('week_start', { withTimezone: true }).notNull(),
    ...periodValues(),
  },
  (t) => [primaryKey({ columns: [t.campaignId, t.timeZone, t.weekStart] })],
);

/**
 * Zones whose local days are pre-aggregated for every campaign besides its own zone (the
 * zones dashboards ask in, `DAILY_AGGREGATE_TIME_ZONES`). A reference table under Citus.
 */
export const dailyAggregateZones = pgTable('daily_aggregate_zones', {
  timeZone: text('time_zone').primaryKey(),
});
