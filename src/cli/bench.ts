import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { benchGateway } from '../../bench/bench-gateway.js';
import { checkQuestion } from '../../bench/check.js';
import { benchWindow, type Turn, WEEK_ZONE } from '../../bench/common.js';
import { type HttpLoadOptions, httpLoad, type Summary, sqlLoad, summarize } from '../../bench/harness.js';
import {
  POSTGRAPHILE_APPLICATION,
  type PostgraphileServer,
  startPostgraphile,
} from '../../bench/postgraphile-launcher.js';
import { createQuestions } from '../../bench/questions.js';
import {
  type Captured,
  explainSide,
  type Machine,
  type QuestionResult,
  type RunReport,
  type Side,
  type SideResult,
  type SizeReport,
  updateReadme,
  writeExplainFile,
} from '../../bench/report.js';
import { rotate } from '../../bench/rotation.js';
import { backendCpuMs, withCpu } from '../../bench/thread-cpu.js';
import { ConfigError, loadConfig } from '../config.js';
import { openDatabase } from '../db/client.js';
import { setDailyAggregateZones } from '../queries/daily-aggregates.js';
import { maintainSnapshotPartitions } from '../queries/snapshot-partitions.js';
import {
  bulkSeed,
  bulkSeedIsPresent,
  ensureBulkSeedDailyAggregates,
  planCampaigns,
  SCALE_NAMES,
  type ScaleName,
  scalePlan,
} from '../seed/bulk-seed.js';
import { generateCampaigns, seedWindow, utcMidnight } from '../seed/generate.js';
import { seedDatabase } from '../seed/seed-database.js';

const SCALES: Record<ScaleName, string> = { '1.5m': 'bench_1_5m', '15m': 'bench_15m' };
const QUESTION_KEYS = [
  'floor',
  'latest-50',
  'series-30d',
  'series-90d',
  'weeks-1y',
  'capacity-alerts',
  'compare-50',
  'year-over-year',
  'dashboard',
];

const USAGE = `usage: DATABASE_URL=postgres://... npm run bench -- [options]
  --scale S,S       sizes to measure in one run: 1.5m (1,000 campaigns x 365 days, 6-hourly, plus 10
                    hourly) and/or 15m (10,000 + 100 hourly); each in its own database on the server
                    of DATABASE_URL (${Object.values(SCALES).join(', ')}), created, migrated and bulk-seeded
                    (COPY) when missing. Without --scale: DATABASE_URL's own database, seeded with
                    --campaigns x --days through the ingest code when missing
  --campaigns N     without --scale: campaigns to seed (default 1000)
  --days D          without --scale: days of snapshots to seed (default 730)
  --reseed          without --scale: seed even when the database already holds the data
  --seconds S       measured seconds per question and side (default 10)
  --warmup S        discarded warm-up seconds before each measurement (default 2)
  --connections C   requests in flight, for every side (default 8)
  --repeat R        measure each question R times per side, keep the run with the lower p95 (default 1)
  --only K,K        only these questions (${QUESTION_KEYS.join(', ')})
  --no-postgraphile leave PostGraphile out (gateway and SQL only)
  --tag NAME        names the run in the README and writes its EXPLAIN files to explain/NAME/
  --out DIR         where README.md and explain/ go (default bench/)
PostgreSQL settings for every side go into the URL: postgres://.../bench?work_mem=16MB`;

const RANDOM_SEED = 42;
const SEED_CONCURRENCY = 2;
/** The gateway's pool as in production (openDatabase's default); the SQL side and PostGraphile get the same. */
const POOL_SIZE = 10;
/** application_name of the gateway's connections, to see whether its statements have finished. */
const GATEWAY_APPLICATION = 'cmg-bench-gateway';
/** application_name of the hand-written SQL's connections, whose backends' CPU is read. */
const SQL_APPLICATION = 'cmg-bench-sql';
/** Turns compared per question before timing. */
const CHECKED_TURNS = 3;

class UsageError extends Error {}

