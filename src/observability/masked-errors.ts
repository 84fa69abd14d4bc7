import type { Logger, YogaLogLevel } from './logger.js';

/**
 * Unexpected errors reach callers masked (server/error-masking.ts); the original is logged in
 * full by the request's own logger when its result is processed (request-observability.ts),
 * which finds it here by the masked error the result carries. Keyed by object, so nothing
 * outlives the errors. Without this, yoga's single logger call would need the request from
 * AsyncLocalStorage, whose promise hooks cost every request about a tenth of its CPU.
 */
const originalByMasked = new WeakMap<object, unknown>();
const maskedOriginals = new WeakSet<object>();

/** Called by the masking function for every error it replaces. */
export function rememberMaskedError(masked: object, original: unknown): void {
  originalByMasked.set(masked, original);
  if (typeof original === 'object' && original !== null) maskedOriginals.add(original);
}

/** Whether yoga's own log call for this error can be skipped: its request logs it. */
export function isMaskedOriginal(error: unknown): boolean {
  return typeof error === 'object' && error !== null && maskedOriginals.has(error);
}

/** Logs the original behind each masked error of a result once, with `log()` (the request's logger). */
export function logMaskedErrors(log: () => Logger, errors: readonly object[] | undefined): void {
  for (const masked of errors ?? []) {
    if (!originalByMasked.has(masked)) continue;
    logUnexpectedError(log(), 'error', originalByMasked.get(masked));
    originalByMasked.delete(masked);
  }
}

/**
 * An unexpected error as one line: the error that was thrown (stack included) and the field
 * path when a GraphQLError located it.
 */
export function logUnexpectedError(log: Logger, level: YogaLogLevel, error: unknown): void {
  if (!(error instanceof Error)) {
    log[level]({ err: error }, String(error));
    return;
  }
  const { originalError, path } = error as Error & { originalError?: Error; path?: unknown };
  log[level]({ err: originalError ?? error, ...(path ? { path } : {}) }, error.message);
}
