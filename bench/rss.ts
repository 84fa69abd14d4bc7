import postgres from 'postgres';
import { parseOptions, UsageError } from '../src/cli/command-line.js';
import { startGatewayProcess } from '../src/cli/gateway-process.js';
import { MAX_PAGE_SIZE } from '../src/schema/pagination.js';
import { type BulkSeedPlan, bulkSeed, bulkSeedIsPresent, planCampaigns } from '../src/seed/bulk-seed.js';
import { utcMidnight } from '../src/seed/generate.js';
import { summarize } from './harness.js';

const USAGE = `usage: DATABASE_URL=postgres://... npm run bench:rss -- [--seconds 30] [--connections 8]
Adds (once) a campaign with 10 years of hourly snapshots (87,600) to the database by COPY, starts
the gateway as its own process on it, and for --seconds keeps --connections requests in flight:
10-year RAW pages of that campaign at the largest page size, and requests over the limits (a
page of 100000, a 10-year RAW series, aliases over the cost budget, too many aliases, nesting
too deep). Samples the server's RSS every 250 ms; prints start/peak/end RSS, the error codes
each kind of request got and p50/p95. Use a database you can spare: the 10 years get their
month partitions (bench/README.md runs it on a copy of bench_1_5m).`;

const DAY = 86_400_000;
const SAMPLE_MS = 250;

/** One campaign, hourly for 3650 days; its own seed, so its id is no bench campaign's. */
function tenYearPlan(end: Date): BulkSeedPlan {
  return { campaigns: 0, hourlyCampaigns: 1, cadence: 'HOURLY', days: 3650, seed: 3650, end };
}

interface RssArgs {
  seconds: number;
  connections: number;
}

