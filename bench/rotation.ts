import type postgres from 'postgres';
import { graphql } from './check.js';
import { type BenchWindow, PAGE_SIZE, type Page, type RotatingCampaign, type Rotation } from './common.js';

/**
 * The campaigns that reported in the last 90 days (the ones dashboards chart) in a fixed
 * pseudo-random order, so consecutive requests read different campaigns.
 */
export async function rotatingCampaigns(sql: postgres.Sql, window: BenchWindow): Promise<RotatingCampaign[]> {
  const rows = await sql`
    SELECT c.id, c.time_zone FROM campaigns c
    WHERE EXISTS (
      SELECT 1 FROM campaign_metrics_snapshots s
      WHERE s.campaign_id = c.id AND s.snapshot_date >= ${window.from90.toISOString()}::timestamptz
    )
    ORDER BY md5(c.id::text)`;
  if (rows.length === 0) throw new Error('no campaign has snapshots in the last 90 days of the data');
  return rows.map((row) => ({ id: String(row.id), timeZone: String(row.time_zone) }));
}

/**
 * What requests rotate over: the rotating campaigns, and every page of campaigns by id, with
 * the cursor each server gave for it.
 */
export async function rotate(
  sql: postgres.Sql,
  window: BenchWindow,
  gatewayUrl: string,
  postgraphileUrl: string | null,
): Promise<Rotation> {
  const campaigns = await rotatingCampaigns(sql, window);
  const pageIds = await sql`SELECT id FROM campaigns ORDER BY id`;
  const pages: Page[] = [];
  let gatewayCursor: string | null = null;
  let postgraphileCursor: string | null = null;
  for (let start = 0; start < pageIds.length; start += PAGE_SIZE) {
    pages.push({
      afterId: start === 0 ? null : String(pageIds[start - 1]?.id),
      gatewayCursor,
      postgraphileCursor,
    });
    const gatewayPage = (await graphql(
      gatewayUrl,
      'query Page($first: Int!, $after: String) { campaigns(first: $first, after: $after) { pageInfo { endCursor } } }',
      { first: PAGE_SIZE, after: gatewayCursor },
    )) as { campaigns: { pageInfo: { endCursor: string | null } } };
    gatewayCursor = gatewayPage.campaigns.pageInfo.endCursor;
    if (postgraphileUrl) {
      const postgraphilePage = (await graphql(
        postgraphileUrl,
        'query Page($first: Int!, $after: Cursor) { allCampaigns(first: $first, after: $after, orderBy: PRIMARY_KEY_ASC) { pageInfo { endCursor } } }',
        { first: PAGE_SIZE, after: postgraphileCursor },
      )) as { allCampaigns: { pageInfo: { endCursor: string | null } } };
      postgraphileCursor = postgraphilePage.allCampaigns.pageInfo.endCursor;
    }
  }
  return { campaigns, pages };
}
