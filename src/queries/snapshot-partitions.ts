import { sql } from 'drizzle-orm';
import { type Database, queryRows } from '../db/client.js';
import { toInstant } from '../db/values.js';

/**
 * Upkeep of the monthly partitions of campaign_metrics_snapshots (range-partitioned on
 * snapshot_date since migration 20261127155839_partitioned_snapshots). A partition holds one
 * UTC calendar month and is named `campaign_metrics_snapshots_YYYY_MM`; the DEFAULT partition
 * takes any instant no month partition covers, so ingest never fails for lack of one.
 *
 * Every change runs in one transaction under a transaction-level advisory lock: concurrent
 * callers (every gateway instance at start and on the retention schedule) queue, and each
 * re-reads the catalog after taking the lock, so the work is done once.
 */
export const SNAPSHOT_PARTITIONS_LOCK_KEY = 'campaign-metrics-gateway:snapshot-partitions';

const PARENT = 'campaign_metrics_snapshots';
const DEFAULT_PARTITION = `${PARENT}_default`;

/** Months created from the current one on: this month and the next three. */
const MONTHS_AHEAD = 3;

export interface SnapshotPartition {
  name: string;
  /** inclusive lower bound */
  from: Date;
  /** exclusive upper bound */
  to: Date;
}

export interface PartitionMaintenanceResult {
  /** partitions created, oldest month first */
  created: string[];
  /** rows moved out of the DEFAULT partition into the new month partitions */
  rowsMoved: number;
}

/** The month partitions (not the DEFAULT one) with their bounds, oldest first. */
export async function snapshotPartitions(db: Database): Promise<SnapshotPartition[]> {
  // The bound expression prints literals with their offset ('2026-11-01 00:00:00+00'), so
  // casting them back is exact whatever the session time zone.
  const rows = await queryRows<{ name: string; from: unknown; to: unknown }>(
    db,
    sql`
    SELECT c.relname AS name, bound[1]::timestamptz AS from, bound[2]::timestamptz AS to
    FROM pg_inherits i
    JOIN pg_class c ON c.oid = i.inhrelid
    CROSS JOIN LATERAL regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \\(''([^'']+)''\\) TO \\(''([^'']+)''\\)') AS bound
    WHERE i.inhparent = ${PARENT}::regclass AND bound IS NOT NULL
    ORDER BY 2`,
  );
  return rows.map((row) => ({ name: row.name, from: toInstant(row.from), to: toInstant(row.to) }));
}

/** First instant of the UTC month `offset` months after the one holding `instant`. */
function utcMonthStart(instant: Date, offset = 0): Date {
  return new Date(Date.UTC(instant.getUTCFullYear(), instant.getUTCMonth() + offset, 1));
}

function partitionName(monthStart: Date): string {
  const month = String(monthStart.getUTCMonth() + 1).padStart(2, '0');
  return `${PARENT}_${monthStart.getUTCFullYear()}_${month}`;
}

/** Bound literal with an explicit offset: the same instant in any session time zone. */
const boundLiteral = (instant: Date) => `'${instant.toISOString()}'`;

/** Columns a row is written with: every column but the generated ones (recomputed on insert). */
async function writtenColumns(db: Database): Promise<string> {
  const [row] = await queryRows<{ columns: string }>(
    db,
    sql`
    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) AS columns
    FROM pg_attribute
    WHERE attrelid = ${PARENT}::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''`,
  );
  if (!row?.columns) throw new Error(`${PARENT} has no columns: is the database migrated?`);
  return row.columns;
}

export interface PartitionMaintenanceOptions {
  /** the clock (tests); months are created from its month on */
  now?: Date;
  /** also create every month partition from this instant's month through `now`'s (a bulk backfill) */
  from?: Date;
}

/**
 * Creates the month partitions that are missing: this month and the next three, every month
 * from `from` on when given, and every month that has rows in the DEFAULT partition. A month
 * with rows in DEFAULT is split out in the same transaction: its rows are copied aside,
 * deleted from DEFAULT, the partition is created and the rows are inserted again (same id,
 * created_at and values; generated columns recompute to the same values), since PostgreSQL
 * refuses to create a partition whose range DEFAULT still holds rows of. Idempotent.
 */
