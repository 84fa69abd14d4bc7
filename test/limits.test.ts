import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { getIntrospectionQuery } from 'graphql';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LimitsConfig, loadConfig } from '../src/config.js';
import { connectRedis } from '../src/redis/connection.js';
import { seedDatabase } from '../src/seed/seed-database.js';
import { type ServedGateway, serveOverHttp } from './helpers/http-server.js';
import { TEST_REDIS_URL as REDIS_URL } from './helpers/redis.js';
import { createQuietGateway, createTestDatabase, type TestDatabase } from './helpers/test-database.js';

/**
 * Every request limit over real HTTP: each rejects with its own stable code and HTTP status
 * before any resolver runs (no SQL statement is sent), and the defaults let every shipped
 * document, the web dashboard's variables and GraphiQL's introspection through.
 */
const DEFAULT_LIMITS = loadConfig({}).limits;
const END = new Date('2026-06-01T00:00:00Z');
const GRAPHQL_RESPONSE = 'application/graphql-response+json';

let db: TestDatabase;
let ids: string[];
const servers: ServedGateway[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  await seedDatabase(db.handle.db, { campaigns: 6, days: 40, end: END });
  const page = await post(await serve({}), { query: '{ campaigns(first: 10) { edges { node { id } } } }' });
  ids = page.body.data.campaigns.edges.map((edge: { node: { id: string } }) => edge.node.id);
}, 120_000);

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  await db?.close();
});

/** A gateway over HTTP on the test database, with the default limits except `limits`. */
async function serve(limits: Partial<LimitsConfig>, redis?: Redis): Promise<string> {
  const gateway = createQuietGateway({
    db: db.handle.db,
    webRoot: false,
    settings: { limits: { ...DEFAULT_LIMITS, ...limits } },
    redis,
  });
  const served = await serveOverHttp(gateway);
  servers.push(served);
  return `${served.url}/graphql`;
}

interface Answer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response shapes
  body: any;
}

async function post(
  url: string,
  payload: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: GRAPHQL_RESPONSE, ...headers },
    body: JSON.stringify(payload),
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

/** The request is refused with `code` and `status`, and the database saw no statement for it. */
async function expectRejected(request: () => Promise<Answer>, code: string, status: number): Promise<Answer> {
  const before = db.statements.length;
  const answer = await request();
  expect(
    answer.body.errors?.map((error: { extensions?: { code?: string } }) => error.extensions?.code),
  ).toEqual([code]);
  expect(answer.body.data ?? null).toBeNull();
  expect(answer.status).toBe(status);
  expect(db.statements.length).toBe(before);
  return answer;
}

function expectOk(answer: Answer) {
  expect(answer.body.errors).toBeUndefined();
  expect(answer.status).toBe(200);
}

/** `query` passes with `setting` at `limit` and is refused with `code` (400) one below; the refusal. */
async function expectLimitAt(
  setting: 'maxDepth' | 'maxTokens' | 'maxCost',
  limit: number,
  query: string,
  code: string,
): Promise<Answer> {
  expectOk(await post(await serve({ [setting]: limit }), { query }));
  return expectRejected(async () => post(await serve({ [setting]: limit - 1 }), { query }), code, 400);
}

const documentsFolder = new URL('../documents/', import.meta.url);
const documents = readdirSync(documentsFolder)
  .filter((name) => name.endsWith('.graphql'))
  .sort()
  .map((name) => ({ name, source: readFileSync(new URL(name, documentsFolder), 'utf8') }));

/** Variables for every shipped document, as large as the web dashboard sends (web/src: first 100 campaigns). */
function documentVariables(operation: string): Record<string, unknown> {
  return {
    id: ids[0],
    ids,
    cohort: ids,
    from: '2026-04-22T00:00:00Z',
    to: END.toISOString(),
    target: 1000,
    year: 2026,
    ...(operation === 'OverviewKpis' ? { first: 100 } : {}),
    ...(operation === 'CapacityAlertsWidget' ? { first: 20 } : {}),
  };
}

/** The operation a document defines. */
const operationOf = (source: string) => /\b(?:query|subscription)\s+(\w+)/.exec(source)?.[1] ?? '';

