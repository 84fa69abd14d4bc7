import type { Granularity, Metric, Stat } from './catalog.js';
import { decimalToNumber, deltaOf } from './decimal.js';

/** Statistics of one metric over the raw snapshots of a bucket; decimals stay exact text. */
export interface MetricStats {
  first: string | null;
  last: string | null;
  min: string | null;
  max: string | null;
  avg: number | null;
}

/** A raw snapshot (granularity RAW, one sample) or a bucket of them. */
export interface SnapshotBucket {
  campaignId: string;
  /** RAW: the snapshot's instant; otherwise the bucket start. */
  start: Date;
  granularity: Granularity;
  timeZone: string;
  sampleCount: number;
  metrics: Partial<Record<Metric, MetricStats>>;
  /**
   * LAST values of the nearest earlier non-empty bucket (for DELTA); null when no earlier
   * data exists at all.
   */
  previousLast: Partial<Record<Metric, string | null>> | null;
  /** full_snapshot of the bucket's latest raw snapshot. */
  details: Record<string, unknown>;
}

const numberOrNull = (value: string | null) => (value === null ? null : decimalToNumber(value));

/** value(metric, stat) as the contract defines it. */
export function statValue(bucket: SnapshotBucket, metric: Metric, stat: Stat): number | null {
  const stats = bucket.metrics[metric];
  if (!stats) throw new Error(`bucket was loaded without ${metric}`);
  switch (stat) {
    case 'FIRST':
      return numberOrNull(stats.first);
    case 'LAST':
      return numberOrNull(stats.last);
    case 'MIN':
      return numberOrNull(stats.min);
    case 'MAX':
      return numberOrNull(stats.max);
    case 'AVG':
      return stats.avg;
    case 'DELTA':
      return bucket.previousLast ? deltaOf(stats.last, bucket.previousLast[metric] ?? null) : null;
  }
}

/**
 * Chains buckets (ascending) so each knows the LAST values of the one before it; the first
 * gets `earlier`, the LAST values of data before the first bucket (null when there is none).
 */
export function linkPreviousBuckets(
  buckets: SnapshotBucket[],
  earlier: Partial<Record<Metric, string | null>> | null,
): SnapshotBucket[] {
  let previous = earlier;
  return buckets.map((bucket) => {
    const linked = { ...bucket, previousLast: previous };
    previous = Object.fromEntries(
      Object.entries(bucket.metrics).map(([metric, stats]) => [metric, stats?.last ?? null]),
    );
    return linked;
  });
}
