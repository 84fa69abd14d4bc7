import { bucketSelection } from '../metrics/bucket-selection.js';
import { statValue } from '../metrics/bucket-stats.js';
import type { Granularity, Metric, Stat } from '../metrics/catalog.js';
import {
  alignYearOverYear,
  YEAR_OVER_YEAR_GRANULARITIES,
  type YearOverYearGranularity,
  type YearOverYearValues,
  yearOverYearRange,
} from '../metrics/year-over-year.js';
import type { SnapshotBucketsQuery } from '../queries/snapshot-buckets.js';
import { builder } from './builder.js';
import { Campaign } from './campaign.js';
import { planBucketsWithCampaign, type ZonedArgs } from './campaign-lookahead.js';
import { GranularityEnum, MetricEnum, StatEnum } from './enums.js';
import { badUserInput } from './errors.js';

export const MIN_YEAR = 1970;
export const MAX_YEAR = 2100;

interface YearOverYearShape extends YearOverYearValues {
  metric: Metric;
  stat: Stat;
  granularity: YearOverYearGranularity;
  timeZone: string;
  year: number;
}

const YearOverYear = builder.objectRef<YearOverYearShape>('YearOverYear').implement({
  description:
    'A statistic per ISO week (1..52 or 53 of the ISO week-year) or month (1..12) of a year beside the same ' +
    "period of the year before, buckets as in series. Periods are the year's own: week 53 without a " +
    'counterpart has previous null, and week 53 of the previous year is not listed when the year has 52.',
  fields: (t) => ({
    metric: t.field({ type: MetricEnum, resolve: (y) => y.metric }),
    stat: t.field({ type: StatEnum, resolve: (y) => y.stat }),
    granularity: t.field({ type: GranularityEnum, resolve: (y) => y.granularity }),
    timeZone: t.field({ type: 'TimeZone', resolve: (y) => y.timeZone }),
    year: t.exposeInt('year'),
    previousYear: t.int({ resolve: (y) => y.year - 1 }),
    periods: t.intList({
      description: 'ISO week numbers or month numbers, in order.',
      resolve: (y) => y.periods,
    }),
    current: t.floatList({ nullable: { list: false, items: true }, resolve: (y) => y.current }),
    previous: t.floatList({ nullable: { list: false, items: true }, resolve: (y) => y.previous }),
    change: t.floatList({
      nullable: { list: false, items: true },
      description: '(current - previous) / previous; null where either is null or previous is 0.',
      resolve: (y) => y.change,
    }),
  }),
});

const isYearOverYearGranularity = (value: string): value is YearOverYearGranularity =>
  (YEAR_OVER_YEAR_GRANULARITIES as readonly string[]).includes(value);

interface YearOverYearArgs extends ZonedArgs {
  metric: Metric;
  year: number;
  granularity?: Granularity | null;
  stat?: Stat | null;
}

/** The checked arguments and bucket query of yearOverYear: the field's and Query.campaign's look-ahead's. */
function yearOverYearQuery(args: YearOverYearArgs) {
  const { metric, year } = args;
  const granularity = args.granularity ?? 'WEEK';
  const stat = args.stat ?? 'LAST';
  if (year < MIN_YEAR || year > MAX_YEAR) {
    throw badUserInput(`year must be between ${MIN_YEAR} and ${MAX_YEAR}, got ${year}`, 'year');
  }
  if (!isYearOverYearGranularity(granularity)) {
    throw badUserInput(`granularity must be WEEK or MONTH, got ${granularity}`, 'granularity');
  }
  const { from, to, limit } = yearOverYearRange(year, granularity);
  const query: SnapshotBucketsQuery = {
    from,
    to,
    granularity,
    selection: bucketSelection([[metric, stat]]),
    descending: false,
    limit,
    withTotalCount: false,
  };
  return { metric, year, granularity, stat, query };
}

planBucketsWithCampaign<YearOverYearArgs>('yearOverYear', (args) => yearOverYearQuery(args).query);

builder.drizzleObjectField(Campaign, 'yearOverYear', (t) =>
  t.field({
    type: YearOverYear,
    description: `year ${MIN_YEAR}..${MAX_YEAR}; granularity WEEK (ISO weeks) or MONTH; timeZone defaults to the campaign zone.`,
    args: {
      metric: t.arg({ type: MetricEnum, required: true }),
      year: t.arg.int({ required: true }),
      granularity: t.arg({ type: GranularityEnum, defaultValue: 'WEEK' }),
      stat: t.arg({ type: StatEnum, defaultValue: 'LAST' }),
      timeZone: t.arg({ type: 'TimeZone' }),
    },
    resolve: async (campaign, args, ctx) => {
      const { metric, year, granularity, stat, query } = yearOverYearQuery(args);
      const timeZone = args.timeZone ?? campaign.timeZone;
      const { buckets } = await ctx.loaders.snapshotBuckets.load({
        campaignId: campaign.id,
        timeZone,
        query,
      });
      const byStart = new Map(buckets.map((bucket) => [bucket.start.getTime(), bucket]));
      const values = alignYearOverYear(year, granularity, timeZone, (label) => {
        const bucket = byStart.get(label.getTime());
        return bucket ? statValue(bucket, metric, stat) : null;
      });
      return { metric, stat, granularity, timeZone, year, ...values };
    },
  }),
);
