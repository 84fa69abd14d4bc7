import {
  createInMemoryCache,
  defaultGetDocumentString,
  useResponseCache as envelopResponseCache,
} from '@envelop/response-cache';
import type { ExecutionArgs } from 'graphql';
import type { Plugin, YogaInitialContext, YogaLogger } from 'graphql-yoga';
import type { Redis } from 'ioredis';
import type { Database } from '../db/client.js';
import { answerSeesEveryWrite } from '../db/read-routing.js';
import { redisUp, responseCacheSkipped } from '../observability/metrics.js';
import type { Context } from '../schema/builder.js';
import { type CampaignChange, changedEntities } from './entities.js';
import { type GuardedStore, guardStore } from './guarded-store.js';
import { type OperationPolicy, operationPolicy } from './operation-policy.js';
import { createRedisResponseStore } from './redis-store.js';
import { cacheScope } from './scope.js';
import { DEFAULT_TTL_MS, ttlPerSchemaCoordinate } from './ttl.js';

export interface ResponseCacheOptions {
  /** The database the cached answers are read from; writes to it invalidate them. */
  db: Database;
  /** CACHE_ENABLED. Off: nothing is looked up or stored; writes still invalidate a shared Redis. */
  enabled: boolean;
  /** Shared Redis (connectRedis): one cache for every instance. Absent: this process's memory. */
  redis?: Redis;
}

/** Answers an in-memory cache keeps at most, least recently used dropped first. */
const MEMORY_MAX_ANSWERS = 1000;

/** The caches over each database, for `invalidateCachedCampaigns`. */
const storesByDatabase = new WeakMap<Database, Set<GuardedStore>>();

/**
 * After a write to `db` committed: drops every cached answer that read these campaigns, in
 * every gateway's cache over that database, before resolving (a client reading right after
 * its write sees it). Never throws: an invalidation the store cannot take now is retried
 * before that store answers again. Write resolvers call it, and so does whatever writes
 * outside a request (the retention schedule).
 */
export async function invalidateCachedCampaigns(
  db: Database,
  campaignIds: Iterable<string>,
  change: CampaignChange,
): Promise<void> {
  const stores = storesByDatabase.get(db);
  const ids = [...campaignIds];
  if (!stores || ids.length === 0) return;
  const entities = changedEntities(ids, change);
  await Promise.all([...stores].map((store) => store.invalidate(entities)));
}

/** Lookups and writes of answers whose policy was never worked out (no execution seen). */
const UNCACHEABLE: OperationPolicy = { entities: [], ttl: 0 };

/**
 * The response cache (@envelop/response-cache; yoga's wrapper of it looks answers up before
 * the request context, and so the authenticated viewer, exists). Answers are keyed by
 * document, variables and the caller's tenant scope (scope.ts), live as long as their
 * shortest field allows (ttl.ts) and are linked to the campaigns they read (entities.ts).
 * Mutations, subscriptions and answers with errors are never stored, nor answers from a
 * replica that had not replayed every write of this gateway (src/db/read-routing.ts).
 */
export function responseCache({ db, enabled, redis }: ResponseCacheOptions): Plugin<Context> {
  let logger: YogaLogger | undefined;
  const store = guardStore(
    redis ? createRedisResponseStore(redis) : createInMemoryCache({ max: MEMORY_MAX_ANSWERS }),
    {
      onHealthChange: (up, error) => {
        if (!redis) return;
        redisUp.set(up ? 1 : 0);
        if (up) logger?.info('response cache: Redis answers again');
        else logger?.warn(`response cache: Redis failed, serving uncached (${String(error)})`);
      },
    },
  );
  const stores = storesByDatabase.get(db) ?? new Set();
  storesByDatabase.set(db, stores.add(store));
  // Invalidations that failed while Redis was down go out as soon as it is back.
  const flushOnReconnect = () => void store.flushPending();
  redis?.on('ready', flushOnReconnect);

  const executions = new WeakMap<object, { args: ExecutionArgs; policy?: OperationPolicy }>();
  const policyOf = (context: object): OperationPolicy => {
    const execution = executions.get(context);
    if (!execution) return UNCACHEABLE;
    // Worked out on a miss only, when the answer is about to be stored.
    execution.policy ??= operationPolicy(execution.args, Date.now());
    return execution.policy;
  };

  return {
    onYogaInit({ yoga }) {
      logger = yoga.logger;
    },
    onPluginInit({ addPlugin }) {
      addPlugin(
        envelopResponseCache<YogaInitialContext & Context>({
          enabled: () => enabled,
          session: (context) => cacheScope(context.viewer),
          // Yoga keeps the request's source text; printing the parsed document is the fallback.
          getDocumentString: (args) =>
            (args.contextValue as YogaInitialContext).params?.query ?? defaultGetDocumentString(args),
          cache: (context) => ({
            get: (key) => store.get(key),
            set: async (key, result, entities, ttl) => {
              if (answerSeesEveryWrite(context)) {
                return store.set(key, result, [...entities, ...policyOf(context).entities], ttl);
              }
              // Read on a replica behind a write this gateway made (maybe after that write's
              // invalidation): returned, not kept, or every caller of the scope would get it.
              responseCacheSkipped.inc({ reason: 'replica_behind' });
            },
            invalidate: (entities) => store.invalidate(entities),
          }),
          // No global TTL: it would cap every answer. Answers that no rule covers get the default.
          ttlPerSchemaCoordinate,
          onTtl: ({ ttl, context }) => {
            const shortest = Math.min(ttl, policyOf(context).ttl);
            return Number.isFinite(shortest) ? shortest : DEFAULT_TTL_MS;
          },
          shouldCacheResult: ({ result }) => !result.errors?.length,
          includeExtensionMetadata: false,
        }),
      );
    },
    onExecute({ args }) {
      // Read only when an answer is stored.
      if (enabled) executions.set(args.contextValue, { args });
    },
    onDispose() {
      stores.delete(store);
      redis?.off('ready', flushOnReconnect);
    },
  };
}