describe('the default limits', () => {
  const queries = documents.filter(({ source }) => !/^\s*subscription\b/m.test(source));
  const subscriptions = documents.filter(({ source }) => /^\s*subscription\b/m.test(source));

  it.each(queries)('let $name run without errors', async ({ source }) => {
    const url = await serve({});
    const answer = await post(url, { query: source, variables: documentVariables(operationOf(source)) });
    expectOk(answer);
    expect(Object.values(answer.body.data).every((value) => value !== null)).toBe(true);
  });

  /** First bytes of a Server-Sent Events subscription within `ms` (a rejection arrives at once). */
  async function sseStart(
    url: string,
    source: string,
    ms: number,
  ): Promise<{ status: number; text: string }> {
    const controller = new AbortController();
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: source }),
      signal: controller.signal,
    });
    const reader = response.body?.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const timer = setTimeout(() => controller.abort(), ms);
    try {
      for (;;) {
        const chunk = await reader?.read();
        if (!chunk || chunk.done) break;
        text += decoder.decode(chunk.value);
      }
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    } finally {
      clearTimeout(timer);
    }
    return { status: response.status, text };
  }

  it.each(subscriptions)('let the subscription $name start', async ({ source }) => {
    const accepted = await sseStart(await serve({}), source, 500);
    expect(accepted.status).toBe(200);
    expect(accepted.text).not.toContain('"errors"');
    // The same wait does see a rejection, so the check above can fail.
    const rejected = await sseStart(await serve({ maxDepth: 1 }), source, 500);
    expect(rejected.text).toContain('MAX_DEPTH_EXCEEDED');
  });

  it("let GraphiQL's introspection query through", async () => {
    const query = getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
      oneOf: true,
    });
    const answer = await post(await serve({}), { query, operationName: 'IntrospectionQuery' });
    expectOk(answer);
    expect(answer.body.data.__schema.queryType.name).toBe('Query');
  });
});

describe('document shape limits', () => {
  // depth counted by hand: campaigns 1, edges 2, node 3, latestSnapshot 4, snapshotDate 5
  const DEPTH_5 = '{ campaigns(first: 1) { edges { node { latestSnapshot { snapshotDate } } } } }';

  it('MAX_DEPTH: depth 5 passes a limit of 5 and is refused under a limit of 4', async () => {
    const refused = await expectLimitAt('maxDepth', 5, DEPTH_5, 'MAX_DEPTH_EXCEEDED');
    expect(refused.body.errors[0].message).toBe('Query depth limit of 4 exceeded, found 5.');
  });

  it('MAX_ALIASES: two aliases pass a limit of 2, three are refused', async () => {
    const url = await serve({ maxAliases: 2 });
    expectOk(
      await post(url, {
        query: '{ a: campaigns(first: 1) { totalCount } b: campaigns(first: 2) { totalCount } }',
      }),
    );
    await expectRejected(
      () =>
        post(url, {
          query:
            '{ a: campaigns(first: 1) { totalCount } b: campaigns(first: 2) { totalCount } c: campaigns(first: 3) { totalCount } }',
        }),
      'MAX_ALIASES_EXCEEDED',
      400,
    );
  });

  it('MAX_TOKENS: a 13-token document passes a limit of 13 and is refused at 12', async () => {
    // { a : campaigns ( first : 1 ) { totalCount } } = 13 tokens
    const refused = await expectLimitAt(
      'maxTokens',
      13,
      '{ a: campaigns(first: 1) { totalCount } }',
      'MAX_TOKENS_EXCEEDED',
    );
    expect(refused.body.errors[0].message).toBe('Token limit of 12 exceeded.');
  });

  it('MAX_DIRECTIVES: 51 directives in one operation are refused', async () => {
    const fragments = (count: number) =>
      Array.from({ length: count }, () => '... @include(if: true) { __typename }');
    const url = await serve({});
    expectOk(await post(url, { query: `{ ${fragments(50).join(' ')} }` }));
    await expectRejected(
      () => post(url, { query: `{ ${fragments(51).join(' ')} }` }),
      'MAX_DIRECTIVES_EXCEEDED',
      400,
    );
  });
});

