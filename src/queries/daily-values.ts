import { sql } from 'drizzle-orm';
import { type Database, queryRows } from '../db/client.js';
import { toDecimalText, toInstant } from '../db/values.js';
import type { MetricDefinition } from '../metrics/catalog.js';
import { targetList } from './target-list.js';

/** What is asked of every campaign in one batch. */
export interface DailyValuesQuery {
  metric: MetricDefinition;
  /** UTC days up to and including the latest snapshot's UTC day. */
  lookbackDays: number;
}

export interface DailyValue {
  /** UTC day as days since 1970-01-01. */
  day: number;
  /** The metric's value at the day's last snapshot (exact text); null when not recorded. */
  value: string | null;
}

export interface DailyValues {
  latestAt: Date;
  /** Ascending; only days that have snapshots. */
  days: DailyValue[];
}

/**
 * Per campaign, in one statement: the instant of its latest snapshot and the metric's LAST
 * value of each UTC day among the `lookbackDays` days ending with that snapshot's UTC day
 * (DISTINCT ON over an index range scan). Day arithmetic runs on UTC wall times, so the
 * session's TimeZone setting cannot shift it. Results in the order of `campaignIds`; null
 * for a campaign without snapshots.
 */
export async function dailyValues(
  db: Database,
  campaignIds: readonly string[],
  { metric, lookbackDays }: DailyValuesQuery,
): Promise<(DailyValues | null)[]> {
  if (campaignIds.length === 0) return [];
  if (!Number.isInteger(lookbackDays) || lookbackDays < 1)
    throw new RangeError(`lookbackDays ${lookbackDays}`);
  const column = sql.raw(`s.${metric.column}`);
  const rows = await queryRows(
    db,
    sql`
    SELECT k.target, latest.snapshot_date AS latest_at, d.day, d.value
    FROM ${targetList(
      campaignIds.map((campaignId) => ({ campaignId, timeZone: null })),
      'k',
    )}
    CROSS JOIN LATERAL (
      SELECT snapshot_date FROM campaign_metrics_snapshots
      WHERE campaign_id = k.campaign_id ORDER BY snapshot_date DESC LIMIT 1
    ) latest
    CROSS JOIN LATERAL (
      SELECT DISTINCT ON (1) floor(extract(epoch FROM s.snapshot_date) / 86400)::int AS day,
             ${column}::text AS value
      FROM campaign_metrics_snapshots s
      WHERE s.campaign_id = k.campaign_id
        AND s.snapshot_date >= (date_trunc('day', latest.snapshot_date AT TIME ZONE 'UTC')
                                - ${sql.raw(`interval '${lookbackDays - 1} days'`)}) AT TIME ZONE 'UTC'
      ORDER BY 1, s.snapshot_date DESC
    ) d
    ORDER BY k.target, d.day`,
  );
  const byTarget = new Map<number, DailyValues>();
  for (const row of rows) {
    const target = Number(row.target);
    let entry = byTarget.get(target);
    if (!entry) {
      entry = { latestAt: toInstant(row.latest_at), days: [] };
      byTarget.set(target, entry);
    }
    entry.days.push({ day: Number(row.day), value: toDecimalText(row.value) });
  }
  return campaignIds.map((_, i) => byTarget.get(i + 1) ?? null);
}