interface BenchArgs {
  scales: ScaleName[];
  campaigns: number;
  days: number;
  reseed: boolean;
  seconds: number;
  warmup: number;
  connections: number;
  repeat: number;
  only: string[] | null;
  postgraphile: boolean;
  tag: string | null;
  out: string;
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function numberArg(raw: unknown, name: string, fallback: number, min: number, max: number) {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (typeof raw !== 'string' || !Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got "${String(raw)}"`);
  }
  return value;
}

function listArg<T extends string>(raw: unknown, name: string, allowed: readonly T[]): T[] | null {
  if (typeof raw !== 'string') return null;
  const values = raw.split(',').map((value) => value.trim());
  const unknown = values.filter((value) => !allowed.includes(value as T));
  if (unknown.length)
    throw new UsageError(`--${name}: unknown ${unknown.join(', ')} (one of ${allowed.join(', ')})`);
  return values as T[];
}

function parseBenchArgs(argv: readonly string[]): BenchArgs | 'help' {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        scale: { type: 'string' },
        campaigns: { type: 'string' },
        days: { type: 'string' },
        reseed: { type: 'boolean' },
        seconds: { type: 'string' },
        warmup: { type: 'string' },
        connections: { type: 'string' },
        repeat: { type: 'string' },
        only: { type: 'string' },
        'no-postgraphile': { type: 'boolean' },
        tag: { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) return 'help';
  const tag = typeof values.tag === 'string' ? values.tag : null;
  if (tag !== null && !/^[a-z0-9][a-z0-9-]*$/.test(tag)) {
    throw new UsageError(`--tag must be lower-case letters, digits and dashes, got "${tag}"`);
  }
  const scales = listArg(values.scale, 'scale', SCALE_NAMES) ?? [];
  if (scales.length && (values.campaigns !== undefined || values.days !== undefined || values.reseed)) {
    throw new UsageError('--campaigns, --days and --reseed apply without --scale only');
  }
  return {
    // smallest first: the growth table divides the last size by the first
    scales: SCALE_NAMES.filter((scale) => scales.includes(scale)),
    campaigns: numberArg(values.campaigns, 'campaigns', 1000, 1, 1_000_000),
    days: numberArg(values.days, 'days', 730, 1, 36_500),
    reseed: values.reseed === true,
    seconds: numberArg(values.seconds, 'seconds', 10, 1, 600),
    warmup: numberArg(values.warmup, 'warmup', 2, 0, 600),
    connections: numberArg(values.connections, 'connections', 8, 1, 256),
    repeat: numberArg(values.repeat, 'repeat', 1, 1, 10),
    only: listArg(values.only, 'only', QUESTION_KEYS),
    postgraphile: values['no-postgraphile'] !== true,
    tag,
    out: path.resolve(typeof values.out === 'string' ? values.out : path.join(repoRoot, 'bench')),
  };
}

/** The command as typed, without a password in the URL. */
function commandLine(databaseUrl: string, argv: readonly string[]): string {
  const url = new URL(databaseUrl);
  url.password = '';
  const args = argv.length ? ` -- ${argv.join(' ')}` : '';
  return `DATABASE_URL=${url.toString()} npm run bench${args}`;
}

function withDatabase(databaseUrl: string, database: string): string {
  const url = new URL(databaseUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** postgres.js passes URL parameters it does not know to the server as connection settings. */
function withApplicationName(databaseUrl: string, name: string): string {
  const url = new URL(databaseUrl);
  url.searchParams.set('application_name', name);
  return url.toString();
}

/** The commit measured, and whether src/ or drizzle/ (but this file) differ from it (read-only git). */
function codeVersion(): string {
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8', stdio: 'pipe' });
  try {
    const commit = git('rev-parse', '--short', 'HEAD').trim();
    try {
      git('diff', '--quiet', 'HEAD', '--', 'src', 'drizzle', ':!src/cli/bench.ts');
      return commit;
    } catch {
      return `${commit} with uncommitted changes in src/ or drizzle/`;
    }
  } catch {
    return 'unknown (not a git checkout)';
  }
}

const ms = (value: number) => (value < 10 ? value.toFixed(2) : value.toFixed(1));
const line = (label: string, s: Summary) =>
  `  ${label.padEnd(13)} p50 ${ms(s.p50)}  p95 ${ms(s.p95)}  p99 ${ms(s.p99)} ms  ${s.requestsPerSecond.toFixed(0)} req/s` +
  (s.cpuMsPerRequest === null || s.mainThreadMsPerRequest === null || s.mainThreadBusy === null
    ? ''
    : `  CPU ${s.cpuMsPerRequest.toFixed(3)} ms/answer (main thread ${s.mainThreadMsPerRequest.toFixed(3)}, ${(s.mainThreadBusy * 100).toFixed(0)}% busy)`) +
  (s.postgresMsPerRequest === null ? '' : `  PostgreSQL ${s.postgresMsPerRequest.toFixed(3)} ms/answer`) +
  (s.errors ? `  ${s.errors} errors` : '');

/** The better of repeated runs: lower p95. */
const best = (runs: Summary[]) => runs.reduce((a, b) => (b.p95 < a.p95 ? b : a));

async function main(): Promise<number> {
  let args: BenchArgs | 'help';
  try {
    args = parseBenchArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`bench: ${error.message}\n${USAGE}`);
    return 2;
  }
  if (args === 'help') {
    console.log(USAGE);
    return 0;
  }
  const { databaseUrl } = loadConfig();
  if (!databaseUrl) {
    console.error(
      'bench: DATABASE_URL is required: the benchmark runs on a PostgreSQL server, never on the embedded database\n' +
        USAGE,
    );
    return 2;
  }
  const started = new Date();
  const loadAverage = os.loadavg();
  const explainRoot = path.join(args.out, 'explain', ...(args.tag ? [args.tag] : []));

  const sizes: SizeReport[] = [];
  let postgraphileNode: string | null = null;
  if (args.scales.length) {
    for (const scale of args.scales) {
      const database = SCALES[scale];
      await ensureDatabaseExists(databaseUrl, database);
      const measured = await measureDatabase(withDatabase(databaseUrl, database), args, {
        label: scale,
        database,
        explainFolder: path.join(explainRoot, scale),
        seed: (sql, handle) => ensureBulkData(handle, sql, scale),
      });
      sizes.push(measured.size);
      postgraphileNode ??= measured.postgraphileNode;
    }
  } else {
    const database = new URL(databaseUrl).pathname.slice(1);
    const measured = await measureDatabase(databaseUrl, args, {
      label: database,
      database,
      explainFolder: explainRoot,
      seed: (sql, handle) => ensureData(handle, sql, args),
    });
    sizes.push(measured.size);
    postgraphileNode = measured.postgraphileNode;
  }

  const machineSql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  const machine = await describeMachine(machineSql, loadAverage).finally(() =>
    machineSql.end({ timeout: 5 }),
  );
  const report: RunReport = {
    date: started,
    tag: args.tag,
    code: codeVersion(),
    command: commandLine(databaseUrl, process.argv.slice(2)),
    machine,
    postgraphileNode,
    settings: {
      seconds: args.seconds,
      warmup: args.warmup,
      connections: args.connections,
      repeat: args.repeat,
      pool: POOL_SIZE,
    },
    sizes: sizes.map((size) => ({ ...size, explainFolder: path.relative(args.out, size.explainFolder) })),
  };
  const readme = updateReadme(args.out, report);
  console.log(`\nwrote ${path.relative(process.cwd(), readme)}`);
  const mismatches = sizes.flatMap((size) =>
    size.results.filter((r) => r.check.verdict === 'MISMATCH' || r.postgraphileCheck.verdict === 'MISMATCH'),
  );
  return mismatches.length ? 1 : 0;
}

/**
 * Reads every table and index of the database once (pg_prewarm's `read` mode: into the
 * operating system's page cache, not shared_buffers). After a seed most of bench_15m (13 GB)
 * is on disk only, and whichever side first reads a year of a campaign would wait for the
 * disk (the first run after a re-seed, issue-8-s20, had weeks-1y's p50 at 15m 4.5x the 1.5m
 * one, 1.2x in warm runs). Skipped, with a line saying why, where the extension is missing.
 */
async function readIntoPageCache(sql: postgres.Sql): Promise<void> {
  const started = performance.now();
  try {
    await sql`CREATE EXTENSION IF NOT EXISTS pg_prewarm`;
  } catch (error) {
    console.log(`page cache: not warmed (${error instanceof Error ? error.message : String(error)})`);
    return;
  }
  const [read] = await sql`
    SELECT coalesce(sum(pg_prewarm(c.oid, 'read')), 0)::bigint AS blocks,
           pg_size_pretty(coalesce(sum(pg_relation_size(c.oid)), 0)) AS size
    FROM pg_class c
    WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'i', 'm')`;
  console.log(
    `page cache: read ${read?.size} (${read?.blocks} blocks) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}

type DatabaseHandle = Awaited<ReturnType<typeof openDatabase>>;

interface SizeOptions {
  label: string;
  database: string;
  explainFolder: string;
  seed: (sql: postgres.Sql, handle: DatabaseHandle) => Promise<void>;
}

/** Migrates, seeds when missing, and measures every question on one database. */
async function measureDatabase(
  databaseUrl: string,
  args: BenchArgs,
  options: SizeOptions,
): Promise<{ size: SizeReport; postgraphileNode: string | null }> {
  console.log(`\n=== ${options.label}: database ${options.database}`);
  // The gateway's database handle; statements are captured only while `capture` is set.
  let capture: Captured[] | null = null;
  const database = await openDatabase({
    databaseUrl: withApplicationName(databaseUrl, GATEWAY_APPLICATION),
    maxConnections: POOL_SIZE,
    onQuery: (statement, params) => {
      capture?.push({ statement, params });
    },
  });
  // Every side runs without PostgreSQL's JIT: the gateway and PostGraphile turn it off on
  // their connections, so the hand-written SQL does too.
  const sqlOptions = { max: POOL_SIZE, onnotice: () => {}, connection: { jit: 'off' } } as const;
  const sql = postgres(databaseUrl, {
    ...sqlOptions,
    connection: { ...sqlOptions.connection, application_name: SQL_APPLICATION },
  });
  let checkCapture: Captured[] | null = null;
  const checkSql = postgres(databaseUrl, {
    ...sqlOptions,
    debug: (_connection, statement, params) => {
      // postgres.js reads the array types on each new connection: not the question's SQL
      if (statement.includes('pg_catalog.pg_type')) return;
      checkCapture?.push({ statement, params: [...params] });
    },
  });
  let server: Server | undefined;
  let postgraphile: PostgraphileServer | undefined;
  try {
    await database.migrate();
    await options.seed(sql, database);

    const vacuumStarted = performance.now();
    await sql`VACUUM (ANALYZE) campaigns, campaign_metrics_snapshots, campaign_latest_snapshots, campaign_metrics_daily, campaign_metrics_weekly`;
    console.log(`vacuum analyze: ${((performance.now() - vacuumStarted) / 1000).toFixed(1)} s`);
    await readIntoPageCache(sql);

    const [extent] = await sql`
      SELECT (SELECT count(*) FROM campaigns)::int AS campaigns, count(*)::bigint AS snapshots,
             min(snapshot_date) AS oldest, max(snapshot_date) AS newest,
             (SELECT count(*) FROM pg_inherits WHERE inhparent = 'campaign_metrics_snapshots'::regclass)::int
               AS partitions
      FROM campaign_metrics_snapshots`;
    if (!extent?.newest) throw new Error('the database has no snapshots');
    const window = benchWindow(new Date(extent.newest as string));

    const yoga = benchGateway(database.db);
    let inFlight = 0;
    server = createServer((request, response) => {
      inFlight++;
      response.once('close', () => inFlight--);
      void yoga(request, response);
    });
    const gatewayUrl = await listen(server, yoga.graphqlEndpoint);
    if (args.postgraphile) {
      postgraphile = await startPostgraphile(databaseUrl, POOL_SIZE);
      console.log(`postgraphile: ${postgraphile.url} (Node 22 child process, pool ${POOL_SIZE})`);
    }
    console.log(
      `gateway: ${gatewayUrl} (in-process, pool ${POOL_SIZE}); load: ${args.connections} connections`,
    );

    // Phases must not overlap: before each one starts, every response of the last one is
    // closed (sent, or abandoned by autocannon at the end of its duration) and no statement
    // of the gateway or PostGraphile is still running (an abandoned request keeps running).
    const settle = async () => {
      const deadline = performance.now() + 300_000;
      for (;;) {
        const [active] = await sql`
          SELECT count(*)::int AS statements FROM pg_stat_activity
          WHERE application_name IN (${GATEWAY_APPLICATION}, ${POSTGRAPHILE_APPLICATION}) AND state = 'active'`;
        if (inFlight === 0 && active?.statements === 0) return;
        if (performance.now() > deadline) throw new Error('the servers did not become idle within 300 s');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };

    // PostgreSQL's CPU for one side's phase: its backends' (when the server runs on this machine)
    const backendPids = async (application: string) =>
      (await checkSql`SELECT pid FROM pg_stat_activity WHERE application_name = ${application}`).map((row) =>
        Number(row.pid),
      );
    const withPostgresCpu = async <Result extends object>(
      application: string,
      phase: () => Promise<Result>,
    ) => {
      const before = backendCpuMs(await backendPids(application));
      const result = await phase();
      const after = backendCpuMs(await backendPids(application));
      const postgresMs =
        after.size === 0
          ? null
          : [...after].reduce((total, [pid, ms]) => total + ms - (before.get(pid) ?? 0), 0);
      return { ...result, postgresMs };
    };

    const rotation = await rotate(sql, window, gatewayUrl, postgraphile?.url ?? null);
    console.log(
      `data: ${extent.campaigns} campaigns, ${Number(extent.snapshots).toLocaleString('en-US')} snapshots ` +
        `(${iso(extent.oldest)} .. ${iso(extent.newest)}, ${extent.partitions} partitions); ranges end ${window.end.toISOString()}; ` +
        `${rotation.campaigns.length} campaigns with snapshots in the last 90 days and ${rotation.pages.length} pages rotate`,
    );

    const questions = createQuestions(window).filter((q) => !args.only || args.only.includes(q.key));
    const results: QuestionResult[] = [];
    for (const question of questions) {
      console.log(`\n${question.key}: ${question.label}`);
      const turns = question.turns(rotation);
      const pgSide = postgraphile && 'document' in question.postgraphile ? question.postgraphile : null;

      // Same answer? A few requests each way, capturing the statements every side sends.
      capture = [];
      checkCapture = [];
      await postgraphile?.capture();
      const checks = await checkQuestion(question, turns.slice(0, CHECKED_TURNS), {
        gatewayUrl,
        sql: checkSql,
        postgraphileUrl: pgSide ? (postgraphile?.url ?? null) : null,
      });
      const statements: Record<Side, Captured[]> = {
        gateway: capture,
        sql: checkCapture,
        postgraphile: (await postgraphile?.captured()) ?? [],
      };
      capture = null;
      checkCapture = null;
      console.log(
        `  check: SQL vs gateway ${checks.sql.verdict}${checks.sql.detail ? ` (${checks.sql.detail})` : ''}; ` +
          `PostGraphile ${checks.postgraphile.verdict}${checks.postgraphile.detail ? ` (${checks.postgraphile.detail})` : ''}`,
      );

      // Warm the pages every side is about to read, so no side pays for a cold cache the others
      // then find warm (the sides run in turn, over the same rotation from its start): the SQL
      // answers for as long as a side's warm-up and measurement take, faster than any side.
      if (args.warmup > 0) {
        await sqlLoad({
          run: (turn: Turn) => turn.sql(sql),
          arguments: turns,
          connections: args.connections,
          warmupSeconds: 0,
          seconds: args.warmup + args.seconds,
        });
      }

      const runs: Record<Side, Summary[]> = { gateway: [], sql: [], postgraphile: [] };
      // `pid` and `application`: the server's process and its connections, whose CPU the measured phase takes
      const httpPhase = async (
        url: string,
        { pid, application }: { pid: number; application: string },
        requests: Pick<HttpLoadOptions, 'bodies' | 'headers'>,
      ) => {
        const load = { url, ...requests, connections: args.connections };
        const warm =
          args.warmup > 0 ? await httpLoad({ ...load, seconds: args.warmup, start: 0 }) : { next: 0 };
        await settle();
        const measured = await withPostgresCpu(application, () =>
          withCpu(pid, () => httpLoad({ ...load, seconds: args.seconds, start: warm.next })),
        );
        await settle();
        return summarize(measured);
      };
      for (let round = 0; round < args.repeat; round++) {
        const gateway = await httpPhase(
          gatewayUrl,
          { pid: process.pid, application: GATEWAY_APPLICATION },
          {
            bodies: turns.map((turn) =>
              JSON.stringify({ query: question.document, variables: turn.variables }),
            ),
          },
        );
        runs.gateway.push(gateway);
        console.log(line('gateway', gateway));
        const direct = summarize(
          await sqlLoad({
            run: (turn: Turn) => turn.sql(sql),
            arguments: turns,
            connections: args.connections,
            warmupSeconds: args.warmup,
            seconds: args.seconds,
            aroundMeasured: (phase) => withPostgresCpu(SQL_APPLICATION, phase),
          }),
        );
        runs.sql.push(direct);
        console.log(line('sql', direct));
        if (postgraphile && pgSide) {
          const other = await httpPhase(
            postgraphile.url,
            { pid: postgraphile.pid, application: POSTGRAPHILE_APPLICATION },
            {
              bodies: turns.map((turn) =>
                JSON.stringify({ query: pgSide.document, variables: turn.postgraphile?.variables ?? {} }),
              ),
              headers: turns.map((turn) => turn.postgraphile?.headers),
            },
          );
          runs.postgraphile.push(other);
          console.log(line('postgraphile', other));
        }
      }
      const side = (name: Side, perRequest: number): SideResult => ({
        summary: best(runs[name]),
        runs: runs[name],
        statements: dedupe(statements[name]),
        statementsPerRequest: perRequest,
        explain: [],
        plans: null,
      });
      const checked = Math.max(1, checks.sql.requests);
      results.push({
        question,
        check: checks.sql,
        postgraphileCheck: checks.postgraphile,
        sides: {
          gateway: side('gateway', statements.gateway.length / checked),
          // postgres.js may report a statement twice (describe, then execute): count distinct ones
          sql: side('sql', new Set(statements.sql.map((s) => JSON.stringify(s))).size / checked),
          ...(runs.postgraphile.length
            ? { postgraphile: side('postgraphile', statements.postgraphile.length / checked) }
            : {}),
        },
      });
    }

    // EXPLAIN the captured statements once, on the warm database, and check their plans.
    mkdirSync(options.explainFolder, { recursive: true });
    const explainSql = postgres(databaseUrl, { max: 1, onnotice: () => {}, connection: { jit: 'off' } });
    try {
      for (const result of results) {
        if (result.question.key === 'floor') continue;
        for (const [name, sideResult] of Object.entries(result.sides) as [Side, SideResult][]) {
          await explainSide(explainSql, sideResult);
          const file = writeExplainFile(options.explainFolder, result.question, name, sideResult.explain);
          console.log(`explain: ${path.relative(process.cwd(), file)}`);
        }
      }
    } finally {
      await explainSql.end({ timeout: 5 });
    }

    return {
      postgraphileNode: postgraphile?.nodeVersion ?? null,
      size: {
        label: options.label,
        database: options.database,
        explainFolder: options.explainFolder,
        data: {
          campaigns: Number(extent.campaigns),
          snapshots: Number(extent.snapshots),
          oldest: new Date(extent.oldest as string),
          newest: new Date(extent.newest as string),
          rotating: rotation.campaigns.length,
          pages: rotation.pages.length,
          partitions: Number(extent.partitions),
          window,
        },
        results,
      },
    };
  } finally {
    await postgraphile?.stop();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await Promise.all([database.close(), sql.end({ timeout: 5 }), checkSql.end({ timeout: 5 })]);
  }
}

const iso = (value: unknown) => new Date(value as string).toISOString();

async function ensureDatabaseExists(serverUrl: string, database: string): Promise<void> {
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    const [found] = await admin`SELECT 1 AS present FROM pg_database WHERE datname = ${database}`;
    if (!found) {
      console.log(`creating database ${database}`);
      // the name is one of SCALES' constants: safe to quote as an identifier
      await admin.unsafe(`CREATE DATABASE "${database}"`);
    }
  } finally {
    await admin.end({ timeout: 5 });
  }
}

/**
 * The issue's sizes through the bulk seeder (COPY), unless the database already holds them;
 * the month partitions of the seeded year are created first, so no row lands in DEFAULT.
 */
async function ensureBulkData(database: DatabaseHandle, sql: postgres.Sql, scale: ScaleName): Promise<void> {
  const plan = scalePlan(scale);
  if (await bulkSeedIsPresent(sql, plan)) {
    console.log(`data: the ${scale} plan is already seeded`);
    if (await ensureBulkSeedDailyAggregates(sql, plan)) console.log('data: built the daily pre-aggregates');
    await keepWeekZone(database);
    return;
  }
  await maintainSnapshotPartitions(database.db, { from: planCampaigns(plan).window.start });
  console.log(
    `seeding ${scale}: ${plan.campaigns} campaigns (${plan.cadence}) + ${plan.hourlyCampaigns} hourly x ${plan.days} days`,
  );
  let reported = performance.now();
  const result = await bulkSeed(sql, plan, (rows) => {
    if (performance.now() - reported < 10_000) return;
    reported = performance.now();
    console.log(`  ${rows.toLocaleString('en-US')} snapshots`);
  });
  console.log(
    `seeded ${result.campaigns} campaigns, ${result.snapshots.toLocaleString('en-US')} snapshots in ${result.seconds.toFixed(0)} s`,
  );
  // A re-seed (a new day's window) deletes and reloads every snapshot, so the triggers rewrite
  // each campaign's copy and leave the copy table twice its size: the alerts' scans of it would
  // then depend on whether the data was seeded once or again. Compact it (10,100 rows).
  await sql`VACUUM FULL campaign_latest_snapshots`;
  await keepWeekZone(database);
}

/**
 * weeks-1y asks every campaign in WEEK_ZONE: pre-aggregate its local days besides each
 * campaign's own, as a deployment whose dashboards use that zone would (DAILY_AGGREGATE_TIME_ZONES).
 */
async function keepWeekZone(database: DatabaseHandle): Promise<void> {
  const { added, days } = await setDailyAggregateZones(database.db, [WEEK_ZONE]);
  if (added.length)
    console.log(`data: pre-aggregated ${days.toLocaleString('en-US')} local days in ${WEEK_ZONE}`);
}

/**
 * Without --scale: seeds `campaigns` x `days` through the seed code unless the database
 * already holds them: every generated campaign id present (ids depend only on the seed and
 * the index) and snapshots spanning the days (the window may have ended on an earlier day:
 * the bench measures up to the newest snapshot, so older seeded data stays valid).
 */
async function ensureData(database: DatabaseHandle, sql: postgres.Sql, args: BenchArgs): Promise<void> {
  const { campaigns, days, reseed } = args;
  const window = seedWindow(utcMidnight(new Date()), days);
  const ids = generateCampaigns(campaigns, RANDOM_SEED, window).map((c) => c.values.id);
  const [found] = await sql`
    SELECT (SELECT count(*) FROM campaigns WHERE id = ANY(${`{${ids.join(',')}}`}::uuid[]))::int AS campaigns,
           (SELECT extract(epoch FROM max(snapshot_date) - min(snapshot_date)) / 86400
            FROM campaign_metrics_snapshots) AS span_days`;
  const present = found?.campaigns === campaigns && Number(found?.span_days ?? 0) >= days - 2;
  if (present && !reseed) {
    console.log(`data: ${campaigns} campaigns x ${days} days already seeded (--reseed to seed again)`);
    return;
  }
  console.log(
    `seeding ${campaigns} campaigns x ${days} days (seed ${RANDOM_SEED}, concurrency ${SEED_CONCURRENCY}, ` +
      `about ${((campaigns * days * 3.3) / 1e6).toFixed(1)}M snapshots)` +
      (present ? ': --reseed upserts the same campaigns again' : ''),
  );
  const seedStarted = performance.now();
  let reported = seedStarted;
  const result = await seedDatabase(database.db, {
    campaigns,
    days,
    randomSeed: RANDOM_SEED,
    concurrency: SEED_CONCURRENCY,
    onProgress: ({ snapshots }) => {
      const now = performance.now();
      if (now - reported < 10_000) return;
      reported = now;
      console.log(
        `  ${snapshots.toLocaleString('en-US')} snapshots, ${((now - seedStarted) / 1000).toFixed(0)} s`,
      );
    },
  });
  const seconds = (performance.now() - seedStarted) / 1000;
  console.log(
    `seeded ${result.campaigns} campaigns, ${result.snapshots.toLocaleString('en-US')} snapshots in ${seconds.toFixed(0)} s`,
  );
}

function listen(server: Server, endpoint: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve(`http://127.0.0.1:${port}${endpoint}`);
    });
  });
}

/** Statements by text, first parameters kept (the EXPLAIN runs them once each). */
function dedupe(statements: Captured[]): Captured[] {
  const seen = new Map<string, Captured>();
  for (const statement of statements)
    if (!seen.has(statement.statement)) seen.set(statement.statement, statement);
  return [...seen.values()];
}

async function describeMachine(sql: postgres.Sql, loadAverage: number[]): Promise<Machine> {
  const [settings] = await sql`
    SELECT current_setting('server_version') AS version, current_setting('shared_buffers') AS shared_buffers,
           current_setting('work_mem') AS work_mem`;
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    memoryGb: os.totalmem() / 1024 ** 3,
    postgres: `PostgreSQL ${settings?.version} (shared_buffers ${settings?.shared_buffers}, work_mem ${settings?.work_mem}, jit off on every side)`,
    node: process.version,
    loadAverage,
  };
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof ConfigError ? `configuration error: ${error.message}` : error);
    process.exitCode = 1;
  },
);
