import { sql } from 'drizzle-orm';
import { type Database, queryRows } from '../db/client.js';
import type { CampaignRow } from '../db/schema/campaigns.js';
import type { SnapshotBucket } from '../metrics/bucket-stats.js';
import type { CampaignStatus } from '../metrics/catalog.js';
import { campaignColumns, campaignFromRow, visibleCampaigns } from './capacity-alerts.js';
import {
  previousSnapshotLateral,
  type RawSnapshotParts,
  rawSnapshotBucket,
  rawSnapshotColumns,
} from './snapshot-rows.js';

export interface CampaignPageRequest {
  /** The caller's tenants (null: every tenant). */
  tenantIds: readonly string[] | null;
  /** Keyset: only campaigns whose id sorts after this one (null: from the first). */
  afterId: string | null;
  /** Only campaigns of these statuses (null or empty: any). */
  statuses: readonly CampaignStatus[] | null;
  limit: number;
  /** Also each campaign's latest snapshot with these parts, read in the same statement. */
  latest?: RawSnapshotParts;
}

export interface CampaignOfPage {
  campaign: CampaignRow;
  /** The latest snapshot when the request asked for it; null when the campaign has none. */
  latest: SnapshotBucket | null;
}

/**
 * A keyset page of the caller's campaigns by id, in one statement: an index scan of
 * campaigns bounded by the cursor and the limit, and, when asked, a primary-key probe per
 * campaign into campaign_latest_snapshots (the copy the snapshot table's triggers keep), so a
 * page with its latest numbers costs one round trip, as the hand-written SQL does.
 */
export async function campaignPage(db: Database, request: CampaignPageRequest): Promise<CampaignOfPage[]> {
  const { tenantIds, afterId, statuses, limit, latest } = request;
  const conditions = [
    ...(afterId === null ? [] : [sql`v.id > ${afterId}::uuid`]),
    ...(statuses?.length ? [sql`v.status = ANY(${`{${statuses.join(',')}}`}::campaign_status[])`] : []),
  ];
  const page = sql`(
      SELECT * FROM ${visibleCampaigns(tenantIds)} v
      ${conditions.length ? sql`WHERE ${sql.join(conditions, sql` AND `)}` : sql``}
      ORDER BY v.id LIMIT ${limit}
    ) c`;
  const rows = await queryRows(
    db,
    latest
      ? // The campaign's columns come last: its campaign_id wins over the snapshot's, which is
        // null for a campaign without snapshots.
        sql`SELECT ${rawSnapshotColumns('s', 'prev', latest)}, ${campaignColumns('c')}
            FROM ${page}
            LEFT JOIN campaign_latest_snapshots s ON s.campaign_id = c.id
            ${latest.previous ? previousSnapshotLateral('s', 'prev') : sql``}
            ORDER BY c.id`
      : sql`SELECT ${campaignColumns('c')} FROM ${page} ORDER BY c.id`,
  );
  return rows.map((row) => {
    const campaign = campaignFromRow(row);
    const hasLatest = latest !== undefined && row.snapshot_date !== null && row.snapshot_date !== undefined;
    return { campaign, latest: hasLatest ? rawSnapshotBucket(row, campaign.timeZone, latest) : null };
  });
}
