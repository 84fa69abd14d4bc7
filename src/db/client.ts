import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import type { SQL } from 'drizzle-orm';
import type { PgAsyncDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { dbPoolMaxConnections } from '../observability/metrics.js';
import { relations } from './relations.js';
import { instrumentPglite, instrumentPostgres } from './statement-metrics.js';

/** One drizzle instance type for both drivers: application code never knows which it has. */
export type Database = PgAsyncDatabase<PgQueryResultHKT, typeof relations>;

/** A read-only streaming replica of the primary (DATABASE_REPLICA_URLS). */
export interface ReplicaDatabase {
  db: Database;
  /** host:port/database, for logs, metrics and /ready (never credentials). */
  name: string;
}

export interface DatabaseHandle {
  db: Database;
  driver: 'postgres' | 'pglite';
  /** Replica pools (src/db/replicas.ts routes reads to them); none on PGlite. */
  replicas: ReplicaDatabase[];
  /** Applies the committed drizzle-kit migrations (idempotent). */
  migrate(): Promise<void>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** PostgreSQL server URL; without it the embedded database is used. */
  databaseUrl?: string;
  /** Embedded database directory; in memory when absent. */
  dataDir?: string;
  /** postgres.js pool size. */
  maxConnections?: number;
  /** Called with every statement drizzle sends (tests count statements with it). */
  onQuery?: (statement: string, params: unknown[]) => void;
  /** PostgreSQL statement_timeout in milliseconds for every connection; 0 or absent = none. */
  statementTimeoutMs?: number;
  /** Named prepared statements on the server (PostgresStatementOptions); default true. */
  prepareStatements?: boolean;
  /** Streaming replicas of databaseUrl, opened with the same pool settings. */
  replicaUrls?: readonly string[];
}

interface PostgresPoolOptions {
  maxConnections: number;
  statementTimeoutMs: number | undefined;
  prepareStatements: boolean;
  logger: { logQuery: NonNullable<DatabaseOptions['onQuery']> } | undefined;
  /** postgres.js connect_timeout in seconds (its default: 30). */
  connectTimeoutSeconds?: number;
}

function openPostgresPool(
  url: string,
  {
    maxConnections,
    statementTimeoutMs,
    prepareStatements,
    logger,
    connectTimeoutSeconds,
  }: PostgresPoolOptions,
) {
  const client = postgres(url, {
    max: maxConnections,
    onnotice: () => {},
    ...(connectTimeoutSeconds ? { connect_timeout: connectTimeoutSeconds } : {}),
    connection: {
      // The bucket statements are wide but cheap per row: PostgreSQL's JIT spent seconds
      // compiling them on every execution (bench/README.md) for no gain at dashboard sizes.
      jit: 'off',
      ...(statementTimeoutMs ? { statement_timeout: statementTimeoutMs } : {}),
    },
  });
  instrumentPostgres(client, { prepareStatements });
  dbPoolMaxConnections.inc(maxConnections);
  return {
    db: drizzlePostgres({ client, relations, logger }),
    close: () => client.end({ timeout: 5 }).finally(() => dbPoolMaxConnections.dec(maxConnections)),
  };
}

/** host:port/database of a PostgreSQL URL, without credentials. */
function serverName(url: string): string {
  const { hostname, port, pathname } = new URL(url);
  return `${hostname}:${port || '5432'}${pathname}`;
}

const migrationsFolder = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../drizzle');

export async function openDatabase({
  databaseUrl,
  dataDir,
  maxConnections = 10,
  onQuery,
  statementTimeoutMs,
  prepareStatements = true,
  replicaUrls = [],
}: DatabaseOptions): Promise<DatabaseHandle> {
  const logger = onQuery ? { logQuery: onQuery } : undefined;
  if (databaseUrl) {
    const pool = { maxConnections, statementTimeoutMs, prepareStatements, logger };
    const primary = openPostgresPool(databaseUrl, pool);
    // A replica that does not answer is skipped (reads go to the primary): give up on it
    // quickly instead of holding reads for postgres.js' default 30 s.
    const replicas = replicaUrls.map((url) => ({
      name: serverName(url),
      ...openPostgresPool(url, { ...pool, connectTimeoutSeconds: 2 }),
    }));
    const { db } = primary;
    return {
      db,
      driver: 'postgres',
      replicas: replicas.map(({ name, db: replicaDb }) => ({ name, db: replicaDb })),
      migrate: async () => {
        await migratePostgres(db, { migrationsFolder });
      },
      close: async () => {
        await Promise.all([primary, ...replicas].map((opened) => opened.close()));
      },
    };
  }
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const client = await PGlite.create(dataDir);
  instrumentPglite(client);
  // One connection: statements queue for it, like a pool of one.
  dbPoolMaxConnections.inc(1);
  const db = drizzlePglite({ client, relations, logger });
  return {
    db,
    driver: 'pglite',
    replicas: [],
    migrate: async () => {
      await migratePglite(db, { migrationsFolder });
    },
    close: () => client.close().finally(() => dbPoolMaxConnections.dec(1)),
  };
}

/** Runs a hand-written statement and returns its rows as plain objects. */
export function queryRows<Row extends Record<string, unknown>>(db: Database, statement: SQL): Promise<Row[]> {
  return db.execute<Row>(statement, 'objects');
}
