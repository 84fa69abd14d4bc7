import { sql } from 'drizzle-orm';
import { type Database, queryRows } from '../db/client.js';
import type { CampaignRow } from '../db/schema/campaigns.js';
import { toInstant } from '../db/values.js';
import { campaignColumns, campaignFromRow, visibleCampaigns } from './capacity-alerts.js';
import { campaignIdIn } from './target-list.js';

export interface CampaignWithLatest {
  campaign: CampaignRow;
  /** Instant of the campaign's newest snapshot (null without any). */
  latestAt: Date | null;
}

/**
 * Campaigns by id with the instant of their newest snapshot, in one statement (a backward
 * index-only probe per campaign on (campaign_id, snapshot_date)): what live-update events
 * carry beside the snapshots a write recorded.
 */
export async function campaignsWithLatest(
  db: Database,
  ids: readonly string[],
): Promise<Map<string, CampaignWithLatest>> {
  if (ids.length === 0) return new Map();
  const rows = await queryRows(
    db,
    sql`
    SELECT ${campaignColumns('c')},
           (SELECT max(s.snapshot_date) FROM campaign_metrics_snapshots s WHERE s.campaign_id = c.id) AS latest_at
    FROM campaigns c
    WHERE ${campaignIdIn(ids)}`,
  );
  return new Map(
    rows.map((row) => [
      String(row.campaign_id),
      { campaign: campaignFromRow(row), latestAt: row.latest_at == null ? null : toInstant(row.latest_at) },
    ]),
  );
}

/** The campaign's id if one of these tenants (null: any) has it, else null: a missing one and another tenant's look alike. */
export async function visibleCampaignId(
  db: Database,
  tenantIds: readonly string[] | null,
  id: string,
): Promise<string | null> {
  const [row] = await queryRows<{ id: string }>(
    db,
    sql`SELECT c.id::text AS id FROM ${visibleCampaigns(tenantIds)} c WHERE c.id = ${id}::uuid`,
  );
  return row?.id ?? null;
}
