import { initContextCache } from '@pothos/core';
import { seesTenant } from '../auth/viewer.js';
import { isUuid } from '../ingest/input-error.js';
import { createRequestLoaders } from '../loaders/request-loaders.js';
import { capacityAlertsOf, DEFAULT_THRESHOLD } from '../metrics/capacity-alerts.js';
import { visibleCampaignId } from '../queries/recorded-campaigns.js';
import { CapacityAlert, type CapacityAlertShape, checkThreshold, THRESHOLD_DESCRIPTION } from './alerts.js';
import { builder, type Context } from './builder.js';
import { badUserInput, notFound } from './errors.js';
import { MetricsSnapshot } from './snapshot.js';

/** The id of a campaign the caller may see, as `campaign(id:)` would find it; else the error a query gives. */
async function subscribedCampaignId(ctx: Context, id: string): Promise<string> {
  if (!isUuid(id)) throw badUserInput(`campaignId must be a campaign UUID, got "${id}"`, 'campaignId');
  const visible = await visibleCampaignId(ctx.db, ctx.viewer.tenantIds, id.toLowerCase());
  if (visible === null) throw notFound(`campaignId: no campaign ${id}`, 'campaignId');
  return visible;
}

/**
 * A subscription keeps one context for all its events, and with it the per-request caches
 * (DataLoaders, Pothos' context caches): each event starts with fresh ones, or a field such as
 * `campaign { latestSnapshot }` would answer from the first event forever.
 */
function freshCaches<T>(payload: T, _args: unknown, ctx: Context): T {
  Object.assign(ctx, initContextCache(), { loaders: createRequestLoaders(ctx.db) });
  return payload;
}

builder.subscriptionFields((t) => ({
  snapshotRecorded: t.field({
    type: MetricsSnapshot,
    description:
      'Each snapshot of this campaign as recorded by recordSnapshots (granularity RAW, values as stored), ' +
      'after its transaction committed; one event per snapshot. A campaignId that is no UUID: BAD_USER_INPUT; ' +
      'of no visible campaign: NOT_FOUND.',
    args: { campaignId: t.arg.id({ required: true }) },
    subscribe: async (_root, args, ctx) => {
      const id = await subscribedCampaignId(ctx, String(args.campaignId));
      return ctx.events.subscribe(({ campaign, snapshot }) =>
        campaign.id === id && seesTenant(ctx.viewer, campaign.tenantId) ? [snapshot] : [],
      );
    },
    resolve: freshCaches,
  }),
  capacityAlertRaised: t.field({
    type: CapacityAlert,
    description:
      "The alerts (see CapacityAlert) of each recorded snapshot that is its campaign's latest, for every " +
      'visible campaign: one event per resource at or above the threshold, in alert order. These are the ' +
      "alerts Query.capacityAlerts lists for that campaign from then on. A snapshot recorded before the campaign's " +
      'latest raises none. A threshold outside 0..10: BAD_USER_INPUT.',
    args: {
      threshold: t.arg.float({ defaultValue: DEFAULT_THRESHOLD, description: THRESHOLD_DESCRIPTION }),
    },
    subscribe: (_root, args, ctx) => {
      const threshold = checkThreshold(args.threshold);
      return ctx.events.subscribe(({ campaign, snapshot, latest }): CapacityAlertShape[] =>
        latest && seesTenant(ctx.viewer, campaign.tenantId)
          ? capacityAlertsOf(snapshot, threshold).map((alert) => ({ ...alert, campaign }))
          : [],
      );
    },
    resolve: freshCaches,
  }),
}));
