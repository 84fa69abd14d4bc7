import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Sql } from 'postgres';
import type { BenchWindow, Question } from './common.js';
import type { Summary } from './harness.js';
import { checkSnapshotScans, describePlanCheck, type PlanCheck } from './plans.js';

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

export type Side = 'gateway' | 'sql' | 'postgraphile';

export const SIDE_NAMES: Record<Side, string> = {
  gateway: 'gateway',
  sql: 'SQL',
  postgraphile: 'PostGraphile',
};

export interface Check {
  /** differs: PostGraphile cannot give the same answer (the reason is the detail). */
  verdict: 'OK' | 'MISMATCH' | 'n/a' | 'differs';
  detail?: string;
  requests: number;
}

/** One side of one question: the kept run (lower p95 when repeated), its statements and plans. */
export interface SideResult {
  summary: Summary;
  runs: Summary[];
  /** Distinct statements of the checked requests, and statements per request. */
  statements: Captured[];
  statementsPerRequest: number;
  explain: Explained[];
  plans: PlanCheck | null;
}

export interface QuestionResult {
  question: Question;
  /** The SQL answer against the gateway's. */
  check: Check;
  /** PostGraphile's answer against the SQL's; its `n/a` detail says why it has no side. */
  postgraphileCheck: Check;
  sides: Partial<Record<Side, SideResult>>;
}

export interface Machine {
  cores: number;
  cpu: string;
  memoryGb: number;
  postgres: string;
  node: string;
  loadAverage: number[];
}

/** One database measured: a size of the run. */
export interface SizeReport {
  /** The --scale name (1.5m, 15m), or the database name without --scale. */
  label: string;
  database: string;
  /** Relative to the README. */
  explainFolder: string;
  data: {
    campaigns: number;
    snapshots: number;
    oldest: Date;
    newest: Date;
    rotating: number;
    pages: number;
    partitions: number;
    window: BenchWindow;
  };
  results: QuestionResult[];
}

