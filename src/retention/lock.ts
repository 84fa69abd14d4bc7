import { sql } from 'drizzle-orm';
import { type Database, queryRows } from '../db/client.js';

/**
 * One retention run at a time across every gateway instance: a PostgreSQL session-level
 * advisory lock, taken with pg_try_advisory_lock so a second caller learns at once that a
 * run is in progress (and reports that it skipped) instead of queueing behind it.
 *
 * A session lock belongs to one connection, so on postgres.js the lock is taken on a
 * reserved connection held for the whole run (the run's own statements use the pool). The
 * embedded PGlite has a single connection, on which advisory locks are re-entrant; one
 * process owns the embedded database, so an in-process flag serves there, and the advisory
 * lock is still taken so the SQL path is the same.
 */
export const RETENTION_LOCK_KEY = 'campaign-metrics-gateway:retention';

interface ReservedConnection {
  unsafe(query: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  release(): void;
}
interface PostgresJsClient {
  reserve(): Promise<ReservedConnection>;
}

function postgresClientOf(db: Database): PostgresJsClient | null {
  // drizzle keeps the driver client on $client; its type is not part of the shared Database type
  const client = (db as unknown as { $client?: unknown }).$client;
  if (client && typeof (client as { reserve?: unknown }).reserve === 'function')
    return client as PostgresJsClient;
  return null;
}

const heldInProcess = new WeakSet<object>();

export interface HeldLock {
  release(): Promise<void>;
}

/** The lock, or null when another run holds it. */
export async function tryRetentionLock(db: Database): Promise<HeldLock | null> {
  const client = postgresClientOf(db);
  if (client) {
    const connection = await client.reserve();
    try {
      const [row] = await connection.unsafe('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [
        RETENTION_LOCK_KEY,
      ]);
      if (row?.locked !== true) {
        connection.release();
        return null;
      }
    } catch (error) {
      connection.release();
      throw error;
    }
    return {
      release: async () => {
        try {
          await connection.unsafe('SELECT pg_advisory_unlock(hashtext($1))', [RETENTION_LOCK_KEY]);
        } finally {
          connection.release();
        }
      },
    };
  }
  if (heldInProcess.has(db)) return null;
  heldInProcess.add(db);
  try {
    const [row] = await queryRows<{ locked: boolean }>(
      db,
      sql`SELECT pg_try_advisory_lock(hashtext(${RETENTION_LOCK_KEY})) AS locked`,
    );
    if (row?.locked !== true) {
      heldInProcess.delete(db);
      return null;
    }
  } catch (error) {
    heldInProcess.delete(db);
    throw error;
  }
  return {
    release: async () => {
      try {
        await queryRows(db, sql`SELECT pg_advisory_unlock(hashtext(${RETENTION_LOCK_KEY}))`);
      } finally {
        heldInProcess.delete(db);
      }
    },
  };
}
