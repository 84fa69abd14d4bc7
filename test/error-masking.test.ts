import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase, queryRows } from '../src/db/client.js';
import { seedDatabase } from '../src/seed/seed-database.js';
import { type ServedGateway, serveOverHttp } from './helpers/http-server.js';
import { createQuietGateway, createTestDatabase, type TestDatabase } from './helpers/test-database.js';

/**
 * Failures the caller did not cause reach it as "Unexpected error." (INTERNAL_SERVER_ERROR)
 * with nothing of the SQL, stack or source files; a statement stopped by statement_timeout
 * says so (STATEMENT_TIMEOUT); errors meant for the caller keep their message and code.
 * Database failures are real ones: tables renamed away under the running gateway.
 */
let db: TestDatabase;
let served: ServedGateway;

beforeAll(async () => {
  db = await createTestDatabase();
  await seedDatabase(db.handle.db, { campaigns: 2, days: 3, end: new Date('2026-06-01T00:00:00Z') });
  served = await serveOverHttp(createQuietGateway({ db: db.handle.db, webRoot: false }));
}, 60_000);

afterAll(async () => {
  await served?.close();
  await db?.close();
});

interface Answer {
  status: number;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response shapes
  body: any;
}

async function post(url: string, query: string): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query }),
  });
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) };
}

