import DataLoader from 'dataloader';
import type { Database } from '../db/client.js';
import type { SnapshotBucket } from '../metrics/bucket-stats.js';
import {
  createActivityHeatmapLoader,
  createBudgetBurnLoader,
  createDailyValuesLoader,
} from './analytics-loaders.js';
import { loadLatestSnapshots } from './campaign-loaders.js';
import { createSnapshotBucketLoader } from './snapshot-bucket-loader.js';

/**
 * DataLoaders shared by several fields of one request (a field-bound `t.loadable` would give
 * each field its own loader, and so its own statement): latestSnapshot, capacity alerts and
 * anything else derived from the latest snapshot read the same batch.
 */
export function createRequestLoaders(db: Database) {
  return {
    latestSnapshots: new DataLoader<string, SnapshotBucket | null>((ids) => loadLatestSnapshots(db, ids)),
    snapshotBuckets: createSnapshotBucketLoader(db),
    budgetBurnInputs: createBudgetBurnLoader(db),
    dailyValues: createDailyValuesLoader(db),
    activityHeatmaps: createActivityHeatmapLoader(db),
  };
}

export type RequestLoaders = ReturnType<typeof createRequestLoaders>;
