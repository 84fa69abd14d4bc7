import { sql } from 'drizzle-orm';
import { type Database, queryRows } from '../db/client.js';
import type { SnapshotBucket } from '../metrics/bucket-stats.js';
import {
  previousSnapshotLateral,
  type RawSnapshotParts,
  rawSnapshotBucket,
  rawSnapshotColumns,
} from './snapshot-rows.js';

/**
 * The newest raw snapshot of each campaign in one statement: per campaign one backward
 * index probe on (campaign_id, snapshot_date) (LATERAL ... ORDER BY snapshot_date DESC
 * LIMIT 1). The snapshot before it (for DELTA, a second probe) and full_snapshot only
 * when `parts` asks for them.
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
    CROSS JOIN LATERAL (
      SELECT * FROM campaign_metrics_snapshots x
      WHERE x.campaign_id = c.id
      ORDER BY x.snapshot_date DESC LIMIT 1
    ) s
    ${parts.previous ? previousSnapshotLateral('s', 'prev') : sql``}
    WHERE c.id = ANY(${`{${campaignIds.join(',')}}`}::uuid[])`,
  );
  return new Map(
    rows.map((row) => [String(row.campaign_id), rawSnapshotBucket(row, String(row.time_zone), parts)]),
  );
}
