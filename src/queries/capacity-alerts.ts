import { inArray, type SQL, sql } from 'drizzle-orm';
import { type Database, queryRows } from '../db/client.js';
import { type CampaignRow, campaigns } from '../db/schema/campaigns.js';
import { toDecimalText, toInstant, toNumber } from '../db/values.js';
import {
  CAPACITY_RESOURCES,
  type CapacityResource,
  RESOURCES,
  type ResourceDefinition,
  type ResourceReading,
} from '../metrics/capacity-alerts.js';
import { metricDefinition } from '../metrics/catalog.js';

/**
 * The campaigns of these tenants (null: every tenant, open mode): the one place a read across
 * campaigns filters them. Used as `FROM ${visibleCampaigns(tenantIds)} c`; PostgreSQL folds
 * the subquery into the outer query, so the filter reaches the campaigns index.
 */
export function visibleCampaigns(tenantIds: readonly string[] | null): SQL {
  if (tenantIds === null) return sql`campaigns`;
  if (tenantIds.length === 0) return sql`(SELECT * FROM campaigns WHERE false)`;
  const tenants = sql.join(
    tenantIds.map((tenant) => sql`${tenant}`),
    sql`, `,
  );
  return sql`(SELECT * FROM campaigns WHERE tenant_id IN (${tenants}))`;
}

/** The same rule as a drizzle condition on the campaigns table (undefined: every tenant). */
export function ofTenants(tenantIds: readonly string[] | null): SQL | undefined {
  return tenantIds === null ? undefined : inArray(campaigns.tenantId, [...tenantIds]);
}

const CAMPAIGN_COLUMNS = [
  'id',
  'tenant_id',
  'name',
  'status',
  'starts_at',
  'ends_at',
  'time_zone',
  'high_value',
  'legal_hold',
  'created_at',
  'updated_at',
] as const;

/** The columns of campaign `alias` as `campaign_<column>`, the shape `campaignFromRow` reads. */
export function campaignColumns(alias: string): SQL {
  return sql.raw(CAMPAIGN_COLUMNS.map((column) => `${alias}.${column} AS campaign_${column}`).join(', '));
}

const instantOrNull = (value: unknown) => (value === null || value === undefined ? null : toInstant(value));

/** A campaign read by `campaignColumns`, as the drizzle client returns it (Campaign's parent shape). */
export function campaignFromRow(row: Record<string, unknown>): CampaignRow {
  return {
    id: String(row.campaign_id),
    tenantId: String(row.campaign_tenant_id),
    name: String(row.campaign_name),
    status: String(row.campaign_status) as CampaignRow['status'],
    startsAt: instantOrNull(row.campaign_starts_at),
    endsAt: instantOrNull(row.campaign_ends_at),
    timeZone: String(row.campaign_time_zone),
    highValue: row.campaign_high_value === true,
    legalHold: row.campaign_legal_hold === true,
    createdAt: toInstant(row.campaign_created_at),
    updatedAt: toInstant(row.campaign_updated_at),
  };
}

/** Position in the alert order; the keyset compares (-utilization, campaign id, resource ordinal). */
export interface AlertKey {
  utilization: number;
  campaignId: string;
  resource: CapacityResource;
}

export interface CapacityAlertsQuery {
  /** Tenants whose campaigns alert; null = every tenant. */
  tenantIds: readonly string[] | null;
  threshold: number;
  /** Keyset: only alerts after this one in alert order. */
  after?: AlertKey;
  limit: number;
  withTotalCount: boolean;
}

export interface CapacityAlertRow {
  campaign: CampaignRow;
  snapshotDate: Date;
  reading: ResourceReading;
  /** As SQL computed it (what the page was ordered and filtered by). */
  utilization: number;
}

export interface CapacityAlertsPage {
  /** In alert order. */
  rows: CapacityAlertRow[];
  totalCount: number | null;
}

const column = (alias: string, name: string | null) => sql.raw(name === null ? 'NULL' : `${alias}.${name}`);
const columnOf = (metric: ResourceDefinition['used'] | null) =>
  metric === null ? null : metricDefinition(metric).column;

/** Scale that turns a value of this metric into an integer: 1 for counts, 100 for money. */
function integerScale(metric: ResourceDefinition['used']): string {
  const { kind } = metricDefinition(metric);
  if (kind === 'count') return '1';
  if (kind === 'money') return '100';
  throw new Error(`no integer scale for ${metric} (${kind})`);
}

/**
 * The utilization of a resource of snapshot `s` in SQL, generated from the same definition
 * `utilizationOf` reads: the stored column as float8, or used / capacity as the quotient of
 * the two values scaled to exact integers (null when either is null or the capacity is 0),
 * which is the double `utilizationOf` computes.
 */
