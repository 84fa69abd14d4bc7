import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { type BenchWindow, benchWindow, type Question } from '../../bench/common.js';
import { httpLoad, type Summary, sqlLoad, summarize } from '../../bench/harness.js';
import { createQuestions } from '../../bench/questions.js';
import {
  type Captured,
  compareAnswers,
  explainStatements,
  type Machine,
  type QuestionResult,
  type RunReport,
  updateReadme,
  writeExplainFile,
} from '../../bench/report.js';
import { ConfigError, loadConfig } from '../config.js';
import { openDatabase } from '../db/client.js';
import { generateCampaigns, seedWindow, utcMidnight } from '../seed/generate.js';
import { seedDatabase } from '../seed/seed-database.js';
import { createGateway } from '../server/yoga.js';

const USAGE = `usage: DATABASE_URL=postgres://... npm run bench -- [options]
  --campaigns N     campaigns to seed (default 1000)
  --days D          days of snapshots to seed (default 730)
  --scale F         multiplies --campaigns (3.5: about 10M rows at 730 days)
  --reseed          seed even when the database already holds the data
  --seconds S       measured seconds per question and side (default 10)
  --warmup S        discarded warm-up seconds before each measurement (default 2)
  --connections C   requests in flight, HTTP and SQL alike (default 8)
  --repeat R        measure each question R times per side, keep the run with the lower p95 (default 1)
  --only K,K        only these questions (${['floor', 'latest', 'series-30d', 'series-90d', 'capacity-alerts', 'year-over-year', 'dashboard'].join(', ')})
  --tag NAME        names the run in the README and writes its EXPLAIN files to explain/NAME/
  --out DIR         where README.md and explain/ go (default bench/)
PostgreSQL settings for both sides go into the URL: postgres://.../bench?jit=off`;

const RANDOM_SEED = 42;
const SEED_CONCURRENCY = 2;
/** The gateway's pool as in production (openDatabase's default); the SQL side gets the same. */
const POOL_SIZE = 10;
/** application_name of the gateway's connections, to see whether its statements have finished. */
const GATEWAY_APPLICATION = 'cmg-bench-gateway';

class UsageError extends Error {}

