import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { parse } from 'graphql';
import { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Viewer } from '../src/auth/viewer.js';
import { OPEN_MODE_VIEWER } from '../src/auth/viewer.js';
import { ALL_CAMPAIGN_DATA, ALL_CAMPAIGN_ROWS, campaignEntity } from '../src/cache/entities.js';
import { guardStore } from '../src/cache/guarded-store.js';
import { operationPolicy } from '../src/cache/operation-policy.js';
import { invalidateCachedCampaigns } from '../src/cache/response-cache.js';
import { cacheScope } from '../src/cache/scope.js';
import {
  CLOCK_TTL_MS,
  DEFAULT_TTL_MS,
  LATEST_TTL_MS,
  RECENT_RANGE_TTL_MS,
  SETTLED_RANGE_TTL_MS,
} from '../src/cache/ttl.js';
import { redisUp, responseCacheLookups } from '../src/observability/metrics.js';
import { connectRedis } from '../src/redis/connection.js';
import { runRetention } from '../src/retention/run-retention.js';
import { configureRetention } from '../src/retention/settings.js';
import { schema } from '../src/schema/index.js';
import type { GatewaySettings } from '../src/server/yoga.js';
import { RECORD_SNAPSHOTS, snapshotInput, UPSERT_CAMPAIGN } from './fixtures/snapshot-inputs.js';
import { type ServedGateway, serveOverHttp } from './helpers/http-server.js';
import { TEST_REDIS_URL as REDIS_URL } from './helpers/redis.js';
import { temporaryArchive } from './helpers/retention.js';
import { createQuietGateway, createTestDatabase, type TestDatabase } from './helpers/test-database.js';

