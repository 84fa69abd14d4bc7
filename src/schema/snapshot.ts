import { bucketDetails, type SnapshotBucket, statValue } from '../metrics/bucket-stats.js';
import type { Metric } from '../metrics/catalog.js';
import { builder } from './builder.js';
import { GranularityEnum, MetricEnum, StatEnum } from './enums.js';

export const MetricsSnapshot = builder.objectRef<SnapshotBucket>('MetricsSnapshot');

/**
 * The grouped fields of MetricsSnapshot and the metric behind each of their fields (its
 * LAST value): the resolvers read them, and snapshotSelection reads them to ask a bucket
 * statement for exactly these metrics.
 */
export const GROUPED_FIELDS = {
  volunteers: {
    target: 'VOLUNTEERS_TARGET',
    current: 'VOLUNTEERS_CURRENT',
    utilization: 'VOLUNTEERS_UTILIZATION',
  },
  beneficiaries: {
    target: 'BENEFICIARIES_TARGET',
    current: 'BENEFICIARIES_CURRENT',
    utilization: 'BENEFICIARIES_UTILIZATION',
  },
  sessions: { target: 'SESSIONS_TARGET', current: 'SESSIONS_CURRENT', utilization: 'SESSIONS_UTILIZATION' },
  budget: {
    allocated: 'BUDGET_ALLOCATED',
    spent: 'BUDGET_SPENT',
    remaining: 'BUDGET_REMAINING',
    utilization: 'BUDGET_UTILIZATION',
  },
  impact: {
    sroiScore: 'SROI_SCORE',
    averageVisScore: 'AVERAGE_VIS_SCORE',
    totalHoursLogged: 'TOTAL_HOURS_LOGGED',
    totalSessionsCompleted: 'TOTAL_SESSIONS_COMPLETED',
  },
  monetization: {
    seatsUsed: 'SEATS_USED',
    seatsCommitted: 'SEATS_COMMITTED',
    creditsConsumed: 'CREDITS_CONSUMED',
    creditsAllocated: 'CREDITS_ALLOCATED',
    learnersServed: 'LEARNERS_SERVED',
    learnersCommitted: 'LEARNERS_COMMITTED',
  },
} as const satisfies Record<string, Record<string, Metric>>;

/** Fields that read the full_snapshot of the bucket's latest sample. */
export const DETAIL_FIELDS = [
  'engagement',
  'outcomeScores',
  'programInstances',
  'alerts',
  'details',
] as const;

/** LAST value (exact text) of a metric in the bucket: what every grouped field shows. */
function last(bucket: SnapshotBucket, metric: Metric): string | null {
  const value = bucket.metrics[metric]?.last;
  if (value === undefined) throw new Error(`bucket was loaded without LAST of ${metric}`);
  return value;
}
const intOrNull = (value: string | null) => (value === null ? null : Number(value));
const required = <T>(value: T | null, metric: Metric): T => {
  if (value === null) throw new Error(`${metric} is null in a stored snapshot`);
  return value;
};

type CapacityGroup = (typeof GROUPED_FIELDS)['volunteers' | 'beneficiaries' | 'sessions'];
interface CapacityValues {
  metrics: Record<keyof CapacityGroup, Metric>;
  bucket: SnapshotBucket;
}
const CapacityMetric = builder.objectRef<CapacityValues>('CapacityMetric').implement({
  fields: (t) => {
    const value = ({ bucket, metrics }: CapacityValues, field: keyof CapacityGroup) =>
      Number(required(last(bucket, metrics[field]), metrics[field]));
    return {
      target: t.int({ resolve: (c) => value(c, 'target') }),
      current: t.int({ resolve: (c) => value(c, 'current') }),
      utilization: t.float({ resolve: (c) => value(c, 'utilization') }),
    };
  },
});

const { budget, impact, monetization } = GROUPED_FIELDS;

const BudgetMetrics = builder.objectRef<SnapshotBucket>('BudgetMetrics').implement({
  fields: (t) => ({
    allocated: t.field({
      type: 'Decimal',
      resolve: (b) => required(last(b, budget.allocated), budget.allocated),
    }),
    spent: t.field({ type: 'Decimal', resolve: (b) => required(last(b, budget.spent), budget.spent) }),
    remaining: t.field({
      type: 'Decimal',
      resolve: (b) => required(last(b, budget.remaining), budget.remaining),
    }),
    utilization: t.float({
      resolve: (b) => Number(required(last(b, budget.utilization), budget.utilization)),
    }),
  }),
});

/** Resolvers of a nullable grouped field: the LAST value as a number, or as exact text. */
const lastNumber = (metric: Metric) => (b: SnapshotBucket) => intOrNull(last(b, metric));
const lastDecimal = (metric: Metric) => (b: SnapshotBucket) => last(b, metric);

const ImpactMetrics = builder.objectRef<SnapshotBucket>('ImpactMetrics').implement({
  fields: (t) => ({
    sroiScore: t.float({ nullable: true, resolve: lastNumber(impact.sroiScore) }),
    averageVisScore: t.float({ nullable: true, resolve: lastNumber(impact.averageVisScore) }),
    totalHoursLogged: t.float({ nullable: true, resolve: lastNumber(impact.totalHoursLogged) }),
    totalSessionsCompleted: t.int({ nullable: true, resolve: lastNumber(impact.totalSessionsCompleted) }),
  }),
});

