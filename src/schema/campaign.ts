import { brandWithType, createContextCache } from '@pothos/core';
import { resolveCursorConnection } from '@pothos/plugin-relay';
import DataLoader from 'dataloader';
import { and, inArray, type SQL } from 'drizzle-orm';
import type { GraphQLResolveInfo } from 'graphql';
import { forbidden } from '../auth/errors.js';
import { tenantForWrite } from '../auth/tenants.js';
import { invalidateCachedCampaigns } from '../cache/response-cache.js';
import { type CampaignRow, campaigns } from '../db/schema/campaigns.js';
import { isUuid, requireUuid } from '../ingest/input-error.js';
import { loadSnapshotCadences } from '../loaders/campaign-loaders.js';
import { createCampaignBucketLoader } from '../loaders/snapshot-bucket-loader.js';
import type { CampaignStatus } from '../metrics/catalog.js';
import { campaignPage } from '../queries/campaign-page.js';
import { visibleCampaignsById } from '../queries/campaigns-by-id.js';
import { ofTenants } from '../queries/capacity-alerts.js';
import type { RawSnapshotParts } from '../queries/snapshot-rows.js';
import { upsertCampaign } from '../queries/upsert-campaign.js';
import { builder, type Context } from './builder.js';
import { type PlannedBuckets, plannedCampaignBuckets } from './campaign-lookahead.js';
import { decodeCampaignCursor, encodeCampaignCursor } from './cursor.js';
import { CampaignStatusEnum, SnapshotCadenceEnum } from './enums.js';
import { badUserInput, withInputErrors } from './errors.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, pageComplexity, pageRequest } from './pagination.js';
import { selectsField, selectsPath } from './selection.js';
import { MetricsSnapshot } from './snapshot.js';
import { latestSnapshotParts, latestSnapshotRequest } from './snapshot-selection.js';

/**
 * Starts Campaign.latestSnapshot's statement beside the campaign's own, so a dashboard's
 * KPI request waits for one round trip instead of two in a row; the field then finds the
 * answer in its loader. For a campaign the viewer cannot see the answer is never read.
 */
function prefetchLatestSnapshot(ctx: Context, campaignId: string, info: GraphQLResolveInfo): void {
  if (!selectsField(info, 'latestSnapshot')) return;
  // A failed batch is cleared from the loader: the field's own load retries and reports it.
  ctx.loaders.latestSnapshots
    .load(latestSnapshotRequest(campaignId, info, ['latestSnapshot']))
    .catch(() => {});
}

export const Campaign = builder.drizzleNode('campaigns', {
  name: 'Campaign',
  id: { column: (campaign) => campaign.id },
  // The columns are read off the row with plain resolvers, not `t.expose*`: the drizzle
  // plugin wraps exposed columns to check that its own planned statement loaded the row, and
  // reloads every row it did not (the comparison's and alerts' rows come whole from their own
  // statements), which cost one more statement per request for rows already in hand.
  fields: (t) => ({
    name: t.string({ resolve: (campaign) => campaign.name }),
    status: t.field({ type: CampaignStatusEnum, resolve: (campaign) => campaign.status }),
    startsAt: t.field({ type: 'DateTime', nullable: true, resolve: (campaign) => campaign.startsAt }),
    endsAt: t.field({ type: 'DateTime', nullable: true, resolve: (campaign) => campaign.endsAt }),
    timeZone: t.field({ type: 'TimeZone', resolve: (campaign) => campaign.timeZone }),
    highValue: t.boolean({ resolve: (campaign) => campaign.highValue }),
    legalHold: t.boolean({ resolve: (campaign) => campaign.legalHold }),
    latestSnapshot: t.field({
      type: MetricsSnapshot,
      nullable: true,
      resolve: (campaign, _args, ctx, info) =>
        ctx.loaders.latestSnapshots.load(latestSnapshotRequest(campaign.id, info)),
    }),
    snapshotCadence: t.loadable({
      type: SnapshotCadenceEnum,
      load: (ids: string[], ctx) => loadSnapshotCadences(ctx.db, ids),
      resolve: (campaign) => campaign.id,
    }),
  }),
});

/**
 * The request's visible campaigns by id: `campaign`, `node` and federation's `_entities` (and
 * every alias of them) share one primary-key statement per tick. Rows are whole, as every
 * Campaign field reads its column off the row.
 */
