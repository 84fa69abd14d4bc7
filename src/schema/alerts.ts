import type { CampaignRow } from '../db/schema/campaigns.js';
import { isUuid } from '../ingest/input-error.js';
import {
  alertOf,
  CAPACITY_RESOURCES,
  type CapacityAlert as CapacityAlertValue,
  capacityAlertsOf,
  DEFAULT_THRESHOLD,
  MAX_THRESHOLD,
  MIN_THRESHOLD,
} from '../metrics/capacity-alerts.js';
import { type AlertKey, type CapacityAlertRow, capacityAlertsPage } from '../queries/capacity-alerts.js';
import { builder } from './builder.js';
import { Campaign } from './campaign.js';
import { AlertSeverityEnum, CapacityResourceEnum } from './enums.js';
import { badUserInput } from './errors.js';
import { pageComplexity, pageRequest } from './pagination.js';
import { selectsField } from './selection.js';

export interface CapacityAlertShape extends CapacityAlertValue {
  campaign: CampaignRow;
}

const ALERT_DESCRIPTION =
  "One per resource of a campaign's latest snapshot whose utilization >= threshold. " +
  'VOLUNTEERS/BENEFICIARIES/SESSIONS/BUDGET use the stored utilization; SEATS, CREDITS and LEARNERS use ' +
  'used/committed, consumed/allocated, served/committed (skipped when the denominator is null or 0). ' +
  'severity: CRITICAL when utilization >= 1.0, else WARNING.';

export const THRESHOLD_DESCRIPTION = `Utilization at which a resource alerts, from ${MIN_THRESHOLD} to ${MAX_THRESHOLD}.`;

export const CapacityAlert = builder.objectRef<CapacityAlertShape>('CapacityAlert').implement({
  description: ALERT_DESCRIPTION,
  fields: (t) => ({
    campaign: t.field({ type: Campaign, resolve: (alert) => alert.campaign }),
    resource: t.field({ type: CapacityResourceEnum, resolve: (alert) => alert.resource }),
    utilization: t.exposeFloat('utilization'),
    threshold: t.exposeFloat('threshold'),
    severity: t.field({ type: AlertSeverityEnum, resolve: (alert) => alert.severity }),
    message: t.exposeString('message', { description: 'e.g. "Volunteers at 92% of target (46/50)"' }),
    snapshotDate: t.field({ type: 'DateTime', resolve: (alert) => alert.snapshotDate }),
  }),
});

/** The threshold argument (null means the default); outside 0..10 it is rejected. */
export function checkThreshold(threshold: number | null | undefined): number {
  const value = threshold ?? DEFAULT_THRESHOLD;
  if (!(value >= MIN_THRESHOLD && value <= MAX_THRESHOLD)) {
    throw badUserInput(
      `threshold must be between ${MIN_THRESHOLD} and ${MAX_THRESHOLD}, got ${value}`,
      'threshold',
    );
  }
  return value;
}

builder.drizzleObjectField(Campaign, 'capacityAlerts', (t) =>
  t.field({
    type: [CapacityAlert],
    description:
      "Alerts of this campaign's latest snapshot (see CapacityAlert), most severe and highest utilization first.",
    args: {
      threshold: t.arg.float({ defaultValue: DEFAULT_THRESHOLD, description: THRESHOLD_DESCRIPTION }),
    },
    // At most one alert per capacity resource: that bounds the list, not the default guess.
    complexity: { field: 1, multiplier: CAPACITY_RESOURCES.length },
    // The same loader as latestSnapshot: both fields of a page of campaigns share one statement.
    resolve: async (campaign, args, ctx) => {
      const threshold = checkThreshold(args.threshold);
      const snapshot = await ctx.loaders.latestSnapshots.load({
        campaignId: campaign.id,
        previous: false,
        details: false,
      });
      if (!snapshot) return [];
      return capacityAlertsOf(snapshot, threshold).map((alert) => ({ ...alert, campaign }));
    },
  }),
);

/**
 * Opaque cursor: the alert's position in the order (utilization, campaign id, resource).
 * The order does not depend on the threshold, so a cursor stays valid when it changes.
 */
function encodeAlertCursor({ utilization, campaign, reading }: CapacityAlertRow): string {
  const payload = { u: utilization, c: campaign.id, r: reading.resource };
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

function decodeAlertCursor(cursor: string): AlertKey {
  const invalid = () => badUserInput('after is not a cursor of this connection', 'after');
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const { u, c, r } = (payload ?? {}) as { u?: unknown; c?: unknown; r?: unknown };
  const resource = CAPACITY_RESOURCES.find((name) => name === r);
  if (typeof u !== 'number' || !Number.isFinite(u) || typeof c !== 'string' || !isUuid(c) || !resource) {
    throw invalid();
  }
  return { utilization: u, campaignId: c.toLowerCase(), resource };
}

/** A row of the SQL page as an alert; the pure definition decides its values. */
function alertOfRow(row: CapacityAlertRow, threshold: number): CapacityAlertShape {
  const alert = alertOf(row.campaign.id, row.snapshotDate, row.reading, threshold);
  if (!alert || alert.utilization !== row.utilization) {
    throw new Error(
      `capacity alert SQL and metrics/capacity-alerts.ts disagree on ${row.reading.resource} of ${row.campaign.id}`,
    );
  }
  return { ...alert, campaign: row.campaign };
}

const CapacityAlertConnection = builder.connectionObject(
  {
    type: CapacityAlert,
    name: 'CapacityAlertConnection',
    // The resolver below returns totalCount beside edges and pageInfo.
    fields: (t) => ({
      totalCount: t.int({
        resolve: (connection) => (connection as typeof connection & { totalCount: number }).totalCount,
      }),
    }),
  },
  { name: 'CapacityAlertEdge' },
);

builder.queryFields((t) => ({
  capacityAlerts: t.field({
    type: CapacityAlertConnection,
    complexity: pageComplexity,
    description:
      "Alerts of every visible campaign's latest snapshot, most severe and highest utilization first (ties: " +
      'campaign id, then resource in enum order). Forward pages (default 100, at most 1000).',
    args: {
      threshold: t.arg.float({ defaultValue: DEFAULT_THRESHOLD, description: THRESHOLD_DESCRIPTION }),
      first: t.arg.int(),
      after: t.arg.string(),
    },
    resolve: async (_root, args, ctx, info) => {
      const threshold = checkThreshold(args.threshold);
      const { size } = pageRequest({ first: args.first });
      const page = await capacityAlertsPage(ctx.db, {
        tenantIds: ctx.viewer.tenantIds,
        threshold,
        after: args.after != null ? decodeAlertCursor(args.after) : undefined,
        limit: size + 1,
        withTotalCount: selectsField(info, 'totalCount'),
      });
      const edges = page.rows
        .slice(0, size)
        .map((row) => ({ cursor: encodeAlertCursor(row), node: alertOfRow(row, threshold) }));
      return {
        edges,
        totalCount: page.totalCount ?? 0,
        pageInfo: {
          hasNextPage: page.rows.length > size,
          hasPreviousPage: args.after != null,
          startCursor: edges[0]?.cursor ?? null,
          endCursor: edges.at(-1)?.cursor ?? null,
        },
      };
    },
  }),
}));
