import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Sql } from 'postgres';
import type { BenchWindow, Question } from './common.js';
import type { Summary } from './harness.js';

/** Comparison of answers, EXPLAIN files and the run table in bench/README.md. */

export interface Captured {
  statement: string;
  params: unknown[];
}

export interface Explained extends Captured {
  plan: string;
  executionMs: number | null;
  planningMs: number | null;
  /** Buffers of the top plan node (the whole statement). */
  sharedHit: number;
  sharedRead: number;
}

export interface Check {
  verdict: 'OK' | 'MISMATCH' | 'n/a';
  detail?: string;
  requests: number;
}

export interface QuestionResult {
  question: Question;
  check: Check;
  /** The kept run of each side (lower p95 when repeated). */
  gateway: Summary;
  sql: Summary;
  gatewayRuns: Summary[];
  sqlRuns: Summary[];
  gatewayStatements: Captured[];
  sqlStatements: Captured[];
  statementsPerRequest: { gateway: number; sql: number };
  explain: { gateway: Explained[]; sql: Explained[] };
}

export interface Machine {
  cores: number;
  cpu: string;
  memoryGb: number;
  postgres: string;
  node: string;
  loadAverage: number[];
}

export interface RunReport {
  date: Date;
  tag: string | null;
  /** The commit measured. */
  code: string;
  /** Relative to the README. */
  explainFolder: string;
  command: string;
  machine: Machine;
  data: {
    campaigns: number;
    snapshots: number;
    oldest: Date;
    newest: Date;
    rotating: number;
    window: BenchWindow;
  };
  settings: { seconds: number; warmup: number; connections: number; repeat: number; pool: number };
  results: QuestionResult[];
}

// ---------------------------------------------------------------------------------------
// Answers

const closeEnough = (a: number, b: number) =>
  Math.abs(a - b) <= 1e-9 + 1e-7 * Math.max(Math.abs(a), Math.abs(b));

function show(value: unknown): string {
  const shown = JSON.stringify(value);
  return shown === undefined ? 'undefined' : shown.length > 80 ? `${shown.slice(0, 77)}...` : shown;
}

/**
 * The first difference between two canonical answers (path: gateway vs sql), or null. Numbers
 * agree within 1e-7 relative (the forecast's regression is summed in a different order).
 */
export function compareAnswers(gateway: unknown, sql: unknown, at = '$'): string | null {
  if (typeof gateway === 'number' && typeof sql === 'number') {
    return closeEnough(gateway, sql) ? null : `${at}: ${gateway} vs ${sql}`;
  }
  if (Array.isArray(gateway) && Array.isArray(sql)) {
    if (gateway.length !== sql.length) return `${at}: ${gateway.length} items vs ${sql.length}`;
    for (let i = 0; i < gateway.length; i++) {
      const difference = compareAnswers(gateway[i], sql[i], `${at}[${i}]`);
      if (difference) return difference;
    }
    return null;
  }
  if (gateway && sql && typeof gateway === 'object' && typeof sql === 'object') {
    const keys = new Set([...Object.keys(gateway), ...Object.keys(sql)]);
    for (const key of keys) {
      const difference = compareAnswers(
        (gateway as Record<string, unknown>)[key],
        (sql as Record<string, unknown>)[key],
        `${at}.${key}`,
      );
      if (difference) return difference;
    }
    return null;
  }
  return gateway === sql ? null : `${at}: ${show(gateway)} vs ${show(sql)}`;
}

// ---------------------------------------------------------------------------------------
// EXPLAIN

const millis = (plan: string, label: string) => {
  const match = new RegExp(`${label}: ([\\d.]+) ms`).exec(plan);
  return match ? Number(match[1]) : null;
};

