import type { CampaignStatus } from './catalog.js';

export const SNAPSHOT_CADENCES = ['HOURLY', 'EVERY_6_HOURS', 'DAILY', 'FINAL_ONLY'] as const;
export type SnapshotCadence = (typeof SNAPSHOT_CADENCES)[number];

/**
 * The origin document's frequency rules (contract: Campaign.snapshotCadence).
 * `sessionsLast7Days` is null when the campaign has no snapshot (or no session counter) yet.
 */
export function snapshotCadence(status: CampaignStatus, sessionsLast7Days: number | null): SnapshotCadence {
  switch (status) {
    case 'COMPLETED':
    case 'ARCHIVED':
      return 'FINAL_ONLY';
    case 'ACTIVE':
      if (sessionsLast7Days === null || sessionsLast7Days < 25) return 'DAILY';
      return sessionsLast7Days > 100 ? 'HOURLY' : 'EVERY_6_HOURS';
    default:
      return 'DAILY';
  }
}
