import DataLoader from 'dataloader';
import type { Database } from '../db/client.js';
import type { SnapshotBucket } from '../metrics/bucket-stats.js';
import { type SnapshotCadence, snapshotCadence } from '../metrics/cadence.js';
import { METRICS, type MetricDefinition } from '../metrics/catalog.js';
import { campaignActivityById } from '../queries/campaign-activity.js';
import { latestSnapshotsByCampaign } from '../queries/latest-snapshots.js';
import type { RawSnapshotParts } from '../queries/snapshot-rows.js';

/** The latest snapshot of a campaign, with the parts a field reads beside the metric values. */
export interface LatestSnapshotRequest extends RawSnapshotParts {
  campaignId: string;
}

/**
 * Batch functions for per-request DataLoaders: one statement for all campaigns a request
 * touches. Results come back in key order; a campaign without data yields null.
 */
export function createLatestSnapshotLoader(db: Database) {
  return new DataLoader<LatestSnapshotRequest, SnapshotBucket | null, string>(
    async (requests) => {
      // one statement for every field of the tick: the union of the parts they read
      const parts = {
        previous: requests.some((request) => request.previous),
        details: requests.some((request) => request.details),
        metrics: unionOfMetrics(requests),
      };
      const ids = [...new Set(requests.map((request) => request.campaignId))];
      const byCampaign = await latestSnapshotsByCampaign(db, ids, parts);
      return requests.map((request) => byCampaign.get(request.campaignId) ?? null);
    },
    // the parts are part of the identity: a cached snapshot never lacks a part asked later
    {
      cacheKeyFn: ({ campaignId, previous, details, metrics }) =>
        `${campaignId}|${previous}|${details}|${metrics?.map(({ metric }) => metric).join(',') ?? '*'}`,
    },
  );
}

/** The metrics any request reads, in catalog order; every metric when one of them reads all. */
function unionOfMetrics(requests: readonly RawSnapshotParts[]): MetricDefinition[] | undefined {
  const asked = new Set<MetricDefinition>();
  for (const { metrics } of requests) {
    if (!metrics) return undefined;
    for (const definition of metrics) asked.add(definition);
  }
  return METRICS.filter((definition) => asked.has(definition));
}

export async function loadSnapshotCadences(db: Database, ids: readonly string[]): Promise<SnapshotCadence[]> {
  const activity = await campaignActivityById(db, ids);
  return ids.map((id) => {
    const campaign = activity.get(id);
    if (!campaign) throw new Error(`campaign ${id} vanished while loading its cadence`);
    return snapshotCadence(campaign.status, campaign.sessionsLastWeek);
  });
}
