import type { Database } from '../db/client.js';
import type { SnapshotBucket } from '../metrics/bucket-stats.js';
import { type SnapshotCadence, snapshotCadence } from '../metrics/cadence.js';
import { campaignActivityById } from '../queries/campaign-activity.js';
import { latestSnapshotsByCampaign } from '../queries/latest-snapshots.js';

/**
 * Batch functions for per-request DataLoaders: one statement for all campaigns a request
 * touches. Results come back in key order; a campaign without data yields null.
 */
export async function loadLatestSnapshots(
  db: Database,
  ids: readonly string[],
): Promise<(SnapshotBucket | null)[]> {
  const byCampaign = await latestSnapshotsByCampaign(db, ids);
  return ids.map((id) => byCampaign.get(id) ?? null);
}

export async function loadSnapshotCadences(db: Database, ids: readonly string[]): Promise<SnapshotCadence[]> {
  const activity = await campaignActivityById(db, ids);
  return ids.map((id) => {
    const campaign = activity.get(id);
    if (!campaign) throw new Error(`campaign ${id} vanished while loading its cadence`);
    return snapshotCadence(campaign.status, campaign.sessionsLastWeek);
  });
}
