import { GraphQLError } from 'graphql';
import { invalidateCachedCampaigns } from '../cache/response-cache.js';
import { ArchiveError } from '../retention/archive-store.js';
import { RetentionInputError, type RetentionReport, runRetention } from '../retention/run-retention.js';
import { retentionSettings } from '../retention/settings.js';
import { builder } from './builder.js';
import { badUserInput } from './errors.js';

const RetentionReportRef = builder.objectRef<RetentionReport>('RetentionReport').implement({
  description:
    'What a retention run did (or, dry, would do). Rows of the database: raw snapshots and rollup rows; ' +
    'rowsArchived counts quarter rows written to Parquet files (one per campaign and quarter).',
  fields: (t) => ({
    asOf: t.field({ type: 'DateTime', resolve: (r) => r.asOf }),
    dryRun: t.exposeBoolean('dryRun'),
    rawSnapshotsRolledUp: t.exposeInt('rawSnapshotsRolledUp', {
      description: 'Raw snapshots merged into a rollup or an archived quarter.',
    }),
    rollupRowsWritten: t.exposeInt('rollupRowsWritten', {
      description: 'DAY/WEEK/MONTH rows written (a merged or coarsened row counts once).',
    }),
    rowsDeleted: t.exposeInt('rowsDeleted', {
      description: 'Raw snapshots and rollup rows removed: replaced by a coarser or merged row, or archived.',
    }),
    rowsArchived: t.exposeInt('rowsArchived', { description: 'Quarter rows written to the archive.' }),
    campaignsSkippedForLegalHold: t.exposeInt('campaignsSkippedForLegalHold'),
    campaignsProcessed: t.exposeInt('campaignsProcessed', {
      description: 'Campaigns the tiers were applied to.',
    }),
    skipped: t.exposeBoolean('skipped', {
      description: 'Another run (on any gateway instance) held the retention lock: this call did nothing.',
    }),
  }),
});

builder.mutationFields((t) => ({
  runRetention: t.field({
    type: RetentionReportRef,
    description:
      'Runs the retention tiers as of `asOf` (default now; at most a day ahead). dryRun reports without writing. ' +
      'Tiers by age at asOf: <=30d raw; 31-90d DAY; 91-365d WEEK; 1-3y MONTH; older: QUARTER, written to the ' +
      'Parquet archive and removed from the database. highValue campaigns keep the raw and DAY tiers twice as ' +
      'long; legalHold campaigns are left untouched. One run at a time across instances: a concurrent call ' +
      'returns skipped = true.',
    args: {
      asOf: t.arg({ type: 'DateTime' }),
      dryRun: t.arg.boolean({ defaultValue: false }),
    },
    authScopes: { role: 'admin' },
    resolve: async (_root, args, ctx) => {
      const settings = retentionSettings();
      const changed = new Set<string>();
      try {
        return await runRetention(ctx.db, {
          asOf: args.asOf ?? undefined,
          dryRun: args.dryRun ?? false,
          tenantIds: ctx.viewer.tenantIds,
          archive: { url: settings.archiveUrl, s3: settings.s3 },
          onCampaignChanged: (campaignId) => changed.add(campaignId),
        });
      } catch (error) {
        if (error instanceof RetentionInputError) throw badUserInput(error.message, error.field);
        if (error instanceof ArchiveError) {
          throw new GraphQLError(`${error.message} (nothing was deleted for the quarters not archived)`, {
            extensions: { code: 'ARCHIVE_UNAVAILABLE', url: error.url },
          });
        }
        throw error;
      } finally {
        // Also after a failed run: the campaigns it got through stay changed.
        await invalidateCachedCampaigns(ctx.db, changed, 'snapshots');
      }
    },
  }),
}));
