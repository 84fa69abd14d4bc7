import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase, queryRows } from '../src/db/client.js';
import { latestSnapshotsByCampaign } from '../src/queries/latest-snapshots.js';

/**
 * Hand-written statements (src/queries, sent through drizzle's `execute`, which asks
 * postgres.js not to prepare) run as named prepared statements unless turned off. One
 * connection per pool, so the session that ran a statement is the one asked about it.
 */
const serverUrl = process.env.DATABASE_URL;

describe.skipIf(!serverUrl)('prepared statements on PostgreSQL (needs DATABASE_URL)', () => {
  const name = `cmg_prepared_${randomBytes(5).toString('hex')}`;
  const admin = serverUrl ? postgres(serverUrl, { max: 1, onnotice: () => {} }) : undefined;
  let databaseUrl = '';

  beforeAll(async () => {
    await admin?.unsafe(`CREATE DATABASE ${name}`);
    const url = new URL(serverUrl ?? '');
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
    const migrated = await openDatabase({ databaseUrl, maxConnections: 1 });
    await migrated.migrate();
    await migrated.close();
  });
  afterAll(async () => {
    await admin?.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin?.end();
  });

  const preparedAfterLatestRead = async (handle: DatabaseHandle) => {
    await latestSnapshotsByCampaign(handle.db, ['7d1f4b2e-0000-4000-8000-000000000002'], {
      previous: false,
      details: false,
    });
    const rows = await queryRows<{ statement: string }>(
      handle.db,
      sql`SELECT statement FROM pg_prepared_statements WHERE NOT from_sql`,
    );
    return rows
      .map((row) => row.statement)
      .filter((statement) => statement.includes('JOIN campaign_latest_snapshots'));
  };

  it('prepares hand-written statements by default, once per text, reused', async () => {
    const handle = await openDatabase({ databaseUrl, maxConnections: 1 });
    try {
      expect(await preparedAfterLatestRead(handle)).toHaveLength(1);
      // the same text again: reused, not prepared a second time
      expect(await preparedAfterLatestRead(handle)).toHaveLength(1);
    } finally {
      await handle.close();
    }
  });

  it('sends them unnamed when DATABASE_PREPARED_STATEMENTS is off (PgBouncer in transaction mode)', async () => {
    const handle = await openDatabase({ databaseUrl, maxConnections: 1, prepareStatements: false });
    try {
      expect(await preparedAfterLatestRead(handle)).toHaveLength(0);
    } finally {
      await handle.close();
    }
  });
});
