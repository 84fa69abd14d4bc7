import type { Granularity, Metric, Stat } from './catalog.js';
import { decimalToNumber, deltaOf } from './decimal.js';

/**
 * Statistics of one metric over the raw snapshots of a bucket; decimals stay exact text.
 * A statistic is absent when the request did not ask for it (the statement skipped it).
 */
export interface MetricStats {
  first?: string | null;
  last?: string | null;
  min?: string | null;
  max?: string | null;
  avg?: number | null;
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
   * data exists at all; absent when no DELTA was asked (not looked up).
   */
  previousLast?: Partial<Record<Metric, string | null>> | null;
  /** full_snapshot of the bucket's latest raw snapshot; absent when not asked. */
  details?: Record<string, unknown>;
}

/** A value the statement computed; a missing one is a selection that missed a field: fail loudly. */
function loaded<T>(value: T | undefined, metric: Metric, stat: Stat): T {
  if (value === undefined) throw new Error(`bucket was loaded without ${stat} of ${metric}`);
  return value;
}

const numberOrNull = (value: string | null) => (value === null ? null : decimalToNumber(value));

/** value(metric, stat) as the contract defines it. */
export function statValue(bucket: SnapshotBucket, metric: Metric, stat: Stat): number | null {
  const stats = loaded(bucket.metrics[metric], metric, stat);
  switch (stat) {
    case 'FIRST':
      return numberOrNull(loaded(stats.first, metric, stat));
    case 'LAST':
      return numberOrNull(loaded(stats.last, metric, stat));
    case 'MIN':
      return numberOrNull(loaded(stats.min, metric, stat));
    case 'MAX':
      return numberOrNull(loaded(stats.max, metric, stat));
    case 'AVG':
      return loaded(stats.avg, metric, stat);
    case 'DELTA': {
      const previous = loaded(bucket.previousLast, metric, stat);
      return previous ? deltaOf(loaded(stats.last, metric, stat), previous[metric] ?? null) : null;
    }
  }
}

/** full_snapshot of the bucket (its latest sample), when the statement read it. */
export function bucketDetails(bucket: SnapshotBucket): Record<string, unknown> {
  if (bucket.details === undefined) throw new Error('bucket was loaded without its details');
  return bucket.details;
}

/**
 * Chains buckets (ascending) so each knows the LAST values of the one before it; the first
 * gets `earlier`, the LAST values of data before the first bucket (null when there is none,
 * undefined when it was not looked up: then no bucket answers DELTA).
 */
export function linkPreviousBuckets(
  buckets: SnapshotBucket[],
  earlier: Partial<Record<Metric, string | null>> | null | undefined,
): SnapshotBucket[] {
  if (earlier === undefined) return buckets;
  let previous = earlier;
  return buckets.map((bucket) => {
    const linked = { ...bucket, previousLast: previous };
    previous = Object.fromEntries(
      Object.entries(bucket.metrics).map(([metric, stats]) => [metric, stats?.last ?? null]),
    );
    return linked;
  });
}
