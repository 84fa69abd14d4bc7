import type { Database } from '../db/client.js';
import {
  createActivityHeatmapLoader,
  createBudgetBurnLoader,
  createDailyValuesLoader,
} from './analytics-loaders.js';
import { createLatestSnapshotLoader } from './campaign-loaders.js';
import { createSnapshotBucketLoader } from './snapshot-bucket-loader.js';

/**
 * DataLoaders shared by several fields of one request (a field-bound `t.loadable` would give
 * each field its own loader, and so its own statement): latestSnapshot, capacity alerts and
 * anything else derived from the latest snapshot read the same batch.
 */
export function createRequestLoaders(db: Database) {
  return {
    latestSnapshots: createLatestSnapshotLoader(db),
    snapshotBuckets: createSnapshotBucketLoader(db),
    budgetBurnInputs: createBudgetBurnLoader(db),
    dailyValues: createDailyValuesLoader(db),
    activityHeatmaps: createActivityHeatmapLoader(db),
  };
}

export type RequestLoaders = ReturnType<typeof createRequestLoaders>;
