import { integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { campaigns } from './campaigns.js';
import { metricStatColumns } from './rollups.js';

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
    campaignId: uuid('campaign_id')
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    timeZone: text('time_zone').notNull(),
    /** The local midnight starting the day, in time_zone. */
    dayStart: timestamp('day_start', { withTimezone: true }).notNull(),
    sampleCount: integer('sample_count').notNull(),
    firstAt: timestamp('first_at', { withTimezone: true }).notNull(),
    lastAt: timestamp('last_at', { withTimezone: true }).notNull(),
    ...metricStatColumns(),
  },
  (t) => [primaryKey({ columns: [t.campaignId, t.timeZone, t.dayStart] })],
);

/**
 * Zones whose local days are pre-aggregated for every campaign besides its own zone (the
 * zones dashboards ask in, `DAILY_AGGREGATE_TIME_ZONES`). A reference table under Citus.
 */
export const dailyAggregateZones = pgTable('daily_aggregate_zones', {
  timeZone: text('time_zone').primaryKey(),
});
