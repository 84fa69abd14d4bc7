import DataLoader from 'dataloader';
import type { Database } from '../db/client.js';
import {
  type BucketTarget,
  type SnapshotBucketsQuery,
  type SnapshotBucketsResult,
  snapshotBuckets,
} from '../queries/snapshot-buckets.js';

export interface BucketRequest extends BucketTarget {
  query: SnapshotBucketsQuery;
}

/** Requests with the same key share one statement; only the campaign and zone differ. */
function queryKey({
  from,
  to,
  granularity,
  metrics,
  after,
  before,
  descending,
  limit,
  withTotalCount,
}: SnapshotBucketsQuery) {
  return JSON.stringify([
    from?.toISOString(),
    to?.toISOString(),
    granularity,
    metrics.map((m) => m.metric),
    after?.toISOString(),
    before?.toISOString(),
    descending,
    limit,
    withTotalCount,
  ]);
}

/**
 * Per request: the snapshots/series fields of every campaign on a page, asked with the same
 * arguments, become one statement (a LATERAL over the campaign list).
 */
export function createSnapshotBucketLoader(db: Database) {
  return new DataLoader<BucketRequest, SnapshotBucketsResult, string>(
    async (requests) => {
      const groups = new Map<string, BucketRequest[]>();
      for (const request of requests) {
        const key = queryKey(request.query);
        groups.set(key, [...(groups.get(key) ?? []), request]);
      }
      const results = new Map<BucketRequest, SnapshotBucketsResult>();
      await Promise.all(
        [...groups.values()].map(async (group) => {
          const [{ query }] = group as [BucketRequest];
          const answers = await snapshotBuckets(db, group, query);
          group.forEach((request, i) => {
            const answer = answers[i];
            if (answer) results.set(request, answer);
          });
        }),
      );
      return requests.map((request) => results.get(request) ?? new Error('bucket query returned no result'));
    },
    { cacheKeyFn: (request) => `${request.campaignId}|${request.timeZone}|${queryKey(request.query)}` },
  );
}
