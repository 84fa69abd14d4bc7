import {
  type AnyPgColumnBuilder,
  integer,
  numeric,
  pgEnum,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { GRANULARITIES, METRICS, type MetricDefinition } from '../../metrics/catalog.js';
import { campaigns } from './campaigns.js';

export const granularity = pgEnum('granularity', GRANULARITIES);

/** The stored type of one value of a metric, as in campaign_metrics_snapshots. */
function valueColumn(definition: MetricDefinition, suffix: string) {
  const name = `${definition.column}_${suffix}`;
  switch (definition.kind) {
    case 'count':
      return integer(name);
    case 'ratio':
      return numeric(name, { precision: 18, scale: 4 });
    default:
      return numeric(name, { precision: 12, scale: 2 });
  }
}

/**
 * Per metric, enough to re-aggregate any coarser bucket exactly: the values at the
 * bucket's first and last sample, min, max, an unbounded numeric sum and, for metrics that
 * may be null, how many samples had a value (AVG = sum / count).
 */
function metricStatColumns(): Record<string, AnyPgColumnBuilder> {
  const columns: Record<string, AnyPgColumnBuilder> = {};
  for (const definition of METRICS) {
    columns[`${definition.column}_first`] = valueColumn(definition, 'first');
    columns[`${definition.column}_last`] = valueColumn(definition, 'last');
    columns[`${definition.column}_min`] = valueColumn(definition, 'min');
    columns[`${definition.column}_max`] = valueColumn(definition, 'max');
    columns[`${definition.column}_sum`] = numeric(`${definition.column}_sum`);
    if (definition.nullable) columns[`${definition.column}_count`] = integer(`${definition.column}_count`);
  }
  return columns;
}

/**
 * Buckets written by retention. One row per campaign, granularity and bucket start, aligned
 * to the campaign's time zone at the time of the rollup (stored, never assumed).
 */
export const campaignMetricsRollups = pgTable(
  'campaign_metrics_rollups',
  {
    campaignId: uuid('campaign_id')
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    granularity: granularity('granularity').notNull(),
    timeZone: text('time_zone').notNull(),
    bucketStart: timestamp('bucket_start', { withTimezone: true }).notNull(),
    bucketEnd: timestamp('bucket_end', { withTimezone: true }).notNull(),
    sampleCount: integer('sample_count').notNull(),
    firstAt: timestamp('first_at', { withTimezone: true }).notNull(),
    lastAt: timestamp('last_at', { withTimezone: true }).notNull(),
    ...metricStatColumns(),
  },
  (t) => [uniqueIndex('campaign_metrics_rollups_campaign_bucket_key').on(t.campaignId, t.bucketStart)],
);
