import type { Server } from 'node:http';
import type { Logger } from '../observability/logger.js';

/**
 * What readiness, the request plugin and shutdown share: whether the process is draining,
 * and how many requests are being handled (including the database work they wait for).
 */
export class ServingState {
  #shuttingDown = false;
  #inFlight = 0;
  #onIdle: (() => void)[] = [];

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  requestStarted(): void {
    this.#inFlight += 1;
  }

  requestFinished(): void {
    this.#inFlight -= 1;
    if (this.#inFlight === 0) for (const resolve of this.#onIdle.splice(0)) resolve();
  }

  beginShutdown(): void {
    this.#shuttingDown = true;
  }

  /** Resolves once no request is being handled. */
  idle(): Promise<void> {
    return this.#inFlight === 0 ? Promise.resolve() : new Promise((resolve) => this.#onIdle.push(resolve));
  }
}

export interface ShutdownStep {
  name: string;
  run(): Promise<unknown>;
}

export interface ShutdownOptions {
  server: Server;
  serving: ServingState;
  /** Budget for draining requests and running the steps. */
  timeoutMs: number;
  logger: Logger;
  /** Run in order once requests have drained (or the budget ran out), e.g. stop jobs, close pools. */
  steps: ShutdownStep[];
}

export interface ShutdownResult {
  /** Everything finished within the budget; false when work had to be cut off. */
  clean: boolean;
}

const TIMED_OUT = Symbol('timed out');
/** Even past the budget each step gets this long, so pools still close in order. */
const STEP_GRACE_MS = 1_000;

/**
 * Graceful shutdown: readiness turns 503, the server stops accepting connections (idle
 * keep-alive ones close; responses from now on carry `Connection: close`), requests in flight
 * finish, including the writes they wait for, then the steps run. All of it within
 * `timeoutMs`: past it, remaining connections are cut and each step still gets a short grace,
 * so the pools close and a cut-off transaction rolls back rather than committing half.
 */
export async function shutDown({
  server,
  serving,
  timeoutMs,
  logger,
  steps,
}: ShutdownOptions): Promise<ShutdownResult> {
  const deadline = Date.now() + timeoutMs;
  let timer: NodeJS.Timeout | undefined;
  const withinBudget = <T>(work: Promise<T>, minimumMs = 0) =>
    Promise.race([
      work,
      new Promise<typeof TIMED_OUT>((resolve) => {
        timer = setTimeout(resolve, Math.max(minimumMs, deadline - Date.now()), TIMED_OUT);
      }),
    ]).finally(() => clearTimeout(timer));

  serving.beginShutdown();
  logger.info({ inFlight: serving.inFlight, timeoutMs }, 'shutting down: draining requests');
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  let clean = (await withinBudget(Promise.all([closed, serving.idle()]))) !== TIMED_OUT;
  if (!clean) {
    logger.warn({ inFlight: serving.inFlight }, 'shutdown budget spent: closing the remaining connections');
    server.closeAllConnections();
  }
  for (const step of steps) {
    try {
      if ((await withinBudget(step.run(), STEP_GRACE_MS)) === TIMED_OUT) {
        clean = false;
        logger.warn(`shutdown: ${step.name} did not finish within the budget`);
      }
    } catch (error) {
      clean = false;
      logger.error({ err: error }, `shutdown: ${step.name} failed`);
    }
  }
  logger.info({ clean }, 'shut down');
  return { clean };
}
