import { sql } from 'drizzle-orm';
import { type Database, queryRows } from '../db/client.js';
import type { SnapshotBucket } from '../metrics/bucket-stats.js';
import {
  previousSnapshotLateral,
  type RawSnapshotParts,
  rawSnapshotBucket,
  rawSnapshotColumns,
} from './snapshot-rows.js';
import { campaignIdIn } from './target-list.js';

/**
 * The newest raw snapshot of each campaign in one statement: a primary-key probe per
 * campaign into campaign_latest_snapshots (the copy the snapshot table's triggers keep),
 * not a probe into each month partition. The snapshot before it (for DELTA, a backward
 * index probe into the snapshot table) and full_snapshot only when `parts` asks for them.
 */
export async function latestSnapshotsByCampaign(
  db: Database,
  campaignIds: readonly string[],
  parts: RawSnapshotParts,
): Promise<Map<string, SnapshotBucket>> {
  if (campaignIds.length === 0) return new Map();
  const rows = await queryRows(
    db,
    sql`
    SELECT ${rawSnapshotColumns('s', 'prev', parts)}, c.time_zone
    FROM campaigns c
    JOIN campaign_latest_snapshots s ON s.campaign_id = c.id
    ${parts.previous ? previousSnapshotLateral('s', 'prev') : sql``}
    WHERE ${campaignIdIn(campaignIds)}`,
  );
  return new Map(
    rows.map((row) => [String(row.campaign_id), rawSnapshotBucket(row, String(row.time_zone), parts)]),
  );
}
