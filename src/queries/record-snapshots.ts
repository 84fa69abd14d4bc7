import { sql } from 'drizzle-orm';
import { type Database, queryRows } from '../db/client.js';
import { type SnapshotInsert, campaignMetricsSnapshots as snapshots } from '../db/schema/snapshots.js';
import type { SnapshotBucket } from '../metrics/bucket-stats.js';
import { METRICS } from '../metrics/catalog.js';
import { previousSnapshotLateral, rawSnapshotBucket, rawSnapshotColumns } from './snapshot-rows.js';

const camelCase = (column: string) => column.replace(/_(\w)/g, (_, letter: string) => letter.toUpperCase());

/** A repeated (campaign, instant) replaces every written value; generated columns follow. */
const REPLACED_ON_CONFLICT = Object.fromEntries(
  [...METRICS.filter((m) => !m.derived).map((m) => m.column), 'full_snapshot'].map((column) => [
    camelCase(column),
    sql.raw(`excluded.${column}`),
  ]),
);

/** Rows per INSERT: 1,000 rows x 22 parameters stays far below PostgreSQL's 65,535. */
const ROWS_PER_STATEMENT = 1000;

/**
 * Inserts or replaces snapshots by (campaign_id, snapshot_date) with multi-row statements.
 * Call inside a transaction so a batch lands whole or not at all.
 */
export async function upsertSnapshotRows(db: Database, rows: readonly SnapshotInsert[]): Promise<void> {
  for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
    await db
      .insert(snapshots)
      .values(rows.slice(start, start + ROWS_PER_STATEMENT))
      .onConflictDoUpdate({
        target: [snapshots.campaignId, snapshots.snapshotDate],
        set: REPLACED_ON_CONFLICT,
      });
  }
}

export interface SnapshotKey {
  campaignId: string;
  snapshotDate: Date;
}

/** Stored snapshots by key (with the snapshot before each, for DELTA), in key order. */
export async function snapshotsByKey(db: Database, keys: readonly SnapshotKey[]): Promise<SnapshotBucket[]> {
  if (keys.length === 0) return [];
  const rows = await queryRows(
    db,
    sql`
    SELECT ${rawSnapshotColumns('s', 'prev')}, c.time_zone, k.ordinality
    FROM unnest(${`{${keys.map((k) => k.campaignId).join(',')}}`}::uuid[],
                ${`{${keys.map((k) => `"${k.snapshotDate.toISOString()}"`).join(',')}}`}::timestamptz[])
         WITH ORDINALITY AS k(campaign_id, snapshot_date, ordinality)
    JOIN campaign_metrics_snapshots s ON s.campaign_id = k.campaign_id AND s.snapshot_date = k.snapshot_date
    JOIN campaigns c ON c.id = s.campaign_id
    ${previousSnapshotLateral('s', 'prev')}
    ORDER BY k.ordinality`,
  );
  return rows.map((row) => rawSnapshotBucket(row, String(row.time_zone)));
}
