import { inArray, type SQL, sql } from 'drizzle-orm';
import { type Database, queryRows } from '../db/client.js';
import { type CampaignRow, campaigns } from '../db/schema/campaigns.js';
import { alertUtilizationColumn } from '../db/schema/snapshots.js';
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

/**
 * The same columns as one json object (keys as campaignColumns names them), for a statement
 * that returns its campaign on one row of many: every other row carries null, not eleven
 * more columns to parse.
 */
export function campaignObject(alias: string): SQL {
  return sql.raw(
    `json_build_object(${CAMPAIGN_COLUMNS.map((column) => `'campaign_${column}', ${alias}.${column}`).join(', ')})`,
  );
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
 * The latest snapshots whose utilization of `definition`'s resource is at or above the
 * threshold, as a WHERE clause on `l` (campaign_latest_snapshots): a range of the resource's
 * index, of visible campaigns only (open mode needs no campaigns join: every copy has its
 * campaign, by foreign key).
 */
function alertsOf(
  definition: ResourceDefinition,
  tenantIds: readonly string[] | null,
  threshold: number,
): SQL {
  const utilization = sql.identifier(alertUtilizationColumn(definition.resource));
  const visible =
    tenantIds === null
      ? sql``
      : sql`AND l.campaign_id IN (SELECT v.id FROM ${visibleCampaigns(tenantIds)} v)`;
  return sql`l.${utilization} >= ${threshold}::float8 ${visible}`;
}

/**
 * One resource's alerts after the keyset, in alert order, at most `limit`: the top of the
 * resource's index. NULLS LAST as the index has it: with DESC's default (NULLS FIRST) the
 * planner does not see the index's order and sorts every alert instead. Alert order is
 * (utilization descending, campaign id, resource ordinal) and the ordinal is constant here, so
 * an alert of this resource at the keyset's utilization comes after the keyset when its
 * campaign sorts after the keyset's, or is the keyset's campaign and this resource comes after
 * the keyset's.
 */
function resourcePage(
  definition: ResourceDefinition,
  { tenantIds, threshold, after, limit }: CapacityAlertsQuery,
): SQL {
  const utilization = sql.identifier(alertUtilizationColumn(definition.resource));
  const ordinal = ordinalOf(definition);
  const keyset = after
    ? sql`AND l.${utilization} <= ${after.utilization}::float8
          AND (l.${utilization} < ${after.utilization}::float8
               OR l.campaign_id ${sql.raw(ordinal > CAPACITY_RESOURCES.indexOf(after.resource) ? '>=' : '>')} ${after.campaignId}::uuid)`
    : sql``;
  return sql`(
      SELECT l.campaign_id, l.snapshot_date, ${sql.raw(String(ordinal))} AS ordinal, l.${utilization} AS utilization
      FROM campaign_latest_snapshots l
      WHERE ${alertsOf(definition, tenantIds, threshold)} ${keyset}
      ORDER BY l.${utilization} DESC NULLS LAST, l.campaign_id
      LIMIT ${limit}
    )`;
}

/**
 * A page of the alerts of every visible campaign's latest snapshot, with the number of all
 * of them, in one statement over campaign_latest_snapshots (the copy the snapshot table's
 * triggers keep, one row per campaign, with each resource's utilization generated beside it
 * and indexed; src/db/schema/snapshots.ts):
 * - the page: per resource the top `limit` alerts after the keyset from its index, merged in
 *   alert order (utilization descending, campaign id, resource ordinal) and cut to `limit`;
 * - the count: per resource a range of its index (an index-only scan), summed;
 * - only the page's rows joined back to their campaign and snapshot (primary key probes) for
 *   the campaign and the values the message quotes.
 * Its cost follows the alerts counted and asked for, not the number of campaigns.
 */
export async function capacityAlertsPage(
  db: Database,
  query: CapacityAlertsQuery,
): Promise<CapacityAlertsPage> {
  const { tenantIds, threshold, limit, withTotalCount } = query;
  const counts = RESOURCES.map(
    (definition) =>
      sql`(SELECT count(*) FROM campaign_latest_snapshots l WHERE ${alertsOf(definition, tenantIds, threshold)})`,
  );
  const counted = withTotalCount
    ? sql`(SELECT (${sql.join(counts, sql` + `)})::int AS total_count)`
    : sql`(SELECT NULL::int AS total_count)`;
  const rows = await queryRows(
    db,
    sql`
    WITH page AS (
      SELECT * FROM (${sql.join(
        RESOURCES.map((definition) => resourcePage(definition, query)),
        sql` UNION ALL `,
      )}) a
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