function parseRssArgs(argv: readonly string[]): RssArgs | 'help' {
  const values = parseOptions(argv, {
    seconds: { type: 'string' },
    connections: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return 'help';
  const integer = (name: 'seconds' | 'connections', fallback: number, max: number) => {
    const raw = values[name];
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1 || value > max) {
      throw new UsageError(`--${name} must be an integer from 1 to ${max}, got "${raw}"`);
    }
    return value;
  };
  return { seconds: integer('seconds', 30, 600), connections: integer('connections', 8, 64) };
}

// The server process: its answers and its resident memory.

// The requests.

/** The RAW page: cost 1 + size x 14 (edges, node and 12 fields), within the default budget at 1000. */
const RAW_PAGE = /* GraphQL */ `
  query TenYearsRaw($id: ID!, $from: DateTime!, $to: DateTime!, $first: Int!) {
    campaign(id: $id) {
      snapshots(granularity: RAW, from: $from, to: $to, first: $first) {
        edges {
          node {
            snapshotDate
            volunteers { current target utilization }
            budget { allocated spent remaining utilization }
            sessions: value(metric: TOTAL_SESSIONS_COMPLETED)
            details
          }
        }
        pageInfo { hasNextPage endCursor }
      }
    }
  }`;

const SERIES = /* GraphQL */ `
  query TenYearsSeries($id: ID!, $from: DateTime!, $to: DateTime!) {
    campaign(id: $id) {
      series(metrics: [BUDGET_SPENT, VOLUNTEERS_CURRENT], from: $from, to: $to, granularity: RAW) {
        timestamps
        columns { metric values }
      }
    }
  }`;

/** `count` aliases of a max-size RAW page: each costs 1 + 1000 x 6 (edges, node, 4 fields). */
const aliasedPages = (count: number) => `
  query Aliased($id: ID!, $from: DateTime!, $to: DateTime!) {
    campaign(id: $id) {
      ${Array.from(
        { length: count },
        (_, i) => `p${i}: snapshots(granularity: RAW, from: $from, to: $to, first: ${MAX_PAGE_SIZE}) {
          edges { node { snapshotDate budget { spent } details } }
        }`,
      ).join('\n')}
    }
  }`;

/** campaign > capacityAlerts > campaign > ... : valid at any depth, `pairs` x 2 + 2 levels. */
const deepNesting = (pairs: number) =>
  `query Deep($id: ID!) { campaign(id: $id) { ${'capacityAlerts { campaign { '.repeat(pairs)}id${' } }'.repeat(pairs)} } }`;

interface RequestKind {
  name: string;
  /** what it shows */
  expect: string;
  bodies: string[];
}

function requestKinds(campaignId: string, start: Date, end: Date): RequestKind[] {
  const tenYears = { id: campaignId, from: start.toISOString(), to: end.toISOString() };
  // pages from 100 different starting days, each over (almost) all 10 years
  const starts = Array.from({ length: 100 }, (_, k) =>
    new Date(start.getTime() + k * 30 * DAY).toISOString(),
  );
  const body = (query: string, variables: Record<string, unknown>) => JSON.stringify({ query, variables });
  return [
    {
      name: `RAW 10 years, first: ${MAX_PAGE_SIZE}`,
      expect: 'answered: the largest page',
      bodies: starts.map((from) => body(RAW_PAGE, { ...tenYears, from, first: MAX_PAGE_SIZE })),
    },
    {
      name: 'RAW 10 years, first: 100000',
      expect: 'refused: page over the maximum',
      bodies: [body(RAW_PAGE, { ...tenYears, first: 100_000 })],
    },
    {
      name: 'series RAW 10 years (87,600 points)',
      expect: 'refused: series point limit',
      bodies: [body(SERIES, tenYears)],
    },
    {
      name: `10 aliased RAW pages of ${MAX_PAGE_SIZE}`,
      expect: 'refused: cost budget',
      bodies: [body(aliasedPages(10), tenYears)],
    },
    {
      name: '40 aliased RAW pages',
      expect: 'refused: alias limit',
      bodies: [body(aliasedPages(40), tenYears)],
    },
    {
      name: 'nesting depth 22',
      expect: 'refused: depth limit',
      bodies: [body(deepNesting(10), { id: campaignId })],
    },
  ];
}

interface KindResult {
  sent: number;
  answered: number;
  codes: Map<string, number>;
  latencies: number[];
}

/** Keeps `connections` requests in flight for `seconds`, half of them the answered RAW page. */
async function load(url: string, kinds: RequestKind[], connections: number, seconds: number) {
  const [page, ...refused] = kinds;
  if (!page) throw new Error('no request kinds');
  // every other request is the big page; the refused kinds take turns in between
  const schedule = refused.flatMap((kind) => [page, kind]);
  const results = new Map<RequestKind, KindResult>(
    kinds.map((kind) => [kind, { sent: 0, answered: 0, codes: new Map(), latencies: [] }]),
  );
  const counters = new Map<RequestKind, number>();
  let next = 0;
  const stopAt = performance.now() + seconds * 1000;
  const connection = async () => {
    while (performance.now() < stopAt) {
      const kind = schedule[next++ % schedule.length] as RequestKind;
      const index = counters.get(kind) ?? 0;
      counters.set(kind, index + 1);
      const result = results.get(kind) as KindResult;
      const sent = performance.now();
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
        body: kind.bodies[index % kind.bodies.length],
      });
      const answer = (await response.json()) as {
        data?: unknown;
        errors?: { extensions?: { code?: string } }[];
      };
      result.latencies.push(performance.now() - sent);
      result.sent += 1;
      if (!answer.errors?.length) result.answered += 1;
      for (const error of answer.errors ?? []) {
        const code = `${error.extensions?.code ?? 'no code'} (HTTP ${response.status})`;
        result.codes.set(code, (result.codes.get(code) ?? 0) + 1);
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: connections }, connection));
  return { results, seconds: (performance.now() - started) / 1000 };
}

const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(1) : '-');

