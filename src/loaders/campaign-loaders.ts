import DataLoader, { type CacheMap } from 'dataloader';
import type { Database } from '../db/client.js';
import type { SnapshotBucket } from '../metrics/bucket-stats.js';
import { type SnapshotCadence, snapshotCadence } from '../metrics/cadence.js';
import { METRICS, type MetricDefinition } from '../metrics/catalog.js';
import { campaignActivityById } from '../queries/campaign-activity.js';
import { latestSnapshotsByCampaign } from '../queries/latest-snapshots.js';
import type { RawSnapshotParts } from '../queries/snapshot-rows.js';

/** The latest snapshot of a campaign, with the parts a field reads beside the metric values. */
export interface LatestSnapshotRequest extends RawSnapshotParts {
  campaignId: string;
}

/**
 * Batch functions for per-request DataLoaders: one statement for all campaigns a request
 * touches. Results come back in key order; a campaign without data yields null.
 */
export function createLatestSnapshotLoader(db: Database) {
  return new DataLoader<LatestSnapshotRequest, SnapshotBucket | null, string>(
    async (requests) => {
      // one statement for every field of the tick: the union of the parts they read
      const parts = {
        previous: requests.some((request) => request.previous),
        details: requests.some((request) => request.details),
        metrics: unionOfMetrics(requests),
      };
      const ids = [...new Set(requests.map((request) => request.campaignId))];
      const byCampaign = await latestSnapshotsByCampaign(db, ids, parts);
      return requests.map((request) => byCampaign.get(request.campaignId) ?? null);
    },
    { cacheKeyFn: latestSnapshotKey, cacheMap: new LatestSnapshotCache() },
  );
}

const ALL_METRICS = '*';

/** The metrics part of a key, per metrics array (the campaigns of a page share one). */
const metricNames = new WeakMap<readonly MetricDefinition[], string>();

/** campaign|previous|details|metrics (comma-separated, or * for all): what LatestSnapshotCache reads back. */
function latestSnapshotKey({ campaignId, previous, details, metrics }: LatestSnapshotRequest): string {
  let names = metrics ? metricNames.get(metrics) : ALL_METRICS;
  if (names === undefined && metrics) {
    names = metrics.map(({ metric }) => metric).join(',');
    metricNames.set(metrics, names);
  }
  return `${campaignId}|${previous ? 1 : 0}|${details ? 1 : 0}|${names}`;
}

/**
 * A request's cache of latest snapshots, where a snapshot loaded with more parts answers a
 * request for fewer: Query.campaign prefetches the union of what every alias of
 * latestSnapshot reads, and each alias then finds it. A cached snapshot never lacks a part
 * asked later: the lookup wants every metric, DELTA's predecessor and details asked for.
 */
class LatestSnapshotCache implements CacheMap<string, Promise<SnapshotBucket | null>> {
  private readonly byCampaign = new Map<string, Map<string, Promise<SnapshotBucket | null>>>();

  get(key: string): Promise<SnapshotBucket | null> | undefined {
    const cached = this.byCampaign.get(key.slice(0, key.indexOf('|')));
    const exact = cached?.get(key);
    if (exact || !cached) return exact;
    const asked = key.split('|').slice(1);
    for (const [candidate, snapshot] of cached) {
      if (covers(candidate.split('|').slice(1), asked)) return snapshot;
    }
    return undefined;
  }

  set(key: string, snapshot: Promise<SnapshotBucket | null>): void {
    const campaignId = key.slice(0, key.indexOf('|'));
    const cached = this.byCampaign.get(campaignId) ?? new Map<string, Promise<SnapshotBucket | null>>();
    cached.set(key, snapshot);
    this.byCampaign.set(campaignId, cached);
  }

  delete(key: string): void {
    this.byCampaign.get(key.slice(0, key.indexOf('|')))?.delete(key);
  }

  clear(): void {
    this.byCampaign.clear();
  }
}

/** Whether parts [previous, details, metrics] loaded answer parts asked (same encoding). */
function covers(
  [previous, details, metrics]: string[],
  [askedPrevious, askedDetails, askedMetrics]: string[],
) {
  if ((askedPrevious === '1' && previous !== '1') || (askedDetails === '1' && details !== '1')) return false;
  if (metrics === ALL_METRICS) return true;
  if (askedMetrics === ALL_METRICS || askedMetrics === undefined || metrics === undefined) return false;
  const loaded = new Set(metrics.split(','));
  return askedMetrics === '' || askedMetrics.split(',').every((metric) => loaded.has(metric));
}

/** The metrics any request reads, in catalog order; every metric when one of them reads all. */
function unionOfMetrics(requests: readonly RawSnapshotParts[]): MetricDefinition[] | undefined {
  const asked = new Set<MetricDefinition>();
  for (const { metrics } of requests) {
    if (!metrics) return undefined;
    for (const definition of metrics) asked.add(definition);
  }
  return METRICS.filter((definition) => asked.has(definition));
}

export async function loadSnapshotCadences(db: Database, ids: readonly string[]): Promise<SnapshotCadence[]> {
  const activity = await campaignActivityById(db, ids);
  return ids.map((id) => {
    const campaign = activity.get(id);
    if (!campaign) throw new Error(`campaign ${id} vanished while loading its cadence`);
    return snapshotCadence(campaign.status, campaign.sessionsLastWeek);
  });
}
