import { type SQL, sql } from 'drizzle-orm';
import {
  doublePrecision,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';
import {
  type CapacityResource,
  type ResourceDefinition,
  resourceDefinition,
} from '../../metrics/capacity-alerts.js';
import { metricDefinition } from '../../metrics/catalog.js';
import { campaigns } from './campaigns.js';

/**
 * Utilization = current / target, 0 when the target is 0 (contract). Computed by the
 * database so no writer can store an inconsistent value. The seed stored decimal(5,4),
 * which overflows at 1000 %; numeric(18,4) holds every ratio of valid inputs (int/int and
 * numeric(12,2)/0.01), so ingest never has to reject a real over-capacity reading.
 */
const utilizationOf = (current: string, target: string): SQL =>
  sql`coalesce(round(${sql.identifier(current)}::numeric / nullif(${sql.identifier(target)}, 0), 4), 0)`;

const money = (name: string) => numeric(name, { precision: 12, scale: 2 });

/**
 * The columns of a snapshot row. `derived` says how the computed ones (utilizations,
 * budget_remaining) are declared: generated from their inputs in the snapshot table, plain
 * copies in campaign_latest_snapshots, whose trigger copies whole rows.
 */
function snapshotColumns(derived: 'generated' | 'copied') {
  const computed = <Column extends ReturnType<typeof numeric>>(column: Column, expression: () => SQL) =>
    derived === 'generated' ? column.notNull().generatedAlwaysAs(expression) : column.notNull();
  const utilization = (name: string, current: string, target: string) =>
    computed(numeric(name, { precision: 18, scale: 4 }), () => utilizationOf(current, target));
  return {
    id: uuid('id').notNull().defaultRandom(),
    campaignId: uuid('campaign_id')
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    snapshotDate: timestamp('snapshot_date', { withTimezone: true }).notNull(),

    volunteersTarget: integer('volunteers_target').notNull(),
    volunteersCurrent: integer('volunteers_current').notNull(),
    volunteersUtilization: utilization('volunteers_utilization', 'volunteers_current', 'volunteers_target'),
    beneficiariesTarget: integer('beneficiaries_target').notNull(),
    beneficiariesCurrent: integer('beneficiaries_current').notNull(),
    beneficiariesUtilization: utilization(
      'beneficiaries_utilization',
      'beneficiaries_current',
      'beneficiaries_target',
    ),
    sessionsTarget: integer('sessions_target').notNull(),
    sessionsCurrent: integer('sessions_current').notNull(),
    sessionsUtilization: utilization('sessions_utilization', 'sessions_current', 'sessions_target'),

    budgetAllocated: money('budget_allocated').notNull(),
    budgetSpent: money('budget_spent').notNull(),
    budgetRemaining: computed(money('budget_remaining'), (): SQL => sql`budget_allocated - budget_spent`),
    budgetUtilization: utilization('budget_utilization', 'budget_spent', 'budget_allocated'),

    sroiScore: numeric('sroi_score', { precision: 10, scale: 2 }),
    averageVisScore: numeric('average_vis_score', { precision: 10, scale: 2 }),
    totalHoursLogged: numeric('total_hours_logged', { precision: 12, scale: 2 }),
    totalSessionsCompleted: integer('total_sessions_completed'),

    seatsUsed: integer('seats_used'),
    seatsCommitted: integer('seats_committed'),
    creditsConsumed: money('credits_consumed'),
    creditsAllocated: money('credits_allocated'),
    learnersServed: integer('learners_served'),
    learnersCommitted: integer('learners_committed'),

    fullSnapshot: jsonb('full_snapshot').notNull().$type<Record<string, unknown>>(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  };
}

/**
 * Range-partitioned by month on snapshot_date (migration 20261127155839_partitioned_snapshots,
 * partitions kept by src/queries/snapshot-partitions.ts). drizzle cannot declare partitioning,
 * so the table here is the parent as queries see it. Every unique key of a partitioned table
 * must hold the partition key, and Citus wants the distribution column in it too: the primary
 * key is (campaign_id, snapshot_date), the key ingest upserts on. `id` stays a generated
 * surrogate column (nothing references it), no longer unique by constraint.
 */
export const campaignMetricsSnapshots = pgTable(
  'campaign_metrics_snapshots',
  snapshotColumns('generated'),
  // One raw snapshot per campaign and instant (ingest upserts on it); it is also the
  // time-series index every read uses: campaign equality plus a snapshot_date range.
  (t) => [primaryKey({ name: 'campaign_metrics_snapshots_pkey', columns: [t.campaignId, t.snapshotDate] })],
);

/** Scale that turns a value of this metric into an integer: 1 for counts, 100 for money. */
function integerScale(metric: ResourceDefinition['used']): number {
  const { kind } = metricDefinition(metric);
  if (kind === 'count') return 1;
  if (kind === 'money') return 100;
  throw new Error(`no integer scale for ${metric} (${kind})`);
}

/**
 * The utilization of a resource as capacity alerts compare it, generated from the same
 * definition `utilizationOf` (src/metrics/capacity-alerts.ts) reads: the stored column as
 * float8, or used / capacity as the quotient of the two values scaled to exact integers (null
 * when either is null or the capacity is 0), which is the double `utilizationOf` computes.
 */
function alertUtilizationSql({ used, capacity, utilization }: ResourceDefinition): SQL {
  const columnOf = (metric: ResourceDefinition['used']) => sql.identifier(metricDefinition(metric).column);
  if (utilization !== null) return sql`${columnOf(utilization)}::float8`;
  const scale = integerScale(used);
  if (integerScale(capacity) !== scale) throw new Error(`${used} and ${capacity} have different scales`);
  const scaled = (metric: ResourceDefinition['used']) =>
    scale === 1 ? columnOf(metric) : sql`(${columnOf(metric)} * ${sql.raw(String(scale))})`;
  return sql`${scaled(used)}::float8 / nullif(${scaled(capacity)}, 0)::float8`;
}

/** `<resource>_alert_utilization`: the column Query.capacityAlerts filters, orders and counts by. */
export const alertUtilizationColumn = (resource: CapacityResource) =>
  `${resource.toLowerCase()}_alert_utilization`;

const alertUtilization = (resource: CapacityResource) =>
  doublePrecision(alertUtilizationColumn(resource)).generatedAlwaysAs(() =>
    alertUtilizationSql(resourceDefinition(resource)),
  );

/**
 * Each campaign's newest raw snapshot, a copy of its row kept by triggers on the snapshot
 * table (migration 20261127204359_latest_snapshots): on every insert, update, delete and
 * truncate, in the writing statement's transaction. Reads of "the latest snapshot of many
 * campaigns" (capacity alerts over every campaign, latestSnapshot of a page) read this
 * compact table instead of probing every campaign's partitions, so they do not grow with
 * history. A campaign without raw snapshots has no row.
 *
 * Beside the copy, each resource's utilization as alerts compare it, generated by the
 * database, with an index per resource (utilization descending, then campaign: alert order
 * within a resource). Query.capacityAlerts takes its page from the top of each index and
 * counts alerts by index range, so its cost follows the alerts asked for and counted, not a
 * scan of every campaign's seven values.
 */
export const campaignLatestSnapshots = pgTable(
  'campaign_latest_snapshots',
  {
    ...snapshotColumns('copied'),
    volunteersAlertUtilization: alertUtilization('VOLUNTEERS'),
    beneficiariesAlertUtilization: alertUtilization('BENEFICIARIES'),
    sessionsAlertUtilization: alertUtilization('SESSIONS'),
    budgetAlertUtilization: alertUtilization('BUDGET'),
    seatsAlertUtilization: alertUtilization('SEATS'),
    creditsAlertUtilization: alertUtilization('CREDITS'),
    learnersAlertUtilization: alertUtilization('LEARNERS'),
  },
  (t) => [
    primaryKey({ name: 'campaign_latest_snapshots_pkey', columns: [t.campaignId] }),
    ...[
      t.volunteersAlertUtilization,
      t.beneficiariesAlertUtilization,
      t.sessionsAlertUtilization,
      t.budgetAlertUtilization,
      t.seatsAlertUtilization,
      t.creditsAlertUtilization,
      t.learnersAlertUtilization,
    ].map((column) =>
      index(`campaign_latest_snapshots_${column.name}_idx`)
        .on(column.desc(), t.campaignId)
        .where(sql`${column} IS NOT NULL`),
    ),
  ],
);

export type SnapshotRow = typeof campaignMetricsSnapshots.$inferSelect;
export type SnapshotInsert = typeof campaignMetricsSnapshots.$inferInsert;