function utilizationSql({ used, capacity, utilization }: ResourceDefinition): SQL {
  if (utilization !== null) return sql`${column('s', columnOf(utilization))}::float8`;
  const scale = integerScale(used);
  if (integerScale(capacity) !== scale) throw new Error(`${used} and ${capacity} have different scales`);
  const scaled = (metric: ResourceDefinition['used']) =>
    scale === '1'
      ? column('s', columnOf(metric))
      : sql`(${column('s', columnOf(metric))} * ${sql.raw(scale)})`;
  return sql`${scaled(used)}::float8 / nullif(${scaled(capacity)}, 0)::float8`;
}

const ordinalOf = (definition: ResourceDefinition) => CAPACITY_RESOURCES.indexOf(definition.resource);

/** The snapshot value (as text) that `part` names for the resource at `a.ordinal`. */
function readingSql(part: 'used' | 'capacity' | 'utilization'): SQL {
  const cases = RESOURCES.map(
    (definition) =>
      sql`WHEN ${sql.raw(String(ordinalOf(definition)))} THEN ${column('s', columnOf(definition[part]))}::text`,
  );
  return sql`CASE a.ordinal ${sql.join(cases, sql` `)} END`;
}

/**
 * A page of the alerts of every visible campaign's latest snapshot, with the number of all
 * of them, in one statement:
 * - per visible campaign its newest snapshot from campaign_latest_snapshots (the copy the
 *   snapshot table's triggers keep, one row per campaign: a join over a compact table
 *   instead of a probe into the partitions per campaign, so the cost does not grow with
 *   history);
 * - its seven utilizations unpivoted by two zipped unnest() in the select list (a ProjectSet:
 *   no join, so no per-row Memoize), narrow rows of (campaign, snapshot date, ordinal,
 *   utilization) filtered by the threshold;
 * - counted, and the page after the keyset taken in alert order (utilization descending,
 *   campaign id, resource ordinal) by a top-N sort;
 * - only the page's rows joined back to their campaign and snapshot (primary key and unique
 *   index probes) for the campaign and the values the message quotes.
 */
export async function capacityAlertsPage(
  db: Database,
  query: CapacityAlertsQuery,
): Promise<CapacityAlertsPage> {
  const { tenantIds, threshold, after, limit, withTotalCount } = query;
  const keyset = after
    ? sql`(-a.utilization, a.campaign_id, a.ordinal) > (${-after.utilization}::float8, ${after.campaignId}::uuid, ${CAPACITY_RESOURCES.indexOf(after.resource)}::int)`
    : sql`true`;
  const counted = withTotalCount
    ? sql`(SELECT count(*)::int AS total_count FROM alerts)`
    : sql`(SELECT NULL::int AS total_count)`;
  const ordinals = sql.raw(RESOURCES.map((definition) => String(ordinalOf(definition))).join(', '));
  const utilizations = sql.join(RESOURCES.map(utilizationSql), sql`, `);
  const rows = await queryRows(
    db,
    sql`
    WITH alerts AS (
      SELECT * FROM (
        SELECT c.id AS campaign_id, s.snapshot_date,
               unnest(ARRAY[${ordinals}]) AS ordinal,
               unnest(ARRAY[${utilizations}]) AS utilization
        FROM ${visibleCampaigns(tenantIds)} c
        JOIN campaign_latest_snapshots s ON s.campaign_id = c.id
      ) unpivoted
      WHERE utilization >= ${threshold}::float8
    ),
    page AS (
      SELECT a.* FROM alerts a
      WHERE ${keyset}
      ORDER BY a.utilization DESC, a.campaign_id ASC, a.ordinal ASC
      LIMIT ${limit}
    )
    SELECT counted.total_count, ${campaignColumns('c')}, a.snapshot_date, a.ordinal, a.utilization,
           ${readingSql('used')} AS used, ${readingSql('capacity')} AS capacity,
           ${readingSql('utilization')} AS stored_utilization
    FROM ${counted} counted
    LEFT JOIN page a ON true
    LEFT JOIN campaigns c ON c.id = a.campaign_id
    LEFT JOIN campaign_latest_snapshots s ON s.campaign_id = a.campaign_id
    ORDER BY a.utilization DESC, a.campaign_id ASC, a.ordinal ASC`,
  );
  return {
    rows: rows.filter((row) => row.ordinal !== null && row.ordinal !== undefined).map(toAlertRow),
    totalCount: rows.length ? toNumber(rows[0]?.total_count) : null,
  };
}

function toAlertRow(row: Record<string, unknown>): CapacityAlertRow {
  const resource = CAPACITY_RESOURCES[Number(row.ordinal)];
  if (!resource) throw new Error(`capacity alert row with unknown ordinal ${String(row.ordinal)}`);
  const utilization = toNumber(row.utilization);
  if (utilization === null) throw new Error('capacity alert row without utilization');
  return {
    campaign: campaignFromRow(row),
    snapshotDate: toInstant(row.snapshot_date),
    reading: {
      resource,
      used: toDecimalText(row.used),
      capacity: toDecimalText(row.capacity),
      storedUtilization: toDecimalText(row.stored_utilization),
    },
    utilization,
  };
}
