import { sql } from 'drizzle-orm';
import { type Database, queryRows } from '../db/client.js';
import type { CampaignRow } from '../db/schema/campaigns.js';
import { toInstant, toNumber } from '../db/values.js';
import { visibleCampaigns } from './capacity-alerts.js';
import { at } from './rollup-parts.js';

export interface CampaignSnapshotState {
  campaign: CampaignRow;
  /** latest raw snapshot at or before asOf */
  lastSnapshotAt: Date | null;
  /** TOTAL_SESSIONS_COMPLETED of that snapshot minus the one 7 days before it (contract), null without */
  sessionsLastWeek: number | null;
}

const instantOrNull = (value: unknown) => (value === null || value === undefined ? null : toInstant(value));

/**
 * Every campaign of these tenants (null = all) with its latest snapshot at or before `asOf`
 * and its sessions of the 7 days up to that snapshot, in one statement: three LATERAL probes
 * per campaign on the (campaign_id, snapshot_date) index, so 10,000 campaigns cost one
 * index-driven pass.
 */
export async function campaignSnapshotStates(
  db: Database,
  asOf: Date,
  tenantIds: readonly string[] | null,
): Promise<CampaignSnapshotState[]> {
  const rows = await queryRows(
    db,
    sql`
    SELECT c.*, latest.snapshot_date AS last_snapshot_at,
           latest.total_sessions_completed
             - coalesce(week_ago.total_sessions_completed, earliest.total_sessions_completed) AS sessions
    FROM ${visibleCampaigns(tenantIds)} c
    LEFT JOIN LATERAL (
      SELECT snapshot_date, total_sessions_completed FROM campaign_metrics_snapshots
      WHERE campaign_id = c.id AND snapshot_date <= ${at(asOf)} ORDER BY snapshot_date DESC LIMIT 1
    ) latest ON true
    LEFT JOIN LATERAL (
      SELECT total_sessions_completed FROM campaign_metrics_snapshots
      WHERE campaign_id = c.id AND snapshot_date <= latest.snapshot_date - interval '7 days'
      ORDER BY snapshot_date DESC LIMIT 1
    ) week_ago ON true
    LEFT JOIN LATERAL (
      SELECT total_sessions_completed FROM campaign_metrics_snapshots
      WHERE campaign_id = c.id AND latest.snapshot_date IS NOT NULL ORDER BY snapshot_date ASC LIMIT 1
    ) earliest ON true
    ORDER BY c.id`,
  );
  return rows.map((row) => ({
    campaign: {
      id: String(row.id),
      tenantId: String(row.tenant_id),
      name: String(row.name),
      status: row.status as CampaignRow['status'],
      startsAt: instantOrNull(row.starts_at),
      endsAt: instantOrNull(row.ends_at),
      timeZone: String(row.time_zone),
      highValue: row.high_value === true,
      legalHold: row.legal_hold === true,
      createdAt: toInstant(row.created_at),
      updatedAt: toInstant(row.updated_at),
    },
    lastSnapshotAt: instantOrNull(row.last_snapshot_at),
    sessionsLastWeek: toNumber(row.sessions),
  }));
}
