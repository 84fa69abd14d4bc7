import { sql } from 'drizzle-orm';
import { type Database, queryRows } from '../db/client.js';
import { toNumber } from '../db/values.js';
import type { CampaignStatus } from '../metrics/catalog.js';
import { campaignIdIn } from './target-list.js';

export interface CampaignActivity {
  status: CampaignStatus;
  sessionsLastWeek: number | null;
}

/**
 * Sessions completed in the 7 days up to each campaign's latest snapshot: the latest
 * TOTAL_SESSIONS_COMPLETED minus the one of the latest snapshot at or before latest - 7d
 * (or of the first snapshot when none is that old). Null without snapshots or counters.
 * With each campaign's status, which decides the cadence together with it.
 */
export async function campaignActivityById(
  db: Database,
  campaignIds: readonly string[],
): Promise<Map<string, CampaignActivity>> {
  const rows = await queryRows(
    db,
    sql`
    SELECT c.id AS campaign_id, c.status,
           latest.total_sessions_completed - coalesce(week_ago.total_sessions_completed, earliest.total_sessions_completed)
             AS sessions
    FROM campaigns c
    LEFT JOIN LATERAL (
      SELECT snapshot_date, total_sessions_completed FROM campaign_metrics_snapshots
      WHERE campaign_id = c.id ORDER BY snapshot_date DESC LIMIT 1
    ) latest ON true
    LEFT JOIN LATERAL (
      SELECT total_sessions_completed FROM campaign_metrics_snapshots
      WHERE campaign_id = c.id AND snapshot_date <= latest.snapshot_date - interval '168 hours'
      ORDER BY snapshot_date DESC LIMIT 1
    ) week_ago ON true
    LEFT JOIN LATERAL (
      SELECT total_sessions_completed FROM campaign_metrics_snapshots
      WHERE campaign_id = c.id ORDER BY snapshot_date ASC LIMIT 1
    ) earliest ON true
    WHERE ${campaignIdIn(campaignIds)}`,
  );
  return new Map(
    rows.map((row) => [
      String(row.campaign_id),
      { status: row.status as CampaignStatus, sessionsLastWeek: toNumber(row.sessions) },
    ]),
  );
}
