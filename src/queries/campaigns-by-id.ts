import { sql } from 'drizzle-orm';
import { type Database, queryRows } from '../db/client.js';
import type { CampaignRow } from '../db/schema/campaigns.js';
import { campaignColumns, campaignFromRow, visibleCampaigns } from './capacity-alerts.js';
import { campaignIdIn } from './target-list.js';

/**
 * The campaigns with these ids (lower-case UUIDs) that these tenants (null: any) can see, in
 * one primary-key statement whose text depends only on the number of tenants (and on whether
 * there is one id: campaignIdIn), so it is prepared once per connection. A missing campaign
 * and another tenant's look alike: absent.
 */
export async function visibleCampaignsById(
  db: Database,
  tenantIds: readonly string[] | null,
  ids: readonly string[],
): Promise<Map<string, CampaignRow>> {
  if (ids.length === 0) return new Map();
  const rows = await queryRows(
    db,
    sql`SELECT ${campaignColumns('c')} FROM ${visibleCampaigns(tenantIds)} c
        WHERE ${campaignIdIn(ids)}`,
  );
  return new Map(rows.map((row) => [String(row.campaign_id), campaignFromRow(row)]));
}
