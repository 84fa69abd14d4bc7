import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eq } from 'drizzle-orm';
import { type ExecutionResult, print } from 'graphql';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CapacityAlertsLiveDocument } from '../client/generated/graphql.js';
import { campaigns } from '../src/db/schema/campaigns.js';
import { createEventBus, type EventBus } from '../src/events/event-bus.js';
import type { SnapshotBucket } from '../src/metrics/bucket-stats.js';
import { createLogger } from '../src/observability/logger.js';
import { connectRedis } from '../src/redis/connection.js';
import { createGateway, type Gateway } from '../src/server/yoga.js';
import { HS256_AUTH, hs256Token } from './helpers/auth-gateway.js';
import { TEST_REDIS_URL as REDIS_URL } from './helpers/redis.js';
import {
  createQuietGateway,
  createTestDatabase,
  executeOk,
  type TestDatabase,
} from './helpers/test-database.js';

/**
 * Live updates over Server-Sent Events against running HTTP servers: in process, and through
 * real Redis with two gateway instances on one database. Every expected value is written out
 * by hand from the snapshot the test records.
 */

const UPSERT = `mutation($input: CampaignInput!) { upsertCampaign(input: $input) { id } }`;
const RECORD = `mutation($input: [SnapshotInput!]!) { recordSnapshots(input: $input) { recorded } }`;
const SNAPSHOT_RECORDED = `subscription($id: ID!) {
  snapshotRecorded(campaignId: $id) {
    snapshotDate granularity sampleCount
    volunteers { current target utilization }
    budget { allocated spent remaining utilization }
    sessionsDelta: value(metric: TOTAL_SESSIONS_COMPLETED, stat: DELTA)
  }
}`;
const ALERTS = print(CapacityAlertsLiveDocument);

interface Capacity {
  current: number;
  target: number;
}
interface Reading {
  at: string;
  volunteers?: Capacity;
  beneficiaries?: Capacity;
  sessions?: Capacity;
  budget?: { allocated: string; spent: string };
  seats?: { used: number; committed: number };
  sessionsCompleted?: number;
}

/** A snapshot whose unnamed resources sit well below any threshold used here (10 %). */
function snapshot(campaignId: string, reading: Reading) {
  return {
    campaignId,
    snapshotDate: reading.at,
    volunteers: reading.volunteers ?? { current: 5, target: 50 },
    beneficiaries: reading.beneficiaries ?? { current: 10, target: 100 },
    sessions: reading.sessions ?? { current: 4, target: 40 },
    budget: reading.budget ?? { allocated: '1000.00', spent: '100.00' },
    impact: { totalSessionsCompleted: reading.sessionsCompleted ?? null },
    monetization: reading.seats
      ? { seatsUsed: reading.seats.used, seatsCommitted: reading.seats.committed }
      : null,
  };
}

// ---------------------------------------------------------------------------------------
// A Server-Sent Events client on fetch, as a browser's would be

interface Stream {
  /** The next `event: next` payload; fails after `timeoutMs`. */
  next(timeoutMs?: number): Promise<ExecutionResult>;
  /** Resolves when the server sent `event: complete` and ended the response. */
  completed: Promise<void>;
  close(): void;
}

async function openStream(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<Stream> {
  const controller = new AbortController();
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
    body: JSON.stringify({ query, variables }),
    signal: controller.signal,
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/event-stream');
  const body = response.body;
  if (!body) throw new Error('no response body');
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  const events: ExecutionResult[] = [];
  const waiting: (() => void)[] = [];
  let complete = false;
  const completed = (async () => {
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      buffer += value;
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const lines = frame.split('\n').filter((line) => !line.startsWith(':'));
        const event = lines
          .find((line) => line.startsWith('event:'))
          ?.slice(6)
          .trim();
        const data = lines
          .find((line) => line.startsWith('data:'))
          ?.slice(5)
          .trim();
        if (event === 'next' && data) events.push(JSON.parse(data) as ExecutionResult);
        if (event === 'complete') complete = true;
        for (const wake of waiting.splice(0)) wake();
        end = buffer.indexOf('\n\n');
      }
    }
  })().then(() => {
    if (!complete) throw new Error('the stream ended without `event: complete`');
  });
  completed.catch(() => {});
  return {
    async next(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (events.length === 0) {
        if (Date.now() > deadline) throw new Error('no event within the timeout');
        await new Promise<void>((resolve) => {
          waiting.push(resolve);
          setTimeout(resolve, 50);
        });
      }
      return events.shift() as ExecutionResult;
    },
    completed,
    close: () => controller.abort(),
  };
}

