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
const LOADER_FACTORIES = {
  latestSnapshots: createLatestSnapshotLoader,
  snapshotBuckets: createSnapshotBucketLoader,
  budgetBurnInputs: createBudgetBurnLoader,
  dailyValues: createDailyValuesLoader,
  activityHeatmaps: createActivityHeatmapLoader,
} satisfies Record<string, (db: Database) => unknown>;

type LoaderFactories = typeof LOADER_FACTORIES;
export type RequestLoaders = { readonly [Name in keyof LoaderFactories]: ReturnType<LoaderFactories[Name]> };

/**
 * A request's loaders, each made when a field first asks for it: every request (and every
 * subscription event) gets a set, and most use one loader or none.
 */
class LazyRequestLoaders {
  readonly made = new Map<string, unknown>();
  constructor(readonly db: Database) {}
}
for (const [name, create] of Object.entries(LOADER_FACTORIES)) {
  Object.defineProperty(LazyRequestLoaders.prototype, name, {
    get(this: LazyRequestLoaders) {
      let loader = this.made.get(name);
      if (loader === undefined) {
        loader = create(this.db);
        this.made.set(name, loader);
      }
      return loader;
    },
  });
}

export function createRequestLoaders(db: Database): RequestLoaders {
  // The getters defined above give each name its factory's loader type.
  return new LazyRequestLoaders(db) as unknown as RequestLoaders;
}
