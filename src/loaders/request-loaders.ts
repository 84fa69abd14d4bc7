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
 * anything else derived from the latest snapshot read the same batch. Each is made when a field
 * first asks for it: most requests use one or two of them, and every request makes the set.
 */
export class RequestLoaders {
  #latestSnapshots?: ReturnType<typeof createLatestSnapshotLoader>;
  #snapshotBuckets?: ReturnType<typeof createSnapshotBucketLoader>;
  #budgetBurnInputs?: ReturnType<typeof createBudgetBurnLoader>;
  #dailyValues?: ReturnType<typeof createDailyValuesLoader>;
  #activityHeatmaps?: ReturnType<typeof createActivityHeatmapLoader>;

  constructor(private readonly db: Database) {}

  get latestSnapshots() {
    this.#latestSnapshots ??= createLatestSnapshotLoader(this.db);
    return this.#latestSnapshots;
  }

  get snapshotBuckets() {
    this.#snapshotBuckets ??= createSnapshotBucketLoader(this.db);
    return this.#snapshotBuckets;
  }

  get budgetBurnInputs() {
    this.#budgetBurnInputs ??= createBudgetBurnLoader(this.db);
    return this.#budgetBurnInputs;
  }

  get dailyValues() {
    this.#dailyValues ??= createDailyValuesLoader(this.db);
    return this.#dailyValues;
  }

  get activityHeatmaps() {
    this.#activityHeatmaps ??= createActivityHeatmapLoader(this.db);
    return this.#activityHeatmaps;
  }
}
