import { type SQL, sql } from 'drizzle-orm';
import { type Database, queryRows } from '../db/client.js';
import type { CampaignRow } from '../db/schema/campaigns.js';
import { toNumber } from '../db/values.js';
import type { MetricDefinition } from '../metrics/catalog.js';
import { campaignColumns, campaignFromRow, visibleCampaigns } from './capacity-alerts.js';

/** What compareCampaigns asks of every campaign of the cohort. */
export interface CohortValuesQuery {
  /** Tenants whose campaigns may be compared (null = every tenant); other ids come back as not found. */
  tenantIds: readonly string[] | null;
  /** Campaign UUIDs (lower case), in the order the rows should come back. */
  ids: readonly string[];
  metrics: readonly MetricDefinition[];
  /** Keys of full_snapshot.outcomeScores. */
  dimensions: readonly string[];
  /**
   * With `from`: the plain mean of the raw snapshots in [from, to). Without: the value of the
   * latest snapshot at or before `to` (the latest snapshot when `to` is absent).
   */
  from?: Date;
  to?: Date;
}

export interface CohortValues {
  id: string;
  /** Null when no visible campaign has this id. */
  campaign: CampaignRow | null;
  /** Aligned with `query.metrics`. */
  metrics: (number | null)[];
  /** Aligned with `query.dimensions`; null where the snapshots have no number for it. */
  dimensions: (number | null)[];
}

const at = (instant: Date) => sql`${instant.toISOString()}::timestamptz`;

/** A dimension of full_snapshot.outcomeScores as numeric; null when absent or not a number. */
function outcomeScore(dimension: string): SQL {
  return sql`CASE WHEN jsonb_typeof(s.full_snapshot->'outcomeScores'->${dimension}::text) = 'number'
    THEN (s.full_snapshot->'outcomeScores'->>${dimension}::text)::numeric END`;
}

/** The LATERAL that yields one row of values for campaign `c`. */
function valuesOfCampaign({ metrics, dimensions, from, to }: CohortValuesQuery): SQL {
  if (from) {
    const selected = [
      ...metrics.map(({ column }, i) => sql`avg(s.${sql.raw(column)})::float8 AS ${sql.raw(`m_${i}`)}`),
      ...dimensions.map(
        (dimension, i) => sql`avg(${outcomeScore(dimension)})::float8 AS ${sql.raw(`d_${i}`)}`,
      ),
    ];
    if (selected.length === 0) selected.push(sql`NULL AS nothing`);
    const range = [sql`s.campaign_id = c.id`, sql`s.snapshot_date >= ${at(from)}`];
    if (to) range.push(sql`s.snapshot_date < ${at(to)}`);
    return sql`SELECT ${sql.join(selected, sql`, `)}
      FROM campaign_metrics_snapshots s
      WHERE ${sql.join(range, sql` AND `)}`;
  }
  const selected = [
    ...metrics.map(({ column }, i) => sql`s.${sql.raw(column)}::text AS ${sql.raw(`m_${i}`)}`),
    ...dimensions.map((dimension, i) => sql`${outcomeScore(dimension)}::text AS ${sql.raw(`d_${i}`)}`),
  ];
  if (selected.length === 0) selected.push(sql`NULL AS nothing`);
  const bound = [sql`s.campaign_id = c.id`];
  if (to) bound.push(sql`s.snapshot_date <= ${at(to)}`);
  return sql`SELECT ${sql.join(selected, sql`, `)}
    FROM campaign_metrics_snapshots s
    WHERE ${sql.join(bound, sql` AND `)}
    ORDER BY s.snapshot_date DESC LIMIT 1`;
}

/**
 * Values of every metric and outcome dimension for every id, in one statement: the id list
 * (WITH ORDINALITY, so rows keep the order given) joined to the visible campaigns, and per
 * campaign a LATERAL over its snapshots on the (campaign_id, snapshot_date) index. AVG is
 * computed in numeric and only then converted, so equal means compare equal.
 */
export async function cohortValues(db: Database, query: CohortValuesQuery): Promise<CohortValues[]> {
  if (query.ids.length === 0) return [];
  const rows = await queryRows(
    db,
    sql`
    SELECT k.ord, k.id::text AS asked_id, (c.id IS NOT NULL) AS found, ${campaignColumns('c')}, v.*
    FROM unnest(${`{${query.ids.join(',')}}`}::uuid[]) WITH ORDINALITY AS k(id, ord)
    LEFT JOIN ${visibleCampaigns(query.tenantIds)} c ON c.id = k.id
    LEFT JOIN LATERAL (${valuesOfCampaign(query)}) v ON true
    ORDER BY k.ord`,
  );
  return rows.map((row) => ({
    id: String(row.asked_id),
    campaign: row.found === true ? campaignFromRow(row) : null,
    metrics: query.metrics.map((_, i) => toNumber(row[`m_${i}`])),
    dimensions: query.dimensions.map((_, i) => toNumber(row[`d_${i}`])),
  }));
}
