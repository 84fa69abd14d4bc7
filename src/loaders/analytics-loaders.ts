import DataLoader from 'dataloader';
import type { Database } from '../db/client.js';
import type { BurnInputs } from '../metrics/burn-rate.js';
import {
  type ActivityHeatmapQuery,
  activityHeatmapSums,
  type HeatmapTarget,
} from '../queries/activity-heatmap.js';
import { budgetBurnInputs } from '../queries/budget-burn-inputs.js';
import { type DailyValues, type DailyValuesQuery, dailyValues } from '../queries/daily-values.js';
import { createGroupedLoader } from './grouped-loader.js';

/** Budget burn inputs by campaign id: one statement per request. */
export function createBudgetBurnLoader(db: Database) {
  return new DataLoader<string, BurnInputs | null>((ids) => budgetBurnInputs(db, ids));
}

export interface DailyValuesRequest extends DailyValuesQuery {
  campaignId: string;
}

/** Forecast inputs: one statement per (metric, lookbackDays) for all campaigns. */
export function createDailyValuesLoader(db: Database) {
  const groupOf = ({ metric, lookbackDays }: DailyValuesRequest) => `${metric.metric}|${lookbackDays}`;
  return createGroupedLoader<DailyValuesRequest, DailyValues | null>({
    groupOf,
    cacheKeyOf: (request) => `${request.campaignId}|${groupOf(request)}`,
    load: (requests) =>
      dailyValues(
        db,
        requests.map((r) => r.campaignId),
        requests[0] as DailyValuesRequest,
      ),
  });
}

export interface ActivityHeatmapRequest extends HeatmapTarget, ActivityHeatmapQuery {}

/** Heatmap sums: one statement per (metric, from, to) for all campaigns, whatever their zones. */
export function createActivityHeatmapLoader(db: Database) {
  const groupOf = ({ metric, from, to }: ActivityHeatmapRequest) =>
    `${metric.metric}|${from.toISOString()}|${to.toISOString()}`;
  return createGroupedLoader({
    groupOf,
    cacheKeyOf: (request: ActivityHeatmapRequest) =>
      `${request.campaignId}|${request.timeZone}|${groupOf(request)}`,
    load: (requests) => activityHeatmapSums(db, requests, requests[0] as ActivityHeatmapRequest),
  });
}
