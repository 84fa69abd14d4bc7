import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/client.js';
import { createLogger } from '../src/observability/logger.js';
import { responseCacheLookups } from '../src/observability/metrics.js';
import { retentionReporting } from '../src/observability/retention-reporting.js';
import { connectRedis } from '../src/redis/connection.js';
import type { RetentionReport } from '../src/retention/run-retention.js';
import { ServingState } from '../src/server/shutdown.js';
import { createGateway, type Gateway } from '../src/server/yoga.js';
import { UPSERT_CAMPAIGN } from './fixtures/snapshot-inputs.js';
import { freePort, type ServedGateway, serveOverHttp } from './helpers/http-server.js';
import { TEST_REDIS_URL as REDIS_URL } from './helpers/redis.js';
import { createQuietGateway, createTestDatabase, type TestDatabase } from './helpers/test-database.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

type LogLine = Record<string, unknown> & { msg: string; level: number };

/** A logger whose JSON lines the test reads back. */
function capturedLogger(level: 'debug' | 'info' = 'debug') {
  const lines: LogLine[] = [];
  const logger = createLogger(level, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

/** Parses Prometheus text exposition into sample name{labels} -> value. */
function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

async function scrape(url: string): Promise<Map<string, number>> {
  const response = await fetch(`${url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseMetrics(await response.text());
}

const sample = (samples: Map<string, number>, key: string) => samples.get(key) ?? 0;

async function post(
  url: string,
  query: string,
  {
    headers = {},
    variables = {},
  }: { headers?: Record<string, string>; variables?: Record<string, unknown> } = {},
) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
  return { response, body };
}

let database: TestDatabase;
let gateway: Gateway;
let served: ServedGateway;
const log = capturedLogger();

beforeAll(async () => {
  database = await createTestDatabase();
  // Uncached: every request below must reach the database for the statement counts.
  gateway = createGateway({
    db: database.handle.db,
    webRoot: false,
    logger: log.logger,
    settings: { cacheEnabled: false },
  });
  served = await serveOverHttp(gateway);
});

afterAll(async () => {
  await served?.close();
  await database?.close();
});

describe('/health', () => {
  it('answers 200 JSON while the process runs, with a request id', async () => {
    const response = await fetch(`${served.url}/health`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('x-request-id')).toMatch(UUID);
    const body = (await response.json()) as { status: string; uptimeSeconds: number };
    expect(body.status).toBe('ok');
    expect(body.uptimeSeconds).toBeGreaterThanOrEqual(0);
  });
});

describe('/ready', () => {
  it('is 200 when the database answers and no Redis is configured', async () => {
    const response = await fetch(`${served.url}/ready`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ready', checks: { database: 'up' } });
  });

  it('is 503 naming redis when the configured Redis does not answer', async () => {
    const redis = connectRedis(`redis://127.0.0.1:${await freePort()}`);
    const withDeadRedis = await serveOverHttp(
      createQuietGateway({ db: database.handle.db, webRoot: false, redis }),
    );
    try {
      const response = await fetch(`${withDeadRedis.url}/ready`);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({
        status: 'unavailable',
        down: ['redis'],
        checks: { database: 'up', redis: 'down' },
      });
      expect(sample(await scrape(withDeadRedis.url), 'gateway_redis_up')).toBe(0);
    } finally {
      await withDeadRedis.close();
      redis.disconnect();
    }
  });

  it('is 200 with the real Redis up, and gateway_redis_up says 1', async () => {
    const redis: Redis = connectRedis(REDIS_URL);
    await new Promise<void>((resolve, reject) => {
      redis.once('ready', resolve);
      setTimeout(() => reject(new Error(`Redis at ${REDIS_URL} did not answer`)), 5_000);
    });
    const withRedis = await serveOverHttp(
      createQuietGateway({ db: database.handle.db, webRoot: false, redis }),
    );
    try {
      const response = await fetch(`${withRedis.url}/ready`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ready', checks: { database: 'up', redis: 'up' } });
      expect(sample(await scrape(withRedis.url), 'gateway_redis_up')).toBe(1);
    } finally {
      await withRedis.close();
      await redis.quit();
    }
  });

  it.each(['info', 'debug'] as const)(
    'is 503 naming the database when it does not answer, and logs the masked error once with the request id (%s level)',
    async (level) => {
      // A PostgreSQL URL where nothing listens: every statement fails to connect.
      const broken = await openDatabase({
        databaseUrl: `postgres://postgres@127.0.0.1:${await freePort()}/none`,
      });
      const captured = capturedLogger(level);
      const withoutDatabase = await serveOverHttp(
        createGateway({ db: broken.db, webRoot: false, logger: captured.logger }),
      );
      try {
        const ready = await fetch(`${withoutDatabase.url}/ready`);
        expect(ready.status).toBe(503);
        expect(await ready.json()).toEqual({
          status: 'unavailable',
          down: ['database'],
          checks: { database: 'down' },
        });

        const { response, body } = await post(
          withoutDatabase.url,
          'query Broken { campaigns(first: 1) { totalCount } }',
          { headers: { 'x-request-id': 'trace-me-42' } },
        );
        expect(response.headers.get('x-request-id')).toBe('trace-me-42');
        expect(body.errors?.[0]).toMatchObject({ message: 'Unexpected error.', path: ['campaigns'] });
        const errorLines = captured.lines.filter((line) => line.level === 50);
        expect(errorLines).toEqual([
          expect.objectContaining({ requestId: 'trace-me-42', path: ['campaigns'] }),
        ]);
        expect(errorLines[0]?.err).toMatchObject({ stack: expect.stringContaining('Error') });
        expect(JSON.stringify(errorLines[0])).toMatch(/ECONNREFUSED/);
        const lines = captured.lines.filter((line) => line.requestId === 'trace-me-42');
        expect(lines.at(-1)).toMatchObject({
          msg: 'request completed',
          operationName: 'Broken',
          status: 200,
        });
      } finally {
        await withoutDatabase.close();
        await broken.close();
      }
    },
  );

  it('is 503 once shutdown has begun', async () => {
    const serving = new ServingState();
    const draining = await serveOverHttp(
      createQuietGateway({ db: database.handle.db, webRoot: false, serving }),
    );
    try {
      expect((await fetch(`${draining.url}/ready`)).status).toBe(200);
      serving.beginShutdown();
      const response = await fetch(`${draining.url}/ready`);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ status: 'shutting_down' });
      expect(response.headers.get('connection')).toBe('close');
    } finally {
      await draining.close();
    }
  });
});

