import type { Database } from '../db/client.js';
import type { SnapshotBucket } from '../metrics/bucket-stats.js';
import { type SnapshotKey, snapshotsByKey } from '../queries/record-snapshots.js';
import { campaignsWithLatest } from '../queries/recorded-campaigns.js';
import type { EventBus, RecordedSnapshot } from './event-bus.js';

/**
 * After a write committed: reads the recorded snapshots back as stored (utilizations and
 * remaining are computed by the database) with their campaigns, and publishes one event per
 * snapshot. Two statements whatever the batch size, skipped when nobody listens (reading back
 * 10,000 snapshots costs about as much as writing them). Returns the snapshots, in key order,
 * for the mutation's payload, or null when nothing was read.
 */
export async function publishRecordedSnapshots(
  db: Database,
  events: EventBus,
  keys: readonly SnapshotKey[],
): Promise<SnapshotBucket[] | null> {
  if (keys.length === 0 || !(await events.hasSubscribers())) return null;
  const [snapshots, campaigns] = await Promise.all([
    snapshotsByKey(db, keys),
    campaignsWithLatest(db, [...new Set(keys.map((key) => key.campaignId))]),
  ]);
  const recorded = snapshots.flatMap((snapshot): RecordedSnapshot[] => {
    const entry = campaigns.get(snapshot.campaignId);
    // Deleting a campaign deletes its snapshots (cascade), so this only guards the types.
    if (!entry) return [];
    return [
      { campaign: entry.campaign, snapshot, latest: entry.latestAt?.getTime() === snapshot.start.getTime() },
    ];
  });
  events.publish(recorded);
  return snapshots;
}
