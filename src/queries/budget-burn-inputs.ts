import { sql } from 'drizzle-orm';
import { type Database, queryRows } from '../db/client.js';
import { toDecimalText, toInstant } from '../db/values.js';
import { BURN_LOOKBACK_MS, type BurnInputs } from '../metrics/burn-rate.js';
import { targetList } from './target-list.js';

const money = (value: unknown): string => {
  const text = toDecimalText(value);
  if (text === null) throw new Error('budget column is null in a stored snapshot');
  return text;
};

/**
 * Per campaign, in one statement: the budget of its latest snapshot and the spent amount of
 * the latest snapshot at or before 14 x 24 hours earlier, or of its first snapshot when
 * none is that old (three index probes on (campaign_id, snapshot_date) each). Results in
 * the order of `campaignIds`; null for a campaign without snapshots.
 */
export async function budgetBurnInputs(
  db: Database,
  campaignIds: readonly string[],
): Promise<(BurnInputs | null)[]> {
  if (campaignIds.length === 0) return [];
  const rows = await queryRows(
    db,
    sql`
    SELECT k.target, latest.snapshot_date AS now_at, latest.budget_allocated, latest.budget_spent,
           latest.budget_remaining,
           coalesce(lookback.snapshot_date, earliest.snapshot_date) AS base_at,
           coalesce(lookback.budget_spent, earliest.budget_spent) AS base_spent
    FROM ${targetList(
      campaignIds.map((campaignId) => ({ campaignId, timeZone: null })),
      'k',
    )}
    CROSS JOIN LATERAL (
      SELECT snapshot_date, budget_allocated, budget_spent, budget_remaining
      FROM campaign_metrics_snapshots
      WHERE campaign_id = k.campaign_id ORDER BY snapshot_date DESC LIMIT 1
    ) latest
    LEFT JOIN LATERAL (
      SELECT snapshot_date, budget_spent FROM campaign_metrics_snapshots
      WHERE campaign_id = k.campaign_id
        AND snapshot_date <= latest.snapshot_date - ${sql.raw(`interval '${BURN_LOOKBACK_MS / 1000} seconds'`)}
      ORDER BY snapshot_date DESC LIMIT 1
    ) lookback ON true
    CROSS JOIN LATERAL (
      SELECT snapshot_date, budget_spent FROM campaign_metrics_snapshots
      WHERE campaign_id = k.campaign_id ORDER BY snapshot_date ASC LIMIT 1
    ) earliest`,
  );
  const byTarget = new Map(rows.map((row) => [Number(row.target), row]));
  return campaignIds.map((_, i) => {
    const row = byTarget.get(i + 1);
    if (!row) return null;
    return {
      now: toInstant(row.now_at),
      allocated: money(row.budget_allocated),
      spent: money(row.budget_spent),
      remaining: money(row.budget_remaining),
      base: { at: toInstant(row.base_at), spent: money(row.base_spent) },
    };
  });
}
