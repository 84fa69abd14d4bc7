import { invalidateCachedCampaigns } from '../cache/response-cache.js';
import { publishRecordedSnapshots } from '../events/publish-recorded.js';
import { recordSnapshots } from '../ingest/record-snapshots.js';
import { MAX_SNAPSHOTS_PER_CALL } from '../ingest/validate-snapshots.js';
import type { SnapshotBucket } from '../metrics/bucket-stats.js';
import { type SnapshotKey, snapshotsByKey } from '../queries/record-snapshots.js';
import { builder } from './builder.js';
import { withInputErrors } from './errors.js';
import { MetricsSnapshot } from './snapshot.js';

const CapacityInput = builder.inputType('CapacityInput', {
  fields: (t) => ({ target: t.int({ required: true }), current: t.int({ required: true }) }),
});
const BudgetInput = builder.inputType('BudgetInput', {
  fields: (t) => ({
    allocated: t.field({ type: 'Decimal', required: true }),
    spent: t.field({ type: 'Decimal', required: true }),
  }),
});
const ImpactInput = builder.inputType('ImpactInput', {
  fields: (t) => ({
    sroiScore: t.float(),
    averageVisScore: t.float(),
    totalHoursLogged: t.float(),
    totalSessionsCompleted: t.int(),
  }),
});
const MonetizationInput = builder.inputType('MonetizationInput', {
  fields: (t) => ({
    seatsUsed: t.int(),
    seatsCommitted: t.int(),
    creditsConsumed: t.field({ type: 'Decimal' }),
    creditsAllocated: t.field({ type: 'Decimal' }),
    learnersServed: t.int(),
    learnersCommitted: t.int(),
  }),
});
const SnapshotInput = builder.inputType('SnapshotInput', {
  fields: (t) => ({
    campaignId: t.id({ required: true }),
    snapshotDate: t.field({ type: 'DateTime', required: true }),
    volunteers: t.field({ type: CapacityInput, required: true }),
    beneficiaries: t.field({ type: CapacityInput, required: true }),
    sessions: t.field({ type: CapacityInput, required: true }),
    budget: t.field({ type: BudgetInput, required: true }),
    impact: t.field({ type: ImpactInput }),
    monetization: t.field({ type: MonetizationInput }),
    details: t.field({
      type: 'JSONObject',
      description: 'Merged into full_snapshot (engagement, outcomeScores, programInstances, alerts).',
    }),
  }),
});

const RecordSnapshotsPayload = builder.objectRef<{
  recorded: number;
  keys: SnapshotKey[];
  /** As read back for live subscribers, when there were any. */
  published: SnapshotBucket[] | null;
}>('RecordSnapshotsPayload');
RecordSnapshotsPayload.implement({
  fields: (t) => ({
    recorded: t.exposeInt('recorded'),
    // Read back only when asked for (or already for live subscribers): a bulk writer usually wants just the count.
    snapshots: t.field({
      type: [MetricsSnapshot],
      resolve: (payload, _args, ctx) => payload.published ?? snapshotsByKey(ctx.db, payload.keys),
    }),
  }),
});

builder.mutationFields((t) => ({
  recordSnapshots: t.field({
    type: RecordSnapshotsPayload,
    // One row written per snapshot.
    complexity: ({ input }) => Math.min(input.length, MAX_SNAPSHOTS_PER_CALL),
    description:
      'Idempotent per (campaignId, snapshotDate): a repeat replaces the earlier values. Utilizations and ' +
      'budget.remaining are computed by the server. All or nothing: one bad input rejects the whole call ' +
      'with an error naming its index and field. At most 10,000 snapshots per call.',
    args: { input: t.arg({ type: [SnapshotInput], required: true }) },
    authScopes: { role: 'ingest' },
    resolve: async (_root, { input }, ctx) => {
      const { recorded, keys } = await withInputErrors(() =>
        recordSnapshots(
          ctx.db,
          input.map((s) => ({ ...s, campaignId: String(s.campaignId) })),
          ctx.viewer.tenantIds,
        ),
      );
      await invalidateCachedCampaigns(
        ctx.db,
        keys.map((key) => key.campaignId),
        'snapshots',
      );
      // Committed: live subscribers get the snapshots as stored.
      return { recorded, keys, published: await publishRecordedSnapshots(ctx.db, ctx.events, keys) };
    },
  }),
}));