/** What must never reach a client: SQL, driver messages, stack frames, source paths. */
const INTERNALS = [
  /\bselect\b/i,
  /\bfrom\s+"?\w/i,
  /Failed query/i,
  /relation/i,
  /campaign_metrics|hidden_/i,
  /\bat\s+\S+\s+\(/,
  /\.[jt]s\b/,
  /node_modules|\/work\//,
  /stack|originalError/i,
];

function codes(answer: Answer): string[] {
  return answer.body.errors.map((error: { extensions: { code: string } }) => error.extensions.code);
}

/** Runs `work` while `table` is renamed away, so every statement reading it fails in PostgreSQL. */
async function withTableMissing<T>(table: string, work: () => Promise<T>): Promise<T> {
  await db.handle.db.execute(sql.raw(`ALTER TABLE ${table} RENAME TO hidden_${table}`));
  try {
    return await work();
  } finally {
    await db.handle.db.execute(sql.raw(`ALTER TABLE hidden_${table} RENAME TO ${table}`));
  }
}

describe('unexpected errors', () => {
  it('the failure being masked does carry SQL (so the checks below mean something)', async () => {
    await withTableMissing('campaign_metrics_snapshots', async () => {
      const failure = await db.handle.db.execute(sql`select count(*) from campaign_metrics_snapshots`).then(
        () => undefined,
        (error: unknown) => error as Error,
      );
      expect(failure?.message).toMatch(/Failed query: select count\(\*\) from campaign_metrics_snapshots/);
    });
  });

  it('a failing batched field (DataLoader) is "Unexpected error." with no SQL, stack or paths, even in development', async () => {
    const previous = process.env.NODE_ENV;
    // Yoga's default masking adds the original error (message and stack) in development.
    process.env.NODE_ENV = 'development';
    try {
      const [first, second] = (
        await queryRows<{ id: string }>(db.handle.db, sql`select id from campaigns order by id limit 2`)
      ).map((row) => row.id);
      // Both campaigns' latestSnapshot load in one batch from campaign_latest_snapshots (a
      // page would read them in its own statement, failing the whole page instead).
      const answer = await withTableMissing('campaign_latest_snapshots', () =>
        post(
          `${served.url}/graphql`,
          `{ a: campaign(id: "${first}") { id latestSnapshot { snapshotDate } }
             b: campaign(id: "${second}") { id latestSnapshot { snapshotDate } } }`,
        ),
      );
      expect(answer.status).toBe(200);
      expect(answer.body.errors).toHaveLength(2);
      for (const error of answer.body.errors) {
        expect(error.message).toBe('Unexpected error.');
        expect(error.extensions.code).toBe('INTERNAL_SERVER_ERROR');
      }
      // the campaigns themselves still come back: only the failing field is null
      expect(answer.body.data).toEqual({
        a: { id: first, latestSnapshot: null },
        b: { id: second, latestSnapshot: null },
      });
      for (const pattern of INTERNALS) expect(answer.text).not.toMatch(pattern);
    } finally {
      process.env.NODE_ENV = previous;
    }
  });

  it('a failing root field is masked the same way', async () => {
    const answer = await withTableMissing('campaigns', () =>
      post(`${served.url}/graphql`, '{ campaigns(first: 2) { totalCount edges { node { id } } } }'),
    );
    expect(codes(answer)).toEqual(['INTERNAL_SERVER_ERROR']);
    expect(answer.body.errors[0].message).toBe('Unexpected error.');
    expect(answer.body.data).toBeNull();
    for (const pattern of INTERNALS) expect(answer.text).not.toMatch(pattern);
  });
});

describe('errors meant for the caller', () => {
  it('keep their message and code', async () => {
    const answer = await post(`${served.url}/graphql`, '{ campaign(id: "not-a-uuid") { id } }');
    expect(answer.body.errors).toEqual([
      expect.objectContaining({
        message: 'id must be a campaign UUID, got "not-a-uuid"',
        extensions: { code: 'BAD_USER_INPUT', field: 'id' },
      }),
    ]);
  });

  it('validation errors keep GRAPHQL_VALIDATION_FAILED', async () => {
    const answer = await post(`${served.url}/graphql`, '{ campaigns { noSuchField } }');
    expect(codes(answer)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(answer.body.errors[0].message).toContain('noSuchField');
  });
});

describe('statement timeout', () => {
  const STATEMENT_TIMEOUT_MESSAGE =
    'The query took longer than the statement timeout allows; ask for less data.';

  it('a statement PostgreSQL cancels (SQLSTATE 57014) answers STATEMENT_TIMEOUT without SQL', async () => {
    // campaigns becomes a view whose every read raises query_canceled, as statement_timeout does
    await db.handle.db.execute(sql`ALTER TABLE campaigns RENAME TO hidden_campaigns`);
    await db.handle.db.execute(sql`
      CREATE FUNCTION hidden_cancel() RETURNS boolean LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'canceling statement due to statement timeout' USING ERRCODE = 'query_canceled'; END $$`);
    await db.handle.db.execute(
      sql`CREATE VIEW campaigns AS SELECT * FROM hidden_campaigns WHERE hidden_cancel()`,
    );
    try {
      const answer = await post(`${served.url}/graphql`, '{ campaigns(first: 2) { edges { node { id } } } }');
      expect(codes(answer)).toEqual(['STATEMENT_TIMEOUT']);
      expect(answer.body.errors[0].message).toBe(STATEMENT_TIMEOUT_MESSAGE);
      expect(answer.body.errors[0].path).toEqual(['campaigns']);
      for (const pattern of INTERNALS) expect(answer.text).not.toMatch(pattern);
    } finally {
      await db.handle.db.execute(sql`DROP VIEW campaigns`);
      await db.handle.db.execute(sql`DROP FUNCTION hidden_cancel()`);
      await db.handle.db.execute(sql`ALTER TABLE hidden_campaigns RENAME TO campaigns`);
    }
  });

  // PGlite runs in this process without timers: it does not enforce statement_timeout.
  it.skipIf(!process.env.DATABASE_URL)(
    'openDatabase({ statementTimeoutMs }) stops a statement stuck behind a lock: STATEMENT_TIMEOUT',
    async () => {
      const [database] = await queryRows<{ name: string }>(
        db.handle.db,
        sql`select current_database() as name`,
      );
      const url = new URL(process.env.DATABASE_URL ?? '');
      url.pathname = `/${database?.name}`;
      let limited: DatabaseHandle | undefined;
      let limitedServer: ServedGateway | undefined;
      try {
        limited = await openDatabase({ databaseUrl: url.toString(), statementTimeoutMs: 300 });
        limitedServer = await serveOverHttp(createQuietGateway({ db: limited.db, webRoot: false }));
        const endpoint = `${limitedServer.url}/graphql`;
        const started = Date.now();
        const answer = await db.handle.db.transaction(async (tx) => {
          await tx.execute(sql`LOCK TABLE campaigns IN ACCESS EXCLUSIVE MODE`);
          return post(endpoint, '{ campaigns(first: 2) { edges { node { id } } } }');
        });
        const elapsed = Date.now() - started;
        expect(codes(answer)).toEqual(['STATEMENT_TIMEOUT']);
        expect(answer.body.errors[0].message).toBe(STATEMENT_TIMEOUT_MESSAGE);
        expect(elapsed).toBeGreaterThanOrEqual(300);
        expect(elapsed).toBeLessThan(5_000);
        for (const pattern of INTERNALS) expect(answer.text).not.toMatch(pattern);
        // the lock is gone: the same request now answers
        const after = await post(endpoint, '{ campaigns(first: 2) { edges { node { id } } } }');
        expect(after.body.errors).toBeUndefined();
        expect(after.body.data.campaigns.edges).toHaveLength(2);
      } finally {
        await limitedServer?.close();
        await limited?.close();
      }
    },
  );
});
