import type { Cache, CacheEntityRecord } from '@envelop/response-cache';
import type { ExecutionResult } from 'graphql';
import { responseCacheLookups } from '../observability/metrics.js';
import { trackedEntities } from './entities.js';

export interface GuardedStoreOptions {
  /** A store call taking longer fails: a stalled Redis must not stall requests. */
  timeoutMs?: number;
  /** The store started failing (with the first error) or answers again: once per change. */
  onHealthChange?: (up: boolean, error?: unknown) => void;
}

export interface GuardedStore extends Cache {
  get(key: string): Promise<ExecutionResult | null>;
  set(...args: Parameters<Cache['set']>): Promise<void>;
  invalidate(entities: Iterable<CacheEntityRecord>): Promise<void>;
  /** Retries invalidations that failed; true when none is left. */
  flushPending(): Promise<boolean>;
}

const entityKey = ({ typename, id }: CacheEntityRecord) => `${typename}:${id}`;

function withTimeout<T>(work: PromiseLike<T> | T, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`response cache store did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([Promise.resolve(work), timeout]).finally(() => clearTimeout(timer));
}

/**
 * The store as the gateway uses it: a failing or slow store (Redis down) never fails a
 * request. A lookup that fails is a miss, a failed write is dropped, and both count as
 * `error` in gateway_response_cache_lookups_total beside hit and miss. An invalidation that
 * fails is kept and retried before the next lookup (and by `flushPending`, e.g. when Redis is
 * back); until it succeeds lookups miss, so an answer from before the write is never served.
 */
export function guardStore(
  store: Cache,
  { timeoutMs = 500, onHealthChange }: GuardedStoreOptions = {},
): GuardedStore {
  /** Invalidations that failed, with a version so a retry only clears what it really sent. */
  const failed = new Map<string, { entity: CacheEntityRecord; version: number }>();
  let version = 0;
  let up: boolean | undefined;
  const health = (now: boolean, error?: unknown) => {
    if (now !== up) onHealthChange?.(now, error);
    up = now;
  };

  async function invalidate(entities: CacheEntityRecord[]): Promise<boolean> {
    try {
      await withTimeout(store.invalidate(entities), timeoutMs);
    } catch (error) {
      health(false, error);
      return false;
    }
    health(true);
    return true;
  }

  async function flushPending(): Promise<boolean> {
    if (failed.size === 0) return true;
    const batch = [...failed.entries()];
    if (!(await invalidate(batch.map(([, { entity }]) => entity)))) return false;
    // One that failed again meanwhile is for a later write: it stays.
    for (const [key, sent] of batch) {
      if (failed.get(key)?.version === sent.version) failed.delete(key);
    }
    return true;
  }

  return {
    async get(key) {
      try {
        if (!(await flushPending())) throw new Error('invalidations of earlier writes are still pending');
        const cached = await withTimeout(store.get(key), timeoutMs);
        health(true);
        responseCacheLookups.inc({ result: cached ? 'hit' : 'miss' });
        return cached ?? null;
      } catch (error) {
        health(false, error);
        responseCacheLookups.inc({ result: 'error' });
        return null;
      }
    },
    async set(key, result, entities, ttl) {
      try {
        await withTimeout(store.set(key, result, trackedEntities(entities), ttl), timeoutMs);
        health(true);
      } catch (error) {
        health(false, error);
        responseCacheLookups.inc({ result: 'error' });
      }
    },
    async invalidate(entities) {
      const tracked = trackedEntities(entities);
      if (tracked.length === 0 || (await invalidate(tracked))) return;
      version += 1;
      for (const entity of tracked) failed.set(entityKey(entity), { entity, version });
    },
    flushPending,
  };
}
