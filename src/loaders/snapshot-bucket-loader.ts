import type { Database } from '../db/client.js';
import type { MetricDefinition } from '../metrics/catalog.js';
import {
  type BucketTarget,
  type SnapshotBucketsQuery,
  type SnapshotBucketsResult,
  snapshotBuckets,
} from '../queries/snapshot-buckets.js';
import { createGroupedLoader } from './grouped-loader.js';

export interface BucketRequest extends BucketTarget {
  query: SnapshotBucketsQuery;
}

/**
 * Requests that differ only in campaign, zone or metrics share one statement: a chart of
 * scores and a chart of capacity over the same days cost one bucket query, not two.
 */
function groupKey({
  from,
  to,
  granularity,
  after,
  before,
  descending,
  limit,
  withTotalCount,
  uniform,
}: SnapshotBucketsQuery) {
  return JSON.stringify([
    from?.toISOString(),
    to?.toISOString(),
    granularity,
    after?.toISOString(),
    before?.toISOString(),
    descending,
    limit,
    withTotalCount,
    uniform === true,
  ]);
}

const metricsKey = (metrics: readonly MetricDefinition[]) => metrics.map((m) => m.metric).join(',');

/** Per request: snapshots/series of every campaign on a page as one LATERAL statement per group. */
export function createSnapshotBucketLoader(db: Database) {
  return createGroupedLoader<BucketRequest, SnapshotBucketsResult>({
    groupOf: (request) => groupKey(request.query),
    cacheKeyOf: (request) =>
      `${request.campaignId}|${request.timeZone}|${groupKey(request.query)}|${metricsKey(request.query.metrics)}`,
    load: (requests) => {
      const [{ query }] = requests as [BucketRequest];
      const metrics = [...new Set(requests.flatMap((request) => request.query.metrics))];
      // an Error entry (an unreadable archived range) becomes that key's error: DataLoader rejects it alone
      return snapshotBuckets(db, requests, { ...query, metrics }) as Promise<
        readonly SnapshotBucketsResult[]
      >;
    },
  });
}
