import { sql } from 'drizzle-orm';
import { type Database, queryRows } from '../db/client.js';
import { toInstant } from '../db/values.js';

/**
 * Upkeep of the monthly partitions of campaign_metrics_snapshots (range-partitioned on
 * snapshot_date since migration 20261127155839_partitioned_snapshots). A partition holds one
 * UTC calendar month and is named `campaign_metrics_snapshots_YYYY_MM`. There is no DEFAULT
 * partition: with one, PostgreSQL cannot scan the months in order, so every "newest snapshot
 * of a campaign" probe (ORDER BY snapshot_date DESC LIMIT 1) became a merge over an index
 * scan in every partition (bench/README.md). Months are created ahead of time, for a bulk
 * load's window, and by ingest for any month a batch writes that has none.
 *
 * Every change runs in one transaction under a transaction-level advisory lock: concurrent
 * callers (every gateway instance at start, ingest, the retention schedule) queue, and each
 * re-reads the catalog after taking the lock, so the work is done once.
 */
export const SNAPSHOT_PARTITIONS_LOCK_KEY = 'campaign-metrics-gateway:snapshot-partitions';

const PARENT = 'campaign_metrics_snapshots';

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
}

/** The month partitions with their bounds, oldest first. */
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

export interface PartitionMaintenanceOptions {
  /** the clock (tests); months are created from its month on */
  now?: Date;
  /** also create every month partition from this instant's month through `now`'s (a bulk backfill) */
  from?: Date;
  /** also create the months of these instants (a batch about to be written) */
  instants?: readonly Date[];
}

/**
 * Creates the month partitions that are missing: this month and the next three, every month
 * from `from` on and the months of `instants`, when given. Idempotent.
 */
export async function maintainSnapshotPartitions(
  db: Database,
  { now = new Date(), from, instants = [] }: PartitionMaintenanceOptions = {},
): Promise<PartitionMaintenanceResult> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${SNAPSHOT_PARTITIONS_LOCK_KEY}))`);
    const existing = await snapshotPartitions(tx);
    const wanted = new Map<number, Date>();
    const want = (monthStart: Date) => wanted.set(monthStart.getTime(), monthStart);
    for (let offset = 0; offset <= MONTHS_AHEAD; offset += 1) want(utcMonthStart(now, offset));
    if (from) {
      for (let month = utcMonthStart(from); month < utcMonthStart(now); month = utcMonthStart(month, 1))
        want(month);
    }
    for (const instant of instants) want(utcMonthStart(instant));
    const covered = (start: Date) => existing.some((p) => p.from <= start && start < p.to);
    const missing = [...wanted.values()]
      .filter((start) => !covered(start))
      .sort((a, b) => a.getTime() - b.getTime());
    for (const start of missing) {
      await tx.execute(sql`CREATE TABLE ${sql.identifier(partitionName(start))} PARTITION OF ${sql.identifier(PARENT)}
        FOR VALUES FROM (${sql.raw(boundLiteral(start))}) TO (${sql.raw(boundLiteral(utcMonthStart(start, 1)))})`);
    }
    return { created: missing.map(partitionName) };
  });
}

/** Month starts (ms) known to have a partition, per database handle: ingest asks the catalog only for a month it has not seen. */
const knownMonths = new WeakMap<Database, Set<number>>();

/**
 * Runs `write` (an insert of snapshots at `instants`) once every month it touches has a
 * partition, creating missing ones first. A month retention dropped after this process saw it
 * fails the insert ("no partition of relation ... found for row"): the cache is dropped, the
 * month created, and the write runs once more.
 */
export async function withSnapshotPartitions<Result>(
  db: Database,
  instants: readonly Date[],
  write: () => Promise<Result>,
): Promise<Result> {
  const months = [...new Set(instants.map((instant) => utcMonthStart(instant).getTime()))];
  const ensure = async () => {
    const known = knownMonths.get(db) ?? new Set<number>();
    if (months.every((month) => known.has(month))) return;
    const missing = months.filter((month) => !known.has(month)).map((month) => new Date(month));
    await maintainSnapshotPartitions(db, { instants: missing });
    const partitions = await snapshotPartitions(db);
    knownMonths.set(db, new Set(partitions.map((partition) => partition.from.getTime())));
  };
  await ensure();
  try {
    return await write();
  } catch (error) {
    if (!isMissingPartition(error)) throw error;
    knownMonths.delete(db);
    await ensure();
    return write();
  }
}

function isMissingPartition(error: unknown): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if (/no partition of relation .* found for row/.test(cause.message)) return true;
  }
  return false;
}

/** Thrown inside a drop's transaction to roll it back: the partition is not to be dropped. */
class PartitionKept extends Error {}

/**
 * Detaches and drops the month partitions that end at or before `before` and hold no rows
 * (retention rolled every row of the month up). Only empty partitions go, so no value is
 * lost: a month with a single row left (a legal-hold campaign's, say) keeps its partition.
 * A late row for a dropped month makes ingest create the month again (withSnapshotPartitions).
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
