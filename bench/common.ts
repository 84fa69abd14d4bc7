import { readFileSync } from 'node:fs';
import type { Sql } from 'postgres';

/**
 * What the bench questions share: their shape, the measured window, value helpers and the
 * SQL of capacity alerts (the alerts question and the dashboard's alerts widget).
 */

/** One campaign the requests rotate over, with its zone (PostGraphile truncates in the session zone). */
export interface RotatingCampaign {
  id: string;
  timeZone: string;
}

/** A page of `PAGE_SIZE` campaigns by id, as each side names it. */
export interface Page {
  /** The id before the page (null: the first page); the SQL side's keyset. */
  afterId: string | null;
  gatewayCursor: string | null;
  postgraphileCursor: string | null;
}

export const PAGE_SIZE = 50;

/** What requests rotate over, identical for every side. */
export interface Rotation {
  /** Campaigns that reported in the last 90 days, in a fixed shuffled order. */
  campaigns: readonly RotatingCampaign[];
  /** Every page of campaigns by id. */
  pages: readonly Page[];
}

/** One request of a question, as each side asks it. */
export interface Turn {
  /** Names the request in a check's message ("campaign <id>", "page 3"). */
  label: string;
  /** Variables of the gateway's document. */
  variables: Record<string, unknown>;
  /** The hand-written SQL answer (what the SQL harness times). */
  sql(db: Sql): Promise<unknown>;
  /** Variables (and headers) of PostGraphile's document, when the question has one. */
  postgraphile?: { variables: Record<string, unknown>; headers?: Record<string, string> };
}

/** PostGraphile's document for a question and how its answer becomes the canonical one. */
export interface PostgraphileSide {
  document: string;
  canonical(data: Record<string, unknown>): unknown;
  /** Set when PostGraphile cannot give the same answer: why (the check says "differs"); timed anyway. */
  differs?: string;
}

export interface Question {
  key: string;
  label: string;
  /** The GraphQL document sent to the gateway. */
  document: string;
  /** The requests, in rotation order (one when every request asks the same). */
  turns(rotation: Rotation): Turn[];
  /** Canonical answers; undefined: not compared (the HTTP floor). */
  fromSql?(raw: unknown): unknown;
  fromGateway?(data: Record<string, unknown>): unknown;
  /** PostGraphile's side, or why it cannot express the question. */
  postgraphile: PostgraphileSide | { unsupported: string };
}

/** Where the measured data ends, and the ranges asked of it. */
export interface BenchWindow {
  /** UTC midnight after the newest snapshot: every range ends here. */
  end: Date;
  from30: Date;
  from90: Date;
  /** The calendar year of the newest snapshot (year over year compares it with the one before). */
  year: number;
  /** 52 whole weeks (Monday to Monday, local) in WEEK_ZONE, the last one starting before `end`. */
  weeks: { zone: string; from: Date; to: Date };
}

/** The non-UTC zone of the week question (DST shifts two of its weeks). */
export const WEEK_ZONE = 'America/New_York';

const DAY_MS = 86_400_000;

export function benchWindow(newestSnapshot: Date): BenchWindow {
  const end = new Date((Math.floor(newestSnapshot.getTime() / DAY_MS) + 1) * DAY_MS);
  return {
    end,
    from30: new Date(end.getTime() - 30 * DAY_MS),
    from90: new Date(end.getTime() - 90 * DAY_MS),
    year: new Date(end.getTime() - 1).getUTCFullYear(),
    weeks: weeksBefore(end, WEEK_ZONE, 52),
  };
}

/** The local calendar date of an instant in a zone, as a UTC midnight. */
function localDate(instant: Date, zone: string): Date {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(instant);
  return new Date(`${parts}T00:00:00Z`);
}

/** The instant of local midnight of `date` (a UTC midnight naming the local date) in a zone. */
function zonedMidnight(date: Date, zone: string): Date {
  const offsetAt = (instant: number) => {
    const wall = new Intl.DateTimeFormat('en-CA', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
      .format(instant)
      .replace(', ', 'T');
    return new Date(`${wall}Z`).getTime() - instant;
  };
  // midnight is never inside a DST gap in the zones used here, so two steps settle the offset
  const guess = date.getTime() - offsetAt(date.getTime());
  return new Date(date.getTime() - offsetAt(guess));
}

function weeksBefore(end: Date, zone: string, count: number): BenchWindow['weeks'] {
  const today = localDate(end, zone);
  const mondayOffset = (today.getUTCDay() + 6) % 7;
  const lastMonday = new Date(today.getTime() - mondayOffset * DAY_MS);
  const firstMonday = new Date(lastMonday.getTime() - count * 7 * DAY_MS);
  return { zone, from: zonedMidnight(firstMonday, zone), to: zonedMidnight(lastMonday, zone) };
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
    SELECT c.id, c.name, s.snapshot_date, ${RESOURCE_COLUMNS}
    FROM campaigns c
    JOIN campaign_latest_snapshots s ON s.campaign_id = c.id
  ),
  alerts AS (
    SELECT l.id, l.name, l.snapshot_date, r.*
    FROM latest l
    CROSS JOIN LATERAL (VALUES
          ${unpivotedResources('l')}
    ) r(ordinal, resource, label, capacity_label, used, capacity, utilization)
    WHERE r.utilization >= $1::float8
  ),
  page AS (
    SELECT alerts.*, count(*) OVER () AS total_count
    FROM alerts
    ORDER BY utilization DESC, id ASC, ordinal ASC
    LIMIT ${limit}
  )
  -- messages for the page only, not for every alert
  SELECT id, name, snapshot_date, resource, utilization,
         CASE WHEN utilization >= 1 THEN 'CRITICAL' ELSE 'WARNING' END AS severity,
         format('%s at %s%% of %s (%s/%s)', label, floor(utilization * 100::float8 + 1e-9::float8)::bigint,
                capacity_label, coalesce(used, '?'), coalesce(capacity, '?')) AS message,
         total_count
  FROM page
  ORDER BY utilization DESC, id ASC, ordinal ASC`;