/** EXPLAIN (ANALYZE, BUFFERS) of each statement with the parameters it was sent with. */
export async function explainStatements(sql: Sql, statements: readonly Captured[]): Promise<Explained[]> {
  const explained: Explained[] = [];
  for (const captured of statements) {
    let plan: string;
    try {
      const rows = await sql.unsafe(
        `EXPLAIN (ANALYZE, BUFFERS) ${captured.statement}`,
        captured.params as never[],
        { prepare: false },
      );
      plan = rows.map((row) => String(row['QUERY PLAN'])).join('\n');
    } catch (error) {
      plan = `EXPLAIN failed: ${error instanceof Error ? error.message : String(error)}`;
    }
    const buffers = /Buffers: shared((?: hit=\d+)?(?: read=\d+)?)/.exec(plan)?.[1] ?? '';
    explained.push({
      ...captured,
      plan,
      executionMs: millis(plan, 'Execution Time'),
      planningMs: millis(plan, 'Planning Time'),
      sharedHit: Number(/hit=(\d+)/.exec(buffers)?.[1] ?? 0),
      sharedRead: Number(/read=(\d+)/.exec(buffers)?.[1] ?? 0),
    });
  }
  return explained;
}

const sum = (values: (number | null)[]) => values.reduce<number>((total, value) => total + (value ?? 0), 0);

export function writeExplainFile(
  folder: string,
  question: Question,
  side: 'gateway' | 'sql',
  explained: readonly Explained[],
): string {
  const file = path.join(folder, `${question.key}.${side}.txt`);
  const who = side === 'gateway' ? 'the gateway sent' : 'the hand-written SQL sends';
  const parts = [
    `# ${question.label}: the ${explained.length} distinct statement(s) ${who} for one request`,
    '# EXPLAIN (ANALYZE, BUFFERS), run once with the captured parameters on the warm database after the load.',
    `# total: execution ${sum(explained.map((e) => e.executionMs)).toFixed(3)} ms, planning ${sum(explained.map((e) => e.planningMs)).toFixed(3)} ms`,
    '',
  ];
  explained.forEach((e, i) => {
    const params = JSON.stringify(e.params);
    parts.push(
      `-- statement ${i + 1} of ${explained.length}: execution ${e.executionMs ?? '?'} ms, planning ${e.planningMs ?? '?'} ms, shared hit ${e.sharedHit} read ${e.sharedRead}`,
      `-- parameters: ${params.length > 2000 ? `${params.slice(0, 2000)}...` : params}`,
      e.statement.trim(),
      '',
      e.plan,
      '',
    );
  });
  writeFileSync(file, `${parts.join('\n')}\n`);
  return file;
}

// ---------------------------------------------------------------------------------------
// README

const RUNS_MARKER = '<!-- bench:runs (npm run bench inserts each run below, newest first) -->';

