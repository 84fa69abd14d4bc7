import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { type DatabaseHandle, openDatabase } from '../../src/db/client.js';
import { createGateway, type Gateway, type GatewayOptions } from '../../src/server/yoga.js';

/**
 * Tests write the database directly (SQL, runRetention) and read it again with the same
 * documents, so their gateway caches nothing; test/response-cache.test.ts builds cached ones.
 * Logs: warnings and errors only (a line per request would bury the test output);
 * test/observability.test.ts checks the request lines.
 */
const TEST_GATEWAY_SETTINGS = { cacheEnabled: false, logLevel: 'warn' } as const;

/** A gateway for tests that build their own: as configured, but logging warnings and errors only. */
export function createQuietGateway(options: GatewayOptions): Gateway {
  return createGateway({ ...options, settings: { logLevel: 'warn', ...options.settings } });
}

export interface TestDatabase {
  handle: DatabaseHandle;
  gateway: Gateway;
  driver: 'postgres' | 'pglite';
  /** Statements sent since the last reset (for batching assertions). */
  statements: string[];
  close(): Promise<void>;
}

/**
 * A fresh, migrated database for one test file: an in-memory PGlite by default, or a new
 * database on the server named by DATABASE_URL (dropped again on close).
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const statements: string[] = [];
  const onQuery = (statement: string) => statements.push(statement);
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const handle = await openDatabase({ onQuery });
    await handle.migrate();
    statements.length = 0;
    return {
      handle,
      gateway: createGateway({ db: handle.db, settings: TEST_GATEWAY_SETTINGS }),
      driver: 'pglite',
      statements,
      close: handle.close,
    };
  }
  const name = `cmg_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const handle = await openDatabase({ databaseUrl: url.toString(), onQuery });
  await handle.migrate();
  statements.length = 0;
  return {
    handle,
    gateway: createGateway({ db: handle.db, settings: TEST_GATEWAY_SETTINGS }),
    driver: 'postgres',
    statements,
    close: async () => {
      await handle.close();
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

export interface GraphQLResponse<Data = Record<string, unknown>> {
  data?: Data | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

/** POSTs a GraphQL request through the app without a port, as a client would. */
// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response shapes
export async function execute<Data = Record<string, any>>(
  gateway: Gateway,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<GraphQLResponse<Data>> {
  const response = await gateway.fetch('http://gateway.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as GraphQLResponse<Data>;
}

/** Like execute, but fails the test on any GraphQL error. */
// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response shapes
export async function executeOk<Data = Record<string, any>>(
  gateway: Gateway,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<Data> {
  const result = await execute<Data>(gateway, query, variables);
  if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors, null, 2)}`);
  if (!result.data) throw new Error('GraphQL response without data');
  return result.data;
}