async function main(): Promise<number> {
  const args = parseRssArgs(process.argv.slice(2));
  if (args === 'help') {
    console.log(USAGE);
    return 0;
  }
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl)
    throw new UsageError('DATABASE_URL must name a PostgreSQL database (e.g. a copy of bench_1_5m)');

  const plan = tenYearPlan(utcMidnight(new Date()));
  const [campaign] = planCampaigns(plan).campaigns;
  if (!campaign) throw new Error('the plan has no campaign');
  const sql = postgres(databaseUrl, { max: 2, onnotice: () => {} });
  try {
    if (!(await bulkSeedIsPresent(sql, plan))) {
      const seeded = await bulkSeed(sql, plan);
      console.log(`seeded ${seeded.snapshots} hourly snapshots in ${seeded.seconds.toFixed(1)} s`);
    }
    const [counts] = await sql<{ campaigns: number; snapshots: number }[]>`
      SELECT (SELECT count(*)::int FROM campaigns) AS campaigns,
             (SELECT reltuples::bigint::int FROM pg_class WHERE relname = 'campaign_metrics_snapshots') AS snapshots`;
    console.log(
      `database: ${new URL(databaseUrl).pathname.slice(1)}, ${counts?.campaigns} campaigns, about ${counts?.snapshots?.toLocaleString('en-US')} snapshots`,
    );
  } finally {
    await sql.end({ timeout: 5 });
  }

  const end = plan.end;
  const start = new Date(end.getTime() - plan.days * DAY);
  // the query path's memory, not the response cache's
  const server = await startGatewayProcess({ DATABASE_URL: databaseUrl, CACHE_ENABLED: 'false' });
  const url = server.url;
  try {
    const kinds = requestKinds(campaign.values.id, start, end);
    const rss = [server.residentMiB()];
    const sampler = setInterval(() => rss.push(server.residentMiB()), SAMPLE_MS);
    const { results, seconds } = await load(url, kinds, args.connections, args.seconds);
    clearInterval(sampler);
    rss.push(server.residentMiB());

    console.log(
      `campaign ${campaign.values.id}: ${plan.days * 24} hourly snapshots ${start.toISOString().slice(0, 10)} .. ${end.toISOString().slice(0, 10)}; ` +
        `${args.connections} connections, ${seconds.toFixed(1)} s, response cache off`,
    );
    const peak = Math.max(...rss);
    console.log(
      `server RSS MiB: start ${rss[0]?.toFixed(0)}, peak ${peak.toFixed(0)}, end ${rss.at(-1)?.toFixed(0)} (${rss.length} samples, every ${SAMPLE_MS} ms)`,
    );
    const perSecond = rss.filter((_, i) => i % (1000 / SAMPLE_MS) === 0).map((value) => value.toFixed(0));
    console.log(`RSS per second: ${perSecond.join(' ')}`);
    console.log('');
    console.log('| request | expected | sent | answered | error codes | p50 ms | p95 ms |');
    console.log('| --- | --- | ---: | ---: | --- | ---: | ---: |');
    const all: number[] = [];
    for (const kind of kinds) {
      const result = results.get(kind) as KindResult;
      all.push(...result.latencies);
      const summary = summarize({ latencies: Float64Array.from(result.latencies), seconds, errors: 0 });
      const codes = [...result.codes].map(([code, count]) => `${code} x${count}`).join(', ') || '-';
      console.log(
        `| ${kind.name} | ${kind.expect} | ${result.sent} | ${result.answered} | ${codes} | ${ms(summary.p50)} | ${ms(summary.p95)} |`,
      );
    }
    const total = summarize({ latencies: Float64Array.from(all), seconds, errors: 0 });
    console.log('');
    console.log(
      `all: ${total.requests} requests, ${total.requestsPerSecond.toFixed(1)} req/s, p50 ${ms(total.p50)} ms, p95 ${ms(total.p95)} ms`,
    );
    return 0;
  } finally {
    await server.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof UsageError ? `${error.message}\n${USAGE}` : error);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
