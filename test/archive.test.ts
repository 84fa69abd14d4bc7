import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { parquetReadObjects } from 'hyparquet';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/client.js';
import { configureRetention } from '../src/retention/settings.js';
import { RECORD_SNAPSHOTS, snapshotInput } from './fixtures/snapshot-inputs.js';
import {
  createCampaignWith,
  retain,
  storedLayout,
  type TestSnapshot,
  temporaryArchive,
} from './helpers/retention.js';
import { createTestDatabase, execute, executeOk, type TestDatabase } from './helpers/test-database.js';

/**
 * Hand-computed archive case. UTC campaign; asOf 2026-06-15 archives quarters ending by
 * 2023-06-15. Q1 2020 holds spent 10.00, 30.50, 20.25 (sroi 1.50, null, 2.50): by hand
 * FIRST 10, LAST 20.25, MIN 10, MAX 30.5, AVG 20.25, sum 60.75, sroi AVG 2.0.
 */
const AS_OF = new Date('2026-06-15T00:00:00Z');
const Q1: TestSnapshot[] = [
  { at: new Date('2020-01-10T00:00:00Z'), spent: 1000, volunteers: 1, sroi: 1.5 },
  { at: new Date('2020-02-10T00:00:00Z'), spent: 3050, volunteers: 2, sroi: null },
  { at: new Date('2020-03-10T00:00:00Z'), spent: 2025, volunteers: 3, sroi: 2.5 },
];
const LATER: TestSnapshot[] = [
  { at: new Date('2024-01-15T00:00:00Z'), spent: 4000, volunteers: 4, sroi: null },
  { at: new Date('2026-06-10T00:00:00Z'), spent: 5000, volunteers: 5, sroi: null },
];

const NODES = /* GraphQL */ `
  query Nodes($id: ID!, $from: DateTime, $to: DateTime, $granularity: Granularity) {
    campaign(id: $id) {
      snapshots(from: $from, to: $to, granularity: $granularity, first: 100) {
        edges { node { snapshotDate granularity timeZone sampleCount
          first: value(metric: BUDGET_SPENT, stat: FIRST) last: value(metric: BUDGET_SPENT, stat: LAST)
          min: value(metric: BUDGET_SPENT, stat: MIN) max: value(metric: BUDGET_SPENT, stat: MAX)
          avg: value(metric: BUDGET_SPENT, stat: AVG) delta: value(metric: BUDGET_SPENT, stat: DELTA)
          sroi: value(metric: SROI_SCORE, stat: AVG) } }
      }
    }
  }`;

const nodesOf = async (db: TestDatabase, id: string, from: string, to: string, granularity = 'DAY') =>
  (await executeOk(db.gateway, NODES, { id, from, to, granularity })).campaign.snapshots.edges.map(
    (e: { node: unknown }) => e.node,
  );

const Q1_NODE = {
  snapshotDate: '2020-01-01T00:00:00.000Z',
  granularity: 'QUARTER',
  timeZone: 'UTC',
  sampleCount: 3,
  first: 10,
  last: 20.25,
  min: 10,
  max: 30.5,
  avg: 20.25,
  delta: null,
  sroi: 2,
};

async function dumpTables(db: TestDatabase) {
  const dump = async (table: string) =>
    JSON.stringify(await queryRows(db.handle.db, sql.raw(`SELECT * FROM ${table} ORDER BY 1, 2, 3`)));
  return Promise.all(
    ['campaign_metrics_snapshots', 'campaign_metrics_rollups', 'campaign_metrics_archives'].map(dump),
  );
}

