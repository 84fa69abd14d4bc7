import {
  type ActivityHeatmap as ActivityHeatmapShape,
  type HeatmapCell as HeatmapCellShape,
  layOutHeatmap,
} from '../metrics/activity-heatmap.js';
import { type Metric, metricDefinition } from '../metrics/catalog.js';
import { builder } from './builder.js';
import { Campaign } from './campaign.js';
import { MetricEnum } from './enums.js';
import { checkRange } from './range.js';

const HeatmapCell = builder.objectRef<HeatmapCellShape>('HeatmapCell').implement({
  fields: (t) => ({
    dayOfWeek: t.exposeInt('dayOfWeek', { description: 'ISO weekday: 1 = Monday .. 7 = Sunday.' }),
    hour: t.exposeInt('hour', { description: 'Local hour 0..23.' }),
    value: t.exposeFloat('value'),
  }),
});

const ActivityHeatmap = builder
  .objectRef<ActivityHeatmapShape & { metric: Metric; timeZone: string }>('ActivityHeatmap')
  .implement({
    description:
      "Sum of the metric's increments between consecutive raw snapshots that have a value, each attributed " +
      'to the local weekday and hour of the later snapshot; the first snapshot in the range takes the last ' +
      'one before `from` as its predecessor. Decreases count as negative increments.',
    fields: (t) => ({
      metric: t.field({ type: MetricEnum, resolve: (h) => h.metric }),
      timeZone: t.field({ type: 'TimeZone', resolve: (h) => h.timeZone }),
      cells: t.field({
        type: [HeatmapCell],
        description: 'All 168 cells (0 where nothing happened): Monday 0:00 first, hours ascending.',
        resolve: (h) => h.cells,
      }),
      byDayOfWeek: t.floatList({
        description: 'Sum per weekday, Monday first (7 values).',
        resolve: (h) => h.byDayOfWeek,
      }),
    }),
  });

builder.drizzleObjectField(Campaign, 'activityHeatmap', (t) =>
  t.field({
    type: ActivityHeatmap,
    description:
      'Weekly activity of [from, to) by local weekday and hour (in timeZone, default the campaign zone).',
    args: {
      metric: t.arg({ type: MetricEnum, defaultValue: 'TOTAL_SESSIONS_COMPLETED' }),
      from: t.arg({ type: 'DateTime', required: true }),
      to: t.arg({ type: 'DateTime', required: true }),
      timeZone: t.arg({ type: 'TimeZone' }),
    },
    resolve: async (campaign, args, ctx) => {
      checkRange(args.from, args.to);
      const metric = args.metric ?? 'TOTAL_SESSIONS_COMPLETED';
      const timeZone = args.timeZone ?? campaign.timeZone;
      const sums = await ctx.loaders.activityHeatmaps.load({
        campaignId: campaign.id,
        timeZone,
        metric: metricDefinition(metric),
        from: args.from,
        to: args.to,
      });
      return { metric, timeZone, ...layOutHeatmap(sums) };
    },
  }),
);
