import { type SQL, sql } from 'drizzle-orm';
import { toDecimalText, toInstant } from '../db/values.js';
import type { MetricStats, SnapshotBucket } from '../metrics/bucket-stats.js';
import { METRICS, type Metric } from '../metrics/catalog.js';

/**
 * Columns of a raw snapshot `alias` together with the metric values of the snapshot just
 * before it (`previous_<column>`, for DELTA) and the campaign's zone: the shape
 * `rawSnapshotBucket` reads. `previousAlias` must be a LATERAL of at most one row.
 */
export function rawSnapshotColumns(alias: string, previousAlias: string): SQL {
  return sql.raw(
    [
      `${alias}.campaign_id`,
      `${alias}.snapshot_date`,
      `${alias}.full_snapshot`,
      ...METRICS.map(({ column }) => `${alias}.${column}`),
      `(${previousAlias}.snapshot_date IS NOT NULL) AS has_previous`,
      ...METRICS.map(({ column }) => `${previousAlias}.${column} AS previous_${column}`),
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

/** A stored snapshot as a one-sample RAW bucket. */
export function rawSnapshotBucket(row: Record<string, unknown>, timeZone: string): SnapshotBucket {
  const metrics: Partial<Record<Metric, MetricStats>> = {};
  const previousLast: Partial<Record<Metric, string | null>> = {};
  for (const { metric, column } of METRICS) {
    const value = toDecimalText(row[column]);
    metrics[metric] = {
      first: value,
      last: value,
      min: value,
      max: value,
      avg: value === null ? null : Number(value),
    };
    previousLast[metric] = toDecimalText(row[`previous_${column}`]);
  }
  return {
    campaignId: String(row.campaign_id),
    start: toInstant(row.snapshot_date),
    granularity: 'RAW',
    timeZone,
    sampleCount: 1,
    metrics,
    previousLast: row.has_previous === true ? previousLast : null,
    details: (row.full_snapshot ?? {}) as Record<string, unknown>,
  };
}
