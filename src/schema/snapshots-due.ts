import { campaignSnapshotStates } from '../queries/snapshots-due.js';
import { nextSnapshotDue, type SnapshotDue } from '../retention/snapshots-due.js';
import { builder } from './builder.js';
import { Campaign } from './campaign.js';
import { SnapshotCadenceEnum } from './enums.js';

const SnapshotDueRef = builder.objectRef<SnapshotDue>('SnapshotDue').implement({
  description: 'A campaign whose next snapshot is due under its cadence (Campaign.snapshotCadence).',
  fields: (t) => ({
    campaign: t.field({ type: Campaign, resolve: (due) => due.campaign }),
    cadence: t.field({ type: SnapshotCadenceEnum, resolve: (due) => due.cadence }),
    lastSnapshotAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'The latest snapshot at or before asOf; null when the campaign has none.',
      resolve: (due) => due.lastSnapshotAt,
    }),
    dueAt: t.field({
      type: 'DateTime',
      description:
        'Last snapshot + 1 h (HOURLY), 6 h (EVERY_6_HOURS) or 24 h (DAILY); the start (or creation) without ' +
        'a snapshot; FINAL_ONLY: the end (or last update) until a snapshot at or after it exists.',
      resolve: (due) => due.dueAt,
    }),
  }),
});

builder.queryFields((t) => ({
  snapshotsDue: t.field({
    type: [SnapshotDueRef],
    description:
      'For the ingest side: campaigns whose next snapshot is due at asOf (default now), longest overdue first. ' +
      'One statement for all campaigns.',
    args: { asOf: t.arg({ type: 'DateTime' }) },
    resolve: async (_root, args, ctx) => {
      const asOf = args.asOf ?? new Date();
      const states = await campaignSnapshotStates(ctx.db, asOf, ctx.viewer.tenantIds);
      return states
        .map((state) => nextSnapshotDue(state.campaign, state.lastSnapshotAt, state.sessionsLastWeek))
        .filter((due): due is SnapshotDue => due !== null && due.dueAt.getTime() <= asOf.getTime())
        .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || a.campaign.id.localeCompare(b.campaign.id));
    },
  }),
}));
