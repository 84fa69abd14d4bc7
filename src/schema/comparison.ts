import type { CampaignRow } from '../db/schema/campaigns.js';
import { isUuid } from '../ingest/input-error.js';
import { type Metric, metricDefinition } from '../metrics/catalog.js';
import { type RankedValue, rankCohort } from '../metrics/ranks.js';
import { type CohortValues, cohortValues } from '../queries/cohort-values.js';
import { builder } from './builder.js';
import { Campaign } from './campaign.js';
import { MetricEnum } from './enums.js';
import { badUserInput, notFound } from './errors.js';
import { checkRange } from './range.js';

export const MAX_COMPARED_CAMPAIGNS = 100;
export const MAX_OUTCOME_DIMENSIONS = 50;
const MAX_DIMENSION_LENGTH = 100;

interface ComparisonValueShape extends RankedValue {
  metric: Metric;
}
interface OutcomeComparisonValueShape extends RankedValue {
  dimension: string;
}
interface ComparisonRowShape {
  campaign: CampaignRow;
  values: ComparisonValueShape[];
  outcomes: OutcomeComparisonValueShape[];
}

const RANK_DESCRIPTION = '1 = highest value, ties share a rank (1,2,2,4); null for a null value.';
const PERCENTILE_DESCRIPTION =
  'Share of the other campaigns (with a value) whose value is strictly lower: 1.0 top, 0.0 bottom; ' +
  'a cohort of one gives 1.0. Null for a null value.';
const AVERAGE_DESCRIPTION = 'Mean over the rows with a non-null value (the same in every row).';

const ComparisonValue = builder.objectRef<ComparisonValueShape>('ComparisonValue').implement({
  fields: (t) => ({
    metric: t.field({ type: MetricEnum, resolve: (v) => v.metric }),
    value: t.exposeFloat('value', { nullable: true }),
    rank: t.exposeInt('rank', { nullable: true, description: RANK_DESCRIPTION }),
    percentile: t.exposeFloat('percentile', { nullable: true, description: PERCENTILE_DESCRIPTION }),
    cohortAverage: t.exposeFloat('cohortAverage', { nullable: true, description: AVERAGE_DESCRIPTION }),
  }),
});

const OutcomeComparisonValue = builder
  .objectRef<OutcomeComparisonValueShape>('OutcomeComparisonValue')
  .implement({
    description:
      'A dimension of full_snapshot.outcomeScores compared like a metric, over the same snapshots ' +
      '(null where those snapshots have no score for it).',
    fields: (t) => ({
      dimension: t.exposeString('dimension'),
      value: t.exposeFloat('value', { nullable: true }),
      rank: t.exposeInt('rank', { nullable: true, description: RANK_DESCRIPTION }),
      percentile: t.exposeFloat('percentile', { nullable: true, description: PERCENTILE_DESCRIPTION }),
      cohortAverage: t.exposeFloat('cohortAverage', { nullable: true, description: AVERAGE_DESCRIPTION }),
    }),
  });

const CampaignComparisonRow = builder.objectRef<ComparisonRowShape>('CampaignComparisonRow').implement({
  fields: (t) => ({
    campaign: t.field({ type: Campaign, resolve: (row) => row.campaign }),
    values: t.field({ type: [ComparisonValue], resolve: (row) => row.values }),
    outcomes: t.field({
      type: [OutcomeComparisonValue],
      description: 'One per outcomeDimensions argument, in that order (empty when none were asked).',
      resolve: (row) => row.outcomes,
    }),
  }),
});

/** The ids as lower-case UUIDs: at most 100, well-formed and distinct, or a BAD_USER_INPUT naming the index. */
function checkIds(ids: readonly (string | number)[]): string[] {
  if (ids.length > MAX_COMPARED_CAMPAIGNS) {
    throw badUserInput(`ids may name at most ${MAX_COMPARED_CAMPAIGNS} campaigns, got ${ids.length}`, 'ids');
  }
  const seen = new Map<string, number>();
  return ids.map((raw, index) => {
    const id = String(raw);
    if (!isUuid(id)) throw badUserInput(`ids[${index}] must be a campaign UUID, got "${id}"`, 'ids', index);
    const normalized = id.toLowerCase();
    const earlier = seen.get(normalized);
    if (earlier !== undefined) {
      throw badUserInput(`ids[${index}] repeats ids[${earlier}]`, 'ids', index);
    }
    seen.set(normalized, index);
    return normalized;
  });
}