const visibleCampaignLoader = createContextCache(
  (ctx: Context) =>
    new DataLoader<string, CampaignRow | null>(async (ids) => {
      // ctx.db when the batch runs: read routing may have moved the request to a replica
      const byId = await visibleCampaignsById(ctx.db, ctx.viewer.tenantIds, ids);
      return ids.map((id) => byId.get(id) ?? null);
    }),
);

/** Query.campaign lookups that bring their buckets: one statement per bucket query of the tick. */
const campaignBucketLoader = createContextCache((ctx: Context) =>
  createCampaignBucketLoader(() => ctx.db, ctx.viewer.tenantIds),
);

/**
 * A visible campaign by id, read in the statements of the buckets its fields will ask for
 * (`planned`), which then find them primed in their loader: one round trip where the lookup
 * would come first to learn the campaign's zone. Fields asking the same range and granularity
 * share one statement (the loader groups them and computes the union of their selections).
 */
async function loadCampaignWithBuckets(ctx: Context, id: string, planned: readonly PlannedBuckets[]) {
  const loader = campaignBucketLoader(ctx);
  const answers = await Promise.all(planned.map((request) => loader.load({ campaignId: id, ...request })));
  const [first] = answers;
  if (!first) return null;
  visibleCampaignLoader(ctx).prime(id, first.campaign);
  planned.forEach(({ query }, i) => {
    const found = answers[i];
    // an Error (an unreadable archived range) primes a rejection: the field reports it
    if (found) ctx.loaders.snapshotBuckets.prime({ ...found.target, query }, found.buckets);
  });
  return first.campaign;
}

/** A visible campaign by id, or null: an id that is no UUID, missing, or of another tenant. */
function loadVisibleCampaign(id: string, ctx: Context) {
  return isUuid(id) ? visibleCampaignLoader(ctx).load(id.toLowerCase()) : null;
}

/**
 * Federation entity: other subgraphs extend `Campaign @key(fields: "id")`. A gateway sends all
 * references of a request in one `_entities` call; they load in one statement.
 */
builder.asEntity(Campaign, {
  key: builder.selection<{ id: string }>('id'),
  resolveReference: ({ id }, ctx) => loadVisibleCampaign(id, ctx),
});

/**
 * The Relay `node` field (the builder turns off the plugin's own, whose loader cannot be
 * scoped to tenants and fails on a missing id): Campaign is the only Node.
 */
builder.queryField('node', (t) =>
  t.field({
    type: builder.nodeInterfaceRef(),
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const campaign = await loadVisibleCampaign(String(args.id), ctx);
      // Tells the Node interface which type the row is.
      if (campaign) brandWithType(campaign, Campaign);
      return campaign;
    },
  }),
);

const CampaignConnection = builder.connectionObject(
  {
    type: Campaign,
    name: 'CampaignConnection',
    // The resolver below returns totalCount beside edges and pageInfo.
    fields: (t) => ({
      totalCount: t.int({
        resolve: (connection) => (connection as typeof connection & { totalCount: number }).totalCount,
      }),
    }),
  },
  { name: 'CampaignEdge' },
);

/** Where Campaign.latestSnapshot and Campaign.capacityAlerts sit under a campaigns connection. */
const LATEST_OF_PAGE = ['edges', 'node', 'latestSnapshot'] as const;
const ALERTS_OF_PAGE = ['edges', 'node', 'capacityAlerts'] as const;

/**
 * The parts of each campaign's latest snapshot the page's fields read through the loader:
 * latestSnapshot's selection, and every metric when capacityAlerts is shown (it reads all
 * seven resources of the same snapshot); undefined when neither is selected.
 */
function latestPartsOfPage(info: GraphQLResolveInfo): RawSnapshotParts | undefined {
  const shown = selectsPath(info, LATEST_OF_PAGE) ? latestSnapshotParts(info, LATEST_OF_PAGE) : undefined;
  if (!selectsPath(info, ALERTS_OF_PAGE)) return shown;
  return { previous: shown?.previous ?? false, details: shown?.details ?? false };
}

/**
 * A page of campaigns, with their latest snapshots in the same statement when the page shows
 * them: the loader is primed with each, so Campaign.latestSnapshot and Campaign.capacityAlerts
 * find their answer there.
 */
