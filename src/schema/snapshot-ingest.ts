import { recordSnapshots } from '../ingest/record-snapshots.js';
import type { SnapshotKey } from '../queries/record-snapshots.js';
import { snapshotsByKey } from '../queries/record-snapshots.js';
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

const RecordSnapshotsPayload = builder.objectRef<{ recorded: number; keys: SnapshotKey[] }>(
  'RecordSnapshotsPayload',
);
RecordSnapshotsPayload.implement({
  fields: (t) => ({
    recorded: t.exposeInt('recorded'),
    // Read back only when asked for: a bulk writer usually wants just the count.
    snapshots: t.field({
      type: [MetricsSnapshot],
      resolve: (payload, _args, ctx) => snapshotsByKey(ctx.db, payload.keys),
    }),
  }),
});

builder.mutationFields((t) => ({
  recordSnapshots: t.field({
    type: RecordSnapshotsPayload,
    description:
      'Idempotent per (campaignId, snapshotDate): a repeat replaces the earlier values. Utilizations and ' +
      'budget.remaining are computed by the server. All or nothing: one bad input rejects the whole call ' +
      'with an error naming its index and field. At most 10,000 snapshots per call.',
    args: { input: t.arg({ type: [SnapshotInput], required: true }) },
    resolve: (_root, { input }, ctx) =>
      withInputErrors(() =>
        recordSnapshots(
          ctx.db,
          input.map((s) => ({ ...s, campaignId: String(s.campaignId) })),
        ),
      ),
  }),
}));