describe('request ids and logs', () => {
  it('keeps a sane incoming x-request-id and replaces an unsafe one', async () => {
    const kept = await post(served.url, '{ __typename }', { headers: { 'x-request-id': 'edge-7f3a:01' } });
    expect(kept.response.headers.get('x-request-id')).toBe('edge-7f3a:01');
    for (const unsafe of ['has spaces', 'x'.repeat(200), 'quote"s']) {
      const replaced = await post(served.url, '{ __typename }', { headers: { 'x-request-id': unsafe } });
      expect(replaced.response.headers.get('x-request-id')).toMatch(UUID);
    }
  });

  it('writes every line of a request with its id, and one completion line', async () => {
    const { response } = await post(served.url, 'query LoggedOnce { campaigns(first: 1) { totalCount } }');
    const requestId = response.headers.get('x-request-id');
    const lines = log.lines.filter((line) => line.requestId === requestId);
    expect(lines.filter((line) => line.msg === 'request completed')).toEqual([
      expect.objectContaining({
        level: 30,
        method: 'POST',
        path: '/graphql',
        status: 200,
        operationName: 'LoggedOnce',
        operationType: 'query',
        durationMs: expect.any(Number),
      }),
    ]);
    // yoga's own debug lines for the request carry the id too.
    expect(lines.some((line) => line.level === 20 && line.msg !== 'request completed')).toBe(true);
  });

  it('logs retention runs and counts them by outcome', async () => {
    const captured = capturedLogger();
    const reporting = retentionReporting(captured.logger);
    const before = parseMetrics(await (await fetch(`${served.url}/metrics`)).text());
    const report = { skipped: false, campaignsProcessed: 3 } as RetentionReport;
    reporting.onReport?.(report);
    reporting.onReport?.({ ...report, skipped: true });
    reporting.onError?.(new Error('archive unreachable'));
    const after = await scrape(served.url);
    for (const outcome of ['completed', 'skipped', 'failed']) {
      const key = `gateway_retention_runs_total{outcome="${outcome}"}`;
      expect(sample(after, key) - sample(before, key)).toBe(1);
    }
    expect(captured.lines.map((line) => [line.level, line.msg, line.job])).toEqual([
      [30, 'retention run completed', 'retention'],
      [30, 'retention skipped: another instance holds the lock', 'retention'],
      [50, 'retention run failed', 'retention'],
    ]);
    expect(captured.lines[2]?.err).toMatchObject({ message: 'archive unreachable' });
  });
});

