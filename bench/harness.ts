import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { type CpuUse, statTicks, ticksToMs, withCpu } from './thread-cpu.js';

/**
 * The two load harnesses. Both keep `connections` requests in flight for a bounded time,
 * rotating the same request list, and record every request's latency (ms, float):
 * - HTTP: autocannon in a worker thread (its own event loop, so the load generator does not
 *   queue behind the server it measures), against the in-process gateway or PostGraphile on
 *   localhost;
 * - SQL: a plain loop per connection through postgres.js, timing each question's statements.
 * The caller runs a discarded warm-up phase first (the SQL harness does it itself).
 */

export interface LoadResult {
  /** Latencies of successful requests, ms. */
  latencies: Float64Array;
  /** Wall time of the measured phase, s. */
  seconds: number;
  /** Non-2xx responses, GraphQL errors, socket errors, SQL errors. */
  errors: number;
  /** CPU the measured server used during the phase (thread-cpu.ts), when taken. */
  cpu?: CpuUse | null;
  /** CPU ms of the HTTP load generator's own thread (null where /proc is not there). */
  loadThreadCpuMs?: number | null;
  /** CPU ms of the PostgreSQL backends serving the measured side (null: not on this machine). */
  postgresMs?: number | null;
}

export interface Summary {
  requests: number;
  p50: number;
  p95: number;
  p99: number;
  requestsPerSecond: number;
  errors: number;
  /** The server's CPU ms per answer (all its threads), its main thread's, and how busy that thread was. */
  cpuMsPerRequest: number | null;
  mainThreadMsPerRequest: number | null;
  mainThreadBusy: number | null;
  /** PostgreSQL's CPU ms per answer (its backends serving the side). */
  postgresMsPerRequest: number | null;
}

/** Nearest-rank percentiles. */
export function summarize({ latencies, seconds, errors, cpu, postgresMs }: LoadResult): Summary {
  const sorted = Float64Array.from(latencies).sort();
  const rank = (q: number) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
  return {
    requests: sorted.length,
    p50: rank(0.5),
    p95: rank(0.95),
    p99: rank(0.99),
    requestsPerSecond: sorted.length / seconds,
    errors,
    cpuMsPerRequest: cpu && sorted.length ? cpu.processMs / sorted.length : null,
    mainThreadMsPerRequest: cpu && sorted.length ? cpu.mainThreadMs / sorted.length : null,
    mainThreadBusy: cpu ? cpu.mainThreadMs / (seconds * 1000) : null,
    postgresMsPerRequest: postgresMs != null && sorted.length ? postgresMs / sorted.length : null,
  };
}

const require = createRequire(import.meta.url);

/** Runs in the worker: CommonJS, no TypeScript. One phase; `start` continues the rotation. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const autocannon = require(workerData.autocannonPath);
const { url, bodies, headers, connections, seconds, start } = workerData;
const statTicks = ${statTicks.toString()};
// this thread's CPU, so the server's process (when it is this one) is charged without it
const ownTicks = () => { try { return statTicks(require('node:fs').readFileSync('/proc/thread-self/stat', 'utf8')); } catch { return null; } };
const ticksAtStart = ownTicks();
let next = start;
const latencies = [];
let errors = 0;
const started = process.hrtime.bigint();
const instance = autocannon(
  {
    url,
    connections,
    duration: seconds,
    // a slow answer is a latency, not an error
    timeout: 300,
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    requests: [
      {
        setupRequest: (request) => {
          const index = next++ % bodies.length;
          request.body = bodies[index];
          if (headers && headers[index]) request.headers = { ...request.headers, ...headers[index] };
          return request;
        },
      },
    ],
    // a GraphQL error comes with status 200: count it as an error, not as a latency
    verifyBody: (body) => !body.includes('"errors"'),
  },
  (error, result) => {
    if (error) {
      parentPort.postMessage({ failure: String((error && error.stack) || error) });
      return;
    }
    const wall = Number(process.hrtime.bigint() - started) / 1e9;
    const measured = Float64Array.from(latencies);
    const ticksAtEnd = ownTicks();
    const loadThreadTicks = ticksAtStart === null || ticksAtEnd === null ? null : ticksAtEnd - ticksAtStart;
    parentPort.postMessage(
      { latencies: measured, errors: errors + result.errors + result.timeouts, seconds: wall, next, loadThreadTicks },
      [measured.buffer],
    );
  },
);
instance.on('response', (_client, statusCode, _bytes, responseTime) => {
  if (statusCode === 200) latencies.push(responseTime);
  else errors++;
});
instance.on('reqMismatch', () => {
  errors++;
  latencies.pop();
});
`;

export interface HttpLoadOptions {
  url: string;
  /** Request bodies, sent in rotation (one per campaign or page, or one). */
  bodies: readonly string[];
  /** Extra headers of each body (same positions), when some need them. */
  headers?: readonly (Record<string, string> | undefined)[];
  connections: number;
  seconds: number;
  /** Position in `bodies` to start from. */
  start: number;
}

/** One phase of HTTP load; `next` is where the rotation stopped. */
export function httpLoad(options: HttpLoadOptions): Promise<LoadResult & { next: number }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { ...options, autocannonPath: require.resolve('autocannon') },
      // the worker is plain JavaScript: no TypeScript loader
      execArgv: [],
    });
    worker.once(
      'message',
      (message: LoadResult & { next: number; loadThreadTicks: number | null; failure?: string }) => {
        void worker.terminate();
        if (message.failure) reject(new Error(`load worker: ${message.failure}`));
        else {
          const { loadThreadTicks, ...result } = message;
          resolve({
            ...result,
            loadThreadCpuMs: loadThreadTicks === null ? null : ticksToMs(loadThreadTicks),
          });
        }
      },
    );
    worker.once('error', reject);
  });
}

export interface SqlLoadOptions<Argument> {
  run: (argument: Argument) => Promise<unknown>;
  /** Arguments in rotation (campaign ids, or one). */
  arguments: readonly Argument[];
  connections: number;
  warmupSeconds: number;
  seconds: number;
  /** Wraps the measured phase (not the warm-up): to read PostgreSQL's CPU around it. */
  aroundMeasured?: (phase: () => Promise<LoadResult>) => Promise<LoadResult>;
}

async function sqlPhase<Argument>(
  { run, arguments: args, connections }: SqlLoadOptions<Argument>,
  seconds: number,
  state: { next: number },
): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < deadline) {
        const argument = args[state.next++ % args.length] as Argument;
        const before = performance.now();
        try {
          await run(argument);
          latencies.push(performance.now() - before);
        } catch {
          errors++;
        }
      }
    }),
  );
  return {
    latencies: Float64Array.from(latencies),
    errors,
    seconds: (performance.now() - started) / 1000,
  };
}

/** The SQL load; the measured phase also takes this process's main-thread CPU (the client's). */
export async function sqlLoad<Argument>(options: SqlLoadOptions<Argument>): Promise<LoadResult> {
  const state = { next: 0 };
  if (options.warmupSeconds > 0) await sqlPhase(options, options.warmupSeconds, state);
  const measured = () => withCpu(process.pid, () => sqlPhase(options, options.seconds, state));
  return options.aroundMeasured ? options.aroundMeasured(measured) : measured();
}
