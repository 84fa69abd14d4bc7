import { sql } from 'drizzle-orm';
import { dbReads, dbReplicaUp } from '../observability/metrics.js';
import { type Database, queryRows, type ReplicaDatabase } from './client.js';

/**
 * Read routing over streaming replicas. drizzle's `withReplicas` (1.0.0-rc.5) only adds
 * `$primary`/`$replica` to a database and routes nothing by itself, and its reads would never
 * include `db.execute` (all of src/queries); so the gateway picks one database per GraphQL
 * operation here instead: mutations and subscriptions get the primary, queries a replica
 * unless the caller wrote recently and no replica has replayed that write yet.
 */

export type ReadTarget = 'primary' | 'replica';

/** Logs what the router notices about replicas (the gateway's pino logger fits). */
export interface ReplicaLogger {
  warn(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
}

export interface ReadRouterOptions {
  primary: Database;
  replicas: readonly ReplicaDatabase[];
  logger?: ReplicaLogger;
  /** How long a caller's reads wait for the replicas to replay its last write (default 60 s). */
  readYourWritesMs?: number;
  /** How long a replica's replay position is reused before asking again (default 10 ms). */
  positionCacheMs?: number;
  /** A replica that failed is probed again after this long; reads use the primary meanwhile (default 5 s). */
  retryDownMs?: number;
  /** Callers remembered at once; the oldest write is forgotten first (default 100,000). */
  maxCallers?: number;
  /** A replica that does not answer its position check within this long counts as down (default 2 s). */
  checkTimeoutMs?: number;
}

export interface ReadRoute {
  db: Database;
  target: ReadTarget;
  /** The replica serving the read, for replicaFailed. */
  replica?: ReplicaDatabase;
  /**
   * On a replica: a WAL position it had replayed when the read was routed, so one the read
   * sees (null: not a standby, always current; undefined: never asked).
   */
  replayedLsn?: bigint | null;
}

/** A WAL position (`16/B374D848`) as one number, so positions compare. */
export function parseLsn(lsn: string): bigint {
  const match = /^([0-9A-F]{1,8})\/([0-9A-F]{1,8})$/i.exec(lsn);
  if (!match) throw new Error(`not a WAL position: ${lsn}`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/** Driver and server errors that say the replica itself is unusable, not the statement. */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECTION_ENDED',
  // admin_shutdown, crash_shutdown, cannot_connect_now (starting or stopping)
  '57P01',
  '57P02',
  '57P03',
  // serialization_failure: on a standby, a statement cancelled by a conflict with recovery
  '40001',
]);

/** Whether an error (or one it wraps: drizzle's query error, GraphQL's original error) comes from the replica's connection. */
export function isReplicaFailure(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Object && depth < 5; depth++) {
    const { code, cause, originalError } = current as {
      code?: unknown;
      cause?: unknown;
      originalError?: unknown;
    };
    if (typeof code === 'string' && (CONNECTION_ERROR_CODES.has(code) || code.startsWith('08'))) return true;
    current = originalError ?? cause;
  }
  return false;
}

interface ReplicaState extends ReplicaDatabase {
  up: boolean;
  /** When it last failed (probed again retryDownMs later). */
  failedAt: number;
  /** Replayed WAL position; null = not a standby (always current). */
  replayLsn: bigint | null;
  checkedAt: number;
  check: Promise<boolean> | null;
}

/** Above any WAL position a server reports (they are 64-bit). */
const NEVER_REPLAYED = 1n << 64n;

interface PendingWrite {
  lsn: bigint;
  expiresAt: number;
}

export interface ReadRouter {
  /** The database for one read operation by this caller. */
  routeRead(caller: string): Promise<ReadRoute>;
  /**
   * Runs a write (a mutation) by this caller. Afterwards its reads go to the primary until a
   * replica has replayed it, and the write counts for seesEveryWrite.
   */
  trackWrite<T>(caller: string, write: () => Promise<T>): Promise<T>;
  /**
   * Whether an answer read on this route, now complete, includes every write made through
   * this router so far: none runs now, and a replica had replayed the newest one when the
   * read was routed. The response cache stores only such answers: a replica behind a write
   * would otherwise keep its old answer in the cache after that write's invalidation, for
   * every caller of the scope and up to the answer's TTL.
   */
  seesEveryWrite(route: ReadRoute): boolean;
  /** A read on this replica failed on its connection: marks it down; the read is retried on the returned primary. */
  replicaFailed(replica: ReplicaDatabase, error: unknown): ReadRoute;
  /** Checks every replica now (for /ready): name -> up or down. */
  checkReplicas(): Promise<Record<string, 'up' | 'down'>>;
}

