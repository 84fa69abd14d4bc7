import { createSchema, createYoga } from 'graphql-yoga';
import postgres from 'postgres';
import { parseOptions, UsageError } from '../src/cli/command-line.js';
import { openDatabase } from '../src/db/client.js';
import { encodeCampaignCursor } from '../src/schema/cursor.js';
import { benchGateway } from './bench-gateway.js';
import { benchWindow, PAGE_SIZE, type Question, type Rotation, type Turn } from './common.js';
import { createQuestions } from './questions.js';
import { rotatingCampaigns } from './rotation.js';
import { backendCpuMs } from './thread-cpu.js';

const IN_FLIGHT = 8;

const USAGE = `usage: DATABASE_URL=postgres://.../bench_1_5m npm run bench:floor -- [--requests 500] [--rounds 5] [--only latest-50,weeks-1y]
The least this stack can spend on each question: CPU per answer (this process, and the
PostgreSQL backends serving it) of the gateway, of a bare graphql-yoga server whose resolvers
run the bench's hand-written SQL and nothing else (same documents, same answers, checked), and
of that SQL through postgres.js alone. Requests go through yoga.fetch (no socket), ${IN_FLIGHT} in
flight, sides interleaved round by round; medians of --rounds rounds of --requests each.
Run on a database \`npm run bench\` seeded (bench_1_5m or bench_15m).`;

const QUESTIONS = ['latest-50', 'series-30d', 'series-90d', 'weeks-1y', 'year-over-year'];
type Side = 'gateway' | 'bare' | 'sql';
const SIDES: readonly Side[] = ['gateway', 'bare', 'sql'];
const SIDE_LABEL: Record<Side, string> = { gateway: 'gateway', bare: 'bare yoga + SQL', sql: 'SQL' };
const APPLICATION: Record<Side, string> = {
  gateway: 'cmg-floor-gateway',
  bare: 'cmg-floor-bare',
  sql: 'cmg-floor-sql',
};

type Row = Record<string, unknown>;

/**
 * The bench documents' types, and resolvers that answer from the hand-written SQL of the
 * request's turn (found by its variables) through the question's own `fromSql`: what any
 * GraphQL server over that SQL must do at least (parse, validate, execute, serialize).
 */
const BARE_TYPES = /* GraphQL */ `
  scalar DateTime
  scalar TimeZone
  enum Granularity { RAW HOUR DAY WEEK MONTH QUARTER YEAR }
  enum Stat { FIRST LAST MIN MAX AVG DELTA }
  enum GapFill { NONE NULL PREVIOUS }
  enum Metric { VOLUNTEERS_CURRENT BENEFICIARIES_CURRENT VOLUNTEERS_TARGET BENEFICIARIES_TARGET SROI_SCORE BUDGET_SPENT }
  type Capacity { current: Float target: Float utilization: Float }
  type Budget { allocated: String spent: String remaining: String utilization: Float }
  type Impact { sroiScore: Float averageVisScore: Float totalHoursLogged: Float totalSessionsCompleted: Float }
  type Latest { snapshotDate: DateTime volunteers: Capacity beneficiaries: Capacity sessions: Capacity budget: Budget impact: Impact }
  type Column { metric: Metric values: [Float] }
  type Series { granularity: Granularity timeZone: TimeZone timestamps: [DateTime] columns: [Column] }
  type YearOverYear { year: Int previousYear: Int granularity: Granularity timeZone: TimeZone
    periods: [Int] current: [Float] previous: [Float] change: [Float] }
  type Week { snapshotDate: DateTime sampleCount: Int value(metric: Metric!, stat: Stat!): Float }
  type WeekEdge { node: Week }
  type Weeks { edges: [WeekEdge] }
  type Campaign {
    id: ID!
    name: String
    latestSnapshot: Latest
    series(metrics: [Metric!]!, from: DateTime!, to: DateTime!, granularity: Granularity!, stat: Stat, fill: GapFill): Series
    yearOverYear(metric: Metric!, year: Int!, granularity: Granularity, stat: Stat): YearOverYear
    snapshots(granularity: Granularity, timeZone: TimeZone, from: DateTime, to: DateTime, first: Int): Weeks
  }
  type CampaignEdge { node: Campaign }
  type CampaignConnection { edges: [CampaignEdge] }
  type Query { campaigns(first: Int!, after: String): CampaignConnection campaign(id: ID!): Campaign }
`;