describe('file:// archive', () => {
  let db: TestDatabase;
  const archive = temporaryArchive();
  let id: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    configureRetention({ archiveUrl: archive.url, s3: {} });
    id = await createCampaignWith(db, { timeZone: 'UTC' }, [...Q1, ...LATER]);
  });
  afterAll(async () => {
    await db?.close();
    archive.remove();
  });

  it('refuses a misconfigured archive and deletes nothing', async () => {
    const blocker = path.join(archive.directory, 'not-a-directory');
    writeFileSync(blocker, '');
    const before = await dumpTables(db);
    await expect(retain(db.handle.db, `file://${blocker}/sub`, AS_OF)).rejects.toThrow(/not usable/);
    expect(await dumpTables(db)).toEqual(before);
  });

  it('writes one Parquet file per campaign and quarter that reads back independently', async () => {
    const report = await retain(db.handle.db, archive.url, AS_OF);
    expect(report.rowsArchived).toBe(1);
    const file = path.join(archive.directory, id, '2020-Q1.parquet');
    expect(readdirSync(path.join(archive.directory, id))).toEqual(['2020-Q1.parquet']);
    const bytes = readFileSync(file);
    const rows = await parquetReadObjects({
      file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      campaign_id: id,
      granularity: 'QUARTER',
      time_zone: 'UTC',
      sample_count: 3,
      budget_spent_first: '10.00',
      budget_spent_last: '20.25',
      budget_spent_min: '10.00',
      budget_spent_max: '30.50',
      budget_spent_sum: '60.75',
      sroi_score_count: 2,
    });
    expect(new Date(rows[0]?.bucket_start as Date).toISOString()).toBe('2020-01-01T00:00:00.000Z');
    expect((await storedLayout(db.handle.db, id)).raw).toBe(1);
  });

  it('serves the archived range as QUARTER buckets, and DELTA after it from the archive', async () => {
    expect(await nodesOf(db, id, '2020-01-01T00:00:00Z', '2020-04-01T00:00:00Z')).toEqual([Q1_NODE]);
    // January 2024 is a MONTH rollup; its DELTA needs the archived LAST: 40.00 - 20.25
    const [month] = await nodesOf(db, id, '2024-01-01T00:00:00Z', '2024-02-01T00:00:00Z');
    expect(month).toMatchObject({
      granularity: 'MONTH',
      snapshotDate: '2024-01-01T00:00:00.000Z',
      delta: 19.75,
    });
    const series = await executeOk(
      db.gateway,
      `query($id: ID!) { campaign(id: $id) { series(metrics: [BUDGET_SPENT], from: "2019-01-01T00:00:00Z",
        to: "2026-07-01T00:00:00Z", granularity: DAY) { granularity timeZone timestamps columns { values } } } }`,
      { id },
    );
    expect(series.campaign.series).toEqual({
      granularity: 'QUARTER',
      timeZone: 'UTC',
      timestamps: ['2020-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z'],
      columns: [{ values: [20.25, 40, 50] }],
    });
  });

  it('merges a late snapshot of an archived quarter: at once when read, into a new file on the next run', async () => {
    await executeOk(db.gateway, RECORD_SNAPSHOTS, {
      input: [snapshotInput(id, { at: '2020-03-20T00:00:00Z', spent: '5.00', allocated: '1000000.00' })],
    });
    const merged = { ...Q1_NODE, sampleCount: 4, last: 5, min: 5, avg: 16.4375, sroi: 2 };
    expect(await nodesOf(db, id, '2020-01-01T00:00:00Z', '2020-04-01T00:00:00Z')).toEqual([merged]);
    const report = await retain(db.handle.db, archive.url, AS_OF);
    expect(report).toMatchObject({ rawSnapshotsRolledUp: 1, rowsArchived: 1 });
    expect(readdirSync(path.join(archive.directory, id))).toEqual(['2020-Q1.r1.parquet']);
    expect(await nodesOf(db, id, '2020-01-01T00:00:00Z', '2020-04-01T00:00:00Z')).toEqual([merged]);
    expect(await retain(db.handle.db, archive.url, AS_OF)).toMatchObject({ rowsArchived: 0, rowsDeleted: 0 });
  });

  it('names a corrupt file in the error and still serves other ranges', async () => {
    const file = path.join(archive.directory, id, '2020-Q1.r1.parquet');
    const good = readFileSync(file);
    writeFileSync(file, Buffer.from('PAR1 definitely not parquet PAR1'));
    try {
      const broken = await execute(db.gateway, NODES, {
        id,
        from: '2020-01-01T00:00:00Z',
        to: '2020-04-01T00:00:00Z',
        granularity: 'DAY',
      });
      expect(broken.errors?.[0]?.extensions?.code).toBe('ARCHIVE_UNREADABLE');
      expect(broken.errors?.[0]?.message).toContain('2020-Q1.r1.parquet');
      const recent = await nodesOf(db, id, '2026-06-01T00:00:00Z', '2026-07-01T00:00:00Z', 'RAW');
      expect(recent).toMatchObject([{ granularity: 'RAW', last: 50, delta: 10 }]);
    } finally {
      writeFileSync(file, good);
    }
  });
});