export function createReadRouter({
  primary,
  replicas,
  logger,
  readYourWritesMs = 60_000,
  positionCacheMs = 10,
  retryDownMs = 5_000,
  maxCallers = 100_000,
  checkTimeoutMs = 2_000,
}: ReadRouterOptions): ReadRouter {
  const states: ReplicaState[] = replicas.map((replica) => ({
    ...replica,
    up: true,
    failedAt: 0,
    replayLsn: null,
    checkedAt: 0,
    check: null,
  }));
  for (const state of states) dbReplicaUp.set({ replica: state.name }, 1);
  const pendingWrites = new Map<string, PendingWrite>();
  let next = 0;
  /** The primary's position after the newest write through this router (any caller). */
  let newestWrite: bigint | undefined;
  /** A write whose position the primary did not give counts as unreplayed until then. */
  let unknownWriteUntil = 0;
  let writesInFlight = 0;

  function markDown(state: ReplicaState, error: unknown) {
    state.failedAt = Date.now();
    state.checkedAt = 0;
    if (!state.up) return;
    // Logged once per outage: every read until the next successful probe would repeat it.
    state.up = false;
    dbReplicaUp.set({ replica: state.name }, 0);
    logger?.warn({ err: error, replica: state.name }, 'read replica failed: reads go to the primary');
  }

  function markUp(state: ReplicaState) {
    if (state.up) return;
    state.up = true;
    dbReplicaUp.set({ replica: state.name }, 1);
    logger?.info({ replica: state.name }, 'read replica answers again: reads go to it');
  }

  /** Asks the replica for its replay position (one question in flight per replica). */
  function checkPosition(state: ReplicaState): Promise<boolean> {
    state.check ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      try {
        const [row] = await Promise.race([
          queryRows<{ lsn: string | null }>(state.db, sql`SELECT pg_last_wal_replay_lsn()::text AS lsn`),
          new Promise<never>((_resolve, reject) => {
            timer = setTimeout(
              () => reject(new Error(`no answer within ${checkTimeoutMs} ms`)),
              checkTimeoutMs,
            );
          }),
        ]);
        state.replayLsn = row?.lsn ? parseLsn(row.lsn) : null;
        state.checkedAt = Date.now();
        markUp(state);
        return true;
      } catch (error) {
        markDown(state, error);
        return false;
      } finally {
        clearTimeout(timer);
        state.check = null;
      }
    })();
    return state.check;
  }

  /**
   * Whether the replica has replayed `lsn`. Its position is asked again only when short of
   * `lsn` and older than positionCacheMs: replay only moves forward.
   */
  async function hasReplayed(state: ReplicaState, lsn: bigint): Promise<boolean> {
    const reached = () => state.checkedAt > 0 && (state.replayLsn === null || state.replayLsn >= lsn);
    if (reached() || Date.now() - state.checkedAt <= positionCacheMs) return reached();
    return (await checkPosition(state)) && reached();
  }

  /** Whether the replica is usable for a caller that must see `lsn` (undefined: nothing to wait for). */
  async function serves(state: ReplicaState, lsn: bigint | undefined): Promise<boolean> {
    if (!state.up) {
      // Probed in the background: this read does not wait for a replica that just failed.
      if (Date.now() - state.failedAt >= retryDownMs) void checkPosition(state);
      return false;
    }
    return lsn === undefined || hasReplayed(state, lsn);
  }

  /** After a write by this caller: notes the primary's position for it and as the newest write. Never throws. */
  async function rememberWrite(caller: string) {
    // Without the position (the primary failed right after the write), no replica position
    // counts as reached: the caller reads from the primary for the whole window.
    const lsn = await queryRows<{ lsn: string }>(primary, sql`SELECT pg_current_wal_lsn()::text AS lsn`).then(
      ([row]) => (row ? parseLsn(row.lsn) : NEVER_REPLAYED),
      () => NEVER_REPLAYED,
    );
    if (lsn === NEVER_REPLAYED) unknownWriteUntil = Date.now() + readYourWritesMs;
    else if (newestWrite === undefined || lsn > newestWrite) newestWrite = lsn;
    // Re-inserted so the Map's order stays oldest write first.
    pendingWrites.delete(caller);
    pendingWrites.set(caller, { lsn, expiresAt: Date.now() + readYourWritesMs });
    if (pendingWrites.size > maxCallers) {
      const oldest = pendingWrites.keys().next().value;
      if (oldest !== undefined) pendingWrites.delete(oldest);
    }
  }

  function pendingLsn(caller: string): bigint | undefined {
    const pending = pendingWrites.get(caller);
    if (!pending) return undefined;
    if (pending.expiresAt > Date.now()) return pending.lsn;
    pendingWrites.delete(caller);
    return undefined;
  }

  return {
    async routeRead(caller) {
      const lsn = pendingLsn(caller);
      for (let tried = 0; tried < states.length; tried++) {
        const state = states[next++ % states.length] as ReplicaState;
        if (await serves(state, lsn)) {
          dbReads.inc({ target: 'replica' });
          // For seesEveryWrite: asked again only while the replica looks behind the newest write.
          if (newestWrite !== undefined) await hasReplayed(state, newestWrite);
          const replayedLsn = state.checkedAt > 0 ? state.replayLsn : undefined;
          return { db: state.db, target: 'replica', replica: state, replayedLsn };
        }
      }
      dbReads.inc({ target: 'primary' });
      return { db: primary, target: 'primary' };
    },

    async trackWrite(caller, write) {
      // In flight until its position is noted: a write invalidates the cache before it
      // answers, and a replica read stored between that and the position would be stale.
      writesInFlight += 1;
      try {
        return await write();
      } finally {
        await rememberWrite(caller);
        writesInFlight -= 1;
      }
    },

    seesEveryWrite({ target, replayedLsn }) {
      // A primary answer counts as current. The window this leaves is the one every gateway
      // without replicas has: a read whose snapshot predates a write's commit, stored after
      // that write's invalidation (both within the read's few milliseconds), stays until its TTL.
      if (target === 'primary') return true;
      if (writesInFlight > 0 || Date.now() < unknownWriteUntil) return false;
      if (newestWrite === undefined) return true;
      return replayedLsn === null || (replayedLsn !== undefined && replayedLsn >= newestWrite);
    },

    replicaFailed(replica, error) {
      const state = states.find((candidate) => candidate.name === replica.name);
      if (state) markDown(state, error);
      dbReads.inc({ target: 'primary' });
      return { db: primary, target: 'primary' };
    },

    async checkReplicas() {
      const results = await Promise.all(states.map((state) => checkPosition(state)));
      return Object.fromEntries(states.map((state, index) => [state.name, results[index] ? 'up' : 'down']));
    },
  };
}
