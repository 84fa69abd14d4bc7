import type { Cache, CacheEntityRecord } from '@envelop/response-cache';
import type { ChainableCommander, Redis } from 'ioredis';
import { trackedEntities } from './entities.js';

/** Begins every key of the cache: it shares the Redis with rate limits and events. */
const KEY_PREFIX = 'response-cache:';

/** Runs a pipeline or transaction; any command's error fails the whole call. */
async function run(commands: ChainableCommander): Promise<unknown[]> {
  const replies = await commands.exec();
  if (!replies) throw new Error('Redis transaction was aborted');
  return replies.map(([error, reply]) => {
    if (error) throw error;
    return reply;
  });
}

/**
 * The response cache in the shared Redis (connectRedis; deployments sharing one Redis use
 * the client's keyPrefix): each answer under its key with its TTL, and per entity a set of
 * the answers that depend on it. Unlike @envelop/response-cache-redis, every key is
 * prefixed and expires (a link set lives as long as its longest-lived answer, instead of
 * growing for ever), only entities with an id are linked (no per-type sets holding every
 * answer), and invalidation never scans the keyspace (no KEYS).
 */
export function createRedisResponseStore(redis: Redis): Cache {
  const answerKey = (id: string) => `${KEY_PREFIX}answer:${id}`;
  const entityKey = ({ typename, id }: CacheEntityRecord) => `${KEY_PREFIX}entity:${typename}:${id}`;
  return {
    async get(id) {
      const json = await redis.get(answerKey(id));
      return json === null ? null : JSON.parse(json);
    },
    async set(id, result, entities, ttl) {
      // One transaction: an answer is never stored without the links that invalidate it.
      const transaction = redis.multi().set(answerKey(id), JSON.stringify(result), 'PX', ttl);
      for (const entity of trackedEntities(entities)) {
        const key = entityKey(entity);
        // Expiry set on a new set (NX) and only ever extended (GT): it outlives each answer in it.
        transaction.sadd(key, id).pexpire(key, ttl, 'NX').pexpire(key, ttl, 'GT');
      }
      await run(transaction);
    },
    async invalidate(entities) {
      const keys = [...new Set(trackedEntities(entities).map(entityKey))];
      if (keys.length === 0) return;
      const members = (await run(
        keys.reduce((pipeline, key) => pipeline.smembers(key), redis.pipeline()),
      )) as string[][];
      // SREM of the members read rather than DEL: an answer linked meanwhile keeps its link.
      const transaction = redis.multi();
      keys.forEach((key, index) => {
        const ids = members[index] ?? [];
        if (ids.length > 0) transaction.del(...ids.map(answerKey)).srem(key, ...ids);
      });
      await run(transaction);
    },
  };
}