async function listen(gateway: Gateway): Promise<{ server: Server; url: string }> {
  const server = createServer(gateway);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql` };
}

async function post(url: string, query: string, variables: Record<string, unknown>) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as ExecutionResult;
  expect(body.errors).toBeUndefined();
  return body.data as Record<string, unknown>;
}

const stop = (server: Server | undefined) =>
  new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));

async function until(check: () => boolean | Promise<boolean>, what: string) {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let db: TestDatabase;
let acme: string;
let globex: string;

async function campaign(name: string, tenantId: string): Promise<string> {
  const data = await executeOk(db.gateway, UPSERT, { input: { name, tenantId, status: 'ACTIVE' } });
  return data.upsertCampaign.id;
}

beforeAll(async () => {
  db = await createTestDatabase();
  acme = await campaign('Acme reading club', 'acme');
  globex = await campaign('Globex mentoring', 'globex');
}, 60_000);
afterAll(() => db?.close());

// ---------------------------------------------------------------------------------------

describe('live updates in process (no Redis)', () => {
  let events: EventBus;
  let gateway: Gateway;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    events = createEventBus();
    gateway = createQuietGateway({ db: db.handle.db, webRoot: false, events });
    ({ server, url } = await listen(gateway));
  });
  afterAll(async () => {
    await gateway.dispose();
    await stop(server);
  });

  it('snapshotRecorded: one event per snapshot of the campaign, as stored, after the write', async () => {
    const stream = await openStream(url, SNAPSHOT_RECORDED, { id: acme });
    await until(() => events.subscriberCount === 1, 'the subscription');
    await post(url, RECORD, {
      input: [
        snapshot(acme, {
          at: '2026-03-01T08:00:00Z',
          volunteers: { current: 45, target: 50 },
          budget: { allocated: '1000.00', spent: '250.50' },
          sessionsCompleted: 100,
        }),
        snapshot(globex, { at: '2026-03-01T08:00:00Z' }),
        snapshot(acme, {
          at: '2026-03-01T14:00:00Z',
          volunteers: { current: 48, target: 50 },
          budget: { allocated: '1000.00', spent: '300.25' },
          sessionsCompleted: 130,
        }),
      ],
    });
    expect(await stream.next()).toEqual({
      data: {
        snapshotRecorded: {
          snapshotDate: '2026-03-01T08:00:00.000Z',
          granularity: 'RAW',
          sampleCount: 1,
          volunteers: { current: 45, target: 50, utilization: 0.9 },
          budget: { allocated: '1000.00', spent: '250.50', remaining: '749.50', utilization: 0.2505 },
          sessionsDelta: null,
        },
      },
    });
    expect(await stream.next()).toEqual({
      data: {
        snapshotRecorded: {
          snapshotDate: '2026-03-01T14:00:00.000Z',
          granularity: 'RAW',
          sampleCount: 1,
          volunteers: { current: 48, target: 50, utilization: 0.96 },
          // 300.25 / 1000 = 0.30025, stored with 4 places
          budget: { allocated: '1000.00', spent: '300.25', remaining: '699.75', utilization: 0.3003 },
          sessionsDelta: 30,
        },
      },
    });
    // globex's snapshot was not delivered: the next event is acme's next snapshot
    await post(url, RECORD, {
      input: [snapshot(acme, { at: '2026-03-02T08:00:00Z', sessionsCompleted: 131 })],
    });
    const third = await stream.next();
    expect(third.data?.snapshotRecorded).toMatchObject({
      snapshotDate: '2026-03-02T08:00:00.000Z',
      sessionsDelta: 1,
    });
    stream.close();
    await until(() => events.subscriberCount === 0, 'the closed stream to unsubscribe');
  });

  it('capacityAlertRaised: the alerts of each new latest snapshot, most severe first', async () => {
    const stream = await openStream(url, ALERTS, { threshold: 0.9 });
    await until(() => events.subscriberCount === 1, 'the subscription');
    await post(url, RECORD, {
      input: [
        snapshot(acme, {
          at: '2026-03-03T08:00:00Z',
          volunteers: { current: 46, target: 50 },
          sessions: { current: 40, target: 40 },
          budget: { allocated: '1000.00', spent: '950.00' },
          seats: { used: 5, committed: 4 },
        }),
      ],
    });
    const name = 'Acme reading club';
    const expected = [
      ['SEATS', 1.25, 'CRITICAL', 'Seats at 125% of committed (5/4)'],
      ['SESSIONS', 1, 'CRITICAL', 'Sessions at 100% of target (40/40)'],
      ['BUDGET', 0.95, 'WARNING', 'Budget at 95% of allocated (950.00/1000.00)'],
      ['VOLUNTEERS', 0.92, 'WARNING', 'Volunteers at 92% of target (46/50)'],
    ] as const;
    for (const [resource, utilization, severity, message] of expected) {
      expect(await stream.next()).toEqual({
        data: {
          capacityAlertRaised: {
            campaign: { id: acme, name },
            resource,
            utilization,
            threshold: 0.9,
            severity,
            message,
            snapshotDate: '2026-03-03T08:00:00.000Z',
          },
        },
      });
    }
    // A backfilled snapshot older than the latest raises nothing; below the threshold neither.
    await post(url, RECORD, {
      input: [
        snapshot(acme, { at: '2026-02-01T08:00:00Z', volunteers: { current: 99, target: 50 } }),
        snapshot(globex, { at: '2026-03-03T09:00:00Z', volunteers: { current: 44, target: 50 } }),
      ],
    });
    await post(url, RECORD, {
      input: [snapshot(globex, { at: '2026-03-03T10:00:00Z', beneficiaries: { current: 91, target: 100 } })],
    });
    expect((await stream.next()).data?.capacityAlertRaised).toEqual({
      campaign: { id: globex, name: 'Globex mentoring' },
      resource: 'BENEFICIARIES',
      utilization: 0.91,
      threshold: 0.9,
      severity: 'WARNING',
      message: 'Beneficiaries at 91% of target (91/100)',
      snapshotDate: '2026-03-03T10:00:00.000Z',
    });
    stream.close();
    await until(() => events.subscriberCount === 0, 'the closed stream to unsubscribe');
  });

  it('rejects bad arguments with the codes queries use, then completes the stream', async () => {
    const cases = [
      [ALERTS, { threshold: 10.5 }, 'BAD_USER_INPUT', 'threshold'],
      [ALERTS, { threshold: -0.1 }, 'BAD_USER_INPUT', 'threshold'],
      [SNAPSHOT_RECORDED, { id: 'not-a-uuid' }, 'BAD_USER_INPUT', 'campaignId'],
      [SNAPSHOT_RECORDED, { id: '00000000-0000-4000-8000-000000000000' }, 'NOT_FOUND', 'campaignId'],
    ] as const;
    for (const [query, variables, code, field] of cases) {
      const stream = await openStream(url, query, variables);
      const result = await stream.next();
      expect(result.data ?? null, JSON.stringify(variables)).toBeNull();
      expect(result.errors?.map((error) => error.extensions)).toEqual([{ code, field }]);
      await stream.completed;
    }
    expect(events.subscriberCount).toBe(0);
  });

  it('reads a write back for events only while someone listens', async () => {
    // snapshotsByKey and campaignsWithLatest, the two statements of a publication
    const readBack = () =>
      db.statements.filter((statement) => /WITH ORDINALITY|AS latest_at/.test(statement)).length;
    db.statements.length = 0;
    await post(url, RECORD, { input: [snapshot(acme, { at: '2026-03-05T00:00:00Z' })] });
    expect(readBack()).toBe(0);
    const stream = await openStream(url, SNAPSHOT_RECORDED, { id: acme });
    await until(() => events.subscriberCount === 1, 'the subscription');
    db.statements.length = 0;
    await post(url, RECORD, { input: [snapshot(acme, { at: '2026-03-06T00:00:00Z' })] });
    expect(readBack()).toBe(2);
    expect((await stream.next()).data?.snapshotRecorded).toMatchObject({
      snapshotDate: '2026-03-06T00:00:00.000Z',
    });
    stream.close();
    await until(() => events.subscriberCount === 0, 'the closed stream to unsubscribe');
  });

  it('dispose() (shutdown) completes open streams', async () => {
    const own = createEventBus();
    const other = createQuietGateway({ db: db.handle.db, webRoot: false, events: own });
    const listening = await listen(other);
    const streams = await Promise.all([
      openStream(listening.url, ALERTS, {}),
      openStream(listening.url, SNAPSHOT_RECORDED, { id: globex }),
    ]);
    await until(() => own.subscriberCount === 2, 'both subscriptions');
    await other.dispose();
    await Promise.all(streams.map((stream) => stream.completed));
    expect(own.subscriberCount).toBe(0);
    // one that arrives during shutdown completes at once
    await (await openStream(listening.url, ALERTS, {})).completed;
    expect(own.subscriberCount).toBe(0);
    await stop(listening.server);
  });

  it('masks an unexpected error in an event and logs it once with the stream request id', async () => {
    const own = createEventBus();
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger('info', { write: (line: string) => lines.push(JSON.parse(line)) });
    const logged = createGateway({ db: db.handle.db, webRoot: false, events: own, logger });
    const listening = await listen(logged);
    const stream = await openStream(
      listening.url,
      SNAPSHOT_RECORDED,
      { id: acme },
      { 'x-request-id': 'stream-7' },
    );
    await until(() => own.subscriberCount === 1, 'the subscription');
    // An event no recorded write could produce (a bug in the gateway): its snapshot has no metrics.
    const [campaign] = await db.handle.db.select().from(campaigns).where(eq(campaigns.id, acme));
    if (!campaign) throw new Error('acme is missing');
    const broken = {
      campaignId: acme,
      start: new Date('2026-03-05T08:00:00Z'),
      granularity: 'RAW',
      timeZone: 'UTC',
      sampleCount: 1,
      metrics: null,
    } as unknown as SnapshotBucket;
    own.publish([{ campaign, snapshot: broken, latest: false }]);
    const event = await stream.next();
    expect(event.errors).toEqual([
      expect.objectContaining({
        message: 'Unexpected error.',
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      }),
    ]);
    expect(JSON.stringify(event)).not.toMatch(/TypeError|metrics/);
    expect(lines.filter((line) => line.level === 50)).toEqual([
      expect.objectContaining({
        requestId: 'stream-7',
        path: ['snapshotRecorded', 'volunteers', 'current'],
        err: expect.objectContaining({ type: 'TypeError' }),
      }),
    ]);
    stream.close();
    await logged.dispose();
    await stop(listening.server);
  });
});

describe('tenant scoping over HTTP (bearer JWT)', () => {
  const events = createEventBus();
  let gateway: Gateway;
  let server: Server;
  let url: string;
  const acmeViewer = () => hs256Token({ sub: 'alice', tenants: ['acme'], role: 'viewer' });

  beforeAll(async () => {
    gateway = createQuietGateway({
      db: db.handle.db,
      webRoot: false,
      settings: { auth: HS256_AUTH },
      events,
    });
    ({ server, url } = await listen(gateway));
  });
  afterAll(async () => {
    await gateway.dispose();
    await stop(server);
  });

  it("an other tenant's campaign is NOT_FOUND, as in queries", async () => {
    const authorization = `Bearer ${await acmeViewer()}`;
    const query = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify({
        query: 'query($id: ID!) { campaign(id: $id) { id } }',
        variables: { id: globex },
      }),
    });
    expect(await query.json()).toEqual({ data: { campaign: null } });
    const stream = await openStream(url, SNAPSHOT_RECORDED, { id: globex }, { authorization });
    expect((await stream.next()).errors?.map((error) => error.extensions?.code)).toEqual(['NOT_FOUND']);
    await stream.completed;
  });

  it('a subscriber receives alerts of its tenants only', async () => {
    const stream = await openStream(
      url,
      ALERTS,
      { threshold: 0.5 },
      { authorization: `Bearer ${await acmeViewer()}` },
    );
    await until(() => events.subscriberCount === 1, 'the subscription');
    // written through an open-mode gateway on the same events
    const writer = createQuietGateway({ db: db.handle.db, webRoot: false, events });
    await executeOk(writer, RECORD, {
      input: [snapshot(globex, { at: '2026-04-01T00:00:00Z', volunteers: { current: 40, target: 50 } })],
    });
    await executeOk(writer, RECORD, {
      input: [snapshot(acme, { at: '2026-04-01T00:00:00Z', volunteers: { current: 30, target: 50 } })],
    });
    expect((await stream.next()).data?.capacityAlertRaised).toMatchObject({
      campaign: { id: acme },
      resource: 'VOLUNTEERS',
      utilization: 0.6,
      severity: 'WARNING',
    });
    stream.close();
    await until(() => events.subscriberCount === 0, 'the closed stream to unsubscribe');
  });
});

describe('live updates through Redis, two gateway instances', () => {
  const namespace = `test-${randomBytes(6).toString('hex')}`;
  const channel = `snapshots-recorded:${namespace}`;
  let observer: Redis;
  const instances: { gateway: Gateway; server: Server; url: string; redis: Redis }[] = [];

  const subscribers = async () => {
    const [, count] = (await observer.pubsub('NUMSUB', channel)) as [string, number];
    return Number(count);
  };

  beforeAll(async () => {
    observer = new Redis(REDIS_URL);
    for (let index = 0; index < 2; index++) {
      const redis = connectRedis(REDIS_URL);
      const gateway = createQuietGateway({
        db: db.handle.db,
        webRoot: false,
        redis,
        events: createEventBus({ redis, namespace }),
      });
      instances.push({ gateway, redis, ...(await listen(gateway)) });
    }
    await until(() => instances.every(({ redis }) => redis.status === 'ready'), 'Redis');
  });
  afterAll(async () => {
    for (const { gateway, server, redis } of instances) {
      await gateway.dispose();
      await stop(server);
      redis.disconnect();
    }
    observer.disconnect();
  });

  it('a snapshot recorded on instance A reaches SSE subscribers on instance B', async () => {
    const [a, b] = instances;
    if (!a || !b) throw new Error('two instances');
    const alerts = await openStream(b.url, ALERTS, { threshold: 0.8 });
    const recorded = await openStream(b.url, SNAPSHOT_RECORDED, { id: globex });
    // one Redis subscription per instance and channel, shared by its subscribers
    await until(async () => (await subscribers()) === 1, 'B to subscribe in Redis');
    await post(a.url, RECORD, {
      input: [
        snapshot(globex, {
          at: '2026-05-01T12:00:00Z',
          volunteers: { current: 17, target: 20 },
          budget: { allocated: '2000.00', spent: '400.00' },
        }),
      ],
    });
    expect((await alerts.next()).data?.capacityAlertRaised).toEqual({
      campaign: { id: globex, name: 'Globex mentoring' },
      resource: 'VOLUNTEERS',
      utilization: 0.85,
      threshold: 0.8,
      severity: 'WARNING',
      message: 'Volunteers at 85% of target (17/20)',
      snapshotDate: '2026-05-01T12:00:00.000Z',
    });
    expect((await recorded.next()).data?.snapshotRecorded).toMatchObject({
      snapshotDate: '2026-05-01T12:00:00.000Z',
      volunteers: { current: 17, target: 20, utilization: 0.85 },
      budget: { allocated: '2000.00', spent: '400.00', remaining: '1600.00', utilization: 0.2 },
    });
    alerts.close();
    recorded.close();
    // the last subscriber gone, B unsubscribes from the channel
    await until(async () => (await subscribers()) === 0, 'B to unsubscribe in Redis');
  });

  it('a write still succeeds while Redis is unreachable (the event is lost, not the write)', async () => {
    const redis = connectRedis('redis://127.0.0.1:1');
    const failures: unknown[] = [];
    const gateway = createQuietGateway({
      db: db.handle.db,
      webRoot: false,
      events: createEventBus({ redis, namespace, onError: (error) => failures.push(error) }),
    });
    const data = await executeOk(gateway, RECORD, {
      input: [snapshot(globex, { at: '2026-05-02T12:00:00Z', volunteers: { current: 19, target: 20 } })],
    });
    expect(data.recordSnapshots.recorded).toBe(1);
    await until(() => failures.length === 1, 'the failed publish to be reported');
    await gateway.dispose();
    redis.disconnect();
  });
});
