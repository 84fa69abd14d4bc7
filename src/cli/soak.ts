import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { httpLoad, type LoadResult, summarize } from '../../bench/harness.js';
import { parseOptions, UsageError } from './command-line.js';
import { startGatewayProcess } from './gateway-process.js';

const USAGE = `usage: npm run soak -- [--seconds 60] [--connections 8] [--write-every 10]
Starts the gateway as its own process (the embedded database with demo data in a temporary
directory, or DATABASE_URL when set), then keeps the dashboard documents and recordSnapshots
writes in flight for --seconds, sampling the server's resident memory every --sample seconds.
Prints errors, p50/p95/p99, requests/s, RSS per sample and the response cache hit ratio.`;

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface SoakArgs {
  seconds: number;
  connections: number;
  writeEvery: number;
  sample: number;
}

function positiveInteger(raw: string | undefined, name: string, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new UsageError(`--${name} must be an integer from 1 to ${max}, got "${raw}"`);
  }
  return value;
}

function parseSoakArgs(argv: readonly string[]): SoakArgs | 'help' {
  const values = parseOptions(argv, {
    seconds: { type: 'string' },
    connections: { type: 'string' },
    'write-every': { type: 'string' },
    sample: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return 'help';
  return {
    seconds: positiveInteger(values.seconds, 'seconds', 60, 3600),
    connections: positiveInteger(values.connections, 'connections', 8, 256),
    writeEvery: positiveInteger(values['write-every'], 'write-every', 10, 1000),
    sample: positiveInteger(values.sample, 'sample', 10, 600),
  };
}

async function graphql(url: string, query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
  if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data as Record<string, unknown>;
}

/** Every dashboard document with variables for the demo campaigns, and numbered writes. */
async function requestBodies(url: string, writeEvery: number): Promise<string[]> {
  const page = (
    await graphql(url, '{ campaigns(first: 12) { edges { node { id latestSnapshot { snapshotDate } } } } }')
  ).campaigns as { edges: { node: { id: string; latestSnapshot: { snapshotDate: string } | null } }[] };
  const campaigns = page.edges.map((edge) => edge.node).filter((node) => node.latestSnapshot);
  if (campaigns.length < 5) throw new Error('the soak needs at least 5 campaigns with snapshots');
  const ids = campaigns.map((campaign) => campaign.id);
  const to = new Date(campaigns[0]?.latestSnapshot?.snapshotDate ?? Date.now());
  const from = new Date(to.getTime() - 30 * 86_400_000);
  const folder = path.join(repoRoot, 'documents');
  const reads = readdirSync(folder)
    .filter((name) => name.endsWith('.graphql') && !/live|subscription/i.test(name))
    .flatMap((name) => {
      const query = readFileSync(path.join(folder, name), 'utf8');
      if (/^\s*subscription\b/m.test(query)) return [];
      return ids.map((id, index) =>
        JSON.stringify({
          query,
          variables: {
            id,
            ids: ids.slice(index % 3, (index % 3) + 5),
            cohort: ids.slice(0, 5),
            from: from.toISOString(),
            to: to.toISOString(),
            target: 1000,
            year: to.getUTCFullYear(),
            first: 5,
          },
        }),
      );
    });
  const writer = (
    await graphql(url, 'mutation { upsertCampaign(input: { name: "Soak writer", status: ACTIVE }) { id } }')
  ).upsertCampaign as { id: string };
  const record = 'mutation Record($input: [SnapshotInput!]!) { recordSnapshots(input: $input) { recorded } }';
  const bodies: string[] = [];
  reads.forEach((read, index) => {
    bodies.push(read);
    if (index % writeEvery === writeEvery - 1) {
      const at = new Date(to.getTime() - index * 60_000).toISOString();
      const snapshot = {
        campaignId: writer.id,
        snapshotDate: at,
        volunteers: { target: 50, current: index % 60 },
        beneficiaries: { target: 100, current: 40 },
        sessions: { target: 40, current: 12 },
        budget: { allocated: '1000.00', spent: `${(index % 900) + 10}.25` },
      };
      bodies.push(JSON.stringify({ query: record, variables: { input: [snapshot] } }));
    }
  });
  return bodies;
}

/** The response cache's hit ratio from /metrics, when the gateway exposes it. */
async function cacheHitRatio(base: string): Promise<string> {
  const response = await fetch(`${base}/metrics`);
  if (!response.ok) return 'not exposed';
  const text = await response.text();
  const count = (result: string) =>
    Number(
      new RegExp(`^gateway_response_cache_lookups_total\\{result="${result}"\\} (\\S+)$`, 'm').exec(
        text,
      )?.[1] ?? 0,
    );
  const hits = count('hit');
  const lookups = hits + count('miss') + count('error');
  return lookups ? `${((100 * hits) / lookups).toFixed(1)} % of ${lookups} lookups` : 'no lookups';
}

async function main(): Promise<number> {
  const args = parseSoakArgs(process.argv.slice(2));
  if (args === 'help') {
    console.log(USAGE);
    return 0;
  }
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cmg-soak-'));
  const server = await startGatewayProcess({ DATA_DIR: dataDir }).catch((error: unknown) => {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  });
  const url = server.url;
  const base = new URL(url).origin;
  try {
    const bodies = await requestBodies(url, args.writeEvery);
    const rss = [server.residentMiB()];
    const phases: LoadResult[] = [];
    let start = 0;
    for (let elapsed = 0; elapsed < args.seconds; elapsed += args.sample) {
      const phase = await httpLoad({
        url,
        bodies,
        connections: args.connections,
        seconds: Math.min(args.sample, args.seconds - elapsed),
        start,
      });
      start = phase.next;
      phases.push(phase);
      rss.push(server.residentMiB());
    }
    const total = summarize({
      latencies: Float64Array.from(phases.flatMap((phase) => [...phase.latencies])),
      seconds: phases.reduce((sum, phase) => sum + phase.seconds, 0),
      errors: phases.reduce((sum, phase) => sum + phase.errors, 0),
    });
    const writes = bodies.filter((body) => body.includes('recordSnapshots')).length;
    console.log(
      `soak: ${args.seconds} s, ${args.connections} connections, ${bodies.length} bodies in rotation (${writes} writes)`,
    );
    console.log(
      `requests ${total.requests}, errors ${total.errors}, p50 ${total.p50.toFixed(1)} ms, p95 ${total.p95.toFixed(1)} ms, ` +
        `p99 ${total.p99.toFixed(1)} ms, ${total.requestsPerSecond.toFixed(0)} req/s`,
    );
    console.log(`server RSS MiB every ${args.sample} s: ${rss.map((value) => value.toFixed(0)).join(' → ')}`);
    console.log(`response cache: ${await cacheHitRatio(base)}`);
    return total.errors === 0 ? 0 : 1;
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof UsageError ? `${error.message}\n${USAGE}` : error);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