const DAY = 86_400_000;
const MINUTE = 60_000;
const JWT_SECRET = 'response-cache-test-secret-of-at-least-32-bytes';

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response shapes
type Data = Record<string, any>;
interface Answer {
  data?: Data | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/** A client of one served gateway that counts the SQL statements each request sent. */
interface Client {
  post(query: string, variables?: Record<string, unknown>, token?: string): Promise<Answer>;
  /** The answer's data and how many statements it took (0 = served from the cache). */
  read(
    query: string,
    variables?: Record<string, unknown>,
    token?: string,
  ): Promise<{ data: Data; statements: number }>;
  write(query: string, variables?: Record<string, unknown>): Promise<Data>;
}

function clientOf(served: ServedGateway): Client {
  const post = async (query: string, variables: Record<string, unknown> = {}, token?: string) => {
    const response = await fetch(`${served.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as Answer;
  };
  const ok = (answer: Answer): Data => {
    if (answer.errors?.length || !answer.data)
      throw new Error(`GraphQL errors: ${JSON.stringify(answer.errors)}`);
    return answer.data;
  };
  return {
    post,
    async read(query, variables, token) {
      db.statements.length = 0;
      const data = ok(await post(query, variables, token));
      return { data, statements: db.statements.length };
    },
    write: async (query, variables) => ok(await post(query, variables)),
  };
}

async function lookups() {
  const { values } = await responseCacheLookups.get();
  const count = (result: string) => values.find((sample) => sample.labels.result === result)?.value ?? 0;
  return { hit: count('hit'), miss: count('miss'), error: count('error') };
}

async function redisUpValue() {
  return (await redisUp.get()).values[0]?.value;
}

/** A Redis client (connectRedis's settings) whose keys all begin with a prefix of this test run. */
async function prefixedRedis(prefix: string, url = REDIS_URL): Promise<Redis> {
  const base = connectRedis(url);
  const client = base.duplicate({ keyPrefix: prefix });
  client.on('error', () => {});
  base.disconnect();
  await once(client, 'ready');
  return client;
}

async function deleteKeys(prefix: string) {
  const admin = new Redis(REDIS_URL);
  const keys = await admin.keys(`${prefix}*`);
  if (keys.length) await admin.del(...keys);
  await admin.quit();
}

const CAMPAIGN = /* GraphQL */ `
  query Campaign($id: ID!) {
    campaign(id: $id) {
      id name
      latestSnapshot { snapshotDate volunteers { current } }
      snapshots(last: 5) { totalCount edges { node { snapshotDate sampleCount } } }
    }
  }
`;
const CAMPAIGN_NAME = /* GraphQL */ `query Name($id: ID!) { campaign(id: $id) { name } }`;
const CAMPAIGN_LIST = /* GraphQL */ `
  query List { campaigns(first: 100) { totalCount edges { node { id name } } } }
`;
/** Alerts of every campaign without selecting them: only AllCampaigns:data links it to writes. */
const ALL_ALERTS = /* GraphQL */ `
  query Alerts { capacityAlerts(threshold: 0.9) { totalCount edges { node { resource utilization } } } }
`;
const HISTORY = /* GraphQL */ `
  query History($id: ID!, $from: DateTime!, $to: DateTime!) {
    campaign(id: $id) {
      snapshots(from: $from, to: $to) { edges { node { snapshotDate granularity sampleCount } } }
    }
  }
`;

const iso = (ms: number) => new Date(ms).toISOString();
/** Midnight UTC some whole days before today: fixed points the snapshots are placed at. */
const daysAgo = (days: number) => Math.floor(Date.now() / DAY) * DAY - days * DAY;

async function createCampaign(client: Client, name: string, extra: Record<string, unknown> = {}) {
  const created = await client.write(UPSERT_CAMPAIGN, {
    input: { name, status: 'ACTIVE', timeZone: 'UTC', ...extra },
  });
  return created.upsertCampaign.id as string;
}

async function record(client: Client, id: string, at: number, volunteers: number) {
  await client.write(RECORD_SNAPSHOTS, {
    input: [snapshotInput(id, { at: iso(at), volunteers: [volunteers, 20] })],
  });
}

/** Served gateways over one test database: a cached one (memory or Redis) in open mode. */
interface Setup {
  served: ServedGateway;
  client: Client;
  redis?: Redis;
  prefix?: string;
}

/** A cached gateway (memory, or Redis when given) over HTTP; close() also disposes it. */
async function serveCached(redis?: Redis, settings: Partial<GatewaySettings> = {}): Promise<ServedGateway> {
  const gateway = createQuietGateway({
    db: db.handle.db,
    webRoot: false,
    redis,
    settings: { cacheEnabled: true, logLevel: 'silent', ...settings },
  });
  const served = await serveOverHttp(gateway);
  return {
    url: served.url,
    close: async () => {
      await served.close();
      await gateway.dispose();
    },
  };
}

/** One database for the whole file: every gateway below reads and writes it. */
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

describe.each(['memory', 'redis'] as const)('response cache in %s', (store) => {
  const setup = {} as Setup;
  const archive = temporaryArchive();

  beforeAll(async () => {
    if (store === 'redis') {
      setup.prefix = `test:response-cache:${randomBytes(6).toString('hex')}:`;
      setup.redis = await prefixedRedis(setup.prefix);
    }
    setup.served = await serveCached(setup.redis);
    setup.client = clientOf(setup.served);
    configureRetention({ archiveUrl: archive.url, s3: {} });
  });
  afterAll(async () => {
    await setup.served?.close();
    await setup.redis?.quit();
    if (setup.prefix) await deleteKeys(setup.prefix);
    archive.remove();
  });

  it('answers a repeated read from the cache: no SQL, one hit', async () => {
    const { client } = setup;
    const id = await createCampaign(client, 'Repeat');
    await record(client, id, daysAgo(1), 7);
    const before = await lookups();
    const first = await client.read(CAMPAIGN, { id });
    const second = await client.read(CAMPAIGN, { id });
    const after = await lookups();
    expect(first.statements).toBeGreaterThan(0);
    expect(second.statements).toBe(0);
    expect(second.data).toEqual(first.data);
    expect(first.data.campaign.latestSnapshot).toEqual({
      snapshotDate: iso(daysAgo(1)),
      volunteers: { current: 7 },
    });
    expect(after.hit - before.hit).toBe(1);
    expect(after.miss - before.miss).toBe(1);
    expect(after.error - before.error).toBe(0);
  });

  it('recordSnapshots invalidates the campaign written and nothing else', async () => {
    const { client } = setup;
    const written = await createCampaign(client, 'Written');
    const untouched = await createCampaign(client, 'Untouched');
    await record(client, written, daysAgo(2), 3);
    await record(client, untouched, daysAgo(2), 4);
    await client.read(CAMPAIGN, { id: written });
    await client.read(CAMPAIGN, { id: untouched });
    expect((await client.read(CAMPAIGN, { id: written })).statements).toBe(0);

    await record(client, written, daysAgo(1), 9);

    const fresh = await client.read(CAMPAIGN, { id: written });
    expect(fresh.statements).toBeGreaterThan(0);
    expect(fresh.data.campaign.latestSnapshot).toEqual({
      snapshotDate: iso(daysAgo(1)),
      volunteers: { current: 9 },
    });
    expect(fresh.data.campaign.snapshots.totalCount).toBe(2);
    const other = await client.read(CAMPAIGN, { id: untouched });
    expect(other.statements).toBe(0);
    expect(other.data.campaign.latestSnapshot.volunteers.current).toBe(4);
  });

  it('recordSnapshots refreshes answers over all campaigns that did not name it', async () => {
    const { client } = setup;
    const id = await createCampaign(client, 'Alerting');
    const before = await client.read(ALL_ALERTS);
    expect((await client.read(ALL_ALERTS)).statements).toBe(0);
    // 19 of 20 volunteers: one VOLUNTEERS alert at 0.95 >= 0.9.
    await record(client, id, daysAgo(0), 19);
    const after = await client.read(ALL_ALERTS);
    expect(after.statements).toBeGreaterThan(0);
    expect(after.data.capacityAlerts.totalCount).toBe(before.data.capacityAlerts.totalCount + 1);
    expect(after.data.capacityAlerts.edges).toContainEqual({
      node: { resource: 'VOLUNTEERS', utilization: 0.95 },
    });
  });

  it('upsertCampaign invalidates the campaign, lists and a null answer for its id, not other campaigns', async () => {
    const { client } = setup;
    const renamed = await createCampaign(client, 'Old name');
    const other = await createCampaign(client, 'Other');
    const chosenId = randomUUID();
    await client.read(CAMPAIGN_NAME, { id: renamed });
    await client.read(CAMPAIGN_NAME, { id: other });
    const list = await client.read(CAMPAIGN_LIST);
    const missing = await client.read(CAMPAIGN_NAME, { id: chosenId });
    expect(missing.data.campaign).toBeNull();
    expect((await client.read(CAMPAIGN_LIST)).statements).toBe(0);
    expect((await client.read(CAMPAIGN_NAME, { id: chosenId })).statements).toBe(0);

    await client.write(UPSERT_CAMPAIGN, { input: { id: renamed, name: 'New name', status: 'PAUSED' } });
    await client.write(UPSERT_CAMPAIGN, { input: { id: chosenId, name: 'Chosen', status: 'ACTIVE' } });

    expect((await client.read(CAMPAIGN_NAME, { id: renamed })).data.campaign.name).toBe('New name');
    expect((await client.read(CAMPAIGN_NAME, { id: chosenId })).data.campaign.name).toBe('Chosen');
    const relisted = await client.read(CAMPAIGN_LIST);
    expect(relisted.statements).toBeGreaterThan(0);
    expect(relisted.data.campaigns.totalCount).toBe(list.data.campaigns.totalCount + 1);
    expect(relisted.data.campaigns.edges).toContainEqual({ node: { id: renamed, name: 'New name' } });
    const unchanged = await client.read(CAMPAIGN_NAME, { id: other });
    expect(unchanged.statements).toBe(0);
    expect(unchanged.data.campaign.name).toBe('Other');
  });

  it('runRetention invalidates exactly the campaigns it rolled up', async () => {
    const { client } = setup;
    const old = await createCampaign(client, 'Old data');
    const recent = await createCampaign(client, 'Recent data');
    // Two snapshots 45 days ago: past the 30-day raw tier, so one DAY rollup of 2 samples.
    await record(client, old, daysAgo(45) + 6 * 3_600_000, 5);
    await record(client, old, daysAgo(45) + 18 * 3_600_000, 6);
    await record(client, recent, daysAgo(3), 5);
    const oldRange = { id: old, from: iso(daysAgo(46)), to: iso(daysAgo(44)) };
    const recentRange = { id: recent, from: iso(daysAgo(4)), to: iso(daysAgo(2)) };
    const rawOld = await client.read(HISTORY, oldRange);
    expect(rawOld.data.campaign.snapshots.edges.map((edge: Data) => edge.node.granularity)).toEqual([
      'RAW',
      'RAW',
    ]);
    await client.read(HISTORY, recentRange);
    expect((await client.read(HISTORY, oldRange)).statements).toBe(0);

    const report = await client.write(
      /* GraphQL */ `mutation { runRetention { rawSnapshotsRolledUp skipped } }`,
    );
    expect(report.runRetention).toEqual({ rawSnapshotsRolledUp: 2, skipped: false });

    const rolledUp = await client.read(HISTORY, oldRange);
    expect(rolledUp.statements).toBeGreaterThan(0);
    expect(rolledUp.data.campaign.snapshots.edges).toEqual([
      { node: { snapshotDate: iso(daysAgo(45)), granularity: 'DAY', sampleCount: 2 } },
    ]);
    expect((await client.read(HISTORY, recentRange)).statements).toBe(0);
  });

  it('the retention hook names exactly the changed campaigns, and invalidating them refreshes their answers', async () => {
    const { client } = setup;
    const old = await createCampaign(client, 'Scheduled old');
    const held = await createCampaign(client, 'Held', { legalHold: true });
    for (const id of [old, held]) await record(client, id, daysAgo(60), 5);
    const range = { id: old, from: iso(daysAgo(61)), to: iso(daysAgo(59)) };
    await client.read(HISTORY, range);
    await client.read(HISTORY, { ...range, id: held });

    // What the scheduler gets in main.ts: the hook hands each changed campaign to the cache.
    const changed: string[] = [];
    const invalidations: Promise<void>[] = [];
    await runRetention(db.handle.db, {
      archive: { url: archive.url },
      onCampaignChanged: (campaignId) => {
        changed.push(campaignId);
        invalidations.push(invalidateCachedCampaigns(db.handle.db, [campaignId], 'snapshots'));
      },
    });
    expect(changed).toEqual([old]);
    await Promise.all(invalidations);
    const after = await client.read(HISTORY, range);
    expect(after.statements).toBeGreaterThan(0);
    expect(after.data.campaign.snapshots.edges[0].node.granularity).toBe('DAY');
    expect((await client.read(HISTORY, { ...range, id: held })).statements).toBe(0);
  });

  it('never stores answers with errors', async () => {
    const { client } = setup;
    const id = await createCampaign(client, 'Partly failing');
    const query = /* GraphQL */ `query Partial($id: ID!) { good: campaign(id: $id) { name } bad: campaign(id: "not-a-uuid") { name } }`;
    const first = await client.post(query, { id });
    expect(first.data?.good).toEqual({ name: 'Partly failing' });
    expect(first.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const before = await lookups();
    await client.post(query, { id });
    expect((await lookups()).hit).toBe(before.hit);
  });

  it('never stores mutations: a repeated upsert creates a second campaign', async () => {
    const { client } = setup;
    const input = { input: { name: `Twice ${store}`, status: 'DRAFT' } };
    const first = await client.write(UPSERT_CAMPAIGN, input);
    const second = await client.write(UPSERT_CAMPAIGN, input);
    expect(second.upsertCampaign.id).not.toBe(first.upsertCampaign.id);
  });
});

describe('response cache in Redis: expiry', () => {
  let redis: Redis;
  let served: ServedGateway;
  let client: Client;
  const prefix = `test:response-cache:${randomBytes(6).toString('hex')}:`;

  beforeAll(async () => {
    redis = await prefixedRedis(prefix);
    served = await serveCached(redis);
    client = clientOf(served);
  });
  afterAll(async () => {
    await served?.close();
    await redis?.quit();
    await deleteKeys(prefix);
  });

  /** PTTL of the one answer stored by `read`, and of its campaign's link set. */
  async function storedTtls(read: () => Promise<unknown>, campaignId: string) {
    const admin = new Redis(REDIS_URL);
    try {
      await deleteKeys(`${prefix}response-cache:answer:`);
      await read();
      const [answer, ...more] = await admin.keys(`${prefix}response-cache:answer:*`);
      expect(more).toEqual([]);
      return {
        answer: await admin.pttl(answer as string),
        link: await admin.pttl(`${prefix}response-cache:entity:Campaign:${campaignId}`),
      };
    } finally {
      await admin.quit();
    }
  }

  it('stores each answer for its shortest field and links it as long', async () => {
    const id = await createCampaign(client, 'Expiry');
    await record(client, id, daysAgo(10), 5);
    const settled = await storedTtls(
      () => client.read(HISTORY, { id, from: iso(daysAgo(11)), to: iso(daysAgo(9)) }),
      id,
    );
    expect(settled.answer).toBeGreaterThan(SETTLED_RANGE_TTL_MS - MINUTE);
    expect(settled.answer).toBeLessThanOrEqual(SETTLED_RANGE_TTL_MS);
    expect(settled.link).toBeGreaterThan(SETTLED_RANGE_TTL_MS - MINUTE);

    const latest = await storedTtls(() => client.read(CAMPAIGN, { id }), id);
    expect(latest.answer).toBeGreaterThan(LATEST_TTL_MS - MINUTE);
    expect(latest.answer).toBeLessThanOrEqual(LATEST_TTL_MS);
    // The link set keeps the longest expiry of the answers in it.
    expect(latest.link).toBeGreaterThan(SETTLED_RANGE_TTL_MS - MINUTE);

    const rows = await storedTtls(() => client.read(CAMPAIGN_NAME, { id }), id);
    expect(rows.answer).toBeGreaterThan(DEFAULT_TTL_MS - MINUTE);
    expect(rows.answer).toBeLessThanOrEqual(DEFAULT_TTL_MS);
  });
});

/** A localhost TCP proxy to Redis that can drop its connections and refuse new ones. */
function redisProxy() {
  const sockets = new Set<Socket>();
  let open = true;
  const server: Server = createServer((socket) => {
    if (!open) return void socket.destroy();
    const upstream = connect(6379, '127.0.0.1');
    for (const end of [socket, upstream]) {
      sockets.add(end);
      end.on('error', () => {});
      end.on('close', () => {
        sockets.delete(end);
        socket.destroy();
        upstream.destroy();
      });
    }
    socket.pipe(upstream).pipe(socket);
  });
  return {
    async listen() {
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      return `redis://127.0.0.1:${(server.address() as { port: number }).port}`;
    },
    cut() {
      open = false;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      open = true;
    },
    close() {
      this.cut();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('response cache with Redis down', () => {
  let served: ServedGateway;
  let client: Client;
  let campaignId: string;

  beforeAll(async () => {
    // A port nobody listens on: bind one, then close it.
    const probe = createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const { port } = probe.address() as { port: number };
    await new Promise((resolve) => probe.close(resolve));
    served = await serveCached(connectRedis(`redis://127.0.0.1:${port}`));
    client = clientOf(served);
    campaignId = await createCampaign(client, 'No Redis');
    await record(client, campaignId, daysAgo(1), 8);
  });
  afterAll(async () => {
    await served?.close();
  });

  it('serves every request uncached, counts the errors and reports Redis down', async () => {
    const before = await lookups();
    const first = await client.read(CAMPAIGN, { id: campaignId });
    const second = await client.read(CAMPAIGN, { id: campaignId });
    const after = await lookups();
    expect(first.data.campaign.latestSnapshot.volunteers.current).toBe(8);
    expect(second.data).toEqual(first.data);
    expect(second.statements).toBe(first.statements);
    expect(second.statements).toBeGreaterThan(0);
    expect(after.hit - before.hit).toBe(0);
    // Per request: the failed lookup, and the failed store of its answer.
    expect(after.error - before.error).toBe(4);
    expect(await redisUpValue()).toBe(0);
  });
});

describe('response cache when Redis drops out during a write', () => {
  let redis: Redis;
  let served: ServedGateway;
  let client: Client;
  const proxy = redisProxy();
  const prefix = `test:response-cache:${randomBytes(6).toString('hex')}:`;

  beforeAll(async () => {
    redis = await prefixedRedis(prefix, await proxy.listen());
    served = await serveCached(redis);
    client = clientOf(served);
  });
  afterAll(async () => {
    await served?.close();
    redis?.disconnect();
    await proxy.close();
    await deleteKeys(prefix);
  });

  it('never serves an answer from before a write whose invalidation failed', async () => {
    const id = await createCampaign(client, 'Blip');
    await record(client, id, daysAgo(2), 5);
    await client.read(CAMPAIGN, { id });
    expect((await client.read(CAMPAIGN, { id })).statements).toBe(0);

    proxy.cut();
    await record(client, id, daysAgo(1), 6);
    const during = await client.read(CAMPAIGN, { id });
    expect(during.statements).toBeGreaterThan(0);
    expect(during.data.campaign.latestSnapshot.volunteers.current).toBe(6);
    expect(await redisUpValue()).toBe(0);

    proxy.restore();
    await once(redis, 'ready');
    const after = await client.read(CAMPAIGN, { id });
    expect(after.data.campaign.latestSnapshot.volunteers.current).toBe(6);
    expect(await redisUpValue()).toBe(1);
    expect((await client.read(CAMPAIGN, { id })).statements).toBe(0);
  });
});

describe('response cache scope per tenant', () => {
  let open: ServedGateway;
  let authenticated: ServedGateway;
  let admin: Client;
  let client: Client;
  const ids: Record<string, string> = {};
  const secret = new TextEncoder().encode(JWT_SECRET);
  const token = (tenants: string[], role: string, subject = 'someone') =>
    new SignJWT({ tenants, role })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(subject)
      .setExpirationTime('1h')
      .sign(secret);
  const LIST = /* GraphQL */ `query Visible { campaigns(first: 10) { edges { node { name } } } }`;
  const names = (data: Data) => data.campaigns.edges.map((edge: Data) => edge.node.name).sort();

  beforeAll(async () => {
    open = await serveCached();
    authenticated = await serveCached(undefined, {
      auth: {
        jwtSecret: JWT_SECRET,
        jwksUrl: undefined,
        issuer: undefined,
        audience: undefined,
        openMode: false,
      },
    });
    admin = clientOf(open);
    client = clientOf(authenticated);
    for (const tenant of ['north', 'south'])
      ids[tenant] = await createCampaign(admin, `${tenant} campaign`, { tenantId: tenant });
  });
  afterAll(async () => {
    await open?.close();
    await authenticated?.close();
  });

  it('keys answers by tenants (sorted) and role, not by subject', () => {
    const viewer = (tenantIds: string[] | null, role: Viewer['role'], subject: string | null): Viewer => ({
      subject,
      tenantIds,
      role,
    });
    const north = cacheScope(viewer(['north'], 'viewer', 'a'));
    expect(cacheScope(viewer(['north'], 'viewer', 'b'))).toBe(north);
    expect(cacheScope(viewer(['south'], 'viewer', 'a'))).not.toBe(north);
    expect(cacheScope(viewer(['north'], 'admin', 'a'))).not.toBe(north);
    expect(cacheScope(viewer(['north', 'south'], 'viewer', 'a'))).toBe(
      cacheScope(viewer(['south', 'north', 'south'], 'viewer', 'b')),
    );
    expect(cacheScope(viewer(['north,south'], 'viewer', 'a'))).not.toBe(
      cacheScope(viewer(['north', 'south'], 'viewer', 'a')),
    );
    expect(cacheScope(OPEN_MODE_VIEWER)).toBe(cacheScope(viewer(null, 'admin', null)));
    expect(cacheScope(OPEN_MODE_VIEWER)).not.toBe(cacheScope(viewer(['north'], 'admin', null)));
  });

  it('never answers another tenant from the cache', async () => {
    const north = await client.read(LIST, {}, await token(['north'], 'viewer'));
    expect(names(north.data)).toEqual(['north campaign']);
    const south = await client.read(LIST, {}, await token(['south'], 'viewer'));
    expect(south.statements).toBeGreaterThan(0);
    expect(names(south.data)).toEqual(['south campaign']);
    // Another user of the same tenant and role shares the answer.
    const colleague = await client.read(LIST, {}, await token(['north'], 'viewer', 'colleague'));
    expect(colleague.statements).toBe(0);
    expect(names(colleague.data)).toEqual(['north campaign']);
    // Both tenants, in either order: one scope of its own.
    const both = await client.read(LIST, {}, await token(['south', 'north'], 'viewer'));
    expect(both.statements).toBeGreaterThan(0);
    expect(names(both.data)).toEqual(['north campaign', 'south campaign']);
    expect((await client.read(LIST, {}, await token(['north', 'south'], 'viewer'))).statements).toBe(0);
    // A bad token gets no cached answer either.
    const rejected = await client.post(LIST, {}, 'not-a-token');
    expect(rejected.data ?? null).toBeNull();
    expect(rejected.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('response cache off (CACHE_ENABLED=false)', () => {
  it('sends the statements of every request and looks nothing up', async () => {
    const served = await serveCached(undefined, { cacheEnabled: false });
    try {
      const client = clientOf(served);
      const id = await createCampaign(client, 'Uncached');
      const before = await lookups();
      const first = await client.read(CAMPAIGN, { id });
      const second = await client.read(CAMPAIGN, { id });
      expect(first.statements).toBeGreaterThan(0);
      expect(second.statements).toBe(first.statements);
      expect(await lookups()).toEqual(before);
    } finally {
      await served.close();
    }
  });
});

describe('operation policy', () => {
  const NOW = Date.parse('2026-06-15T12:00:00Z');
  const policyOf = (query: string, variables: Record<string, unknown> = {}) =>
    operationPolicy({ schema, document: parse(query), variableValues: variables }, NOW);

  it('takes the shortest argument-dependent TTL, through variables, aliases and fragments', () => {
    const settled = `query($to: DateTime!) { campaign(id: "${randomUUID()}") { ...F } }
      fragment F on Campaign { series(metrics: [BUDGET_SPENT], from: "2026-01-01T00:00:00Z", to: $to, granularity: DAY) { timestamps } }`;
    expect(policyOf(settled, { to: '2026-06-15T10:59:59Z' }).ttl).toBe(SETTLED_RANGE_TTL_MS);
    expect(policyOf(settled, { to: '2026-06-15T11:30:00Z' }).ttl).toBe(RECENT_RANGE_TTL_MS);
    const both = `{ campaign(id: "${randomUUID()}") {
      a: snapshots(to: "2026-01-01T00:00:00Z") { totalCount }
      b: snapshots(last: 3) { totalCount } } }`;
    expect(policyOf(both).ttl).toBe(RECENT_RANGE_TTL_MS);
    expect(policyOf('{ snapshotsDue { dueAt } }').ttl).toBe(CLOCK_TTL_MS);
    expect(policyOf('{ snapshotsDue(asOf: "2026-01-01T00:00:00Z") { dueAt } }').ttl).toBe(
      SETTLED_RANGE_TTL_MS,
    );
    expect(
      policyOf(
        `{ campaign(id: "${randomUUID()}") { yearOverYear(metric: BUDGET_SPENT, year: 2025) { year } } }`,
      ).ttl,
    ).toBe(SETTLED_RANGE_TTL_MS);
    expect(
      policyOf(
        `{ campaign(id: "${randomUUID()}") { yearOverYear(metric: BUDGET_SPENT, year: 2026) { year } } }`,
      ).ttl,
    ).toBe(RECENT_RANGE_TTL_MS);
    // No argument-dependent field: the plugin's per-coordinate and default TTLs apply.
    expect(policyOf(`{ campaign(id: "${randomUUID()}") { latestSnapshot { sampleCount } } }`).ttl).toBe(
      Number.POSITIVE_INFINITY,
    );
  });

  it('links root fields to what they read without naming it in the answer', () => {
    const [a, b] = [randomUUID(), randomUUID()];
    expect(policyOf(`{ campaign(id: "${a.toUpperCase()}") { name } }`).entities).toEqual([campaignEntity(a)]);
    expect(
      policyOf(
        `query($ids: [ID!]!) { compareCampaigns(ids: $ids, metrics: [BUDGET_SPENT]) { values { value } } }`,
        { ids: [a, b] },
      ).entities,
    ).toEqual([campaignEntity(a), campaignEntity(b)]);
    expect(
      policyOf('query($r: [_Any!]!) { _entities(representations: $r) { ... on Campaign { name } } }', {
        r: [{ __typename: 'Campaign', id: a }],
      }).entities,
    ).toEqual([campaignEntity(a)]);
    expect(policyOf('{ campaigns { totalCount } }').entities).toEqual([ALL_CAMPAIGN_ROWS]);
    expect(policyOf('{ capacityAlerts { totalCount } snapshotsDue { dueAt } }').entities).toEqual([
      ALL_CAMPAIGN_DATA,
      ALL_CAMPAIGN_DATA,
    ]);
    expect(policyOf('{ __typename _service { sdl } }').entities).toEqual([]);
  });

  it('does not cache an operation whose variables cannot be coerced', () => {
    expect(policyOf('query($id: ID!) { campaign(id: $id) { name } }', {}).ttl).toBe(0);
  });
});

describe('guarded store', () => {
  const never = new Promise<never>(() => {});

  it('turns a store that does not answer into a counted miss within the timeout', async () => {
    const store = guardStore(
      { get: () => never, set: () => never, invalidate: () => never },
      { timeoutMs: 50 },
    );
    const before = await lookups();
    const started = Date.now();
    expect(await store.get('key')).toBeNull();
    await store.set('key', { data: {} }, [], 1000);
    expect(Date.now() - started).toBeLessThan(1000);
    expect((await lookups()).error - before.error).toBe(2);
  });

  it('retries a failed invalidation before answering again', async () => {
    const cached = new Map<string, unknown>([['key', { data: { stale: true } }]]);
    let failing = true;
    const invalidated: unknown[] = [];
    const store = guardStore({
      get: (key) => (cached.get(key) as { data: Data }) ?? null,
      set: () => undefined,
      invalidate: (entities) => {
        if (failing) throw new Error('down');
        invalidated.push(...entities);
        cached.clear();
      },
    });
    await store.invalidate([campaignEntity('A'), { typename: 'Untracked' }]);
    expect(await store.get('key')).toBeNull();
    failing = false;
    expect(await store.get('key')).toBeNull();
    expect(invalidated).toEqual([campaignEntity('A')]);
    expect(await store.flushPending()).toBe(true);
  });
});
