import { sql } from 'drizzle-orm';
import { type Database, queryRows } from '../db/client.js';
import type { CampaignRow } from '../db/schema/campaigns.js';
import type { BucketTarget, TargetSource } from './bucket-query.js';
import { campaignFromRow, campaignObject, visibleCampaigns } from './capacity-alerts.js';
import { rawBucketStatement } from './raw-bucket-statement.js';
import {
  type ArchiveOptions,
  bucketsFromRawRows,
  type Row,
  rowsByTarget,
  type SnapshotBucketsQuery,
  type SnapshotBucketsResult,
} from './snapshot-buckets.js';
import { targetList } from './target-list.js';

/** A campaign by id and the zone of its buckets: one the caller names, or null for the campaign's own. */
export interface CampaignBucketsTarget {
  campaignId: string;
  timeZone: string | null;
}

export interface CampaignWithBuckets {
  campaign: CampaignRow;
  /** The campaign and the zone its buckets were computed in. */
  target: BucketTarget;
  buckets: SnapshotBucketsResult | Error;
}

/**
 * The visible campaigns among the targets as bucket targets, with the zone named, else the
 * campaign's own. Each target's first row carries the campaign (`campaign`, a json object of
 * campaignColumns' keys). A target that is missing or of another tenant has no row.
 */
function visibleCampaignTargets(
  tenantIds: readonly string[] | null,
  targets: readonly CampaignBucketsTarget[],
): TargetSource {
  return {
    from: sql`(
      SELECT t.target, c.id AS campaign_id, coalesce(t.time_zone, c.time_zone) AS time_zone,
             ${campaignObject('c')} AS campaign
      FROM ${targetList(targets, 't')}
      JOIN ${visibleCampaigns(tenantIds)} c ON c.id = t.campaign_id
    ) k`,
    columns: sql`k.target, k.time_zone,
      CASE WHEN row_number() OVER (PARTITION BY k.target ORDER BY r.bucket_start) = 1 THEN k.campaign END AS campaign`,
  };
}

/**
 * Campaigns by id with their buckets, in one statement when no stored part changes the
 * answer: Query.campaign sends it when its selection asks for buckets, instead of reading the
 * campaign first to learn the zone its buckets follow. Null for a campaign the tenants cannot see.
 */
export async function visibleCampaignsWithBuckets(
  db: Database,
  tenantIds: readonly string[] | null,
  targets: readonly CampaignBucketsTarget[],
  query: SnapshotBucketsQuery,
  options: ArchiveOptions = {},
): Promise<(CampaignWithBuckets | null)[]> {
  const rows = await queryRows(db, rawBucketStatement(visibleCampaignTargets(tenantIds, targets), query));
  // the targets with a row: visible campaigns, in target order
  const found = rowsByTarget(rows, targets.length).flatMap((targetRows, index) => {
    const first = targetRows[0];
    if (!first) return [];
    const campaign = campaignFromRow(
      (typeof first.campaign === 'string' ? JSON.parse(first.campaign) : first.campaign) as Row,
    );
    const target = { campaignId: campaign.id, timeZone: String(first.time_zone) };
    return [{ index, campaign, target, rows: targetRows }];
  });
  const answers = await bucketsFromRawRows(
    db,
    found.map(({ target }) => target),
    found.map((visible) => visible.rows),
    query,
    options,
  );
  const results: (CampaignWithBuckets | null)[] = targets.map(() => null);
  found.forEach(({ index, campaign, target }, i) => {
    results[index] = {
      campaign,
      target,
      buckets: answers[i] ?? new Error('bucket query returned no result'),
    };
  });
  return results;
}
