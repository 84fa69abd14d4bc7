import { type SQL, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase, queryRows } from '../src/db/client.js';
import { createReadRouter, parseLsn } from '../src/db/replicas.js';
import { createLogger } from '../src/observability/logger.js';
import { createGateway, type Gateway } from '../src/server/yoga.js';
import { snapshotInput } from './fixtures/snapshot-inputs.js';
import { HS256_AUTH, hs256Token } from './helpers/auth-gateway.js';
import { type ServedGateway, serveOverHttp } from './helpers/http-server.js';
import { type PrimaryCluster, type StandbyCluster, startPrimaryCluster } from './helpers/replica-cluster.js';

/**
 * Read replicas against a real streaming replica: a throwaway primary and a hot standby made
 * from it with pg_basebackup (test/helpers/replica-cluster.ts), the gateway over HTTP with
 * the primary as DATABASE_URL and the standby as DATABASE_REPLICA_URLS. Pausing the standby's
 * WAL replay freezes what it can answer, so whether an answer includes a row written since
 * tells which server gave it.
 */

const serverUrl = process.env.DATABASE_URL;
const DATABASE = 'cmg_replica_test';

const CAMPAIGN = /* GraphQL */ `
  query Campaign($id: ID!) {
    campaign(id: $id) { name latestSnapshot { snapshotDate } }
  }
`;
const CAMPAIGN_COUNT = /* GraphQL */ `query CampaignCount { campaigns { totalCount } }`;
const UPSERT = /* GraphQL */ `
  mutation Upsert($input: CampaignInput!) { upsertCampaign(input: $input) { id } }
`;
// The payload's snapshots are read back within the mutation's own request.
const RECORD = /* GraphQL */ `
  mutation Record($input: [SnapshotInput!]!) {
    recordSnapshots(input: $input) { recorded snapshots { snapshotDate } }
  }
`;

let primary: PrimaryCluster | undefined;
let standby: StandbyCluster | undefined;
let database: DatabaseHandle | undefined;
let gateway: Gateway | undefined;
let served: ServedGateway | undefined;
const logLines: string[] = [];
const testLogger = createLogger('warn', { write: (line: string) => void logLines.push(line) });
let writerToken = '';
let readerToken = '';
let campaignId = '';