export async function maintainSnapshotPartitions(
  db: Database,
  { now = new Date(), from }: PartitionMaintenanceOptions = {},
): Promise<PartitionMaintenanceResult> {
  return db.transaction(async (tx) => {
    // moving a month's rows is bounded by the DEFAULT partition's size, not by a request
    await tx.execute(sql`SET LOCAL statement_timeout = 0`);
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${SNAPSHOT_PARTITIONS_LOCK_KEY}))`);
    const existing = await snapshotPartitions(tx);
    const stranded = await queryRows<{ month: unknown }>(
      tx,
      sql`SELECT DISTINCT date_trunc('month', snapshot_date, 'UTC') AS month FROM ${sql.identifier(DEFAULT_PARTITION)}`,
    );
    const wanted = new Map<number, Date>();
    const want = (monthStart: Date) => wanted.set(monthStart.getTime(), monthStart);
    for (let offset = 0; offset <= MONTHS_AHEAD; offset += 1) want(utcMonthStart(now, offset));
    if (from) {
      for (let month = utcMonthStart(from); month < utcMonthStart(now); month = utcMonthStart(month, 1))
        want(month);
    }
    for (const row of stranded) want(toInstant(row.month));
    const overlapsExisting = (start: Date, end: Date) => existing.some((p) => p.from < end && start < p.to);
    const missing = [...wanted.values()]
      .filter((start) => !overlapsExisting(start, utcMonthStart(start, 1)))
      .sort((a, b) => a.getTime() - b.getTime());

    const result: PartitionMaintenanceResult = { created: [], rowsMoved: 0 };
    const strandedMonths = new Set(stranded.map((row) => toInstant(row.month).getTime()));
    const columns = missing.some((start) => strandedMonths.has(start.getTime()))
      ? sql.raw(await writtenColumns(tx))
      : null;
    for (const start of missing) {
      const end = utcMonthStart(start, 1);
      const name = partitionName(start);
      const create = sql`CREATE TABLE ${sql.identifier(name)} PARTITION OF ${sql.identifier(PARENT)}
        FOR VALUES FROM (${sql.raw(boundLiteral(start))}) TO (${sql.raw(boundLiteral(end))})`;
      if (!columns || !strandedMonths.has(start.getTime())) {
        await tx.execute(create);
        result.created.push(name);
        continue;
      }
      const inMonth = sql`snapshot_date >= ${start.toISOString()}::timestamptz AND snapshot_date < ${end.toISOString()}::timestamptz`;
      await tx.execute(
        sql`CREATE TEMPORARY TABLE stranded_snapshots ON COMMIT DROP AS
            SELECT ${columns} FROM ${sql.identifier(DEFAULT_PARTITION)} WHERE ${inMonth}`,
      );
      await tx.execute(sql`DELETE FROM ${sql.identifier(DEFAULT_PARTITION)} WHERE ${inMonth}`);
      await tx.execute(create);
      const [moved] = await queryRows<{ count: number }>(
        tx,
        sql`WITH moved AS (
              INSERT INTO ${sql.identifier(PARENT)} (${columns}) SELECT ${columns} FROM stranded_snapshots RETURNING 1)
            SELECT count(*)::int AS count FROM moved`,
      );
      await tx.execute(sql`DROP TABLE stranded_snapshots`);
      result.created.push(name);
      result.rowsMoved += moved?.count ?? 0;
    }
    return result;
  });
}

/** Thrown inside a drop's transaction to roll it back: the partition is not to be dropped. */
class PartitionKept extends Error {}

/**
 * Detaches and drops the month partitions that end at or before `before` and hold no rows
 * (retention rolled every row of the month up). Only empty partitions go, so no value is
 * lost: a month with a single row left (a legal-hold campaign's, say) keeps its partition.
 * A late row for a dropped month lands in DEFAULT and the next maintenance splits it out.
 * Returns the dropped partitions' names, oldest first.
 */
export async function dropEmptySnapshotPartitions(db: Database, before: Date): Promise<string[]> {
  const candidates = (await snapshotPartitions(db)).filter((p) => p.to <= before);
  const dropped: string[] = [];
  for (const partition of candidates) {
    const table = sql.identifier(partition.name);
    // cheap probe first: a month with rows is skipped without locking the parent
    if (!(await isEmpty(db, partition.name))) continue;
    try {
      await db.transaction(async (tx) => {
        await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${SNAPSHOT_PARTITIONS_LOCK_KEY}))`);
        const [attached] = await queryRows<{ attached: boolean }>(
          tx,
          sql`SELECT EXISTS (SELECT 1 FROM pg_inherits
                             WHERE inhrelid = to_regclass(${partition.name}) AND inhparent = ${PARENT}::regclass) AS attached`,
        );
        if (!attached?.attached) throw new PartitionKept(partition.name);
        // Detached, the table takes no more rows: the emptiness checked now is final.
        await tx.execute(sql`ALTER TABLE ${sql.identifier(PARENT)} DETACH PARTITION ${table}`);
        if (!(await isEmpty(tx, partition.name))) throw new PartitionKept(partition.name);
        await tx.execute(sql`DROP TABLE ${table}`);
      });
      dropped.push(partition.name);
    } catch (error) {
      if (!(error instanceof PartitionKept)) throw error;
    }
  }
  return dropped;
}

async function isEmpty(db: Database, table: string): Promise<boolean> {
  const [row] = await queryRows<{ empty: boolean }>(
    db,
    sql`SELECT NOT EXISTS (SELECT 1 FROM ${sql.identifier(table)}) AS empty`,
  );
  return row?.empty === true;
}