const MonetizationMetrics = builder.objectRef<SnapshotBucket>('MonetizationMetrics').implement({
  fields: (t) => ({
    seatsUsed: t.int({ nullable: true, resolve: lastNumber(monetization.seatsUsed) }),
    seatsCommitted: t.int({ nullable: true, resolve: lastNumber(monetization.seatsCommitted) }),
    creditsConsumed: t.field({
      type: 'Decimal',
      nullable: true,
      resolve: lastDecimal(monetization.creditsConsumed),
    }),
    creditsAllocated: t.field({
      type: 'Decimal',
      nullable: true,
      resolve: lastDecimal(monetization.creditsAllocated),
    }),
    learnersServed: t.int({ nullable: true, resolve: lastNumber(monetization.learnersServed) }),
    learnersCommitted: t.int({ nullable: true, resolve: lastNumber(monetization.learnersCommitted) }),
  }),
});

/** The documented parts of full_snapshot (checked on ingest), typed. */
type NumberMap = Record<string, number>;
const numberMap = (value: unknown): NumberMap | null =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as NumberMap) : null;

const Engagement = builder.objectRef<NumberMap>('Engagement').implement({
  description: "full_snapshot.engagement: the volunteers' engagement at the snapshot.",
  fields: (t) => ({
    volunteerRetentionRate: t.float({ nullable: true, resolve: (e) => e.volunteerRetentionRate ?? null }),
    volunteerDropoutRate: t.float({ nullable: true, resolve: (e) => e.volunteerDropoutRate ?? null }),
    averageSessionsPerVolunteer: t.float({
      nullable: true,
      resolve: (e) => e.averageSessionsPerVolunteer ?? null,
    }),
  }),
});

const OutcomeScore = builder.objectRef<{ dimension: string; score: number }>('OutcomeScore').implement({
  description: 'One dimension of full_snapshot.outcomeScores (e.g. integration, language).',
  fields: (t) => ({ dimension: t.exposeString('dimension'), score: t.exposeFloat('score') }),
});

const ProgramInstances = builder.objectRef<NumberMap>('ProgramInstances').implement({
  fields: (t) => ({
    activeCount: t.int({ resolve: (p) => p.activeCount ?? 0 }),
    totalCount: t.int({ resolve: (p) => p.totalCount ?? 0 }),
  }),
});

interface StoredAlert {
  type: string;
  message: string;
  threshold: number;
}
const SnapshotAlert = builder.objectRef<StoredAlert>('SnapshotAlert').implement({
  description: 'An alert recorded with the snapshot (full_snapshot.alerts).',
  fields: (t) => ({
    type: t.exposeString('type'),
    message: t.exposeString('message'),
    threshold: t.exposeFloat('threshold'),
  }),
});

MetricsSnapshot.implement({
  description:
    'A stored snapshot (granularity RAW) or a bucket of them. In a bucket every grouped field holds the ' +
    "bucket's LAST value; value(metric, stat) gives any statistic.",
  fields: (t) => ({
    snapshotDate: t.field({ type: 'DateTime', resolve: (b) => b.start }),
    granularity: t.field({ type: GranularityEnum, resolve: (b) => b.granularity }),
    timeZone: t.field({ type: 'TimeZone', resolve: (b) => b.timeZone }),
    sampleCount: t.exposeInt('sampleCount'),
    volunteers: t.field({
      type: CapacityMetric,
      resolve: (bucket) => ({ bucket, metrics: GROUPED_FIELDS.volunteers }),
    }),
    beneficiaries: t.field({
      type: CapacityMetric,
      resolve: (bucket) => ({ bucket, metrics: GROUPED_FIELDS.beneficiaries }),
    }),
    sessions: t.field({
      type: CapacityMetric,
      resolve: (bucket) => ({ bucket, metrics: GROUPED_FIELDS.sessions }),
    }),
    budget: t.field({ type: BudgetMetrics, resolve: (b) => b }),
    impact: t.field({ type: ImpactMetrics, resolve: (b) => b }),
    monetization: t.field({ type: MonetizationMetrics, resolve: (b) => b }),
    value: t.float({
      nullable: true,
      args: {
        metric: t.arg({ type: MetricEnum, required: true }),
        stat: t.arg({ type: StatEnum, defaultValue: 'LAST' }),
      },
      resolve: (bucket, { metric, stat }) => statValue(bucket, metric, stat ?? 'LAST'),
    }),
    engagement: t.field({
      type: Engagement,
      nullable: true,
      resolve: (b) => numberMap(bucketDetails(b).engagement),
    }),
    outcomeScores: t.field({
      type: [OutcomeScore],
      // jsonb keeps its own key order; dimensions come sorted by name for a stable radar chart
      resolve: (b) =>
        Object.entries(numberMap(bucketDetails(b).outcomeScores) ?? {})
          .map(([dimension, score]) => ({ dimension, score }))
          .sort((x, y) => x.dimension.localeCompare(y.dimension)),
    }),
    programInstances: t.field({
      type: ProgramInstances,
      nullable: true,
      resolve: (b) => numberMap(bucketDetails(b).programInstances),
    }),
    alerts: t.field({
      type: [SnapshotAlert],
      resolve: (b) => {
        const { alerts } = bucketDetails(b);
        return Array.isArray(alerts) ? (alerts as StoredAlert[]) : [];
      },
    }),
    details: t.field({
      type: 'JSONObject',
      description: "The whole full_snapshot of the bucket's latest snapshot.",
      resolve: (b) => bucketDetails(b),
    }),
  }),
});