describe('the cost limit', () => {
  // cost by hand: campaigns 1 + n x (edges 1 + node (1 + id 1 + name 1)) = 1 + 4n
  const PAGE = 'query Page($n: Int) { campaigns(first: $n) { edges { node { id name } } } }';

  it('charges a connection by its page size, from the variables of each request', async () => {
    const url = await serve({ maxCost: 401 });
    expectOk(await post(url, { query: PAGE, variables: { n: 100 } }));
    // no `first`: the default page of 100
    expectOk(await post(url, { query: PAGE }));
    const refused = await expectRejected(
      () => post(url, { query: PAGE, variables: { n: 101 } }),
      'COST_LIMIT_EXCEEDED',
      400,
    );
    expect(refused.body.errors[0].message).toContain('Operation cost 405 exceeds the limit of 401');
    // the same document again, now within budget: the verdict is not cached per document
    expectOk(await post(url, { query: PAGE, variables: { n: 10 } }));
    // costs are remembered per document and variables: the remembered 405 still refuses
    await expectRejected(() => post(url, { query: PAGE, variables: { n: 101 } }), 'COST_LIMIT_EXCEEDED', 400);
  });

  it('multiplies nested connections (campaigns x snapshots)', async () => {
    // snapshots: 1 + 20 x (edges 1 + node 1 + sampleCount 1) = 61; campaign node 1 + 61 = 62;
    // edges 1 + 62 = 63; campaigns 1 + 10 x 63 = 631
    const query =
      '{ campaigns(first: 10) { edges { node { snapshots(last: 20) { edges { node { sampleCount } } } } } } }';
    const refused = await expectLimitAt('maxCost', 631, query, 'COST_LIMIT_EXCEEDED');
    expect(refused.body.errors[0].message).toContain('Operation cost 631 exceeds the limit of 630');
  });

  it('charges a batch by its item count (compareCampaigns: one row per id)', async () => {
    // 1 + ids x (campaign (1 + id 1) + values (1 + 10 x metric 1)) = 1 + 13 x ids
    const query =
      'query C($ids: [ID!]!) { compareCampaigns(ids: $ids, metrics: [BUDGET_SPENT]) { campaign { id } values { metric } } }';
    const url = await serve({ maxCost: 1 + 13 * 3 });
    expectOk(await post(url, { query, variables: { ids: ids.slice(0, 3) } }));
    await expectRejected(
      () => post(url, { query, variables: { ids: ids.slice(0, 4) } }),
      'COST_LIMIT_EXCEEDED',
      400,
    );
    // costs are remembered by how many ids, not which: other ids, same counts, same verdicts
    expectOk(await post(url, { query, variables: { ids: ids.slice(1, 4) } }));
    await expectRejected(
      () => post(url, { query, variables: { ids: ids.slice(1, 5) } }),
      'COST_LIMIT_EXCEEDED',
      400,
    );
  });

  it('answers legacy application/json clients with 200 and the same code', async () => {
    const answer = await post(await serve({ maxCost: 10 }), { query: PAGE }, { accept: 'application/json' });
    expect(answer.status).toBe(200);
    expect(answer.body.errors[0].extensions.code).toBe('COST_LIMIT_EXCEEDED');
  });
});

describe('the page size cap', () => {
  const RAW_PAGE =
    'query P($id: ID!, $first: Int) { campaign(id: $id) { snapshots(granularity: RAW, from: "2016-06-01T00:00:00Z", to: "2026-06-01T00:00:00Z", first: $first) { edges { node { snapshotDate } } } } }';

  it('refuses a 10-year RAW range asking for first: 100000 with BAD_USER_INPUT on first; 1000 is answered', async () => {
    const url = await serve({});
    const refused = await post(url, { query: RAW_PAGE, variables: { id: ids[0], first: 100_000 } });
    expect(
      refused.body.errors.map((error: { extensions: Record<string, unknown> }) => error.extensions),
    ).toEqual([{ code: 'BAD_USER_INPUT', field: 'first' }]);
    const largest = await post(url, { query: RAW_PAGE, variables: { id: ids[0], first: 1000 } });
    expectOk(largest);
    // the seed's 40 days hold fewer than 1000 snapshots of a campaign: all of them, one page
    expect(largest.body.data.campaign.snapshots.edges.length).toBeGreaterThan(0);
    expect(largest.body.data.campaign.snapshots.edges.length).toBeLessThanOrEqual(1000);
  });
});

describe('the body size limit', () => {
  const query = '{ campaigns(first: 1) { totalCount } }';

  it('refuses a body over MAX_BODY_BYTES by its Content-Length with 413', async () => {
    const url = await serve({ maxBodyBytes: 2048 });
    expectOk(await post(url, { query, variables: {}, extensions: { padding: 'x'.repeat(1900) } }));
    await expectRejected(
      () => post(url, { query, extensions: { padding: 'x'.repeat(2100) } }),
      'PAYLOAD_TOO_LARGE',
      413,
    );
  });

  it('refuses a chunked body (no Content-Length) once it passes the limit', async () => {
    const url = await serve({ maxBodyBytes: 2048 });
    const body = new TextEncoder().encode(
      JSON.stringify({ query, extensions: { padding: 'x'.repeat(5000) } }),
    );
    const answer = await expectRejected(
      async () => {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: GRAPHQL_RESPONSE },
          body: new ReadableStream({
            start(controller) {
              for (let offset = 0; offset < body.length; offset += 1000)
                controller.enqueue(body.slice(offset, offset + 1000));
              controller.close();
            },
          }),
          duplex: 'half',
        } as RequestInit);
        return { status: response.status, headers: response.headers, body: await response.json() };
      },
      'PAYLOAD_TOO_LARGE',
      413,
    );
    expect(answer.body.errors[0].message).toBe('Request body larger than 2048 bytes.');
  });
});