async function graphql(
  token: string,
  query: string,
  variables: Record<string, unknown> = {},
  gatewayUrl = served?.url,
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response shapes
): Promise<any> {
  const response = await fetch(`${gatewayUrl}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json',
      authorization: `Bearer ${token}`,
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (response.status !== 200 || body.errors?.length) {
    throw new Error(`HTTP ${response.status}: ${JSON.stringify(body.errors ?? body)}`);
  }
  return body.data;
}

/** A counter's value as /metrics serves it (the registry is the process's: every gateway counts in it). */
async function counter(name: string, label: string, value: string): Promise<number> {
  const text = await (await fetch(`${served?.url}/metrics`)).text();
  return Number(new RegExp(`^${name}\\{${label}="${value}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
}

/** gateway_db_reads_total by target. */
async function readsByTarget(): Promise<{ primary: number; replica: number }> {
  const count = (target: string) => counter('gateway_db_reads_total', 'target', target);
  return { primary: await count('primary'), replica: await count('replica') };
}

/** Runs `read` and returns how many reads each target served meanwhile. */
async function readsDuring(read: () => Promise<unknown>) {
  const before = await readsByTarget();
  await read();
  const after = await readsByTarget();
  return { primary: after.primary - before.primary, replica: after.replica - before.replica };
}

/** SQL straight on the primary's pool, past the gateway and its routing. */
async function onPrimary<Row extends Record<string, unknown>>(statement: SQL): Promise<Row> {
  if (!database) throw new Error('no database');
  const [row] = await queryRows<Row>(database.db, statement);
  if (!row) throw new Error('no row');
  return row;
}

/** A campaign written to the primary by no gateway caller. */
async function insertOnPrimary(name: string): Promise<string> {
  const { id } = await onPrimary<{ id: string }>(
    sql`INSERT INTO campaigns (tenant_id, name, status) VALUES ('acme', ${name}, 'ACTIVE') RETURNING id`,
  );
  return id;
}

describe('WAL positions', () => {
  it('compare as 64-bit numbers, not as text', () => {
    // 0x16 * 2^32 + 0xB374D848, computed by hand
    expect(parseLsn('16/B374D848')).toBe(97_500_059_720n);
    expect(parseLsn('A/0') > parseLsn('9/FFFFFFFF')).toBe(true);
    expect(() => parseLsn('not/a position')).toThrow('not a WAL position');
  });
});

describe.skipIf(!serverUrl)('read replicas (PostgreSQL suite only: set DATABASE_URL to run)', () => {
  beforeAll(async () => {
    primary = await startPrimaryCluster(serverUrl ?? '');
    await primary.sql.unsafe(`CREATE DATABASE ${DATABASE}`);
    const migrator = await openDatabase({ databaseUrl: primary.url(DATABASE) });
    await migrator.migrate();
    await migrator.close();
    // After the database exists and is migrated: the standby starts with both.
    standby = await primary.startStandby();
    database = await openDatabase({
      databaseUrl: primary.url(DATABASE),
      replicaUrls: [standby.url(DATABASE)],
    });
    gateway = createGateway({
      db: database.db,
      readRouter: createReadRouter({ primary: database.db, replicas: database.replicas, logger: testLogger }),
      webRoot: false,
      settings: { auth: HS256_AUTH, cacheEnabled: false },
      logger: testLogger,
    });
    served = await serveOverHttp(gateway);
    writerToken = await hs256Token({ sub: 'writer', tenants: ['acme'], role: 'ingest' });
    readerToken = await hs256Token({ sub: 'reader', tenants: ['acme'], role: 'viewer' });
    const created = await graphql(writerToken, UPSERT, { input: { name: 'Replicated', status: 'ACTIVE' } });
    campaignId = created.upsertCampaign.id;
    await standby.catchUp();
  });

  afterAll(async () => {
    await served?.close();
    await gateway?.dispose();
    await database?.close();
    await primary?.destroy();
  });

  it('serves reads from the replica: a row written to the primary while replay is paused is not in them', async () => {
    const counted = await readsDuring(() => graphql(readerToken, CAMPAIGN_COUNT));
    expect(counted).toEqual({ primary: 0, replica: 1 });

    await standby?.pauseReplay();
    const hiddenId = await insertOnPrimary('written while the replica is paused');
    // The primary has both campaigns; the replica, frozen before the insert, only the first.
    expect(await onPrimary(sql`SELECT count(*)::int AS count FROM campaigns`)).toEqual({ count: 2 });
    const read = await graphql(readerToken, CAMPAIGN, { id: hiddenId });
    expect(read.campaign).toBeNull();
    const count = await graphql(readerToken, CAMPAIGN_COUNT);
    expect(count.campaigns.totalCount).toBe(1);
  });

  it("answers the caller's own write right after it, in the same request and the next one (from the primary)", async () => {
    const at = '2026-03-01T06:00:00.000Z';
    const recorded = await graphql(writerToken, RECORD, { input: [snapshotInput(campaignId, { at })] });
    expect(recorded.recordSnapshots.recorded).toBe(1);
    expect(recorded.recordSnapshots.snapshots).toEqual([{ snapshotDate: at }]);

    let answer: { campaign: { latestSnapshot: { snapshotDate: string } | null } } | undefined;
    const counted = await readsDuring(async () => {
      answer = await graphql(writerToken, CAMPAIGN, { id: campaignId });
    });
    expect(answer?.campaign.latestSnapshot).toEqual({ snapshotDate: at });
    expect(counted).toEqual({ primary: 1, replica: 0 });

    // Another caller still reads the paused replica, which has not seen the write.
    const other = await graphql(readerToken, CAMPAIGN, { id: campaignId });
    expect(other.campaign).toEqual({ name: 'Replicated', latestSnapshot: null });
  });

  it("sends the caller's reads back to the replica once it has replayed the write", async () => {
    await standby?.resumeReplay();
    await standby?.catchUp();
    let answer: { campaign: { latestSnapshot: { snapshotDate: string } | null } } | undefined;
    const counted = await readsDuring(async () => {
      answer = await graphql(writerToken, CAMPAIGN, { id: campaignId });
    });
    expect(counted).toEqual({ primary: 0, replica: 1 });
    expect(answer?.campaign.latestSnapshot).toEqual({ snapshotDate: '2026-03-01T06:00:00.000Z' });
    const count = await graphql(readerToken, CAMPAIGN_COUNT);
    expect(count.campaigns.totalCount).toBe(2);
  });

  it('counts a replica read as seeing every write only if none runs and the replica had replayed the newest when routed', async () => {
    if (!database || !standby) throw new Error('no cluster');
    const router = createReadRouter({
      primary: database.db,
      replicas: database.replicas,
      logger: testLogger,
    });
    await standby.catchUp();
    const beforeWrite = await router.routeRead('reader');
    expect(beforeWrite.target).toBe('replica');
    // No write through this router yet: nothing the replica could miss.
    expect(router.seesEveryWrite(beforeWrite)).toBe(true);

    await standby.pauseReplay();
    let whileWriting: boolean | undefined;
    await router.trackWrite('writer', async () => {
      await insertOnPrimary('written through a bare router');
      whileWriting = router.seesEveryWrite(beforeWrite);
    });
    expect(whileWriting).toBe(false);
    // Routed before the write, complete after it: the race in which a replica answer would
    // be stored right after the write's invalidation.
    expect(router.seesEveryWrite(beforeWrite)).toBe(false);
    const behind = await router.routeRead('reader');
    expect(behind.target).toBe('replica');
    expect(router.seesEveryWrite(behind)).toBe(false);
    expect(router.seesEveryWrite({ db: database.db, target: 'primary' })).toBe(true);

    await standby.resumeReplay();
    await standby.catchUp();
    // Past the 10 ms for which a replica's position is reused.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(router.seesEveryWrite(await router.routeRead('reader'))).toBe(true);
  });

  describe('with the response cache on', () => {
    let cachedGateway: Gateway | undefined;
    let cachedServed: ServedGateway | undefined;

    beforeAll(async () => {
      if (!database) throw new Error('no database');
      cachedGateway = createGateway({
        db: database.db,
        readRouter: createReadRouter({
          primary: database.db,
          replicas: database.replicas,
          logger: testLogger,
        }),
        webRoot: false,
        // The in-memory cache: this gateway's alone.
        settings: { auth: HS256_AUTH, cacheEnabled: true },
        logger: testLogger,
      });
      cachedServed = await serveOverHttp(cachedGateway);
    });

    afterAll(async () => {
      await cachedServed?.close();
      await cachedGateway?.dispose();
    });

    it("does not store a replica's answer that misses a write: the writer then reads its write, not the other caller's stale answer", async () => {
      // One cache scope (same role and tenants), two callers: the cache shares answers between them.
      const tokenA = await hs256Token({ sub: 'cache-writer', tenants: ['acme'], role: 'ingest' });
      const tokenB = await hs256Token({ sub: 'cache-reader', tenants: ['acme'], role: 'ingest' });
      const url = cachedServed?.url;
      const created = await graphql(tokenA, UPSERT, { input: { name: 'Cached', status: 'ACTIVE' } }, url);
      const id: string = created.upsertCampaign.id;
      const latest = async (token: string): Promise<string | null> => {
        const data = await graphql(token, CAMPAIGN, { id }, url);
        return data.campaign.latestSnapshot?.snapshotDate ?? null;
      };
      const first = '2026-04-01T00:00:00.000Z';
      const second = '2026-04-01T06:00:00.000Z';
      await graphql(tokenA, RECORD, { input: [snapshotInput(id, { at: first })] }, url);
      await standby?.catchUp();

      // A replica that has replayed every write: its answer is stored, and B's next read is a hit.
      let answer: string | null = null;
      expect(await readsDuring(async () => (answer = await latest(tokenB)))).toEqual({
        primary: 0,
        replica: 1,
      });
      expect(answer).toBe(first);
      expect(await readsDuring(async () => (answer = await latest(tokenB)))).toEqual({
        primary: 0,
        replica: 0,
      });
      expect(answer).toBe(first);

      await standby?.pauseReplay();
      await graphql(tokenA, RECORD, { input: [snapshotInput(id, { at: second })] }, url);
      const skippedBefore = await counter('gateway_response_cache_skipped_total', 'reason', 'replica_behind');
      // B reads the paused replica: the old value, returned but not stored.
      expect(await readsDuring(async () => (answer = await latest(tokenB)))).toEqual({
        primary: 0,
        replica: 1,
      });
      expect(answer).toBe(first);
      // A's read misses the cache and goes to the primary (its own write is not replayed yet).
      const readsOfA = await readsDuring(async () => (answer = await latest(tokenA)));
      expect(answer).toBe(second);
      expect(readsOfA).toEqual({ primary: 1, replica: 0 });
      expect(await counter('gateway_response_cache_skipped_total', 'reason', 'replica_behind')).toBe(
        skippedBefore + 1,
      );

      await standby?.resumeReplay();
      await standby?.catchUp();
      expect(await latest(tokenB)).toBe(second);
    });
  });

  it('answers reads from the primary when the replica is down, and /ready says degraded', async () => {
    const ready = await (await fetch(`${served?.url}/ready`)).json();
    expect(ready).toMatchObject({ status: 'ready', checks: { database: 'up', replicas: 'up' } });

    // Frozen, then stopped: only the primary can know this campaign.
    await standby?.pauseReplay();
    const lateId = await insertOnPrimary('written before the replica stopped');
    await standby?.stop();

    let answer: { campaign: { name: string } | null } | undefined;
    const counted = await readsDuring(async () => {
      answer = await graphql(readerToken, CAMPAIGN, { id: lateId });
    });
    expect(answer?.campaign).toEqual({ name: 'written before the replica stopped', latestSnapshot: null });
    expect(counted.primary).toBe(1);
    const again = await readsDuring(() => graphql(readerToken, CAMPAIGN_COUNT));
    expect(again).toEqual({ primary: 1, replica: 0 });

    const degraded = await fetch(`${served?.url}/ready`);
    expect(degraded.status).toBe(200);
    expect(await degraded.json()).toEqual({
      status: 'ready',
      checks: { database: 'up', replicas: 'degraded' },
      replicas: { [database?.replicas[0]?.name ?? '']: 'down' },
    });
    const failures = logLines.filter((line) => line.includes('read replica failed'));
    expect(failures).toHaveLength(1);
  });
});
