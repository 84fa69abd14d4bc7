import type { Plugin } from 'graphql-yoga';
import type { Redis } from 'ioredis';
import type { LimitsConfig } from '../../config.js';
import { bodySizeLimit } from './body-size.js';
import { costLimit } from './cost-limit.js';
import { documentLimits } from './document-limits.js';
import { loadPersistedDocuments, persistedOperationsOnly } from './persisted-operations.js';
import { rateLimit } from './rate-limit.js';

/**
 * Every request limit, cheapest first: the rate limit before the body is read, the body size
 * while it is read, persisted-only before parsing, document shape at parse and validation,
 * cost just before execution. Each rejects with its own code and runs no resolver.
 */
export function gatewayLimits(limits: LimitsConfig, redis?: Redis): Plugin[] {
  return [
    ...rateLimit({ perMinute: limits.rateLimitPerMinute, redis }),
    bodySizeLimit(limits.maxBodyBytes),
    ...(limits.persistedOperationsOnly ? persistedOperationsOnly(loadPersistedDocuments()) : []),
    ...documentLimits(limits),
    costLimit(limits.maxCost),
  ];
}
