import { sql } from 'drizzle-orm';
import { type Database, queryRows } from '../db/client.js';
import type { SnapshotBucket } from '../metrics/bucket-stats.js';
import { previousSnapshotLateral, rawSnapshotBucket, rawSnapshotColumns } from './snapshot-rows.js';

/**
 * The newest raw snapshot of each campaign (with the one before it, for DELTA), in one
 * statement: a LATERAL index probe per campaign on (campaign_id, snapshot_date).
 */
export async function latestSnapshotsByCampaign(
  db: Database,
  campaignIds: readonly string[],
): Promise<Map<string, SnapshotBucket>> {
  if (campaignIds.length === 0) return new Map();
  const rows = await queryRows(
    db,
    sql`
    SELECT ${rawSnapshotColumns('s', 'prev')}, c.time_zone
    FROM campaigns c
    CROSS JOIN LATERAL (
      SELECT * FROM campaign_metrics_snapshots x
      WHERE x.campaign_id = c.id
      ORDER BY x.snapshot_date DESC LIMIT 1
    ) s
    ${previousSnapshotLateral('s', 'prev')}
    WHERE c.id = ANY(${`{${campaignIds.join(',')}}`}::uuid[])`,
  );
  return new Map(rows.map((row) => [String(row.campaign_id), rawSnapshotBucket(row, String(row.time_zone))]));
}
