import {
  type AnyPgColumnBuilder,
  integer,
  jsonb,
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
export function metricStatColumns(): Record<string, AnyPgColumnBuilder> {
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
    /** full_snapshot of the bucket's latest sample (MetricsSnapshot.details of the bucket). */
    fullSnapshot: jsonb('full_snapshot').$type<Record<string, unknown>>(),
    ...metricStatColumns(),
  },
  (t) => [uniqueIndex('campaign_metrics_rollups_campaign_bucket_key').on(t.campaignId, t.bucketStart)],
);

/**
 * The archive manifest: one row per campaign and quarter whose QUARTER rollup lives in a
 * Parquet file instead of the database. Inserting this row is the commit point of an
 * archive step (same transaction as the delete), so a file without a row is an orphan of
 * an interrupted run and is simply written again.
 */
export const campaignMetricsArchives = pgTable(
  'campaign_metrics_archives',
  {
    campaignId: uuid('campaign_id')
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    timeZone: text('time_zone').notNull(),
    bucketStart: timestamp('bucket_start', { withTimezone: true }).notNull(),
    bucketEnd: timestamp('bucket_end', { withTimezone: true }).notNull(),
    firstAt: timestamp('first_at', { withTimezone: true }).notNull(),
    lastAt: timestamp('last_at', { withTimezone: true }).notNull(),
    sampleCount: integer('sample_count').notNull(),
    /** Where the file is (file:// or s3://), kept whole so a later ARCHIVE_URL change does not lose it. */
    objectUrl: text('object_url').notNull(),
    /** Rewrites of the file after late data merged into the quarter (0 = first write). */
    revision: integer('revision').notNull().default(0),
    rowCount: integer('row_count').notNull(),
    /** sha256 of the file's bytes, hex. */
    sha256: text('sha256').notNull(),
    archivedAt: timestamp('archived_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('campaign_metrics_archives_campaign_bucket_key').on(t.campaignId, t.bucketStart)],
);
