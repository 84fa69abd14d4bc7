import { sql } from 'drizzle-orm';
import type { Plugin } from 'graphql-yoga';
import type { Redis } from 'ioredis';
import type { Database } from '../db/client.js';
import type { ReadRouter } from '../db/replicas.js';
import { metricsRegistry, redisUp } from '../observability/metrics.js';
import { redisIsUp } from '../redis/connection.js';
import type { ServingState } from './shutdown.js';

/**
 * yoga answers an empty 200 on any path ending in its health endpoint, ahead of every plugin;
 * createGateway moves it here so `/health` is ours (JSON).
 */
export const YOGA_BUILTIN_HEALTH_ENDPOINT = '/_yoga/health';

/** A database that does not answer `select 1` within this long counts as down. */
const DATABASE_CHECK_TIMEOUT_MS = 2_000;

export interface HealthRoutesOptions {
  db: Database;
  /** Read replicas: one that is down degrades readiness (reads fall back to the primary) but does not fail it. */
  readReplicas?: Pick<ReadRouter, 'checkReplicas'>;
  redis?: Redis;
  serving: ServingState;
}

type DependencyStatus = 'up' | 'down' | 'degraded';

interface Readiness {
  ready: boolean;
  body: Record<string, unknown>;
}

function json(fetchAPI: { Response: typeof Response }, status: number, body: unknown): Response {
  return new fetchAPI.Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  });
}

async function databaseAnswers(db: Database): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      db.execute(sql`select 1`).then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(resolve, DATABASE_CHECK_TIMEOUT_MS, false);
      }),
    ]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

async function checkRedis(redis: Redis): Promise<DependencyStatus> {
  const up = await redisIsUp(redis);
  redisUp.set(up ? 1 : 0);
  return up ? 'up' : 'down';
}

async function readiness({ db, readReplicas, redis, serving }: HealthRoutesOptions): Promise<Readiness> {
  if (serving.shuttingDown) return { ready: false, body: { status: 'shutting_down' } };
  const [database, redisStatus, replicas] = await Promise.all([
    databaseAnswers(db).then((up): DependencyStatus => (up ? 'up' : 'down')),
    redis ? checkRedis(redis) : undefined,
    readReplicas?.checkReplicas(),
  ]);
  const replicasStatus: DependencyStatus | undefined =
    replicas && (Object.values(replicas).includes('down') ? 'degraded' : 'up');
  const checks: Record<string, DependencyStatus> = {
    database,
    ...(redisStatus ? { redis: redisStatus } : {}),
    ...(replicasStatus ? { replicas: replicasStatus } : {}),
  };
  const down = Object.keys(checks).filter((name) => checks[name] === 'down');
  const details = replicas ? { replicas } : {};
  return down.length
    ? { ready: false, body: { status: 'unavailable', down, checks, ...details } }
    : { ready: true, body: { status: 'ready', checks, ...details } };
}

/**
 * Operations endpoints (GET or HEAD): `/health` liveness (the process answers), `/ready`
 * readiness (database answers `select 1`, Redis answers when configured, not shutting down;
 * else 503 naming what is down), `/metrics` Prometheus text (Redis is checked on each scrape so
 * gateway_redis_up is current).
 */
export function healthRoutes(options: HealthRoutesOptions): Plugin {
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (request.method !== 'GET' && request.method !== 'HEAD') return;
      switch (url.pathname) {
        case '/health':
          endResponse(json(fetchAPI, 200, { status: 'ok', uptimeSeconds: Math.round(process.uptime()) }));
          return;
        case '/ready': {
          const { ready, body } = await readiness(options);
          endResponse(json(fetchAPI, ready ? 200 : 503, body));
          return;
        }
        case '/metrics': {
          if (options.redis) await checkRedis(options.redis);
          endResponse(
            new fetchAPI.Response(await metricsRegistry.metrics(), {
              headers: { 'content-type': metricsRegistry.contentType, 'cache-control': 'no-store' },
            }),
          );
          return;
        }
      }
    },
  };
}