const INTRO = `# Benchmarks

\`npm run bench\` (src/cli/bench.ts) measures the dashboard questions on a real PostgreSQL
server, twice each: through the gateway over HTTP, and as hand-written SQL through
postgres.js, and prints the two side by side.

\`\`\`sh
createdb bench
DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench npm run bench            # 1,000 campaigns x 730 days
DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench npm run bench -- --repeat 2
DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench10m npm run bench -- --scale 4   # about 10M rows
\`\`\`

What a run does:

1. Seeds 1,000 campaigns x 730 days (6-hourly, hourly and daily cadences, about 2.4M snapshots)
   through the seed code (\`seedDatabase\`, concurrency 2) unless the database already holds
   them (every generated campaign id present, snapshots spanning the days). \`--reseed\`
   forces it; \`--campaigns\`, \`--days\` and \`--scale\` (a factor on the campaigns) change
   the size. Then \`VACUUM (ANALYZE)\`.
2. Starts the gateway in-process (\`createGateway\`, node:http) on a free port of 127.0.0.1.
   Nothing but localhost is contacted.
3. Per question: one request each way for the check (the SQL answer must equal the gateway's
   answer: OK / MISMATCH), then the gateway under load with autocannon (in a worker thread,
   \`--connections\` 8 in flight, \`--warmup\` 2 s discarded, \`--seconds\` 10 measured), then the
   SQL the same way (8 loops over a pool of 10, the gateway's pool size). Requests rotate over
   the campaigns that reported in the last 90 days, in a fixed shuffled order, identical for
   both sides. Latencies are per request (autocannon's response time; the SQL loop's time
   from sending to parsed rows), percentiles nearest-rank.
4. EXPLAIN (ANALYZE, BUFFERS) of every statement each side sent for one request, with its
   parameters, into [explain/](explain) (\`<question>.gateway.txt\`, \`<question>.sql.txt\`).
5. Inserts the run below.

Server settings for both sides go into the URL (postgres.js sends unknown URL parameters as
connection settings): \`DATABASE_URL='postgres://postgres@127.0.0.1:5432/bench?jit=off' npm run bench -- --tag jit-off\`.
\`--tag\` names such a run and keeps its EXPLAIN files apart (\`explain/<tag>/\`).

The questions (ranges end at the UTC midnight after the newest snapshot):

| question | gateway document | hand-written SQL |
| --- | --- | --- |
| floor | \`{ __typename }\` | \`SELECT 1\` (what HTTP + GraphQL and one round trip cost) |
| latest | \`campaign(id) { latestSnapshot { ...document 01's fields } }\` | campaign + LATERAL newest snapshot |
| series-30d, series-90d | documents/04-capacity-trend.graphql (4 metrics, LAST per local day, fill PREVIOUS) | local days by an hourly walk, DISTINCT ON per \`date_trunc('day', t, zone)\`, runs carried forward |
| capacity-alerts | documents/08-capacity-alerts-widget.graphql (threshold 0.8, first 20, totalCount) | LATERAL newest snapshot per campaign, VALUES unpivot, \`count(*) OVER ()\`, top 21 |
| year-over-year | documents/13-year-over-year.graphql (BUDGET_SPENT, LAST per ISO week) | DISTINCT ON per local ISO week, the two ISO years as two bucket sets joined by week |
| dashboard | documents/00-dashboard-page.graphql, first: 50 | page + alerts, then 5 statements over the page in parallel; forecast band from regr_* and a t table |

Targets (the issue's, for this 2-core machine): gateway p95 below latest 5 ms, 30-day series
10 ms, 90-day series 15 ms, alerts over all campaigns 30 ms, year over year 20 ms; and the
gateway's p50 at most 1.5x the SQL's. The machine is shared: the load average at the start is
recorded, and \`--repeat 2\` keeps the better (lower p95) of two runs per side.

## Runs

${RUNS_MARKER}
`;

const f = (value: number) => (Number.isNaN(value) ? 'n/a' : value < 10 ? value.toFixed(2) : value.toFixed(1));

const perSecond = (value: number) => (value < 10 ? value.toFixed(1) : value.toFixed(0));

function verdict(result: QuestionResult): string {
  const target = result.question.targetP95Ms;
  if (result.gateway.requests === 0)
    return `no answer within the ${result.gatewayRuns.length > 1 ? 'runs' : 'run'}`;
  if (target === null) return '-';
  const p95 = result.gateway.p95;
  if (p95 < target) return `met (${f(p95)} < ${target})`;
  return `**missed** by ${f(p95 - target)} ms (${(p95 / target).toFixed(1)}x)`;
}

function ratioVerdict(ratio: number, key: string): string {
  if (Number.isNaN(ratio)) return 'n/a';
  if (key === 'floor') return `${ratio.toFixed(1)}x`;
  return ratio <= 1.5 ? `${ratio.toFixed(2)}x ok` : `**${ratio.toFixed(2)}x**`;
}

function statementNote(result: QuestionResult): string {
  const side = (explained: readonly Explained[], perRequest: number) => {
    const execution = sum(explained.map((e) => e.executionMs));
    const planning = sum(explained.map((e) => e.planningMs));
    const hit = explained.reduce((total, e) => total + e.sharedHit, 0);
    const read = explained.reduce((total, e) => total + e.sharedRead, 0);
    return `${perRequest} statement(s), execution ${f(execution)} ms + planning ${f(planning)} ms, ${hit} buffers hit${read ? `, ${read} read` : ''}`;
  };
  return `- **${result.question.key}**: gateway ${side(result.explain.gateway, result.statementsPerRequest.gateway)}; SQL ${side(result.explain.sql, result.statementsPerRequest.sql)}. Check: ${result.check.verdict}${result.check.detail ? ` (${result.check.detail})` : ''}.`;
}

