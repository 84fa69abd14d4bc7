import { sql } from 'drizzle-orm';
import { type Database, queryRows } from '../db/client.js';
import type { CampaignRow } from '../db/schema/campaigns.js';
import { campaignColumns, campaignFromRow, visibleCampaigns } from './capacity-alerts.js';

/**
 * The campaigns with these ids (lower-case UUIDs) that these tenants (null: any) can see, in
 * one primary-key statement whose text depends only on the number of tenants (and on whether
 * there is one id), so it is prepared once per connection. One id is compared as a scalar:
 * PostgreSQL never keeps a generic plan for `= ANY(array)`, which it prices for 10 ids, and
 * would plan the lookup at every execution (see targetList). A missing campaign and another
 * tenant's look alike: absent.
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
        WHERE ${ids.length === 1 ? sql`c.id = ${ids[0]}::uuid` : sql`c.id = ANY(${`{${ids.join(',')}}`}::uuid[])`}`,
  );
  return new Map(rows.map((row) => [String(row.campaign_id), campaignFromRow(row)]));
}
