import { METRICS, type Metric, type MetricDefinition, STATS, type Stat } from './catalog.js';
import { memoized, memoizedPerObject } from './memo.js';

/** One metric of a selection and the statistics asked of it (in STATS order). */
export interface MetricSelection {
  readonly definition: MetricDefinition;
  readonly stats: readonly Stat[];
}

/**
 * What a request reads of its buckets: per metric the statistics asked, and whether the
 * full_snapshot of each bucket's latest sample is. Bucket statements compute only this.
 */
export interface BucketSelection {
  /** In catalog order, each metric once. */
  readonly metrics: readonly MetricSelection[];
  readonly details: boolean;
}

/**
 * A selection from (metric, stat) pairs in any order, duplicates allowed. The same pairs give
 * the same object, so what is derived from a selection (a statement's columns, a row's
 * reader) is derived once per selection, not once per request.
 */
export function bucketSelection(asked: Iterable<readonly [Metric, Stat]>, details = false): BucketSelection {
  const pairs = [...asked];
  return selectionOfPairs(pairs, details);
}

const selectionOfPairs = memoized(
  computeBucketSelection,
  (pairs: readonly (readonly [Metric, Stat])[], details: boolean) =>
    `${pairs.map(([metric, stat]) => `${metric}:${stat}`).join(',')}${details ? '|details' : ''}`,
  1_000,
);

function computeBucketSelection(
  asked: readonly (readonly [Metric, Stat])[],
  details: boolean,
): BucketSelection {
  const byMetric = new Map<string, Set<Stat>>();
  for (const [metric, stat] of asked) {
    const stats = byMetric.get(metric) ?? new Set<Stat>();
    stats.add(stat);
    byMetric.set(metric, stats);
  }
  return {
    metrics: METRICS.flatMap((definition) => {
      const stats = byMetric.get(definition.metric);
      return stats ? [{ definition, stats: STATS.filter((stat) => stats.has(stat)) }] : [];
    }),
    details,
  };
}

/** Every statistic of every metric and the details: what a field the selection walk does not know may read. */
export const FULL_SELECTION: BucketSelection = bucketSelection(
  METRICS.flatMap(({ metric }) => STATS.map((stat) => [metric as Metric, stat] as const)),
  true,
);

/** The union: one statement for several requests answers each of them. */
export function mergeSelections(selections: readonly BucketSelection[]): BucketSelection {
  const [first] = selections;
  // the usual batch: every request of the group asked the same
  if (first && selections.every((selection) => selection === first)) return first;
  return bucketSelection(
    selections.flatMap((selection) =>
      selection.metrics.flatMap(({ definition, stats }) =>
        stats.map((stat) => [definition.metric as Metric, stat] as const),
      ),
    ),
    selections.some((selection) => selection.details),
  );
}

/** Identity of a selection (normalized, so equal selections have equal keys). */
export const selectionKey = memoizedPerObject(
  ({ metrics, details }: BucketSelection): string =>
    `${metrics.map(({ definition, stats }) => `${definition.metric}:${stats.join('+')}`).join(',')}${details ? '|details' : ''}`,
);

/** DELTA subtracts the LAST of the bucket before: the first bucket of a page needs a lookup. */
export const needsPrevious = ({ metrics }: BucketSelection): boolean =>
  metrics.some(({ stats }) => stats.includes('DELTA'));

/** The per-bucket values a statistic is computed from (DELTA: the LAST values). */
export type BucketValue = 'first' | 'last' | 'min' | 'max' | 'avg';
const VALUE_OF_STAT: Record<Stat, BucketValue> = {
  FIRST: 'first',
  LAST: 'last',
  MIN: 'min',
  MAX: 'max',
  AVG: 'avg',
  DELTA: 'last',
};

/** The values to compute for a metric, each once. */
export const bucketValues = (stats: readonly Stat[]): BucketValue[] => [
  ...new Set(stats.map((stat) => VALUE_OF_STAT[stat])),
];
