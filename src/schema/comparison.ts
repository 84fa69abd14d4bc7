import type { CampaignRow } from '../db/schema/campaigns.js';
import { isUuid } from '../ingest/input-error.js';
import { type Metric, metricDefinition } from '../metrics/catalog.js';
import { type RankedValue, rankCohort } from '../metrics/ranks.js';
import { type CohortValues, cohortValues } from '../queries/cohort-values.js';
import { builder, type Context } from './builder.js';
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
}
interface OutcomeComparisonRowShape {
  campaign: CampaignRow;
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
  }),
});

const CampaignOutcomeComparisonRow = builder
  .objectRef<OutcomeComparisonRowShape>('CampaignOutcomeComparisonRow')
  .implement({
    fields: (t) => ({
      campaign: t.field({ type: Campaign, resolve: (row) => row.campaign }),
      outcomes: t.field({
        type: [OutcomeComparisonValue],
        description: 'One per distinct dimension asked, in that order.',
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

function checkDimensions(dimensions: readonly string[]): string[] {
  const distinct = [...new Set(dimensions)];
  if (distinct.length === 0) throw badUserInput('dimensions must name at least one dimension', 'dimensions');
  if (distinct.length > MAX_OUTCOME_DIMENSIONS) {
    throw badUserInput(`dimensions may name at most ${MAX_OUTCOME_DIMENSIONS} dimensions`, 'dimensions');
  }
  distinct.forEach((dimension, index) => {
    if (dimension.length === 0 || dimension.length > MAX_DIMENSION_LENGTH) {
      throw badUserInput(
        `dimensions[${index}] must have 1 to ${MAX_DIMENSION_LENGTH} characters`,
        'dimensions',
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

interface CohortArgs {
  ids: readonly (string | number)[];
  from?: Date | null;
  to?: Date | null;
}

/**
 * The cohort's values (one statement for every id) after checking the ids and range; an id of
 * no visible campaign is NOT_FOUND naming its index. Also returns each row's campaign.
 */
async function loadCohort(
  ctx: Context,
  args: CohortArgs,
  columns: { metrics: readonly Metric[]; dimensions: readonly string[] },
): Promise<{ rows: CohortValues[]; campaigns: CampaignRow[] }> {
  const ids = checkIds(args.ids);
  checkRange(args.from, args.to);
  const rows = await cohortValues(ctx.db, {
    tenantIds: ctx.viewer.tenantIds,
    ids,
    metrics: columns.metrics.map(metricDefinition),
    dimensions: columns.dimensions,
    from: args.from ?? undefined,
    to: args.to ?? undefined,
  });
  const campaigns = rows.map((row, index) => {
    if (!row.campaign) throw notFound(`ids[${index}]: no campaign ${row.id}`, 'ids', index);
    return row.campaign;
  });
  return { rows, campaigns };
}

const RANKING_DESCRIPTION =
  'rank: 1 = highest value, ties share a rank (1,2,2,4). percentile: share of the other ' +
  'campaigns with a strictly lower value (1.0 top, 0.0 bottom; a cohort of one gives 1.0). ' +
  'cohortAverage: mean over the rows with a non-null value. Null values get no rank. ' +
  `Errors: more than ${MAX_COMPARED_CAMPAIGNS} ids, a malformed or repeated id`;
const NOT_FOUND_DESCRIPTION =
  'or from >= to: BAD_USER_INPUT; an id of no visible campaign: NOT_FOUND with extensions.field "ids" ' +
  'and extensions.index its position (rows never hold a null campaign).';

/** Each row is one id, in the order given; each column is one ranked metric or dimension. */
const cohortComplexity = ({ ids }: { ids: readonly unknown[] }) => ({
  field: 1,
  multiplier: Math.min(ids.length, MAX_COMPARED_CAMPAIGNS),
});

builder.queryFields((t) => ({
  compareCampaigns: t.field({
    type: [CampaignComparisonRow],
    complexity: cohortComplexity,
    description:
      'One row per id, in the order given. Value of a metric: AVG (plain mean of the raw snapshots) over ' +
      '[from, to) when `from` is given, else the LAST value at or before `to` (or the latest when `to` is ' +
      `absent). ${RANKING_DESCRIPTION}, an empty metrics list ${NOT_FOUND_DESCRIPTION}`,
    args: {
      ids: t.arg.idList({ required: true }),
      metrics: t.arg({ type: [MetricEnum], required: true }),
      from: t.arg({ type: 'DateTime' }),
      to: t.arg({ type: 'DateTime' }),
    },
    resolve: async (_root, args, ctx) => {
      if (args.metrics.length === 0) throw badUserInput('metrics must name at least one metric', 'metrics');
      const metrics = [...new Set(args.metrics)];
      const { rows, campaigns } = await loadCohort(ctx, args, { metrics, dimensions: [] });
      // Ranked per column (a metric across the cohort), then read back per row.
      const columns = metrics.map((metric, j) =>
        rankColumn(rows, (row) => row.metrics[j]).map((ranked) => ({ metric, ...ranked })),
      );
      return campaigns.map((campaign, i) => ({
        campaign,
        values: columns.map((column) => cell(column, i)),
      }));
    },
  }),
  compareOutcomes: t.field({
    type: [CampaignOutcomeComparisonRow],
    complexity: cohortComplexity,
    description:
      'The outcome radar: dimensions of full_snapshot.outcomeScores (e.g. "integration") compared across ' +
      'the cohort exactly as compareCampaigns compares metrics, over the same snapshots. One row per id, ' +
      `in the order given. ${RANKING_DESCRIPTION}, an empty or oversized dimensions list, an empty or ` +
      `over-long dimension name ${NOT_FOUND_DESCRIPTION}`,
    args: {
      ids: t.arg.idList({ required: true }),
      dimensions: t.arg.stringList({ required: true }),
      from: t.arg({ type: 'DateTime' }),
      to: t.arg({ type: 'DateTime' }),
    },
    resolve: async (_root, args, ctx) => {
      const dimensions = checkDimensions(args.dimensions);
      const { rows, campaigns } = await loadCohort(ctx, args, { metrics: [], dimensions });
      const columns = dimensions.map((dimension, j) =>
        rankColumn(rows, (row) => row.dimensions[j]).map((ranked) => ({ dimension, ...ranked })),
      );
      return campaigns.map((campaign, i) => ({
        campaign,
        outcomes: columns.map((column) => cell(column, i)),
      }));
    },
  }),
}));
