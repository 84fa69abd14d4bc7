import { type SQL, sql } from 'drizzle-orm';
import { bucketValues, FULL_SELECTION, type MetricSelection } from '../metrics/bucket-selection.js';
import { GRANULARITIES, type Granularity, METRICS, type MetricDefinition } from '../metrics/catalog.js';

/**
 * SQL shared by the rollup writer and the read path. Both work on "partial aggregates": a
 * raw snapshot is a part with one sample; a rollup row (or an archived one) is a part with
 * many. Parts merge exactly: FIRST/LAST by instant, MIN/MAX, SUM and COUNT add up, and
 * AVG = SUM / COUNT at the end.
 *
 * Granularities are compared by rank (RAW 0 ... YEAR 6) so SQL can take the coarser of two.
 */
export const granularityRank = (granularity: Granularity): number => GRANULARITIES.indexOf(granularity);
export const granularityOfRank = (rank: number): Granularity => {
  const granularity = GRANULARITIES[rank];
  if (!granularity) throw new RangeError(`no granularity of rank ${rank}`);
  return granularity;
};

/** Rank of a `granularity` enum value in SQL. */
export const rankSql = (granularity: SQL): SQL =>
  sql`(array_position(ARRAY['RAW','HOUR','DAY','WEEK','MONTH','QUARTER','YEAR']::text[], ${granularity}::text) - 1)`;

/** The granularity enum value of a rank in SQL. */
export const granularityOfRankSql = (rank: SQL): SQL =>
  sql`((ARRAY['RAW','HOUR','DAY','WEEK','MONTH','QUARTER','YEAR']::text[])[${rank} + 1])`;

const UNIT_OF_RANK = sql.raw(`(ARRAY['hour','day','week','month','quarter','year']::text[])`);
const INTERVAL_OF_RANK = sql.raw(
  `(ARRAY[interval '1 hour', interval '1 day', interval '1 week', interval '1 month', interval '3 months', interval '1 year'])`,
);

/** date_trunc at a rank (RAW: the instant itself), in a zone: the bucket label. */
export const truncAtRank = (rank: SQL, instant: SQL, zone: SQL): SQL =>
  sql`(CASE WHEN ${rank} = 0 THEN ${instant} ELSE date_trunc(${UNIT_OF_RANK}[${rank}], ${instant}, ${zone}) END)`;

/**
 * Label of the bucket after the one labelled `label`: its wall time one unit later, read
 * back in the zone the way date_trunc reads wall times (PostgreSQL 15 has no date_add).
 */
export const nextLabelAtRank = (rank: SQL, label: SQL, zone: SQL): SQL =>
  sql`(((${label}) AT TIME ZONE ${zone}) + ${INTERVAL_OF_RANK}[${rank}]) AT TIME ZONE ${zone}`;

const raw = (text: string) => sql.raw(text);

/** Metric columns of a rollup row, in table order, as `column_suffix` names. */
export function rollupValueColumns(): string[] {
  return METRICS.flatMap((m) => [
    `${m.column}_first`,
    `${m.column}_last`,
    `${m.column}_min`,
    `${m.column}_max`,
    `${m.column}_sum`,
    ...(m.nullable ? [`${m.column}_count`] : []),
  ]);
}

/** Every column of campaign_metrics_rollups. */
export const ROLLUP_COLUMNS = [
  'campaign_id',
  'granularity',
  'time_zone',
  'bucket_start',
  'bucket_end',
  'sample_count',
  'first_at',
  'last_at',
  'full_snapshot',
  ...rollupValueColumns(),
];

/** SQL type of each value column (for jsonb_to_recordset of archived rows). */
export function valueColumnType(definition: MetricDefinition, suffix: string): string {
  if (suffix === 'sum') return 'numeric';
  if (suffix === 'count') return 'int';
  switch (definition.kind) {
    case 'count':
      return 'int';
    case 'ratio':
      return 'numeric(18,4)';
    default:
      return 'numeric(12,2)';
  }
}

/** The part columns (suffixes) a metric's asked statistics read; AVG reads sum and count. */
function partSuffixes({ definition, stats }: MetricSelection): string[] {
  return bucketValues(stats).flatMap((value) =>
    // metrics that are never null count every sample: sample_count serves them
    value === 'avg' ? ['sum', ...(definition.nullable ? ['count'] : [])] : [value],
  );
}

