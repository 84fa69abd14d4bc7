import { and, inArray } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { campaigns } from '../db/schema/campaigns.js';
import type { SnapshotInsert } from '../db/schema/snapshots.js';
import { ofTenants } from '../queries/capacity-alerts.js';
import { type SnapshotKey, upsertSnapshotRows } from '../queries/record-snapshots.js';
import { withSnapshotPartitions } from '../queries/snapshot-partitions.js';
import { InputError } from './input-error.js';
import { type SnapshotInput, type SnapshotValues, validateSnapshots } from './validate-snapshots.js';

export interface RecordedSnapshots {
  recorded: number;
  keys: SnapshotKey[];
}

/**
 * The one write path for snapshots (GraphQL mutation and seed alike): validate everything,
 * check every campaign exists among those of `tenantIds` (null: any tenant; a campaign of
 * another tenant is reported exactly like a missing one), then upsert the whole batch in one
 * transaction (after creating any month partition it needs). full_snapshot = the caller's
 * details plus the campaign's name and status at
 * write time.
 */
export async function recordSnapshots(
  db: Database,
  inputs: readonly SnapshotInput[],
  tenantIds: readonly string[] | null,
): Promise<RecordedSnapshots> {
  const snapshots = validateSnapshots(inputs);
  const campaignIds = [...new Set(snapshots.map((s) => s.campaignId))];
  const known = campaignIds.length
    ? await db
        .select({ id: campaigns.id, name: campaigns.name, status: campaigns.status })
        .from(campaigns)
        .where(and(inArray(campaigns.id, campaignIds), ofTenants(tenantIds)))
    : [];
  const campaignById = new Map(known.map((c) => [c.id, c]));
  const rows = snapshots.map((snapshot): SnapshotInsert => {
    const campaign = campaignById.get(snapshot.campaignId);
    if (!campaign) throw unknownCampaign(inputs, snapshot);
    const { details, ...values } = snapshot;
    return { ...values, fullSnapshot: { ...details, campaignName: campaign.name, status: campaign.status } };
  });
  await withSnapshotPartitions(
    db,
    rows.map((row) => row.snapshotDate),
    () => db.transaction((tx) => upsertSnapshotRows(tx, rows)),
  );
  return {
    recorded: rows.length,
    keys: snapshots.map(({ campaignId, snapshotDate }) => ({ campaignId, snapshotDate })),
  };
}

function unknownCampaign(inputs: readonly SnapshotInput[], snapshot: SnapshotValues): InputError {
  const index = inputs.findIndex((input) => input.campaignId.toLowerCase() === snapshot.campaignId);
  const field = `input[${index}].campaignId`;
  return new InputError(`${field}: no campaign ${snapshot.campaignId}`, field, 'NOT_FOUND', index);
}
