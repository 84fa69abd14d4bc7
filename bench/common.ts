import { readFileSync } from 'node:fs';
import type { Sql } from 'postgres';

/**
 * What the bench questions share: their shape, the measured window, value helpers and the
 * SQL of capacity alerts (the alerts question and the dashboard's alerts widget).
 */

export interface Question {
  key: string;
  label: string;
  /** The target for the gateway's p95, in ms (null: no target, reference only). */
  targetP95Ms: number | null;
  /** Requests rotate over the campaign ids; false: every request asks the same. */
  perCampaign: boolean;
  /** The GraphQL document sent to the gateway. */
  document: string;
  variables(campaignId: string): Record<string, unknown>;
  /** The hand-written SQL answer (what the SQL harness times). */
  sql(db: Sql, campaignId: string): Promise<unknown>;
  /** Canonical answers; undefined: not compared (the HTTP floor). */
  fromSql?(raw: unknown): unknown;
  fromGateway?(data: Record<string, unknown>): unknown;
}

/** Where the measured data ends, and the ranges asked of it. */
export interface BenchWindow {
  /** UTC midnight after the newest snapshot: every range ends here. */
  end: Date;
  from30: Date;
  from90: Date;
  /** The calendar year of the newest snapshot (year over year compares it with the one before). */
  year: number;
}

const DAY_MS = 86_400_000;

export function benchWindow(newestSnapshot: Date): BenchWindow {
  const end = new Date((Math.floor(newestSnapshot.getTime() / DAY_MS) + 1) * DAY_MS);
  return {
    end,
    from30: new Date(end.getTime() - 30 * DAY_MS),
    from90: new Date(end.getTime() - 90 * DAY_MS),
    year: new Date(end.getTime() - 1).getUTCFullYear(),
  };
}

const documentsFolder = new URL('../documents/', import.meta.url);
export const readDocument = (name: string) => readFileSync(new URL(name, documentsFolder), 'utf8');

export const iso = (value: unknown): string | null =>
  value === null || value === undefined ? null : new Date(value as string | Date).toISOString();
export const num = (value: unknown): number | null =>
  value === null || value === undefined ? null : Number(value);
export const text = (value: unknown): string | null =>
  value === null || value === undefined ? null : String(value);

/** Resources in the contract's enum order: ordinal, name, message words, columns. */
const RESOURCES = [
  ['VOLUNTEERS', 'Volunteers', 'target', 'volunteers_current', 'volunteers_target', 'volunteers_utilization'],
  [
    'BENEFICIARIES',
    'Beneficiaries',
    'target',
    'beneficiaries_current',
    'beneficiaries_target',
    'beneficiaries_utilization',
  ],
  ['SESSIONS', 'Sessions', 'target', 'sessions_current', 'sessions_target', 'sessions_utilization'],
  ['BUDGET', 'Budget', 'allocated', 'budget_spent', 'budget_allocated', 'budget_utilization'],
  ['SEATS', 'Seats', 'committed', 'seats_used', 'seats_committed', null],
  ['CREDITS', 'Credits', 'allocated', 'credits_consumed', 'credits_allocated', null],
  ['LEARNERS', 'Learners', 'committed', 'learners_served', 'learners_committed', null],
] as const;

/**
 * `(VALUES ...)` rows (ordinal, resource, label, capacity label, used, capacity, utilization)
 * of snapshot alias `l`: the stored utilization, or used / capacity (money scaled to exact
 * cents first) for the three resources without one.
 */
export function unpivotedResources(alias: string): string {
  return RESOURCES.map(([resource, label, capacityLabel, used, capacity, stored], ordinal) => {
    const scale = used.startsWith('credits') ? ' * 100' : '';
    const utilization = stored
      ? `${alias}.${stored}::float8`
      : `(${alias}.${used}${scale})::float8 / nullif(${alias}.${capacity}${scale}, 0)::float8`;
    return `(${ordinal}, '${resource}', '${label}', '${capacityLabel}', ${alias}.${used}::text, ${alias}.${capacity}::text, ${utilization})`;
  }).join(',\n          ');
}

/** The snapshot columns the resources read. */
export const RESOURCE_COLUMNS = [
  ...new Set(
    RESOURCES.flatMap(([, , , used, capacity, stored]) => [used, capacity, stored]).filter(
      (column) => column !== null,
    ),
  ),
].join(', ');

export const ALERTS_SQL = (limit: number) => `
  WITH latest AS (
    SELECT c.id, c.name, s.*
    FROM campaigns c
    CROSS JOIN LATERAL (
      SELECT snapshot_date, ${RESOURCE_COLUMNS}
      FROM campaign_metrics_snapshots x
      WHERE x.campaign_id = c.id
      ORDER BY x.snapshot_date DESC
      LIMIT 1
    ) s
  ),
  alerts AS (
    SELECT l.id, l.name, l.snapshot_date, r.*
    FROM latest l
    CROSS JOIN LATERAL (VALUES
          ${unpivotedResources('l')}
    ) r(ordinal, resource, label, capacity_label, used, capacity, utilization)
    WHERE r.utilization >= $1::float8
  )
  SELECT id, name, snapshot_date, resource, utilization,
         CASE WHEN utilization >= 1 THEN 'CRITICAL' ELSE 'WARNING' END AS severity,
         format('%s at %s%% of %s (%s/%s)', label, floor(utilization * 100::float8 + 1e-9::float8)::bigint,
                capacity_label, coalesce(used, '?'), coalesce(capacity, '?')) AS message,
         count(*) OVER () AS total_count
  FROM alerts
  ORDER BY utilization DESC, id ASC, ordinal ASC
  LIMIT ${limit}`;