describe('/metrics', () => {
  it('counts requests by operation name and type, errors by code and every SQL statement', async () => {
    const start = await scrape(served.url);
    const upsert = await post(
      served.url,
      UPSERT_CAMPAIGN.replace('mutation Upsert(', 'mutation ObsUpsert('),
      {
        variables: { input: { name: 'Observed', status: 'ACTIVE' } },
      },
    );
    expect(upsert.body.errors).toBeUndefined();
    const before = await scrape(served.url);
    database.statements.length = 0;
    for (let i = 0; i < 3; i += 1) {
      const { body } = await post(served.url, 'query ObsList { campaigns(first: 5) { totalCount } }');
      expect(body.errors).toBeUndefined();
    }
    // Two unknown fields: one response, two validation errors.
    const invalid = await post(served.url, 'query ObsInvalid { nope alsoNope }');
    expect(invalid.body.errors?.map((error) => error.extensions?.code)).toEqual([
      'GRAPHQL_VALIDATION_FAILED',
      'GRAPHQL_VALIDATION_FAILED',
    ]);
    const tooLarge = await post(served.url, 'query ObsTooLarge { campaigns(first: 5000) { totalCount } }');
    expect(tooLarge.body.errors?.map((error) => error.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    const statementsSent = database.statements.length;
    const after = await scrape(served.url);
    const delta = (key: string, from = before) => sample(after, key) - sample(from, key);
    const requests = (name: string, type: string) =>
      `gateway_graphql_request_duration_seconds_count{operation_name="${name}",operation_type="${type}"}`;

    expect(delta(requests('ObsUpsert', 'mutation'), start)).toBe(1);
    expect(delta(requests('ObsList', 'query'))).toBe(3);
    expect(
      delta('gateway_graphql_request_duration_seconds_sum{operation_name="ObsList",operation_type="query"}'),
    ).toBeGreaterThan(0);
    expect(delta(requests('ObsInvalid', 'query'))).toBe(1);
    expect(delta(requests('ObsTooLarge', 'query'))).toBe(1);
    expect(delta('gateway_graphql_errors_total{code="GRAPHQL_VALIDATION_FAILED"}')).toBe(2);
    expect(delta('gateway_graphql_errors_total{code="BAD_USER_INPUT"}')).toBe(1);
    // drizzle's logger saw each statement leave; the driver wrapper timed each one (no
    // transactions in these reads, so the driver sent nothing drizzle did not).
    expect(statementsSent).toBeGreaterThanOrEqual(3);
    expect(delta('gateway_sql_statement_duration_seconds_count')).toBe(statementsSent);
    expect(delta('gateway_sql_statement_duration_seconds_sum')).toBeGreaterThan(0);
  });

  it('reports the pool: configured size and open transactions', async () => {
    expect(sample(await scrape(served.url), 'gateway_db_pool_max_connections')).toBe(
      database.driver === 'pglite' ? 1 : 10,
    );
    let inside = new Map<string, number>();
    await database.handle.db.transaction(async (tx) => {
      await tx.execute(sql`select 1`);
      inside = await scrape(served.url);
    });
    expect(sample(inside, 'gateway_db_transactions_open')).toBe(1);
    expect(sample(await scrape(served.url), 'gateway_db_transactions_open')).toBe(0);
  });

  it('counts statements in flight, including one waiting for a connection', async () => {
    const { db } = database.handle;
    let pending: Promise<unknown> = Promise.resolve();
    let during = new Map<string, number>();
    if (database.driver === 'postgres') {
      pending = Promise.resolve(db.execute(sql`select pg_sleep(0.5)`));
      during = await scrape(served.url);
    } else {
      // PGlite has one connection: a statement outside this transaction waits for it.
      await db.transaction(async () => {
        pending = Promise.resolve(db.execute(sql`select 1`));
        during = await scrape(served.url);
      });
    }
    await pending;
    expect(sample(during, 'gateway_db_statements_in_flight')).toBe(1);
    expect(sample(await scrape(served.url), 'gateway_db_statements_in_flight')).toBe(0);
  });

  it('exposes the response cache hit ratio computed from the lookup counts', async () => {
    responseCacheLookups.inc({ result: 'hit' }, 3);
    responseCacheLookups.inc({ result: 'miss' });
    const samples = await scrape(served.url);
    const hits = sample(samples, 'gateway_response_cache_lookups_total{result="hit"}');
    const misses = sample(samples, 'gateway_response_cache_lookups_total{result="miss"}');
    expect(hits).toBeGreaterThanOrEqual(3);
    expect(sample(samples, 'gateway_response_cache_hit_ratio')).toBeCloseTo(hits / (hits + misses), 10);
  });
});

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: { key: string; value: Record<string, unknown> }[];
}
interface OtlpRequest {
  resourceSpans: {
    resource: { attributes: { key: string; value: Record<string, unknown> }[] };
    scopeSpans: { spans: OtlpSpan[] }[];
  }[];
}

/** A local OTLP/HTTP collector that keeps what it is sent. */
async function startCollector() {
  const received: { path: string | undefined; contentType: string | undefined; body: OtlpRequest }[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        path: request.url,
        contentType: request.headers['content-type'],
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpRequest,
      });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    received,
    spans: () =>
      received.flatMap((r) => r.body.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((s) => s.spans))),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function runTraced(tracing: { enabled: boolean; otlpEndpoint: string | undefined }, query: string) {
  const captured = capturedLogger();
  const traced = createGateway({
    db: database.handle.db,
    webRoot: false,
    logger: captured.logger,
    settings: { cacheEnabled: false, tracing },
  });
  const server = await serveOverHttp(traced);
  try {
    const { body } = await post(server.url, query);
    expect(body.errors).toBeUndefined();
  } finally {
    await server.close();
    // dispose flushes the batched spans.
    await traced.dispose();
  }
  return captured.lines;
}