interface BareTurn {
  question: Question;
  turn: Turn;
}

function bareServer(sql: postgres.Sql, turns: ReadonlyMap<string, BareTurn>) {
  const answer = async (variables: unknown) => {
    const found = turns.get(JSON.stringify(variables));
    if (!found?.question.fromSql) throw new Error('no turn has these variables');
    return found.question.fromSql(await found.turn.sql(sql)) as Row;
  };
  type Week = { start: string; samples: number; sroi: number | null; volunteers: number | null };
  return createYoga<{ params: { variables?: unknown } }>({
    logging: false,
    schema: createSchema({
      typeDefs: BARE_TYPES,
      resolvers: {
        Query: {
          campaigns: async (_root, _args, ctx) => ({
            edges: ((await answer(ctx.params.variables)) as unknown as Row[]).map((node) => ({ node })),
          }),
          campaign: async (_root, _args, ctx) => {
            const canonical = await answer(ctx.params.variables);
            if ('campaign' in canonical) return canonical.campaign; // series, year over year
            const weeks = canonical.weeks as Week[];
            return { id: canonical.id, snapshots: { edges: weeks.map((node) => ({ node })) } };
          },
        },
        Week: {
          snapshotDate: (week: Week) => week.start,
          sampleCount: (week: Week) => week.samples,
          value: (week: Week, args: { metric: string }) =>
            args.metric === 'SROI_SCORE' ? week.sroi : week.volunteers,
        },
      },
    }),
  });
}

type Fetch = (request: Request) => Promise<Response> | Response;

/** The response text of a POST to a server's fetch handler (errors are an exception). */
async function post(fetch: Fetch, document: string, variables: unknown): Promise<string> {
  const response = await fetch(
    new Request('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query: document, variables }),
    }),
  );
  const text = await response.text();
  // a served answer starts with its data; an error anywhere starts with (or adds) "errors"
  if (!response.ok || !text.startsWith('{"data":') || text.includes('"errors":')) {
    throw new Error(`GraphQL errors: ${text.slice(0, 500)}`);
  }
  return text;
}

const ask = async (fetch: Fetch, document: string, variables: unknown) =>
  (JSON.parse(await post(fetch, document, variables)) as { data: Row }).data;

