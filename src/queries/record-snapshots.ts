import { sql } from 'drizzle-orm';
import { type Database, queryRows } from '../db/client.js';
import type { SnapshotInsert } from '../db/schema/snapshots.js';
import type { SnapshotBucket } from '../metrics/bucket-stats.js';
import { METRICS } from '../metrics/catalog.js';
import { refreshDailyAggregates } from './daily-aggregates.js';
import { previousSnapshotLateral, rawSnapshotBucket, rawSnapshotColumns } from './snapshot-rows.js';

const camelCase = (column: string) => column.replace(/_(\w)/g, (_, letter: string) => letter.toUpperCase());

const WRITTEN_METRICS = METRICS.filter((m) => !m.derived);
const WRITTEN_COLUMNS = [
  'campaign_id',
  'snapshot_date',
  ...WRITTEN_METRICS.map((m) => m.column),
  'full_snapshot',
];

/**
 * Record type of the JSON rows: numbers arrive as JSON strings and are parsed exactly by
 * numeric. The parameter is sent as text (postgres.js would JSON-encode a jsonb parameter again).
 */
const RECORD_TYPE = sql.raw(
  [
    'campaign_id uuid',
    'snapshot_date timestamptz',
    ...WRITTEN_METRICS.map((m) => `${m.column} ${m.kind === 'count' ? 'integer' : 'numeric'}`),
    'full_snapshot jsonb',
  ].join(', '),
);

/** A repeated (campaign, instant) replaces every written value; generated columns follow. */
const REPLACE_ON_CONFLICT = sql.raw(
  WRITTEN_COLUMNS.slice(2)
    .map((column) => `${column} = excluded.${column}`)
    .join(', '),
);

/** Rows per statement; each statement carries its rows as one JSON parameter. */
const ROWS_PER_STATEMENT = 2000;

function toJsonRow(row: SnapshotInsert): Record<string, unknown> {
  const values = row as unknown as Record<string, unknown>;
  return Object.fromEntries(
    WRITTEN_COLUMNS.map((column) => {
      const value = values[camelCase(column)];
      return [column, value instanceof Date ? value.toISOString() : (value ?? null)];
    }),
  );
}

/**
 * Inserts or replaces snapshots by (campaign_id, snapshot_date). The rows travel as one
 * JSON parameter expanded by jsonb_to_recordset: the statement text and its parameter count
 * stay the same whatever the batch size, which makes bulk loads several times faster than a
 * VALUES list of 22 parameters per row. The local days written are pre-aggregated again
 * (refreshDailyAggregates). Call inside a transaction so a batch lands whole.
 */
export async function upsertSnapshotRows(db: Database, rows: readonly SnapshotInsert[]): Promise<void> {
  for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
    const chunk = rows.slice(start, start + ROWS_PER_STATEMENT).map(toJsonRow);
    await db.execute(sql`
      INSERT INTO campaign_metrics_snapshots (${sql.raw(WRITTEN_COLUMNS.join(', '))})
      SELECT ${sql.raw(WRITTEN_COLUMNS.join(', '))}
      FROM jsonb_to_recordset(${JSON.stringify(chunk)}::text::jsonb) AS r(${RECORD_TYPE})
      ON CONFLICT (campaign_id, snapshot_date) DO UPDATE SET ${REPLACE_ON_CONFLICT}`);
  }
  await refreshDailyAggregates(
    db,
    rows.map(({ campaignId, snapshotDate }) => ({ campaignId, fromAt: snapshotDate, toAt: snapshotDate })),
  );
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