describe('s3:// archive (s3rver on localhost)', () => {
  let db: TestDatabase;
  let server: S3rver;
  let endpoint: string;
  const directory = mkdtempSync(path.join(tmpdir(), 'cmg-s3rver-'));
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  beforeAll(async () => {
    db = await createTestDatabase();
    server = new S3rver({
      port: 0,
      address: '127.0.0.1',
      directory,
      silent: true,
      configureBuckets: [{ name: 'metrics-archive', configs: [] }],
    });
    const address = await server.run();
    endpoint = `http://127.0.0.1:${address.port}`;
  });
  afterAll(async () => {
    await db?.close();
    await server?.close().catch(() => {});
    rmSync(directory, { recursive: true, force: true });
  });

  it('fails clearly on a missing bucket and leaves the database untouched', async () => {
    const id = await createCampaignWith(db, { timeZone: 'UTC', name: 'no bucket' }, Q1);
    const before = await dumpTables(db);
    const s3 = { endpoint, credentials, forcePathStyle: true };
    await expect(
      retain(db.handle.db, 's3://no-such-bucket/archive', AS_OF, {
        archive: { url: 's3://no-such-bucket/archive', s3 },
      }),
    ).rejects.toThrow(/no-such-bucket/);
    expect(await dumpTables(db)).toEqual(before);
    await queryRows(db.handle.db, sql`DELETE FROM campaigns WHERE id = ${id}::uuid`);
  });

  it('archives to S3, serves the range from it, and a failed upload leaves its campaign untouched', async () => {
    const s3 = { endpoint, credentials, forcePathStyle: true };
    const url = 's3://metrics-archive/prod/archive';
    configureRetention({ archiveUrl: url, s3 });
    const first = await createCampaignWith(db, { timeZone: 'UTC', name: 'a' }, Q1);
    const second = await createCampaignWith(db, { timeZone: 'UTC', name: 'b' }, Q1);
    const [firstId, secondId] = [first, second].sort();
    // the server goes away right after the first campaign's quarter is committed
    let stopped = false;
    await expect(
      retain(db.handle.db, url, AS_OF, {
        archive: { url, s3 },
        onPoint: async (point) => {
          if (point === 'archive:committed' && !stopped) {
            stopped = true;
            await server.close();
          }
        },
      }),
    ).rejects.toThrow(/cannot write archive object s3:\/\/metrics-archive\/prod\/archive\//);
    expect((await storedLayout(db.handle.db, firstId as string)).archives).toHaveLength(1);
    const untouched = await storedLayout(db.handle.db, secondId as string);
    expect(untouched).toMatchObject({ raw: 3, archives: [], rollups: [] });
    // back up on the same port: the rerun archives the second campaign, and both read back
    server = new S3rver({
      port: Number(new URL(endpoint).port),
      address: '127.0.0.1',
      directory,
      silent: true,
    });
    await server.run();
    const rerun = await retain(db.handle.db, url, AS_OF, { archive: { url, s3 } });
    expect(rerun.rowsArchived).toBe(1);
    expect(existsSync(path.join(directory, 'metrics-archive'))).toBe(true);
    for (const id of [firstId, secondId] as string[]) {
      expect(await nodesOf(db, id, '2020-01-01T00:00:00Z', '2020-04-01T00:00:00Z')).toEqual([Q1_NODE]);
    }
  });
});
