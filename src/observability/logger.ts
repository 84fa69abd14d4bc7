import { AsyncLocalStorage } from 'node:async_hooks';
import { type DestinationStream, type Logger, pino } from 'pino';
import type { Config } from '../config.js';

export type { Logger } from 'pino';

/**
 * Structured JSON lines with ISO timestamps, on stdout unless a destination is given. Written
 * synchronously: lines keep their order and none is lost when shutdown ends in process.exit.
 */
export function createLogger(
  level: Config['logLevel'],
  destination: DestinationStream = pino.destination({ dest: 1, sync: true }),
): Logger {
  return pino(
    {
      level,
      base: { service: 'campaign-metrics-gateway', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

export interface RequestScope {
  requestId: string;
  /** The gateway logger bound to this request's id. */
  log: Logger;
}

const requestScope = new AsyncLocalStorage<RequestScope>();

/** Runs `handle` with `scope` as the current request for everything it awaits. */
export function runInRequestScope<Result>(scope: RequestScope, handle: () => Result): Result {
  return requestScope.run(scope, handle);
}

/** The request being handled in this async context, if any. */
export function currentRequestScope(): RequestScope | undefined {
  return requestScope.getStore();
}

/** The current request's logger (its lines carry requestId), else `fallback`. */
export function requestLogger(fallback: Logger): Logger {
  return requestScope.getStore()?.log ?? fallback;
}

type YogaLogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * yoga's `logging` option: yoga's own lines, including the unexpected errors it masks, go
 * through the logger of the request they belong to. A masked GraphQLError is logged with the
 * error that was thrown (stack included) and the field path.
 */
export function yogaLogger(logger: Logger): Record<YogaLogLevel, (...args: unknown[]) => void> {
  const forward =
    (level: YogaLogLevel) =>
    (first: unknown, ...rest: unknown[]) => {
      const log = requestLogger(logger);
      if (first instanceof Error) {
        const { originalError, path } = first as Error & { originalError?: Error; path?: unknown };
        log[level]({ err: originalError ?? first, ...(path ? { path } : {}) }, first.message);
      } else {
        log[level]([first, ...rest].map(String).join(' '));
      }
    };
  return { debug: forward('debug'), info: forward('info'), warn: forward('warn'), error: forward('error') };
}
