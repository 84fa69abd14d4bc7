import { bucketSelection } from '../metrics/bucket-selection.js';
import { statValue } from '../metrics/bucket-stats.js';
import type { Granularity, Metric, Stat } from '../metrics/catalog.js';
import { fillGaps } from '../metrics/gap-fill.js';
import { bucketStartsInRange } from '../metrics/time-buckets.js';
import type { SnapshotBucketsQuery } from '../queries/snapshot-buckets.js';
import { builder } from './builder.js';
import { Campaign } from './campaign.js';
import { planBucketsWithCampaign, type ZonedArgs } from './campaign-lookahead.js';
import { GapFillEnum, GranularityEnum, MetricEnum, StatEnum } from './enums.js';
import { badUserInput } from './errors.js';
import { checkRange } from './range.js';

/** Points per series; a chart wanting more should ask for a coarser granularity. */
export const MAX_SERIES_POINTS = 10_000;

interface SeriesColumnShape {
  metric: Metric;
  stat: Stat;
  values: (number | null)[];
}
interface MetricSeriesShape {
  granularity: Granularity;
  timeZone: string;
  timestamps: Date[];
  columns: SeriesColumnShape[];
}

const SeriesColumn = builder.objectRef<SeriesColumnShape>('SeriesColumn').implement({
  fields: (t) => ({
    metric: t.field({ type: MetricEnum, resolve: (c) => c.metric }),
    stat: t.field({ type: StatEnum, resolve: (c) => c.stat }),
    values: t.floatList({ nullable: { list: false, items: true }, resolve: (c) => c.values }),
  }),
});

const MetricSeries = builder.objectRef<MetricSeriesShape>('MetricSeries').implement({
  description: 'Columnar form for charts: one timestamp per bucket start, one column per metric.',
  fields: (t) => ({
    granularity: t.field({ type: GranularityEnum, resolve: (s) => s.granularity }),
    timeZone: t.field({ type: 'TimeZone', resolve: (s) => s.timeZone }),
    timestamps: t.field({ type: ['DateTime'], resolve: (s) => s.timestamps }),
    columns: t.field({ type: [SeriesColumn], resolve: (s) => s.columns }),
  }),
});

/** Longest bucket of each granularity (DST adds an hour), for a cheap lower bound on a range's bucket count. */
const LONGEST_BUCKET_MS: Record<Exclude<Granularity, 'RAW'>, number> = {
  HOUR: 1.5 * 3600_000,
  DAY: 25 * 3600_000,
  WEEK: (7 * 24 + 1) * 3600_000,
  MONTH: (31 * 24 + 1) * 3600_000,
  QUARTER: (92 * 24 + 1) * 3600_000,
  YEAR: (366 * 24 + 1) * 3600_000,
};

function tooManyPoints(points: number): never {
  throw badUserInput(
    `series would have ${points} or more points; at most ${MAX_SERIES_POINTS}: narrow the range or use a coarser granularity`,
    'granularity',
  );
}

interface SeriesArgs extends ZonedArgs {
  metrics: Metric[];
  from: Date;
  to: Date;
  granularity: Granularity;
  stat?: Stat | null;
}

/**
 * The bucket query of a series, after the checks that need no zone: shared by the field and
 * Query.campaign's look-ahead, which sends it with the campaign's own lookup.
 */
function seriesQuery({ metrics, from, to, granularity, stat }: SeriesArgs): SnapshotBucketsQuery {
  checkRange(from, to);
  if (granularity !== 'RAW') {
    // Refuse absurd ranges before enumerating their buckets.
    const atLeast = Math.floor((to.getTime() - from.getTime()) / LONGEST_BUCKET_MS[granularity]);
    if (atLeast > MAX_SERIES_POINTS) tooManyPoints(atLeast);
  }
  return {
    from,
    to,
    granularity,
    selection: bucketSelection(metrics.map((metric) => [metric, stat ?? 'LAST'])),
    descending: false,
    limit: MAX_SERIES_POINTS + 1,
    withTotalCount: false,
    // one granularity and zone for the whole series, coarsened to the rollups it touches
    uniform: true,
  };
}

planBucketsWithCampaign<SeriesArgs>('series', seriesQuery);

builder.drizzleObjectField(Campaign, 'series', (t) =>
  t.field({
    type: MetricSeries,
    description:
      'fill NONE omits empty buckets; NULL emits them with null values; PREVIOUS carries the last known value ' +
      'forward (null before the first). RAW has no empty buckets, so fill does not apply to it.',
    args: {
      metrics: t.arg({ type: [MetricEnum], required: true }),
      from: t.arg({ type: 'DateTime', required: true }),
      to: t.arg({ type: 'DateTime', required: true }),
      granularity: t.arg({ type: GranularityEnum, required: true }),
      stat: t.arg({ type: StatEnum, defaultValue: 'LAST' }),
      timeZone: t.arg({ type: 'TimeZone' }),
      fill: t.arg({ type: GapFillEnum, defaultValue: 'NONE' }),
    },
    resolve: async (campaign, args, ctx) => {
      const query = seriesQuery(args);
      const { granularity, from, to } = args;
      const stat = args.stat ?? 'LAST';
      const fill = args.fill ?? 'NONE';
      const timeZone = args.timeZone ?? campaign.timeZone;
      const expectedBuckets =
        granularity === 'RAW' || fill === 'NONE'
          ? null
          : bucketStartsInRange(from, to, granularity, timeZone);
      if (expectedBuckets && expectedBuckets.length > MAX_SERIES_POINTS)
        tooManyPoints(expectedBuckets.length);

      const stored = await ctx.loaders.snapshotBuckets.load({ campaignId: campaign.id, timeZone, query });
      const { buckets } = stored;
      const coarsened = stored.granularity !== granularity || stored.timeZone !== timeZone;
      if (buckets.length > MAX_SERIES_POINTS) tooManyPoints(buckets.length);

      const series = {
        timestamps: buckets.map((bucket) => bucket.start),
        columns: args.metrics.map((metric) => buckets.map((bucket) => statValue(bucket, metric, stat))),
      };
      const expected =
        coarsened && stored.granularity !== 'RAW' && fill !== 'NONE'
          ? bucketStartsInRange(from, to, stored.granularity, stored.timeZone)
          : coarsened
            ? null
            : expectedBuckets;
      const filled = expected ? fillGaps(series, expected, fill) : series;
      return {
        granularity: stored.granularity,
        timeZone: stored.timeZone,
        timestamps: filled.timestamps,
        columns: args.metrics.map((metric, i) => ({ metric, stat, values: filled.columns[i] ?? [] })),
      };
    },
  }),
);
