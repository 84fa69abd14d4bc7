import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { type ClientRequest, request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, queryRows } from '../src/db/client.js';
import { RECORD_SNAPSHOTS, snapshotInput, UPSERT_CAMPAIGN } from './fixtures/snapshot-inputs.js';
import { freePort } from './helpers/http-server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The most one recordSnapshots call takes: the widest window for SIGTERM to land in. */
const ROWS = 10_000;
const START = Date.UTC(2026, 0, 1);

type LogLine = Record<string, unknown> & { msg: string };

/** Where the spawned server keeps its data, and how the test reads it afterwards. */
interface ServerDatabase {
  env: Record<string, string>;
  countSnapshots(campaignId: string): Promise<number>;
  drop(): Promise<void>;
}

/** The embedded database in a temp DATA_DIR, or a fresh migrated database on DATABASE_URL's server. */
async function serverDatabase(): Promise<ServerDatabase> {
  const count = async (handle: Awaited<ReturnType<typeof openDatabase>>, campaignId: string) => {
    try {
      const [row] = await queryRows<{ n: number }>(
        handle.db,
        sql`SELECT count(*)::int AS n FROM campaign_metrics_snapshots WHERE campaign_id = ${campaignId}`,
      );
      return row?.n ?? -1;
    } finally {
      await handle.close();
    }
  };
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'cmg-shutdown-'));
    return {
      env: { DATA_DIR: dataDir },
      countSnapshots: async (campaignId) => count(await openDatabase({ dataDir }), campaignId),
      drop: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const name = `cmg_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  const migrating = await openDatabase({ databaseUrl });
  await migrating.migrate();
  await migrating.close();
  return {
    env: { DATABASE_URL: databaseUrl },
    countSnapshots: async (campaignId) => count(await openDatabase({ databaseUrl }), campaignId),
    drop: async () => {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

interface RunningServer {
  url: string;
  process: ChildProcess;
  lines: LogLine[];
  /** Resolves with the first log line that matches. */
  waitForLine(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  exited: Promise<number | null>;
}

/** `node --import tsx src/server/main.ts`, as npm start runs it, on a free port. */
async function startServer(env: Record<string, string>): Promise<RunningServer> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: '',
      REDIS_URL: '',
      PORT: String(port),
      DEMO_DATA: 'false',
      RETENTION_INTERVAL_MINUTES: '0',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  const waiters: { match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const complete = buffered.split('\n');
    buffered = complete.pop() ?? '';
    for (const text of complete.filter(Boolean)) {
      const line = JSON.parse(text) as LogLine;
      lines.push(line);
      for (const waiter of waiters.filter((w) => w.match(line))) waiter.resolve(line);
    }
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitForLine = (match: (line: LogLine) => boolean, timeoutMs = 120_000) =>
    new Promise<LogLine>((resolve, reject) => {
      const seen = lines.find(match);
      if (seen) return resolve(seen);
      const timer = setTimeout(
        () => reject(new Error(`no such log line within ${timeoutMs} ms; stderr: ${stderr}`)),
        timeoutMs,
      );
      waiters.push({
        match,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
      void exited.then((code) => reject(new Error(`server exited (${code}) first; stderr: ${stderr}`)));
    });
  await waitForLine((line) => line.msg === 'campaign metrics gateway listening');
  return { url: `http://127.0.0.1:${port}`, process: child, lines, waitForLine, exited };
}

async function createCampaign(url: string): Promise<string> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: UPSERT_CAMPAIGN,
      variables: { input: { name: 'Bulk', status: 'ACTIVE' } },
    }),
  });
  const body = (await response.json()) as { data: { upsertCampaign: { id: string } } };
  return body.data.upsertCampaign.id;
}

type Outcome =
  | { status: number; body: { data?: { recordSnapshots?: { recorded: number } } } }
  | { error: Error };

