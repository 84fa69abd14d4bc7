import { type Metric, metricDefinition } from '../metrics/catalog.js';
import { decimalToNumber } from '../metrics/decimal.js';
import {
  DAY_MS,
  fitLine,
  forecastPoints,
  type LineFit,
  type PredictionPoint,
  reachesValueAt,
} from '../metrics/forecast.js';
import { builder } from './builder.js';
import { Campaign } from './campaign.js';
import { MetricEnum } from './enums.js';
import { badUserInput } from './errors.js';

export const MAX_HORIZON_DAYS = 3650;
export const MAX_LOOKBACK_DAYS = 3650;
const DEFAULT_LOOKBACK_DAYS = 30;

interface ForecastShape {
  metric: Metric;
  fit: LineFit;
  /** x = 0: UTC midnight of the latest snapshot's day. */
  origin: Date;
  latestAt: Date;
  horizonDays: number;
}

const ForecastPoint = builder.objectRef<PredictionPoint & { date: Date }>('ForecastPoint').implement({
  description: 'The line on a future UTC day (date = its midnight) with the 95 % prediction interval.',
  fields: (t) => ({
    date: t.field({ type: 'DateTime', resolve: (p) => p.date }),
    value: t.exposeFloat('value'),
    lower: t.exposeFloat('lower'),
    upper: t.exposeFloat('upper'),
  }),
});

const Forecast = builder.objectRef<ForecastShape>('Forecast').implement({
  description:
    "Ordinary least squares over the metric's daily LAST values (UTC days) of the lookbackDays days up to " +
    'the latest snapshot; x in days, 0 at the UTC day of the latest snapshot. Days whose last snapshot ' +
    'has no value are left out. The 95 % prediction interval uses Student t with days - 2 degrees of ' +
    'freedom; with 2 days it cannot be estimated and has zero width.',
  fields: (t) => ({
    metric: t.field({ type: MetricEnum, resolve: (f) => f.metric }),
    slopePerDay: t.float({ resolve: (f) => f.fit.slope }),
    intercept: t.float({
      description: "Value at the latest snapshot's UTC day.",
      resolve: (f) => f.fit.intercept,
    }),
    r2: t.float({ description: '1 for a constant series.', resolve: (f) => f.fit.r2 }),
    days: t.int({ description: 'Days with a value the line was fitted to.', resolve: (f) => f.fit.n }),
    origin: t.field({
      type: 'DateTime',
      description: "x = 0: midnight UTC of the latest snapshot's day.",
      resolve: (f) => f.origin,
    }),
    points: t.field({
      type: [ForecastPoint],
      description: 'One per future UTC day, 1..horizonDays.',
      resolve: (f) =>
        forecastPoints(f.fit, f.horizonDays).map((point) => ({
          ...point,
          date: new Date(f.origin.getTime() + point.x * DAY_MS),
        })),
    }),
    reachesValueAt: t.field({
      type: 'DateTime',
      nullable: true,
      description:
        'The instant the line reaches the value (to the millisecond, not limited to the horizon); null at ' +
        'slope 0, when that instant lies before the latest snapshot, or after 9999-12-31.',
      args: { value: t.arg.float({ required: true }) },
      resolve: (f, { value }) => reachesValueAt(f.fit, value, f.origin, f.latestAt),
    }),
  }),
});

function checkDays(value: number, name: string, min: number, max: number): void {
  if (value < min || value > max) {
    throw badUserInput(`${name} must be between ${min} and ${max}, got ${value}`, name);
  }
}

builder.drizzleObjectField(Campaign, 'forecast', (t) =>
  t.field({
    type: Forecast,
    nullable: true,
    description:
      "Ordinary least squares over the metric's daily LAST values (UTC days) of the lookbackDays days up to " +
      'the latest snapshot; x in days. Null with fewer than 2 days. horizonDays 1..3650, lookbackDays 2..3650.',
    args: {
      metric: t.arg({ type: MetricEnum, required: true }),
      horizonDays: t.arg.int({ required: true }),
      lookbackDays: t.arg.int({ defaultValue: DEFAULT_LOOKBACK_DAYS }),
    },
    resolve: async (campaign, args, ctx) => {
      const lookbackDays = args.lookbackDays ?? DEFAULT_LOOKBACK_DAYS;
      checkDays(args.horizonDays, 'horizonDays', 1, MAX_HORIZON_DAYS);
      checkDays(lookbackDays, 'lookbackDays', 2, MAX_LOOKBACK_DAYS);
      const values = await ctx.loaders.dailyValues.load({
        campaignId: campaign.id,
        metric: metricDefinition(args.metric),
        lookbackDays,
      });
      if (!values) return null;
      const lastDay = Math.floor(values.latestAt.getTime() / DAY_MS);
      const fit = fitLine(
        values.days.flatMap(({ day, value }) =>
          value === null ? [] : [{ x: day - lastDay, y: decimalToNumber(value) }],
        ),
      );
      if (!fit) return null;
      return {
        metric: args.metric,
        fit,
        origin: new Date(lastDay * DAY_MS),
        latestAt: values.latestAt,
        horizonDays: args.horizonDays,
      };
    },
  }),
);