async function campaignsOfPage(
  ctx: Context,
  info: GraphQLResolveInfo,
  page: { afterId: string | null; limit: number; statuses: readonly CampaignStatus[] | null },
): Promise<CampaignRow[]> {
  const latest = latestPartsOfPage(info);
  const rows = await campaignPage(ctx.db, { tenantIds: ctx.viewer.tenantIds, ...page, latest });
  if (latest) {
    for (const { campaign, latest: snapshot } of rows) {
      ctx.loaders.latestSnapshots.prime({ campaignId: campaign.id, ...latest }, snapshot);
    }
  }
  return rows.map(({ campaign }) => campaign);
}

builder.queryFields((t) => ({
  campaign: t.field({
    type: Campaign,
    nullable: true,
    description: 'The campaign with this id (its UUID), or null when it does not exist or is not visible.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx, info) => {
      const id = requireCampaignId(String(args.id), 'id');
      prefetchLatestSnapshot(ctx, id, info);
      const planned = plannedCampaignBuckets(info);
      return planned.length ? loadCampaignWithBuckets(ctx, id, planned) : visibleCampaignLoader(ctx).load(id);
    },
  }),
  campaigns: t.field({
    type: CampaignConnection,
    complexity: pageComplexity,
    description: 'Campaigns by id, forward pages (default 100, at most 1000), optionally of some statuses.',
    args: {
      first: t.arg.int(),
      after: t.arg.string(),
      status: t.arg({ type: [CampaignStatusEnum] }),
    },
    resolve: async (_root, args, ctx, info) => {
      pageRequest({ first: args.first });
      const afterId = args.after == null ? null : decodeCampaignCursor(args.after);
      const statuses = args.status ?? null;
      const [connection, totalCount] = await Promise.all([
        resolveCursorConnection<Promise<CampaignRow[]>>(
          {
            args,
            defaultSize: DEFAULT_PAGE_SIZE,
            maxSize: MAX_PAGE_SIZE,
            toCursor: (campaign: CampaignRow) => encodeCampaignCursor(campaign.id),
          },
          ({ limit }) => campaignsOfPage(ctx, info, { afterId, limit, statuses }),
        ),
        selectsField(info, 'totalCount')
          ? ctx.db.$count(campaigns, and(statusFilter(statuses), ofTenants(ctx.viewer.tenantIds)))
          : 0,
      ]);
      return { ...connection, totalCount };
    },
  }),
}));

function statusFilter(statuses: readonly CampaignStatus[] | null | undefined): SQL | undefined {
  return statuses?.length ? inArray(campaigns.status, [...statuses]) : undefined;
}

function requireCampaignId(id: string, field: string): string {
  if (!isUuid(id)) throw badUserInput(`${field} must be a campaign UUID, got "${id}"`, field);
  return id.toLowerCase();
}

const CampaignInput = builder.inputType('CampaignInput', {
  fields: (t) => ({
    id: t.id(),
    tenantId: t.id(),
    name: t.string({ required: true }),
    status: t.field({ type: CampaignStatusEnum, required: true }),
    startsAt: t.field({ type: 'DateTime' }),
    endsAt: t.field({ type: 'DateTime' }),
    timeZone: t.field({ type: 'TimeZone' }),
    highValue: t.boolean(),
    legalHold: t.boolean(),
  }),
});

builder.mutationFields((t) => ({
  upsertCampaign: t.drizzleField({
    type: Campaign,
    description: 'Create or update by id (a new UUID when id is absent).',
    args: { input: t.arg({ type: CampaignInput, required: true }) },
    authScopes: { role: 'ingest' },
    resolve: async (query, _root, { input }, ctx) => {
      const id = await withInputErrors(() =>
        upsertCampaign(
          ctx.db,
          {
            ...input,
            id: input.id == null ? undefined : requireUuid(String(input.id), 'input.id'),
            tenantId: tenantForWrite(ctx.viewer, input.tenantId == null ? undefined : String(input.tenantId)),
          },
          ctx.viewer.tenantIds,
        ),
      );
      // The id is taken by a campaign of a tenant the token does not have.
      if (id === null) throw forbidden('input.id names a campaign this token may not write', 'input.id');
      await invalidateCachedCampaigns(ctx.db, [id], 'campaign');
      const campaign = await ctx.db.query.campaigns.findFirst(query({ where: { id } }));
      if (!campaign) throw new Error(`campaign ${id} missing right after its upsert`);
      return campaign;
    },
  }),
}));