interface BenchArgs {
  campaigns: number;
  days: number;
  scale: number;
  reseed: boolean;
  seconds: number;
  warmup: number;
  connections: number;
  repeat: number;
  only: string[] | null;
  tag: string | null;
  out: string;
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function numberArg(raw: unknown, name: string, fallback: number, min: number, max: number, integer = true) {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (typeof raw !== 'string' || !Number.isFinite(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be a number from ${min} to ${max}, got "${String(raw)}"`);
  }
  if (integer && !Number.isInteger(value)) throw new UsageError(`--${name} must be an integer, got "${raw}"`);
  return value;
}

function parseBenchArgs(argv: readonly string[]): BenchArgs | 'help' {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        campaigns: { type: 'string' },
        days: { type: 'string' },
        scale: { type: 'string' },
        reseed: { type: 'boolean' },
        seconds: { type: 'string' },
        warmup: { type: 'string' },
        connections: { type: 'string' },
        repeat: { type: 'string' },
        only: { type: 'string' },
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
  return {
    campaigns: numberArg(values.campaigns, 'campaigns', 1000, 1, 1_000_000),
    days: numberArg(values.days, 'days', 730, 1, 36_500),
    scale: numberArg(values.scale, 'scale', 1, 0.001, 1000, false),
    reseed: values.reseed === true,
    seconds: numberArg(values.seconds, 'seconds', 10, 1, 600),
    warmup: numberArg(values.warmup, 'warmup', 2, 0, 600),
    connections: numberArg(values.connections, 'connections', 8, 1, 256),
    repeat: numberArg(values.repeat, 'repeat', 1, 1, 10),
    only: typeof values.only === 'string' ? values.only.split(',').map((key) => key.trim()) : null,
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
  `${label} p50 ${ms(s.p50)}  p95 ${ms(s.p95)}  p99 ${ms(s.p99)} ms  ${s.requestsPerSecond.toFixed(0)} req/s` +
  (s.errors ? `  ${s.errors} errors` : '');

/** The better of repeated runs: lower p95 (the target's percentile). */
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
  const campaignCount = Math.round(args.campaigns * args.scale);

  // The gateway's database handle; statements are captured only while `capture` is set.
  let capture: Captured[] | null = null;
  const database = await openDatabase({
    databaseUrl: withApplicationName(databaseUrl, GATEWAY_APPLICATION),
    maxConnections: POOL_SIZE,
    onQuery: (statement, params) => {
      capture?.push({ statement, params });
    },
  });
  const sql = postgres(databaseUrl, { max: POOL_SIZE, onnotice: () => {} });
  let checkCapture: Captured[] | null = null;
  const checkSql = postgres(databaseUrl, {
    max: POOL_SIZE,
    onnotice: () => {},
    debug: (_connection, statement, params) => {
      // postgres.js reads the array types on each new connection: not the question's SQL
      if (statement.includes('pg_catalog.pg_type')) return;
      checkCapture?.push({ statement, params: [...params] });
    },
  });
  let server: Server | undefined;
  try {
    await database.migrate();
    await ensureData(database, sql, campaignCount, args);

    const vacuumStarted = performance.now();
    await sql`VACUUM (ANALYZE) campaigns, campaign_metrics_snapshots`;
    console.log(`vacuum analyze: ${((performance.now() - vacuumStarted) / 1000).toFixed(1)} s`);

    const [extent] = await sql`
      SELECT (SELECT count(*) FROM campaigns)::int AS campaigns, count(*)::bigint AS snapshots,
             min(snapshot_date) AS oldest, max(snapshot_date) AS newest
      FROM campaign_metrics_snapshots`;
    if (!extent?.newest) throw new Error('the database has no snapshots');
    const window = benchWindow(new Date(extent.newest as string));
    const ids = await rotation(sql, window);
    console.log(
      `data: ${extent.campaigns} campaigns, ${Number(extent.snapshots).toLocaleString('en-US')} snapshots ` +
        `(${iso(extent.oldest)} .. ${iso(extent.newest)}); ranges end ${window.end.toISOString()}; ` +
        `${ids.length} campaigns with snapshots in the last 90 days rotate across requests`,
    );

    // The gateway's work, not its guards: no response cache (the SQL side has none), no
    // per-client rate limit (the load comes from one address) and no line per request in the
    // bench's output; every other limit and the metrics stay on.
    const defaults = loadConfig({});
    const yoga = createGateway({
      db: database.db,
      settings: {
        cacheEnabled: false,
        logLevel: 'warn',
        limits: { ...defaults.limits, rateLimitPerMinute: 0 },
      },
    });
    // Phases must not overlap: before each one starts, every response of the last one is
    // closed (sent, or abandoned by autocannon at the end of its duration) and none of the
    // gateway's statements is still running (an abandoned request keeps running them).
    let inFlight = 0;
    server = createServer((request, response) => {
      inFlight++;
      response.once('close', () => inFlight--);
      void yoga(request, response);
    });
    const settle = async () => {
      const deadline = performance.now() + 300_000;
      for (;;) {
        const [active] = await sql`
          SELECT count(*)::int AS statements FROM pg_stat_activity
          WHERE application_name = ${GATEWAY_APPLICATION} AND state = 'active'`;
        if (inFlight === 0 && active?.statements === 0) return;
        if (performance.now() > deadline) throw new Error('the gateway did not become idle within 300 s');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const url = await listen(server, yoga.graphqlEndpoint);
    console.log(`gateway: ${url} (in-process, pool ${POOL_SIZE}); load: ${args.connections} connections`);

    const questions = createQuestions(window).filter((q) => !args.only || args.only.includes(q.key));
    const results: QuestionResult[] = [];
    for (const question of questions) {
      console.log(`\n${question.key}: ${question.label}`);
      const argumentsOf = question.perCampaign ? ids : [ids[0] as string];
      const bodies = argumentsOf.map((id) =>
        JSON.stringify({ query: question.document, variables: question.variables(id) }),
      );

      // Same answer? One request each way (three campaigns when the question takes one),
      // capturing the statements both sides send.
      capture = [];
      checkCapture = [];
      const check = await checkQuestion(question, url, checkSql, argumentsOf.slice(0, 3));
      const gatewayStatements = capture;
      const sqlStatements = checkCapture;
      capture = null;
      checkCapture = null;
      console.log(`  check: ${check.verdict}${check.detail ? ` (${check.detail})` : ''}`);

      const load = { url, bodies, connections: args.connections };
      const gatewayRuns: Summary[] = [];
      const sqlRuns: Summary[] = [];
      for (let round = 0; round < args.repeat; round++) {
        // warm-up, then the measured phase, each waiting until the gateway is idle again
        const warm =
          args.warmup > 0 ? await httpLoad({ ...load, seconds: args.warmup, start: 0 }) : { next: 0 };
        await settle();
        const measured = await httpLoad({ ...load, seconds: args.seconds, start: warm.next });
        await settle();
        const gateway = summarize(measured);
        gatewayRuns.push(gateway);
        console.log(line('  gateway', gateway));
        const direct = summarize(
          await sqlLoad({
            run: (id: string) => question.sql(sql, id),
            arguments: argumentsOf,
            connections: args.connections,
            warmupSeconds: args.warmup,
            seconds: args.seconds,
          }),
        );
        sqlRuns.push(direct);
        console.log(line('  sql    ', direct));
      }
      results.push({
        question,
        check,
        gateway: best(gatewayRuns),
        sql: best(sqlRuns),
        gatewayRuns,
        sqlRuns,
        gatewayStatements: dedupe(gatewayStatements),
        sqlStatements: dedupe(sqlStatements),
        statementsPerRequest: {
          gateway: gatewayStatements.length / Math.max(1, check.requests),
          // postgres.js may report a statement twice (describe, then execute): count texts
          sql: dedupe(sqlStatements).length,
        },
        explain: { gateway: [], sql: [] },
      });
    }

    // EXPLAIN the captured statements once, on the warm database.
    const explainFolder = path.join(args.out, 'explain', ...(args.tag ? [args.tag] : []));
    mkdirSync(explainFolder, { recursive: true });
    const explainSql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
    try {
      for (const result of results) {
        if (result.question.key === 'floor') continue;
        for (const side of ['gateway', 'sql'] as const) {
          const statements = side === 'gateway' ? result.gatewayStatements : result.sqlStatements;
          result.explain[side] = await explainStatements(explainSql, statements);
          const file = writeExplainFile(explainFolder, result.question, side, result.explain[side]);
          console.log(`explain: ${path.relative(process.cwd(), file)}`);
        }
      }
    } finally {
      await explainSql.end({ timeout: 5 });
    }

    const machine = await describeMachine(sql, loadAverage);
    const report: RunReport = {
      date: started,
      tag: args.tag,
      code: codeVersion(),
      explainFolder: path.relative(args.out, explainFolder),
      command: commandLine(databaseUrl, process.argv.slice(2)),
      machine,
      data: {
        campaigns: Number(extent.campaigns),
        snapshots: Number(extent.snapshots),
        oldest: new Date(extent.oldest as string),
        newest: new Date(extent.newest as string),
        rotating: ids.length,
        window,
      },
      settings: {
        seconds: args.seconds,
        warmup: args.warmup,
        connections: args.connections,
        repeat: args.repeat,
        pool: POOL_SIZE,
      },
      results,
    };
    const readme = updateReadme(args.out, report);
    console.log(`\nwrote ${path.relative(process.cwd(), readme)}`);
    const mismatches = results.filter((r) => r.check.verdict === 'MISMATCH');
    return mismatches.length ? 1 : 0;
  } finally {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await Promise.all([database.close(), sql.end({ timeout: 5 }), checkSql.end({ timeout: 5 })]);
  }
}

const iso = (value: unknown) => new Date(value as string).toISOString();

/**
 * Seeds `campaigns` x `days` through the seed code unless the database already holds them:
 * every generated campaign id present (ids depend only on the seed and the index) and
 * snapshots spanning the days (the window may have ended on an earlier day: the bench
 * measures up to the newest snapshot, so older seeded data stays valid).
 */
async function ensureData(
  database: Awaited<ReturnType<typeof openDatabase>>,
  sql: postgres.Sql,
  campaigns: number,
  { days, reseed }: BenchArgs,
): Promise<void> {
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

/**
 * Campaigns that reported in the last 90 days (the ones dashboards chart), in a fixed
 * pseudo-random order, so consecutive requests read different campaigns.
 */
async function rotation(sql: postgres.Sql, window: BenchWindow): Promise<string[]> {
  const rows = await sql`
    SELECT c.id FROM campaigns c
    WHERE EXISTS (
      SELECT 1 FROM campaign_metrics_snapshots s
      WHERE s.campaign_id = c.id AND s.snapshot_date >= ${window.from90.toISOString()}::timestamptz
    )
    ORDER BY md5(c.id::text)`;
  if (rows.length === 0) throw new Error('no campaign has snapshots in the last 90 days of the data');
  return rows.map((row) => String(row.id));
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

async function checkQuestion(question: Question, url: string, sql: postgres.Sql, ids: readonly string[]) {
  const differences: string[] = [];
  for (const id of ids) {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query: question.document, variables: question.variables(id) }),
    });
    const body = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
    if (response.status !== 200 || body.errors || !body.data) {
      throw new Error(
        `${question.key}: the gateway answered ${response.status} ${JSON.stringify(body).slice(0, 500)}`,
      );
    }
    const raw = await question.sql(sql, id);
    if (!question.fromSql || !question.fromGateway) continue;
    const difference = compareAnswers(question.fromGateway(body.data), question.fromSql(raw));
    if (difference) differences.push(question.perCampaign ? `campaign ${id}: ${difference}` : difference);
  }
  const compared = question.perCampaign ? `${ids.length} campaigns` : 'the whole answer';
  if (!question.fromSql)
    return { verdict: 'n/a' as const, detail: 'nothing to compare', requests: ids.length };
  if (differences.length) {
    return { verdict: 'MISMATCH' as const, detail: differences.join('; '), requests: ids.length };
  }
  return { verdict: 'OK' as const, detail: compared, requests: ids.length };
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
           current_setting('work_mem') AS work_mem, current_setting('jit') AS jit`;
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    memoryGb: os.totalmem() / 1024 ** 3,
    postgres: `PostgreSQL ${settings?.version} (shared_buffers ${settings?.shared_buffers}, work_mem ${settings?.work_mem}, jit ${settings?.jit})`,
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
