import { AsyncLocalStorage } from 'node:async_hooks';
import { type DestinationStream, type Logger, pino } from 'pino';
import type { Config } from '../config.js';
import { isMaskedOriginal, logUnexpectedError } from './masked-errors.js';

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

/**
 * Runs `handle` with `scope` as the current request for everything it awaits. Costly: while a
 * scope is on, Node 20 runs a hook for every promise, so the gateway turns it on only at debug
 * level, for yoga's own debug lines.
 */
export function runInRequestScope<Result>(scope: RequestScope, handle: () => Result): Result {
  return requestScope.run(scope, handle);
}

/** The current request's logger (its lines carry requestId), else `fallback`. */
function requestLogger(fallback: Logger): Logger {
  return requestScope.getStore()?.log ?? fallback;
}

/** The levels yoga writes at (also what an unexpected error may be logged at). */
export type YogaLogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * yoga's `logging` option: yoga's own lines go through the logger of the request they belong
 * to when a request scope is on (debug level), else through `logger`. The unexpected errors yoga
 * masks are skipped here: the request's plugin logs them with its id (masked-errors.ts).
 */
export function yogaLogger(logger: Logger): Record<YogaLogLevel, (...args: unknown[]) => void> {
  const forward =
    (level: YogaLogLevel) =>
    (first: unknown, ...rest: unknown[]) => {
      if (first instanceof Error) {
        if (!isMaskedOriginal(first)) logUnexpectedError(requestLogger(logger), level, first);
      } else if (logger.isLevelEnabled(level)) {
        requestLogger(logger)[level]([first, ...rest].map(String).join(' '));
      }
    };
  return { debug: forward('debug'), info: forward('info'), warn: forward('warn'), error: forward('error') };
}