describe('tracing (OTEL_TRACING)', () => {
  it('exports a server span per operation and child spans for its resolvers over OTLP/HTTP', async () => {
    const collector = await startCollector();
    try {
      await runTraced(
        { enabled: true, otlpEndpoint: collector.endpoint },
        'query Traced { campaigns(first: 2) { totalCount edges { node { id name } } } }',
      );
      expect(collector.received.map((r) => [r.path, r.contentType])).toContainEqual([
        '/v1/traces',
        'application/json',
      ]);
      const resource = collector.received[0]?.body.resourceSpans[0]?.resource.attributes;
      expect(resource).toContainEqual({
        key: 'service.name',
        value: { stringValue: 'campaign-metrics-gateway' },
      });
      const spans = collector.spans();
      const operation = spans.find((span) => span.name === 'query.Traced');
      expect(operation).toMatchObject({ kind: 2, traceId: expect.stringMatching(/^[0-9a-f]{32}$/) });
      expect(operation?.attributes).toContainEqual({
        key: 'graphql.execute.operationName',
        value: { stringValue: 'Traced' },
      });
      expect(BigInt(operation?.endTimeUnixNano ?? 0)).toBeGreaterThan(
        BigInt(operation?.startTimeUnixNano ?? 0),
      );
      const resolver = spans.find((span) => span.name === 'Query.campaigns');
      expect(resolver).toMatchObject({ traceId: operation?.traceId, parentSpanId: operation?.spanId });
    } finally {
      await collector.close();
    }
  });

  it('exports nothing when tracing is off', async () => {
    const collector = await startCollector();
    try {
      await runTraced({ enabled: false, otlpEndpoint: collector.endpoint }, 'query Untraced { __typename }');
      expect(collector.received).toEqual([]);
    } finally {
      await collector.close();
    }
  });

  it('writes spans to the log when no OTLP endpoint is set', async () => {
    const lines = await runTraced(
      { enabled: true, otlpEndpoint: undefined },
      'query LogTraced { __typename }',
    );
    const spanLine = lines.find((line) => line.msg === 'span query.LogTraced');
    expect(spanLine?.span).toMatchObject({
      name: 'query.LogTraced',
      kind: 2,
      spanId: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
  });
});
