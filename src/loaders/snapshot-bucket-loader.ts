import type { Database } from '../db/client.js';
import { mergeSelections, selectionKey } from '../metrics/bucket-selection.js';
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
 * Requests that differ only in campaign, zone or selection share one statement, which
 * computes the union of their selections: a chart of scores and a chart of capacity over
 * the same days cost one bucket query, not two.
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

const targetKey = ({ campaignId, timeZone }: BucketTarget) => `${campaignId}|${timeZone}`;

/** Per request: snapshots/series of every campaign on a page as one LATERAL statement per group. */
export function createSnapshotBucketLoader(db: Database) {
  return createGroupedLoader<BucketRequest, SnapshotBucketsResult>({
    groupOf: (request) => groupKey(request.query),
    // the selection is part of the identity: a cached answer never lacks a value asked later
    cacheKeyOf: (request) =>
      `${targetKey(request)}|${groupKey(request.query)}|${selectionKey(request.query.selection)}`,
    load: async (requests) => {
      const [{ query }] = requests as [BucketRequest];
      const selection = mergeSelections(requests.map((request) => request.query.selection));
      // the same campaign and zone under several selections is one target of the union
      const targets = [...new Map(requests.map((request) => [targetKey(request), request])).values()];
      const results = await snapshotBuckets(db, targets, { ...query, selection });
      const byTarget = new Map(targets.map((target, i) => [targetKey(target), results[i]]));
      // an Error entry (an unreadable archived range) becomes that key's error: DataLoader rejects it alone
      return requests.map(
        (request) => byTarget.get(targetKey(request)) ?? new Error('bucket query returned no result'),
      ) as SnapshotBucketsResult[];
    },
  });
}
