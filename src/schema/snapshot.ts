import { type MetricStats, type SnapshotBucket, statValue } from '../metrics/bucket-stats.js';
import type { Metric } from '../metrics/catalog.js';
import { builder } from './builder.js';
import { GranularityEnum, MetricEnum, StatEnum } from './enums.js';

export const MetricsSnapshot = builder.objectRef<SnapshotBucket>('MetricsSnapshot');

/** LAST value of a metric in the bucket: what every grouped field shows. */
function last(bucket: SnapshotBucket, metric: Metric): string | null {
  const stats: MetricStats | undefined = bucket.metrics[metric];
  return stats ? stats.last : null;
}
const intOrNull = (value: string | null) => (value === null ? null : Number(value));
const required = <T>(value: T | null, metric: Metric): T => {
  if (value === null) throw new Error(`${metric} is null in a stored snapshot`);
  return value;
};

interface CapacityValues {
  target: Metric;
  current: Metric;
  utilization: Metric;
  bucket: SnapshotBucket;
}
const CapacityMetric = builder.objectRef<CapacityValues>('CapacityMetric').implement({
  fields: (t) => ({
    target: t.int({ resolve: (c) => Number(required(last(c.bucket, c.target), c.target)) }),
    current: t.int({ resolve: (c) => Number(required(last(c.bucket, c.current), c.current)) }),
    utilization: t.float({ resolve: (c) => Number(required(last(c.bucket, c.utilization), c.utilization)) }),
  }),
});

const BudgetMetrics = builder.objectRef<SnapshotBucket>('BudgetMetrics').implement({
  fields: (t) => ({
    allocated: t.field({
      type: 'Decimal',
      resolve: (b) => required(last(b, 'BUDGET_ALLOCATED'), 'BUDGET_ALLOCATED'),
    }),
    spent: t.field({ type: 'Decimal', resolve: (b) => required(last(b, 'BUDGET_SPENT'), 'BUDGET_SPENT') }),
    remaining: t.field({
      type: 'Decimal',
      resolve: (b) => required(last(b, 'BUDGET_REMAINING'), 'BUDGET_REMAINING'),
    }),
    utilization: t.float({
      resolve: (b) => Number(required(last(b, 'BUDGET_UTILIZATION'), 'BUDGET_UTILIZATION')),
    }),
  }),
});

const ImpactMetrics = builder.objectRef<SnapshotBucket>('ImpactMetrics').implement({
  fields: (t) => ({
    sroiScore: t.float({ nullable: true, resolve: (b) => intOrNull(last(b, 'SROI_SCORE')) }),
    averageVisScore: t.float({ nullable: true, resolve: (b) => intOrNull(last(b, 'AVERAGE_VIS_SCORE')) }),
    totalHoursLogged: t.float({ nullable: true, resolve: (b) => intOrNull(last(b, 'TOTAL_HOURS_LOGGED')) }),
    totalSessionsCompleted: t.int({
      nullable: true,
      resolve: (b) => intOrNull(last(b, 'TOTAL_SESSIONS_COMPLETED')),
    }),
  }),
});

const MonetizationMetrics = builder.objectRef<SnapshotBucket>('MonetizationMetrics').implement({
  fields: (t) => ({
    seatsUsed: t.int({ nullable: true, resolve: (b) => intOrNull(last(b, 'SEATS_USED')) }),
    seatsCommitted: t.int({ nullable: true, resolve: (b) => intOrNull(last(b, 'SEATS_COMMITTED')) }),
    creditsConsumed: t.field({
      type: 'Decimal',
      nullable: true,
      resolve: (b) => last(b, 'CREDITS_CONSUMED'),
    }),
    creditsAllocated: t.field({
      type: 'Decimal',
      nullable: true,
      resolve: (b) => last(b, 'CREDITS_ALLOCATED'),
    }),
    learnersServed: t.int({ nullable: true, resolve: (b) => intOrNull(last(b, 'LEARNERS_SERVED')) }),
    learnersCommitted: t.int({ nullable: true, resolve: (b) => intOrNull(last(b, 'LEARNERS_COMMITTED')) }),
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
      resolve: (bucket) => ({
        bucket,
        target: 'VOLUNTEERS_TARGET',
        current: 'VOLUNTEERS_CURRENT',
        utilization: 'VOLUNTEERS_UTILIZATION',
      }),
    }),
    beneficiaries: t.field({
      type: CapacityMetric,
      resolve: (bucket) => ({
        bucket,
        target: 'BENEFICIARIES_TARGET',
        current: 'BENEFICIARIES_CURRENT',
        utilization: 'BENEFICIARIES_UTILIZATION',
      }),
    }),
    sessions: t.field({
      type: CapacityMetric,
      resolve: (bucket) => ({
        bucket,
        target: 'SESSIONS_TARGET',
        current: 'SESSIONS_CURRENT',
        utilization: 'SESSIONS_UTILIZATION',
      }),
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
      resolve: (b) => numberMap(b.details.engagement),
    }),
    outcomeScores: t.field({
      type: [OutcomeScore],
      // jsonb keeps its own key order; dimensions come sorted by name for a stable radar chart
      resolve: (b) =>
        Object.entries(numberMap(b.details.outcomeScores) ?? {})
          .map(([dimension, score]) => ({ dimension, score }))
          .sort((x, y) => x.dimension.localeCompare(y.dimension)),
    }),
    programInstances: t.field({
      type: ProgramInstances,
      nullable: true,
      resolve: (b) => numberMap(b.details.programInstances),
    }),
    alerts: t.field({
      type: [SnapshotAlert],
      resolve: (b) => (Array.isArray(b.details.alerts) ? (b.details.alerts as StoredAlert[]) : []),
    }),
    details: t.field({
      type: 'JSONObject',
      description: "The whole full_snapshot of the bucket's latest snapshot.",
      resolve: (b) => b.details,
    }),
  }),
});