function checkDimensions(dimensions: readonly string[] | null | undefined): string[] {
  const distinct = [...new Set(dimensions ?? [])];
  if (distinct.length > MAX_OUTCOME_DIMENSIONS) {
    throw badUserInput(
      `outcomeDimensions may name at most ${MAX_OUTCOME_DIMENSIONS} dimensions`,
      'outcomeDimensions',
    );
  }
  distinct.forEach((dimension, index) => {
    if (dimension.length === 0 || dimension.length > MAX_DIMENSION_LENGTH) {
      throw badUserInput(
        `outcomeDimensions[${index}] must have 1 to ${MAX_DIMENSION_LENGTH} characters`,
        'outcomeDimensions',
        index,
      );
    }
  });
  return distinct;
}

function rankColumn(
  rows: readonly CohortValues[],
  pick: (row: CohortValues) => number | null | undefined,
): RankedValue[] {
  return rankCohort(rows.map((row) => pick(row) ?? null));
}

function cell<T>(column: readonly T[], index: number): T {
  const value = column[index];
  if (value === undefined) throw new Error(`comparison column without row ${index}`);
  return value;
}

builder.queryFields((t) => ({
  compareCampaigns: t.field({
    type: [CampaignComparisonRow],
    // One row per id.
    complexity: ({ ids }) => ({ field: 1, multiplier: Math.min(ids.length, MAX_COMPARED_CAMPAIGNS) }),
    description:
      'One row per id, in the order given. Value of a metric: AVG (plain mean of the raw snapshots) over ' +
      '[from, to) when `from` is given, else the LAST value at or before `to` (or the latest when `to` is ' +
      'absent). rank: 1 = highest value, ties share a rank (1,2,2,4). percentile: share of the other ' +
      'campaigns with a strictly lower value (1.0 top, 0.0 bottom; a cohort of one gives 1.0). ' +
      'cohortAverage: mean over the rows with a non-null value. Null values get no rank. ' +
      `Errors: more than ${MAX_COMPARED_CAMPAIGNS} ids, a malformed or repeated id, an empty metrics list ` +
      'or from >= to: BAD_USER_INPUT; an id of no visible campaign: NOT_FOUND with extensions.field "ids" ' +
      'and extensions.index its position (rows never hold a null campaign).',
    args: {
      ids: t.arg.idList({ required: true }),
      metrics: t.arg({ type: [MetricEnum], required: true }),
      from: t.arg({ type: 'DateTime' }),
      to: t.arg({ type: 'DateTime' }),
      outcomeDimensions: t.arg.stringList({
        description:
          'Keys of full_snapshot.outcomeScores (e.g. "integration") to compare the same way, for the outcome radar.',
      }),
    },
    resolve: async (_root, args, ctx) => {
      const ids = checkIds(args.ids);
      if (args.metrics.length === 0) throw badUserInput('metrics must name at least one metric', 'metrics');
      checkRange(args.from, args.to);
      const metrics = [...new Set(args.metrics)];
      const dimensions = checkDimensions(args.outcomeDimensions);

      const rows = await cohortValues(ctx.db, {
        tenantIds: ctx.viewer.tenantIds,
        ids,
        metrics: metrics.map(metricDefinition),
        dimensions,
        from: args.from ?? undefined,
        to: args.to ?? undefined,
      });
      const campaigns = rows.map((row, index) => {
        if (!row.campaign) throw notFound(`ids[${index}]: no campaign ${row.id}`, 'ids', index);
        return row.campaign;
      });

      // Ranked per column (a metric or a dimension across the cohort), then read back per row.
      const metricColumns = metrics.map((metric, j) =>
        rankColumn(rows, (row) => row.metrics[j]).map((ranked) => ({ metric, ...ranked })),
      );
      const dimensionColumns = dimensions.map((dimension, j) =>
        rankColumn(rows, (row) => row.dimensions[j]).map((ranked) => ({ dimension, ...ranked })),
      );
      return campaigns.map((campaign, i) => ({
        campaign,
        values: metricColumns.map((column) => cell(column, i)),
        outcomes: dimensionColumns.map((column) => cell(column, i)),
      }));
    },
  }),
}));
