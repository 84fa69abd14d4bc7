import type { CacheEntityRecord } from '@envelop/response-cache';

/**
 * What a cached answer depends on, as the entities the response cache links it to and
 * writes invalidate:
 * - `Campaign:<id>`: one campaign's row and data (snapshots, rollups, archive). The cache
 *   plugin records it for every Campaign object in an answer (it selects `id` for them);
 *   root fields that address campaigns by id record it for the ids asked for, found or not.
 * - `AllCampaigns:rows`: answers listing campaigns (which exist, their status and tenant).
 * - `AllCampaigns:data`: answers computed over every visible campaign's data (alerts of all
 *   campaigns, snapshots due), and any root field this module does not know.
 * Entities without an id (the plugin reports type names of empty fields) are not tracked:
 * no write invalidates a whole type.
 */

export const ALL_CAMPAIGN_ROWS: CacheEntityRecord = { typename: 'AllCampaigns', id: 'rows' };
export const ALL_CAMPAIGN_DATA: CacheEntityRecord = { typename: 'AllCampaigns', id: 'data' };

export function campaignEntity(id: string): CacheEntityRecord {
  // Campaign ids are UUIDs, stored and returned lower case; arguments may be upper case.
  return { typename: 'Campaign', id: id.toLowerCase() };
}

/** What a write changed: campaign rows (upsertCampaign), or their snapshots (recordSnapshots, retention). */
export type CampaignChange = 'campaign' | 'snapshots';

/** The entities a committed write invalidates. */
export function changedEntities(campaignIds: Iterable<string>, change: CampaignChange): CacheEntityRecord[] {
  const entities = [...new Set(campaignIds)].map(campaignEntity);
  // A new snapshot may raise an alert or change what is due for a campaign no answer named.
  entities.push(ALL_CAMPAIGN_DATA);
  // A new campaign, or a status or tenant change, changes which campaigns a list holds.
  if (change === 'campaign') entities.push(ALL_CAMPAIGN_ROWS);
  return entities;
}

/** Tracked entities only (those with an id). */
export function trackedEntities(entities: Iterable<CacheEntityRecord>): CacheEntityRecord[] {
  return [...entities].filter((entity) => entity.id !== undefined && entity.id !== null);
}

type Arguments = Record<string, unknown>;

const ids = (values: unknown): CacheEntityRecord[] =>
  Array.isArray(values) ? values.filter((id) => typeof id === 'string').map(campaignEntity) : [];

/**
 * Dependencies of root query fields beyond the Campaign objects in their answer. A field
 * not named here (capacityAlerts, snapshotsDue, fields added later) counts as reading every
 * campaign's data, so no write can leave it stale.
 */
const rootFieldDependencies: Record<string, (args: Arguments) => CacheEntityRecord[]> = {
  // Null for a missing or invisible campaign: that answer changes when the campaign is written.
  campaign: (args) => ids([args.id]),
  node: (args) => ids([args.id]),
  _entities: (args) =>
    ids(
      (Array.isArray(args.representations) ? args.representations : [])
        .filter((representation) => representation?.__typename === 'Campaign')
        .map((representation) => representation.id),
    ),
  // The rows may not select `campaign`, and every row's ranks depend on every id.
  compareCampaigns: (args) => ids(args.ids),
  campaigns: () => [ALL_CAMPAIGN_ROWS],
  // No campaign data.
  _service: () => [],
  __typename: () => [],
  __schema: () => [],
  __type: () => [],
};

export function rootFieldEntities(fieldName: string, args: Arguments): CacheEntityRecord[] {
  const dependencies = rootFieldDependencies[fieldName];
  return dependencies ? dependencies(args) : [ALL_CAMPAIGN_DATA];
}