/**
 * POSTs recordSnapshots with ROWS hourly snapshots over node:http. The request line, headers
 * and the first half of the body leave at once (`started` resolves when they have); the rest
 * on `finish()`. `outcome` is the response or the connection error.
 */
function startBulkWrite(url: string, campaignId: string, requestId: string) {
  const input = Array.from({ length: ROWS }, (_, i) =>
    snapshotInput(campaignId, {
      at: new Date(START + i * 3_600_000).toISOString(),
      volunteers: [i % 50, 60],
      spent: `${i}.25`,
    }),
  );
  const payload = Buffer.from(JSON.stringify({ query: RECORD_SNAPSHOTS, variables: { input } }));
  const half = Math.floor(payload.length / 2);
  let req: ClientRequest | undefined;
  const outcome = new Promise<Outcome>((resolve) => {
    req = request(
      `${url}/graphql`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': payload.length,
          'x-request-id': requestId,
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
          }),
        );
        response.on('error', (error) => resolve({ error }));
      },
    );
    req.on('error', (error) => resolve({ error }));
  });
  const started = new Promise<void>((resolve) => req?.write(payload.subarray(0, half), () => resolve()));
  return { started, finish: () => req?.end(payload.subarray(half)), outcome };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A database, the server on it with this shutdown budget, and a campaign to write to. */
async function startScenario(shutdownTimeoutMs: number) {
  const database = await serverDatabase();
  cleanups.push(database.drop);
  const server = await startServer({ ...database.env, SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs) });
  cleanups.push(async () => {
    server.process.kill('SIGKILL');
  });
  return { database, server, campaignId: await createCampaign(server.url) };
}

describe('SIGTERM while a bulk recordSnapshots is in flight', () => {
  it('stops accepting, finishes the write, answers it and exits 0', async () => {
    const { database, server, campaignId } = await startScenario(60_000);

    // The signal lands while the server is still receiving the body: in flight for certain,
    // whatever the driver (PGlite runs statements on the event loop, so a signal sent while
    // it writes is only handled once the write is done).
    const write = startBulkWrite(server.url, campaignId, 'bulk-write-1');
    await write.started;
    await pause(200);
    server.process.kill('SIGTERM');
    const draining = await server.waitForLine((line) => line.msg === 'shutting down: draining requests');
    expect(draining.inFlight).toBe(1);
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
    write.finish();

    const outcome = await write.outcome;
    expect(await server.exited).toBe(0);
    const committed = await database.countSnapshots(campaignId);
    expect([0, ROWS]).toContain(committed);
    if ('error' in outcome) throw new Error(`the in-flight write got no response: ${outcome.error.message}`);
    expect(outcome.status).toBe(200);
    expect(outcome.body.data?.recordSnapshots?.recorded).toBe(committed);
    expect(committed).toBe(ROWS);
    expect(server.lines).toContainEqual(
      expect.objectContaining({ msg: 'request completed', requestId: 'bulk-write-1', status: 200 }),
    );
    expect(server.lines.at(-1)).toMatchObject({ msg: 'shut down', clean: true });
  }, 240_000);

  it('with no shutdown budget: all rows or none, the answer matches, exit 1 when work was cut off', async () => {
    const { database, server, campaignId } = await startScenario(0);

    // The whole body, then the signal: on PostgreSQL it usually lands inside the transaction.
    const write = startBulkWrite(server.url, campaignId, 'bulk-write-2');
    await write.started;
    write.finish();
    await pause(100);
    server.process.kill('SIGTERM');
    const outcome = await write.outcome;
    const code = await server.exited;
    const committed = await database.countSnapshots(campaignId);
    expect([0, ROWS]).toContain(committed);
    if (!('error' in outcome)) expect(outcome.body.data?.recordSnapshots?.recorded).toBe(committed);
    const last = server.lines.at(-1);
    expect(last?.msg).toBe('shut down');
    expect(code).toBe(last?.clean ? 0 : 1);
  }, 240_000);
});
