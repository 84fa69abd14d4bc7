import { Redis } from 'ioredis';

/**
 * A Redis client for the gateway's shared state (response cache, rate limits, readiness).
 * Commands fail fast while Redis is down instead of queueing, so a request never waits on a
 * dead Redis: callers fall back (serve uncached) and readiness reports it. It reconnects in
 * the background. Subscribers need their own connection: `connection.duplicate()`.
 */
export function connectRedis(url: string): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  // Without a listener ioredis reports every failed reconnect as an unhandled error event.
  redis.on('error', () => {});
  return redis;
}

/** Whether Redis answers now (readiness, metrics). */
export async function redisIsUp(redis: Redis): Promise<boolean> {
  if (redis.status !== 'ready') return false;
  try {
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  }
}
