import { type SQL, sql } from 'drizzle-orm';
import { toDecimalText, toInstant } from '../db/values.js';
import type { MetricStats, SnapshotBucket } from '../metrics/bucket-stats.js';
import { METRICS, type Metric, type MetricDefinition } from '../metrics/catalog.js';

/** Optional parts of a raw snapshot read: the snapshot before it (DELTA) and full_snapshot. */
export interface RawSnapshotParts {
  previous: boolean;
  details: boolean;
  /** The metrics read, in catalog order; every metric when absent. */
  metrics?: readonly MetricDefinition[];
}
const EVERY_PART: RawSnapshotParts = { previous: true, details: true };

/**
 * Columns of a raw snapshot `alias` together with the metric values of the snapshot just
 * before it (`previous_<column>`, for DELTA) and the campaign's zone: the shape
 * `rawSnapshotBucket` reads. `previousAlias` must be a LATERAL of at most one row.
 */
export function rawSnapshotColumns(alias: string, previousAlias: string, parts = EVERY_PART): SQL {
  const metrics = parts.metrics ?? METRICS;
  return sql.raw(
    [
      `${alias}.campaign_id`,
      `${alias}.snapshot_date`,
      ...(parts.details ? [`${alias}.full_snapshot`] : []),
      ...metrics.map(({ column }) => `${alias}.${column}`),
      ...(parts.previous
        ? [
            `(${previousAlias}.snapshot_date IS NOT NULL) AS has_previous`,
            ...metrics.map(({ column }) => `${previousAlias}.${column} AS previous_${column}`),
          ]
        : []),
    ].join(', '),
  );
}

/** LATERAL subquery: the snapshot of the same campaign just before `alias`. */
export function previousSnapshotLateral(alias: string, previousAlias: string): SQL {
  return sql.raw(`LEFT JOIN LATERAL (
      SELECT * FROM campaign_metrics_snapshots p
      WHERE p.campaign_id = ${alias}.campaign_id AND p.snapshot_date < ${alias}.snapshot_date
      ORDER BY p.snapshot_date DESC LIMIT 1
    ) ${previousAlias} ON true`);
}

/** A stored snapshot as a one-sample RAW bucket (read by rawSnapshotColumns with the same parts). */
export function rawSnapshotBucket(
  row: Record<string, unknown>,
  timeZone: string,
  parts = EVERY_PART,
): SnapshotBucket {
  const metrics: Partial<Record<Metric, MetricStats>> = {};
  const previousLast: Partial<Record<Metric, string | null>> = {};
  for (const { metric, column } of parts.metrics ?? METRICS) {
    const value = toDecimalText(row[column]);
    metrics[metric] = {
      first: value,
      last: value,
      min: value,
      max: value,
      avg: value === null ? null : Number(value),
    };
    if (parts.previous) previousLast[metric] = toDecimalText(row[`previous_${column}`]);
  }
  return {
    campaignId: String(row.campaign_id),
    start: toInstant(row.snapshot_date),
    granularity: 'RAW',
    timeZone,
    sampleCount: 1,
    metrics,
    ...(parts.previous ? { previousLast: row.has_previous === true ? previousLast : null } : {}),
    ...(parts.details ? { details: (row.full_snapshot ?? {}) as Record<string, unknown> } : {}),
  };
}
