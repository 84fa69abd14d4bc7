/**
 * The metrics a snapshot carries, in contract order. Everything that maps a `Metric` to a
 * column (tables, rollups, SQL, GraphQL) reads this list, so adding a metric is one line.
 *
 * kind:
 * - `count`: integer column
 * - `money`: numeric(12,2), exact decimal carried as a string
 * - `score`: numeric(10,2) or (12,2) that is not money
 * - `ratio`: utilization, numeric(14,4), computed by the database from current/target
 */
export type MetricKind = 'count' | 'money' | 'score' | 'ratio';

export interface MetricDefinition {
  /** GraphQL enum value */
  readonly metric: string;
  /** snake_case column of campaign_metrics_snapshots */
  readonly column: string;
  readonly kind: MetricKind;
  /** null allowed in a snapshot (impact and monetization metrics) */
  readonly nullable: boolean;
  /** computed by the database (generated column), never written by ingest */
  readonly derived: boolean;
}

const define = (
  metric: string,
  kind: MetricKind,
  { nullable = false, derived = false }: { nullable?: boolean; derived?: boolean } = {},
): MetricDefinition => ({ metric, column: metric.toLowerCase(), kind, nullable, derived });

export const METRICS = [
  define('VOLUNTEERS_TARGET', 'count'),
  define('VOLUNTEERS_CURRENT', 'count'),
  define('VOLUNTEERS_UTILIZATION', 'ratio', { derived: true }),
  define('BENEFICIARIES_TARGET', 'count'),
  define('BENEFICIARIES_CURRENT', 'count'),
  define('BENEFICIARIES_UTILIZATION', 'ratio', { derived: true }),
  define('SESSIONS_TARGET', 'count'),
  define('SESSIONS_CURRENT', 'count'),
  define('SESSIONS_UTILIZATION', 'ratio', { derived: true }),
  define('BUDGET_ALLOCATED', 'money'),
  define('BUDGET_SPENT', 'money'),
  define('BUDGET_REMAINING', 'money', { derived: true }),
  define('BUDGET_UTILIZATION', 'ratio', { derived: true }),
  define('SROI_SCORE', 'score', { nullable: true }),
  define('AVERAGE_VIS_SCORE', 'score', { nullable: true }),
  define('TOTAL_HOURS_LOGGED', 'score', { nullable: true }),
  define('TOTAL_SESSIONS_COMPLETED', 'count', { nullable: true }),
  define('SEATS_USED', 'count', { nullable: true }),
  define('SEATS_COMMITTED', 'count', { nullable: true }),
  define('CREDITS_CONSUMED', 'money', { nullable: true }),
  define('CREDITS_ALLOCATED', 'money', { nullable: true }),
  define('LEARNERS_SERVED', 'count', { nullable: true }),
  define('LEARNERS_COMMITTED', 'count', { nullable: true }),
] as const satisfies readonly MetricDefinition[];

export type Metric = (typeof METRICS)[number]['metric'];
export const METRIC_NAMES = METRICS.map((m) => m.metric) as Metric[];

const byName = new Map<string, MetricDefinition>(METRICS.map((m) => [m.metric, m]));

export function metricDefinition(metric: Metric): MetricDefinition {
  const definition = byName.get(metric);
  if (!definition) throw new Error(`unknown metric ${metric}`);
  return definition;
}

export const STATS = ['FIRST', 'LAST', 'MIN', 'MAX', 'AVG', 'DELTA'] as const;
export type Stat = (typeof STATS)[number];

export const GRANULARITIES = ['RAW', 'HOUR', 'DAY', 'WEEK', 'MONTH', 'QUARTER', 'YEAR'] as const;
export type Granularity = (typeof GRANULARITIES)[number];
/** Granularities that group snapshots into calendar buckets. */
export type BucketGranularity = Exclude<Granularity, 'RAW'>;

export const CAMPAIGN_STATUSES = [
  'DRAFT',
  'PLANNED',
  'RECRUITING',
  'ACTIVE',
  'PAUSED',
  'COMPLETED',
  'ARCHIVED',
] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

export const GAP_FILLS = ['NONE', 'NULL', 'PREVIOUS'] as const;
export type GapFillMode = (typeof GAP_FILLS)[number];