export function renderRun(report: RunReport): string {
  const { machine, data, settings } = report;
  const load = machine.loadAverage.map((v) => v.toFixed(2)).join(' / ');
  const rows = report.results.map((r) => {
    const ratio = r.gateway.p50 / r.sql.p50;
    const errors = r.gateway.errors + r.sql.errors;
    return `| ${r.question.key} | ${f(r.gateway.p50)} | ${f(r.gateway.p95)} | ${f(r.gateway.p99)} | ${perSecond(r.gateway.requestsPerSecond)} | ${f(r.sql.p50)} | ${f(r.sql.p95)} | ${perSecond(r.sql.requestsPerSecond)} | ${ratioVerdict(ratio, r.question.key)} | ${r.question.targetP95Ms ?? '-'} | ${verdict(r)} | ${r.check.verdict}${errors ? `, ${errors} errors` : ''} |`;
  });
  const repeated =
    settings.repeat > 1
      ? report.results.map(
          (r) =>
            `- ${r.question.key}: gateway p50/p95 ${r.gatewayRuns.map((s) => `${f(s.p50)}/${f(s.p95)}`).join(', ')}; SQL ${r.sqlRuns.map((s) => `${f(s.p50)}/${f(s.p95)}`).join(', ')}`,
        )
      : [];
  return [
    `### ${report.date.toISOString().slice(0, 16).replace('T', ' ')} UTC: ${data.campaigns.toLocaleString('en-US')} campaigns, ${data.snapshots.toLocaleString('en-US')} snapshots${report.tag ? ` (${report.tag})` : ''}`,
    '',
    `- command: \`${report.command}\` at \`${report.code}\``,
    `- machine: ${machine.cores} cores (${machine.cpu}), ${machine.memoryGb.toFixed(0)} GB RAM, ${machine.postgres}, Node ${machine.node}; load average at start ${load} (1/5/15 min)`,
    `- data: snapshots ${data.oldest.toISOString().slice(0, 10)} .. ${data.newest.toISOString().slice(0, 16)}Z; ranges end ${data.window.end.toISOString().slice(0, 10)}, year over year ${data.window.year} vs ${data.window.year - 1}; ${data.rotating} campaigns rotate`,
    `- load: ${settings.connections} ${settings.connections === 1 ? 'connection' : 'connections'}, ${settings.warmup} s warm-up + ${settings.seconds} s per side and question, pool ${settings.pool} each side${settings.repeat > 1 ? `; each side measured ${settings.repeat} times, the run with the lower p95 kept (all runs below)` : ''}`,
    '',
    'Latencies in ms. Ratio: gateway p50 / SQL p50 (goal at most 1.5x). Target: gateway p95.',
    '',
    '| question | gateway p50 | p95 | p99 | req/s | SQL p50 | SQL p95 | SQL req/s | p50 ratio | target p95 | target | check |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |',
    ...rows,
    '',
    `Statements per request and their EXPLAIN (ANALYZE) totals (one warm execution each, [${report.explainFolder}/](${report.explainFolder})):`,
    '',
    ...report.results.filter((r) => r.question.key !== 'floor').map(statementNote),
    ...(repeated.length ? ['', 'All runs (p50/p95):', '', ...repeated] : []),
    '',
  ].join('\n');
}

/** Inserts the run after the marker (creating the README with its introduction first). */
export function updateReadme(out: string, report: RunReport): string {
  const file = path.join(out, 'README.md');
  let readme = existsSync(file) ? readFileSync(file, 'utf8') : INTRO;
  if (!readme.includes(RUNS_MARKER)) readme = `${readme.trimEnd()}\n\n## Runs\n\n${RUNS_MARKER}\n`;
  const at = readme.indexOf(RUNS_MARKER) + RUNS_MARKER.length;
  readme = `${readme.slice(0, at)}\n\n${renderRun(report)}${readme.slice(at).replace(/^\n+/, '\n')}`;
  writeFileSync(file, readme);
  return file;
}
