import type { Database } from '../db/client.js';
import { mergeSelections, selectionKey } from '../metrics/bucket-selection.js';
import { memoizedPerObject } from '../metrics/memo.js';
import {
  type CampaignBucketsTarget,
  type CampaignWithBuckets,
  visibleCampaignsWithBuckets,
} from '../queries/campaign-buckets.js';
import {
  type BucketTarget,
  type SnapshotBucketsQuery,
  type SnapshotBucketsResult,
  snapshotBuckets,
} from '../queries/snapshot-buckets.js';
import { createGroupedLoader } from './grouped-loader.js';

/**
 * Requests that differ only in campaign, zone or selection share one statement, which
 * computes the union of their selections: a chart of scores and a chart of capacity over
 * the same days cost one bucket query, not two.
 */
function computeGroupKey({
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

/** Once per query object: a request's key is asked when it loads and when it is primed. */
const groupKey = memoizedPerObject(computeGroupKey);

/**
 * Per request: keys of one bucket query group as one statement for all their targets,
 * computing the union of their selections. `targetKey` tells targets apart; `fetch` answers
 * the distinct targets of a group in their order.
 */
function createBucketQueryLoader<Target, Answer>(
  targetKey: (target: Target) => string,
  fetch: (targets: readonly Target[], query: SnapshotBucketsQuery) => Promise<readonly (Answer | Error)[]>,
) {
  return createGroupedLoader<Target & { query: SnapshotBucketsQuery }, Answer>({
    groupOf: (request) => groupKey(request.query),
    // the selection is part of the identity: a cached answer never lacks a value asked later
    cacheKeyOf: (request) =>
      `${targetKey(request)}|${groupKey(request.query)}|${selectionKey(request.query.selection)}`,
    load: async (requests) => {
      const [{ query }] = requests as [Target & { query: SnapshotBucketsQuery }];
      const selection = mergeSelections(requests.map((request) => request.query.selection));
      // the same target under several selections is one target of the union
      const targets = [...new Map(requests.map((request) => [targetKey(request), request])).values()];
      const answers = await fetch(targets, { ...query, selection });
      const byTarget = new Map(targets.map((target, i) => [targetKey(target), answers[i]]));
      // an Error entry (an unreadable archived range) becomes that key's error: DataLoader rejects it alone
      return requests.map((request) => {
        const key = targetKey(request);
        return byTarget.has(key) ? byTarget.get(key) : new Error('bucket query returned no result');
      }) as Answer[];
    },
  });
}

/** Per request: snapshots/series of every campaign on a page as one LATERAL statement per group. */
export function createSnapshotBucketLoader(db: Database) {
  return createBucketQueryLoader<BucketTarget, SnapshotBucketsResult>(
    ({ campaignId, timeZone }) => `${campaignId}|${timeZone}`,
    (targets, query) => snapshotBuckets(db, targets, query),
  );
}

/**
 * Per request: campaigns by id with their buckets (Query.campaign when its selection asks for
 * buckets), one statement per group. The database is read when a batch runs: read routing may
 * have moved the request to a replica.
 */
export function createCampaignBucketLoader(db: () => Database, tenantIds: readonly string[] | null) {
  return createBucketQueryLoader<CampaignBucketsTarget, CampaignWithBuckets | null>(
    ({ campaignId, timeZone }) => `${campaignId}|${timeZone ?? ''}`,
    (targets, query) => visibleCampaignsWithBuckets(db(), tenantIds, targets, query),
  );
}