export interface RunReport {
  date: Date;
  tag: string | null;
  /** The commit measured. */
  code: string;
  command: string;
  machine: Machine;
  /** Node version of PostGraphile's process (null: not run). */
  postgraphileNode: string | null;
  settings: { seconds: number; warmup: number; connections: number; repeat: number; pool: number };
  sizes: SizeReport[];
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

/**
 * EXPLAIN (ANALYZE, BUFFERS) of each statement with the parameters it was sent with, the
 * second of two executions: the first warms the pages it reads, so no side's figures depend
 * on whether another side's EXPLAIN read the same pages just before.
 */
export async function explainStatements(sql: Sql, statements: readonly Captured[]): Promise<Explained[]> {
  const explained: Explained[] = [];
  for (const captured of statements) {
    let plan: string;
    try {
      const explain = () =>
        sql.unsafe(`EXPLAIN (ANALYZE, BUFFERS) ${captured.statement}`, captured.params as never[], {
          prepare: false,
        });
      await explain();
      const rows = await explain();
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
  side: Side,
  explained: readonly Explained[],
): string {
  const file = path.join(folder, `${question.key}.${side}.txt`);
  const who = {
    gateway: 'the gateway sent',
    sql: 'the hand-written SQL sends',
    postgraphile: 'PostGraphile sent',
  }[side];
  const parts = [
    `# ${question.label}: the ${explained.length} distinct statement(s) ${who} for one request`,
    '# EXPLAIN (ANALYZE, BUFFERS) with the captured parameters after the load, the second of two executions (warm pages).',
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

const f = (value: number) => (Number.isNaN(value) ? 'n/a' : value < 10 ? value.toFixed(2) : value.toFixed(1));

const perSecond = (value: number) => (value < 10 ? value.toFixed(1) : value.toFixed(0));

/** A ratio against its goal: at most `goal` (lowerIsBetter) or at least `goal`. */
function ratioCell(ratio: number, goal: number, lowerIsBetter: boolean, reference: boolean): string {
  if (!Number.isFinite(ratio)) return '-';
  const shown = `${ratio.toFixed(2)}x`;
  if (reference) return shown;
  const met = lowerIsBetter ? ratio <= goal : ratio >= goal;
  return met ? `${shown} ok` : `**${shown}**`;
}

function latencies(side: SideResult | undefined): string {
  if (!side) return '- | - | - | -';
  if (side.summary.requests === 0) return 'no answer within the run | - | - | 0';
  return `${f(side.summary.p50)} | ${f(side.summary.p95)} | ${f(side.summary.p99)} | ${perSecond(side.summary.requestsPerSecond)}`;
}

function checkCell(check: Check): string {
  if (check.verdict === 'differs') return 'differs';
  return check.verdict;
}

function questionRow(r: QuestionResult): string {
  const { gateway, sql, postgraphile } = r.sides;
  const reference = r.question.key === 'floor';
  const p50Ratio = gateway && sql ? gateway.summary.p50 / sql.summary.p50 : Number.NaN;
  const throughputRatio =
    gateway && postgraphile
      ? gateway.summary.requestsPerSecond / postgraphile.summary.requestsPerSecond
      : Number.NaN;
  // not the same answer: the ratio is shown for reference only, in parentheses
  const throughputCell =
    r.postgraphileCheck.verdict === 'differs' && Number.isFinite(throughputRatio)
      ? `(${throughputRatio.toFixed(2)}x)`
      : ratioCell(throughputRatio, 1.5, false, reference);
  const errors = Object.values(r.sides).reduce((total, side) => total + (side?.summary.errors ?? 0), 0);
  return `| ${r.question.key} | ${latencies(gateway)} | ${latencies(sql)} | ${latencies(postgraphile)} | ${ratioCell(p50Ratio, 1.5, true, reference)} | ${throughputCell} | ${checkCell(r.check)} | ${checkCell(r.postgraphileCheck)}${errors ? `, **${errors} errors**` : ''} |`;
}

/** "2.10 (main thread 1.44, 50%) + PostgreSQL 2.70": a side's CPU ms per answer, its main thread's and how busy that was, and its backends'. */
function cpuCell(result: SideResult | undefined): string {
  const { cpuMsPerRequest: all, mainThreadMsPerRequest: main, mainThreadBusy: busy } = result?.summary ?? {};
  const postgres = result?.summary.postgresMsPerRequest;
  const own =
    all == null || main == null || busy == null
      ? '-'
      : `${f(all)} (main thread ${f(main)}, ${(busy * 100).toFixed(0)}%)`;
  return postgres == null ? own : `${own} + PostgreSQL ${f(postgres)}`;
}

const cpuRow = ({ question, sides }: QuestionResult) =>
  `| ${question.key} | ${cpuCell(sides.gateway)} | ${cpuCell(sides.sql)} | ${cpuCell(sides.postgraphile)} |`;

function sideNote(side: Side, result: SideResult): string {
  const execution = sum(result.explain.map((e) => e.executionMs));
  const planning = sum(result.explain.map((e) => e.planningMs));
  const hit = result.explain.reduce((total, e) => total + e.sharedHit, 0);
  const read = result.explain.reduce((total, e) => total + e.sharedRead, 0);
  const plans = result.plans ? `; plans: ${describePlanCheck(result.plans)}` : '';
  const perRequest = Number.isInteger(result.statementsPerRequest)
    ? String(result.statementsPerRequest)
    : result.statementsPerRequest.toFixed(1);
  return `${SIDE_NAMES[side]} ${perRequest} statement(s), execution ${f(execution)} ms + planning ${f(planning)} ms, ${hit} buffers hit${read ? `, ${read} read` : ''}${plans}`;
}

function statementNote(r: QuestionResult): string {
  const sides = (['gateway', 'sql', 'postgraphile'] as const)
    .map((side) => {
      const result = r.sides[side];
      return result ? sideNote(side, result) : null;
    })
    .filter((note) => note !== null);
  const checks = `check: SQL vs gateway ${r.check.verdict}${r.check.detail ? ` (${r.check.detail})` : ''}, PostGraphile ${r.postgraphileCheck.verdict}${r.postgraphileCheck.detail ? ` (${r.postgraphileCheck.detail})` : ''}`;
  return `- **${r.question.key}**: ${sides.join('; ')}. ${checks}.`;
}

/** Every side's plans of a question pass the snapshot-scan check. */
const plansPass = (r: QuestionResult) => Object.values(r.sides).every((side) => side?.plans?.ok !== false);

function renderSize(size: SizeReport, settings: RunReport['settings']): string[] {
  const { data } = size;
  const failing = size.results.filter((r) => !plansPass(r)).map((r) => r.question.key);
  return [
    `#### ${size.label}: ${data.campaigns.toLocaleString('en-US')} campaigns, ${data.snapshots.toLocaleString('en-US')} snapshots (database ${size.database})`,
    '',
    `- data: snapshots ${data.oldest.toISOString().slice(0, 10)} .. ${data.newest.toISOString().slice(0, 16)}Z${data.partitions ? ` in ${data.partitions} partitions` : ' (one table)'}; ranges end ${data.window.end.toISOString().slice(0, 10)}, weeks ${data.window.weeks.from.toISOString().slice(0, 10)} .. ${data.window.weeks.to.toISOString().slice(0, 10)} in ${data.window.weeks.zone}, year over year ${data.window.year} vs ${data.window.year - 1}; ${data.rotating.toLocaleString('en-US')} campaigns and ${data.pages} pages rotate`,
    `- plan check (every snapshot scan an index scan bounded by the range asked): ${failing.length ? `**fails for ${failing.join(', ')}** (see below)` : 'passes for every question and side'}`,
    '',
    '| question | gateway p50 | p95 | p99 | req/s | SQL p50 | p95 | p99 | req/s | PostGraphile p50 | p95 | p99 | req/s | gateway/SQL p50 | gateway/PostGraphile req/s | SQL check | PostGraphile check |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |',
    ...size.results.map(questionRow),
    '',
    // What the p50 ratios come from: this machine's cores run PostgreSQL and the servers alike.
    "CPU ms per answer during the measured load, from /proc: the side's own process (the gateway's or PostGraphile's threads, or the SQL side's postgres.js client; not the load generator's thread), its main thread's part and how busy that thread was, plus the PostgreSQL backends serving the side:",
    '',
    '| question | gateway | SQL client | PostGraphile |',
    '| --- | ---: | ---: | ---: |',
    ...size.results.map(cpuRow),
    '',
    `Statements per request, their EXPLAIN (ANALYZE) totals (the second of two executions each, [${size.explainFolder}/](${size.explainFolder})) and the plan check:`,
    '',
    ...size.results.filter((r) => r.question.key !== 'floor').map(statementNote),
    ...(settings.repeat > 1
      ? [
          '',
          'All runs (p50/p95):',
          '',
          ...size.results.map(
            (r) =>
              `- ${r.question.key}: ${(['gateway', 'sql', 'postgraphile'] as const)
                .filter((side) => r.sides[side])
                .map(
                  (side) =>
                    `${SIDE_NAMES[side]} ${(r.sides[side]?.runs ?? []).map((s) => `${f(s.p50)}/${f(s.p95)}`).join(', ')}`,
                )
                .join('; ')}`,
          ),
        ]
      : []),
    '',
  ];
}

/** Gateway (and the others') p50 at the largest size over the smallest. */
function renderGrowth(small: SizeReport, large: SizeReport): string[] {
  const rows = large.results.map((r) => {
    const before = small.results.find((s) => s.question.key === r.question.key);
    const cell = (side: Side, goal: boolean) => {
      const a = before?.sides[side]?.summary.p50;
      const b = r.sides[side]?.summary.p50;
      if (a === undefined || b === undefined) return '- | - | -';
      return `${f(a)} | ${f(b)} | ${ratioCell(b / a, 2, true, !goal || r.question.key === 'floor')}`;
    };
    return `| ${r.question.key} | ${cell('gateway', true)} | ${cell('sql', false)} | ${cell('postgraphile', false)} |`;
  });
  return [
    `#### Growth: ${large.label} against ${small.label} (p50, ms; goal: the gateway's at most 2x)`,
    '',
    `| question | gateway ${small.label} | ${large.label} | ratio | SQL ${small.label} | ${large.label} | ratio | PostGraphile ${small.label} | ${large.label} | ratio |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
  ];
}

function renderUnsupported(report: RunReport): string[] {
  const reasons = new Map<string, string>();
  for (const size of report.sizes)
    for (const r of size.results)
      if (
        r.question.key !== 'floor' &&
        (r.postgraphileCheck.verdict === 'n/a' || r.postgraphileCheck.verdict === 'differs')
      )
        if (r.postgraphileCheck.detail)
          reasons.set(r.question.key, `${r.postgraphileCheck.verdict}: ${r.postgraphileCheck.detail}`);
  if (reasons.size === 0) return [];
  return [
    'PostGraphile where it does not answer the same question (no req/s goal; where it answers a nearby question its ratio is in parentheses):',
    '',
    ...[...reasons].map(([key, reason]) => `- ${key}: ${reason}`),
    '',
  ];
}

export function renderRun(report: RunReport): string {
  const { machine, settings } = report;
  const load = machine.loadAverage.map((v) => v.toFixed(2)).join(' / ');
  const sizes = report.sizes.map(
    (size) => `${size.label}: ${size.data.snapshots.toLocaleString('en-US')} snapshots`,
  );
  const [smallest, largest] = [report.sizes[0], report.sizes.at(-1)];
  return [
    `### ${report.date.toISOString().slice(0, 16).replace('T', ' ')} UTC: ${sizes.join(', ')}${report.tag ? ` (${report.tag})` : ''}`,
    '',
    `- command: \`${report.command}\` at \`${report.code}\``,
    `- machine: ${machine.cores} cores (${machine.cpu}), ${machine.memoryGb.toFixed(0)} GB RAM, ${machine.postgres}; gateway and SQL on Node ${machine.node}, PostGraphile ${report.postgraphileNode ? `on Node ${report.postgraphileNode}` : 'not run'}; load average at start ${load} (1/5/15 min)`,
    `- load: ${settings.connections} ${settings.connections === 1 ? 'connection' : 'connections'}, ${settings.warmup} s warm-up + ${settings.seconds} s per side and question, pool ${settings.pool} each side${settings.repeat > 1 ? `; each side measured ${settings.repeat} times, the run with the lower p95 kept` : ''}`,
    '',
    "Latencies in ms. Goals: gateway p50 at most 1.5x the SQL's; gateway req/s at least 1.5x PostGraphile's where both give the same answer.",
    '',
    ...report.sizes.flatMap((size) => renderSize(size, settings)),
    ...(smallest && largest && smallest !== largest ? renderGrowth(smallest, largest) : []),
    ...renderUnsupported(report),
  ].join('\n');
}

/** Inserts the run after the marker (starting a README when there is none). */
export function updateReadme(out: string, report: RunReport): string {
  const file = path.join(out, 'README.md');
  let readme = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n\nSee the repository README.\n';
  if (!readme.includes(RUNS_MARKER)) readme = `${readme.trimEnd()}\n\n## Runs\n\n${RUNS_MARKER}\n`;
  const at = readme.indexOf(RUNS_MARKER) + RUNS_MARKER.length;
  readme = `${readme.slice(0, at)}\n\n${renderRun(report)}${readme.slice(at).replace(/^\n+/, '\n')}`;
  writeFileSync(file, readme);
  return file;
}

/** EXPLAINs a side's captured statements and checks their snapshot scans. */
export async function explainSide(sql: Sql, side: SideResult): Promise<void> {
  side.explain = await explainStatements(sql, side.statements);
  side.plans = checkSnapshotScans(side.explain.map((e) => e.plan));
}