const median = (values: readonly number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

async function main(): Promise<number> {
  const values = parseOptions(process.argv.slice(2), {
    requests: { type: 'string' },
    rounds: { type: 'string' },
    only: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new UsageError('DATABASE_URL must name a database `npm run bench` seeded');
  const requests = Number(values.requests ?? 500);
  const rounds = Number(values.rounds ?? 5);
  if (!Number.isInteger(requests) || requests < 50 || !Number.isInteger(rounds) || rounds < 1) {
    throw new UsageError('--requests must be an integer of at least 50 and --rounds at least 1');
  }

  const named = (side: Side) => {
    const url = new URL(databaseUrl);
    url.searchParams.set('application_name', APPLICATION[side]);
    return url.toString();
  };
  // Every side without PostgreSQL's JIT, as in `npm run bench`.
  const client = (side: Side) =>
    postgres(named(side), { max: IN_FLIGHT, onnotice: () => {}, connection: { jit: 'off' } });
  const database = await openDatabase({ databaseUrl: named('gateway'), maxConnections: IN_FLIGHT });
  const bareSql = client('bare');
  const sql = client('sql');
  try {
    const [extent] = await sql`SELECT max(snapshot_date) AS newest FROM campaign_metrics_snapshots`;
    if (!extent?.newest) throw new UsageError('the database has no snapshots');
    const window = benchWindow(new Date(extent.newest as string));
    const ids = (await sql`SELECT id FROM campaigns ORDER BY id`).map((row) => String(row.id));
    const rotation: Rotation = {
      campaigns: await rotatingCampaigns(sql, window),
      pages: Array.from({ length: Math.ceil(ids.length / PAGE_SIZE) }, (_, page) => {
        const afterId = page === 0 ? null : (ids[page * PAGE_SIZE - 1] ?? null);
        return { afterId, gatewayCursor: afterId && encodeCampaignCursor(afterId), postgraphileCursor: null };
      }),
    };

    const asked = values.only?.split(',') ?? QUESTIONS;
    const unknown = asked.filter((key) => !QUESTIONS.includes(key));
    if (unknown.length)
      throw new UsageError(`--only: no question ${unknown.join(', ')}; one of ${QUESTIONS.join(', ')}`);
    const questions = createQuestions(window).filter((question) => asked.includes(question.key));
    const bareTurns = new Map<string, BareTurn>();
    for (const question of questions) {
      for (const turn of question.turns(rotation))
        bareTurns.set(JSON.stringify(turn.variables), { question, turn });
    }
    const gateway = benchGateway(database.db);
    const bare = bareServer(bareSql, bareTurns);

    console.log(
      `stack floor: ${rotation.campaigns.length} rotating campaigns, ${rotation.pages.length} pages; ` +
        `${rounds} rounds of ${requests} requests, ${IN_FLIGHT} in flight\n`,
    );
    console.log('| question | side | Node CPU ms per answer | PostgreSQL CPU ms | total | vs SQL |');
    console.log('| --- | --- | ---: | ---: | ---: | ---: |');
    for (const question of questions) {
      const turns = question.turns(rotation);
      const fromGateway = question.fromGateway ?? ((data: Row) => data);
      // Same answer from both GraphQL servers (the bench checks the gateway against the SQL).
      for (const turn of turns.slice(0, 3)) {
        const [mine, theirs] = await Promise.all([
          ask(gateway.fetch, question.document, turn.variables),
          ask(bare.fetch, question.document, turn.variables),
        ]);
        if (JSON.stringify(fromGateway(mine)) !== JSON.stringify(fromGateway(theirs))) {
          throw new Error(`${question.key}: the bare server's answer differs for ${turn.label}`);
        }
      }
      const run: Record<Side, (turn: Turn) => Promise<unknown>> = {
        gateway: (turn) => post(gateway.fetch, question.document, turn.variables),
        bare: (turn) => post(bare.fetch, question.document, turn.variables),
        sql: (turn) => turn.sql(sql),
      };
      const measured: Record<Side, { node: number[]; postgres: number[] }> = {
        gateway: { node: [], postgres: [] },
        bare: { node: [], postgres: [] },
        sql: { node: [], postgres: [] },
      };
      let next = 0;
      const round = async (side: Side, count: number) => {
        const pids = (
          await sql`SELECT pid FROM pg_stat_activity WHERE application_name = ${APPLICATION[side]}`
        ).map((row) => Number(row.pid));
        const backendsBefore = backendCpuMs(pids);
        const before = process.cpuUsage();
        let started = 0;
        await Promise.all(
          Array.from({ length: IN_FLIGHT }, async () => {
            while (started++ < count) await run[side](turns[next++ % turns.length] as Turn);
          }),
        );
        const used = process.cpuUsage(before);
        const backendsAfter = backendCpuMs(pids);
        const backendMs = [...backendsAfter].reduce(
          (sum, [pid, ms]) => sum + ms - (backendsBefore.get(pid) ?? ms),
          0,
        );
        measured[side].node.push((used.user + used.system) / 1000 / count);
        measured[side].postgres.push(backendMs / count);
      };
      for (const side of SIDES) await round(side, Math.min(requests, 200)); // warm-up, pools filled
      for (let r = 0; r < rounds; r++) for (const side of SIDES) await round(side, requests);
      const sqlTotal = median(measured.sql.node) + median(measured.sql.postgres);
      for (const side of SIDES) {
        const node = median(measured[side].node);
        const pg = median(measured[side].postgres);
        console.log(
          `| ${question.key} | ${SIDE_LABEL[side]} | ${node.toFixed(2)} | ${pg.toFixed(2)} | ${(node + pg).toFixed(2)} | ${((node + pg) / sqlTotal).toFixed(2)}x |`,
        );
      }
    }
    return 0;
  } finally {
    await Promise.all([database.close(), bareSql.end({ timeout: 5 }), sql.end({ timeout: 5 })]);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof UsageError ? `${error.message}\n\n${USAGE}` : error);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
