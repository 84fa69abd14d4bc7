import type { CampaignRow } from '../db/schema/campaigns.js';
import { type SnapshotCadence, snapshotCadence } from '../metrics/cadence.js';

const HOUR_MS = 3_600_000;
export const CADENCE_INTERVAL_MS: Record<Exclude<SnapshotCadence, 'FINAL_ONLY'>, number> = {
  HOURLY: HOUR_MS,
  EVERY_6_HOURS: 6 * HOUR_MS,
  DAILY: 24 * HOUR_MS,
};

export interface SnapshotDue {
  campaign: CampaignRow;
  cadence: SnapshotCadence;
  lastSnapshotAt: Date | null;
  dueAt: Date;
}

/**
 * When a campaign's next snapshot is due (pure):
 * - HOURLY / EVERY_6_HOURS / DAILY: one interval after the last snapshot; without any
 *   snapshot, at the campaign's start (or creation when it has no start);
 * - FINAL_ONLY (COMPLETED, ARCHIVED): one final snapshot at or after the campaign's end
 *   (or its last update, when it has no end): due then unless the last snapshot is that
 *   late already; otherwise never (null).
 */
export function nextSnapshotDue(
  campaign: CampaignRow,
  lastSnapshotAt: Date | null,
  sessionsLastWeek: number | null,
): SnapshotDue | null {
  const cadence = snapshotCadence(campaign.status, sessionsLastWeek);
  if (cadence === 'FINAL_ONLY') {
    const end = campaign.endsAt ?? campaign.updatedAt;
    if (lastSnapshotAt && lastSnapshotAt.getTime() >= end.getTime()) return null;
    return { campaign, cadence, lastSnapshotAt, dueAt: end };
  }
  const dueAt = lastSnapshotAt
    ? new Date(lastSnapshotAt.getTime() + CADENCE_INTERVAL_MS[cadence])
    : (campaign.startsAt ?? campaign.createdAt);
  return { campaign, cadence, lastSnapshotAt, dueAt };
}