/**
 * Part columns of a raw snapshot `alias`: sample_count 1, first_at = last_at = its instant,
 * and per metric first/last/min/max = its value, sum = value, count = 1 when not null; only
 * those the selection's statistics read (all by default).
 */
export function rawPartColumns(
  alias: string,
  metrics: readonly MetricSelection[] = FULL_SELECTION.metrics,
): SQL {
  const value = (c: string, suffix: string) => {
    if (suffix === 'sum') return `${alias}.${c}::numeric AS ${c}_sum`;
    if (suffix === 'count') return `(${alias}.${c} IS NOT NULL)::int AS ${c}_count`;
    return `${alias}.${c} AS ${c}_${suffix}`;
  };
  const columns = [
    `1 AS sample_count`,
    `${alias}.snapshot_date AS first_at`,
    `${alias}.snapshot_date AS last_at`,
    ...metrics.flatMap((m) => partSuffixes(m).map((suffix) => value(m.definition.column, suffix))),
  ];
  return raw(columns.join(', '));
}

/** Part columns of a rollup row `alias` that the selection reads (all by default). */
export function rollupPartColumns(
  alias: string,
  metrics: readonly MetricSelection[] = FULL_SELECTION.metrics,
): SQL {
  const columns = [
    `${alias}.sample_count`,
    `${alias}.first_at`,
    `${alias}.last_at`,
    ...metrics.flatMap((m) => partSuffixes(m).map((suffix) => `${alias}.${m.definition.column}_${suffix}`)),
  ];
  return raw(columns.join(', '));
}

/**
 * Aggregates merging parts `p` of one group into one rollup's values (first/last by
 * instant through ordered array_agg, so null values stay what they were); without the
 * details (full_snapshot) for parts that have none (pre-aggregated days).
 */
export function mergedRollupAggregates(p: string, { details = true } = {}): SQL {
  const columns = [
    `sum(${p}.sample_count)::int AS sample_count`,
    `min(${p}.first_at) AS first_at`,
    `max(${p}.last_at) AS last_at`,
    ...(details ? [`(array_agg(${p}.full_snapshot ORDER BY ${p}.last_at DESC))[1] AS full_snapshot`] : []),
    ...METRICS.flatMap(({ column: c, nullable }) => [
      `(array_agg(${p}.${c}_first ORDER BY ${p}.first_at ASC))[1] AS ${c}_first`,
      `(array_agg(${p}.${c}_last ORDER BY ${p}.last_at DESC))[1] AS ${c}_last`,
      `min(${p}.${c}_min) AS ${c}_min`,
      `max(${p}.${c}_max) AS ${c}_max`,
      `sum(${p}.${c}_sum) AS ${c}_sum`,
      ...(nullable ? [`sum(${p}.${c}_count)::int AS ${c}_count`] : []),
    ]),
  ];
  return raw(columns.join(',\n'));
}

export const at = (instant: Date): SQL => sql`${instant.toISOString()}::timestamptz`;

/** Column definitions of a rollup row for jsonb_to_recordset. */
function recordsetColumns(): string {
  const base = [
    'campaign_id uuid',
    'granularity text',
    'time_zone text',
    'bucket_start timestamptz',
    'bucket_end timestamptz',
    'sample_count int',
    'first_at timestamptz',
    'last_at timestamptz',
    'full_snapshot jsonb',
  ];
  const values = METRICS.flatMap((m) =>
    ['first', 'last', 'min', 'max', 'sum', ...(m.nullable ? ['count'] : [])].map(
      (suffix) => `${m.column}_${suffix} ${valueColumnType(m, suffix)}`,
    ),
  );
  return [...base, ...values].join(', ');
}

/**
 * Rollup rows passed in as JSON (archived quarters read from Parquet) as a relation with
 * the same columns and types as campaign_metrics_rollups.
 */
export function rollupRowsRecordset(rows: readonly Record<string, unknown>[], alias: string): SQL {
  const json = JSON.stringify(
    rows.map((row) =>
      Object.fromEntries(
        Object.entries(row).map(([key, value]) => {
          if (value instanceof Date) return [key, value.toISOString()];
          if (key === 'full_snapshot' && typeof value === 'string') return [key, JSON.parse(value)];
          return [key, value];
        }),
      ),
    ),
  );
  return sql`jsonb_to_recordset(${json}::text::jsonb) AS ${sql.raw(`${alias}(${recordsetColumns()})`)}`;
}