describe('the rate limit', () => {
  const query = '{ campaigns(first: 1) { totalCount } }';
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const newToken = () => randomBytes(12).toString('hex');

  async function expectLimited(url: string, headers: Record<string, string>, perMinute: number) {
    const answer = await expectRejected(() => post(url, { query }, headers), 'RATE_LIMITED', 429);
    const retryAfter = Number(answer.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(answer.body.errors[0].message).toContain(`${perMinute} requests per minute`);
  }

  it('allows RATE_LIMIT_PER_MINUTE requests per token, then 429 RATE_LIMITED with Retry-After', async () => {
    const url = await serve({ rateLimitPerMinute: 3 });
    const [first, second] = [newToken(), newToken()];
    for (let i = 0; i < 3; i++) expectOk(await post(url, { query }, bearer(first)));
    await expectLimited(url, bearer(first), 3);
    // another token has its own budget, and so has a caller without one (by address)
    expectOk(await post(url, { query }, bearer(second)));
    for (let i = 0; i < 3; i++) expectOk(await post(url, { query }));
    await expectLimited(url, {}, 3);
  });

  it('is off with RATE_LIMIT_PER_MINUTE=0', async () => {
    const url = await serve({ rateLimitPerMinute: 0 });
    const token = newToken();
    for (let i = 0; i < 5; i++) expectOk(await post(url, { query }, bearer(token)));
  });

  describe('on Redis', () => {
    let redis: Redis;
    beforeAll(async () => {
      redis = connectRedis(REDIS_URL);
      // until it is ready the limiter counts in memory (see the fallback below)
      await new Promise((resolve) => redis.once('ready', resolve));
    });
    afterAll(() => redis?.quit());

    it('shares the counters of a token between gateways through Redis, keyed by its sha256', async () => {
      // a random token: its Redis key is unique to this run
      const token = newToken();
      const [one, two] = [
        await serve({ rateLimitPerMinute: 3 }, redis),
        await serve({ rateLimitPerMinute: 3 }, redis),
      ];
      expectOk(await post(one, { query }, bearer(token)));
      expectOk(await post(two, { query }, bearer(token)));
      expectOk(await post(one, { query }, bearer(token)));
      const key = `cmg:rate:token:${createHash('sha256').update(token).digest('hex')}`;
      expect(await redis.get(key)).toBe('3');
      expect(await redis.pttl(key)).toBeGreaterThan(0);
      await expectLimited(two, bearer(token), 3);
    });

    it('falls back to counting in memory while Redis is down, without failing requests', async () => {
      const closedPort = await unusedPort();
      const down = connectRedis(`redis://127.0.0.1:${closedPort}`);
      try {
        const url = await serve({ rateLimitPerMinute: 3 }, down);
        const token = newToken();
        for (let i = 0; i < 3; i++) expectOk(await post(url, { query }, bearer(token)));
        await expectLimited(url, bearer(token), 3);
      } finally {
        down.disconnect();
      }
    });
  });
});

/** A localhost port nothing listens on (bound once, then closed). */
async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('persisted operations only', () => {
  const sha256 = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;
  const persisted = Object.values(
    JSON.parse(
      readFileSync(new URL('../client/generated/persisted-documents.json', import.meta.url), 'utf8'),
    ) as Record<string, string>,
  );
  const overview = persisted.find((document) => document.startsWith('query OverviewKpis')) ?? '';

  it('runs the codegen documents by documentId, APQ hash, or id and text together', async () => {
    const url = await serve({ persistedOperationsOnly: true });
    const variables = { first: 2 };
    const byId = await post(url, { documentId: sha256(overview), variables });
    expectOk(byId);
    expect(byId.body.data.campaigns.edges).toHaveLength(2);
    const apq = { persistedQuery: { version: 1, sha256Hash: sha256(overview).slice('sha256:'.length) } };
    expectOk(await post(url, { extensions: apq, variables }));
    expectOk(await post(url, { query: overview, extensions: apq, variables }));
  });

  it('runs every query document of the client codegen by its id', async () => {
    const url = await serve({ persistedOperationsOnly: true });
    for (const document of persisted.filter((text) => text.startsWith('query '))) {
      const answer = await post(url, {
        documentId: sha256(document),
        variables: documentVariables(operationOf(document)),
      });
      expect(answer.body.errors, operationOf(document)).toBeUndefined();
    }
  });

  it('refuses query text with PERSISTED_QUERY_ONLY and unknown ids with PERSISTED_QUERY_NOT_FOUND', async () => {
    const url = await serve({ persistedOperationsOnly: true });
    await expectRejected(() => post(url, { query: overview }), 'PERSISTED_QUERY_ONLY', 400);
    await expectRejected(() => post(url, {}), 'PERSISTED_QUERY_ONLY', 400);
    const unknown = sha256('{ campaigns { totalCount } }');
    const refused = await expectRejected(
      () => post(url, { documentId: unknown }),
      'PERSISTED_QUERY_NOT_FOUND',
      400,
    );
    expect(refused.body.errors[0].message).toBe(`No persisted document ${unknown}.`);
  });
});
