import { readdirSync, readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/client.js';
import { RECORD_SNAPSHOTS, snapshotInput, UPSERT_CAMPAIGN } from './fixtures/snapshot-inputs.js';
import { type ServedGateway, serveOverHttp } from './helpers/http-server.js';
import { createTestDatabase, executeOk, type TestDatabase } from './helpers/test-database.js';

/**
 * Random and malformed documents, variables and bodies sent to the running server: the
 * server answers every one with a client error or a GraphQL error (never a 5xx other than a
 * deliberate 503), a rejected write changes nothing, and the process keeps answering.
 */

let db: TestDatabase;
let served: ServedGateway;
let campaignId: string;

const documents = readdirSync(new URL('../documents/', import.meta.url))
  .filter((name) => name.endsWith('.graphql'))
  .map((name) => readFileSync(new URL(`../documents/${name}`, import.meta.url), 'utf8'));

interface Reply {
  status: number;
  text: string;
}

async function post(body: string, contentType = 'application/json'): Promise<Reply> {
  const response = await fetch(`${served.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': contentType, accept: 'application/graphql-response+json, application/json' },
    body,
  });
  return { status: response.status, text: await response.text() };
}

/** No 5xx but a deliberate 503, and nothing internal in the body. */
function expectHandled({ status, text }: Reply) {
  expect(status === 503 || status < 500, `status ${status}: ${text.slice(0, 300)}`).toBe(true);
  expect(text).not.toMatch(/\bat .+\.(ts|js):\d+|node_modules|SELECT .+ FROM|\/work\//);
}

async function snapshotRows(): Promise<number> {
  const [row] = await queryRows<{ count: number }>(
    db.handle.db,
    sql`SELECT count(*)::int AS count FROM campaign_metrics_snapshots`,
  );
  return Number(row?.count);
}

beforeAll(async () => {
  db = await createTestDatabase();
  served = await serveOverHttp(db.gateway);
  const created = await executeOk(db.gateway, UPSERT_CAMPAIGN, {
    input: { name: 'Fuzz target', status: 'ACTIVE', timeZone: 'Europe/Berlin' },
  });
  campaignId = created.upsertCampaign.id;
  await executeOk(db.gateway, RECORD_SNAPSHOTS, {
    input: [snapshotInput(campaignId, { at: '2026-01-01T00:00:00Z' })],
  });
});

afterAll(async () => {
  await served?.close();
  await db?.close();
});

/** A real dashboard document with a random slice cut out and random text put in its place. */
const mangledDocument = fc
  .record({
    source: fc.constantFrom(...documents),
    at: fc.nat(),
    cut: fc.nat({ max: 40 }),
    insert: fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.constantFrom('{', '}', '(', ')', '$', '...', '@skip', ':', '"', 'fragment', '#', '\\u0000'),
    ),
  })
  .map(({ source, at, cut, insert }) => {
    const start = at % (source.length + 1);
    return source.slice(0, start) + insert + source.slice(start + cut);
  });

const anyDocument = fc.oneof(
  mangledDocument,
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 100 }),
  fc.constantFrom(...documents),
);

const anyVariables = fc.oneof(
  fc.dictionary(
    fc.constantFrom('id', 'ids', 'from', 'to', 'first', 'after', 'zone', 'input', 'x'),
    fc.jsonValue(),
  ),
  fc.jsonValue(),
);

describe('fuzzing the HTTP endpoint', () => {
  it('answers random and mangled documents with random variables without a server error', async () => {
    await fc.assert(
      fc.asyncProperty(anyDocument, anyVariables, async (query, variables) => {
        expectHandled(await post(JSON.stringify({ query, variables })));
      }),
      { numRuns: 200 },
    );
  });

  it('answers malformed bodies and content types without a server error', async () => {
    const body = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.jsonValue().map((value) => JSON.stringify(value)),
      fc.constantFrom('{"query":', '{"query": 1}', '{"query":"{__typename}","variables":"x"}', ''),
    );
    const contentType = fc.constantFrom(
      'application/json',
      'application/graphql',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json; charset=latin1',
    );
    await fc.assert(
      fc.asyncProperty(body, contentType, async (text, type) => {
        expectHandled(await post(text, type));
      }),
      { numRuns: 100 },
    );
  });

  it('never writes part of a recordSnapshots batch', async () => {
    /** A valid snapshot at a random instant in 2025, or one broken in a random way. */
    const snapshot = fc
      .record({
        minute: fc.integer({ min: 0, max: 365 * 24 * 60 }),
        breakage: fc.constantFrom(
          'none',
          'none',
          'none',
          'negative-target',
          'bad-date',
          'unknown-campaign',
          'not-a-uuid',
          'missing-budget',
          'money-as-number',
          'huge-int',
          'nan-decimal',
        ),
      })
      .map(({ minute, breakage }) => {
        const at = new Date(Date.UTC(2025, 0, 1) + minute * 60_000).toISOString();
        const input: Record<string, unknown> = snapshotInput(campaignId, { at, spent: '10.00' });
        switch (breakage) {
          case 'negative-target':
            input.volunteers = { target: -1, current: 3 };
            break;
          case 'bad-date':
            input.snapshotDate = '2025-02-30T25:00:00Z';
            break;
          case 'unknown-campaign':
            input.campaignId = '00000000-0000-4000-8000-000000000000';
            break;
          case 'not-a-uuid':
            input.campaignId = 'campaign-1; DROP TABLE campaigns';
            break;
          case 'missing-budget':
            delete input.budget;
            break;
          case 'money-as-number':
            input.budget = { allocated: 1.5e300, spent: '1' };
            break;
          case 'huge-int':
            input.sessions = { target: 2 ** 40, current: 1 };
            break;
          case 'nan-decimal':
            input.budget = { allocated: 'NaN', spent: '1' };
            break;
        }
        return { input, valid: breakage === 'none', at };
      });
    let acceptedBatches = 0;
    let rejectedBatches = 0;
    await fc.assert(
      fc.asyncProperty(
        // Half the batches all valid (a random mix is almost never), half with random breakage.
        fc.oneof(
          fc.array(
            snapshot.map((s) => ({
              ...s,
              input: snapshotInput(campaignId, { at: s.at, spent: '10.00' }),
              valid: true,
            })),
            { minLength: 1, maxLength: 12 },
          ),
          fc.array(snapshot, { minLength: 1, maxLength: 12 }),
        ),
        async (batch) => {
          const before = await snapshotRows();
          const existing = await queryRows<{ at: string }>(
            db.handle.db,
            sql`SELECT to_char(snapshot_date AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at
              FROM campaign_metrics_snapshots`,
          );
          const reply = await post(
            JSON.stringify({ query: RECORD_SNAPSHOTS, variables: { input: batch.map((s) => s.input) } }),
          );
          expectHandled(reply);
          const after = await snapshotRows();
          const body = JSON.parse(reply.text) as {
            errors?: unknown[];
            data?: { recordSnapshots?: { recorded: number } };
          };
          if (batch.every((s) => s.valid)) {
            // A repeat of an instant replaces it: only new instants add rows.
            const known = new Set(existing.map((row) => row.at));
            const added = new Set(batch.map((s) => s.at).filter((at) => !known.has(at))).size;
            expect(body.errors).toBeUndefined();
            expect(after).toBe(before + added);
            acceptedBatches += 1;
          } else {
            expect(body.errors?.length).toBeGreaterThan(0);
            expect(after).toBe(before);
            rejectedBatches += 1;
          }
        },
      ),
      { numRuns: 60 },
    );
    // Both outcomes were exercised, or the property proved nothing.
    expect(acceptedBatches).toBeGreaterThan(0);
    expect(rejectedBatches).toBeGreaterThan(0);
  });

  it('still answers after the fuzzing', async () => {
    const reply = await post(JSON.stringify({ query: '{ __typename }' }));
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.text)).toEqual({ data: { __typename: 'Query' } });
  });
});
