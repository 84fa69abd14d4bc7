import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

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
}

export interface Summary {
  requests: number;
  p50: number;
  p95: number;
  p99: number;
  requestsPerSecond: number;
  errors: number;
}

/** Nearest-rank percentiles. */
export function summarize({ latencies, seconds, errors }: LoadResult): Summary {
  const sorted = Float64Array.from(latencies).sort();
  const rank = (q: number) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
  return {
    requests: sorted.length,
    p50: rank(0.5),
    p95: rank(0.95),
    p99: rank(0.99),
    requestsPerSecond: sorted.length / seconds,
    errors,
  };
}

const require = createRequire(import.meta.url);

/** Runs in the worker: CommonJS, no TypeScript. One phase; `start` continues the rotation. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const autocannon = require(workerData.autocannonPath);
const { url, bodies, headers, connections, seconds, start } = workerData;
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
    parentPort.postMessage(
      { latencies: measured, errors: errors + result.errors + result.timeouts, seconds: wall, next },
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
    worker.once('message', (message: LoadResult & { next: number; failure?: string }) => {
      void worker.terminate();
      if (message.failure) reject(new Error(`load worker: ${message.failure}`));
      else resolve(message);
    });
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

export async function sqlLoad<Argument>(options: SqlLoadOptions<Argument>): Promise<LoadResult> {
  const state = { next: 0 };
  if (options.warmupSeconds > 0) await sqlPhase(options, options.warmupSeconds, state);
  return sqlPhase(options, options.seconds, state);
}
