import { createHash } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { limitError } from './limit-error.js';

export interface RateLimitOptions {
  /** GraphQL requests per minute per caller; 0 = no limit. */
  perMinute: number;
  /** Shared counters across gateway instances; absent = counters in this process. */
  redis?: Redis;
}

/** The HTTP server's request (node:http), when Yoga runs behind one. */
interface NodeServerContext {
  req?: { socket?: { remoteAddress?: string } };
}

/**
 * Who is counted: the bearer token itself (hashed, so no token is ever stored in Redis or
 * memory), else the client address. It reads the Authorization header directly, so it does
 * not depend on the token being valid: a flood of bad tokens is limited too. Forwarded-for
 * headers are not trusted (any client can set them).
 */
function rateLimitKey(authorization: string | null, remoteAddress: string | undefined): string {
  const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
  if (token) return `token:${createHash('sha256').update(token).digest('hex')}`;
  return `address:${remoteAddress ?? 'unknown'}`;
}

/**
 * Per-caller rate limit on GraphQL requests: 429 RATE_LIMITED with Retry-After, before the
 * body is even parsed. Counters live in Redis when the gateway has one, shared by every
 * instance; while Redis is down they fall back to this process's memory (the insurance
 * limiter) instead of failing or blocking requests.
 */
export function rateLimit({ perMinute, redis }: RateLimitOptions): Plugin[] {
  if (perMinute === 0) return [];
  const window = { points: perMinute, duration: 60, keyPrefix: 'cmg:rate' };
  const memory = new RateLimiterMemory(window);
  const limiter = redis
    ? new RateLimiterRedis({
        ...window,
        storeClient: redis,
        insuranceLimiter: memory,
        // A disconnected client answers from memory at once instead of waiting to reconnect.
        rejectIfRedisNotReady: true,
      })
    : memory;
  return [
    {
      async onRequestParse({ request, serverContext }) {
        const address = (serverContext as NodeServerContext | undefined)?.req?.socket?.remoteAddress;
        const key = rateLimitKey(request.headers.get('authorization'), address);
        try {
          await limiter.consume(key);
        } catch (rejection) {
          // Anything but a verdict (no store answered at all) lets the request through.
          if (!(rejection instanceof RateLimiterRes)) return;
          const retryAfter = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
          throw limitError(
            'RATE_LIMITED',
            `Rate limit of ${perMinute} requests per minute exceeded; retry in ${retryAfter} s.`,
            { status: 429, headers: { 'Retry-After': String(retryAfter) } },
          );
        }
      },
    },
  ];
}
