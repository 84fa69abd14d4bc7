import type { Plugin } from 'graphql-yoga';
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import type { ReadRouter } from '../db/replicas.js';
import { createLogger, type Logger, yogaLogger } from '../observability/logger.js';
import { requestObservability } from '../observability/request-observability.js';
import { tracing } from '../observability/tracing.js';
import { healthRoutes } from './health.js';
import { ServingState } from './shutdown.js';

export interface GatewayOperationsOptions {
  db: Database;
  /** Read replicas, reported by /ready. */
  readReplicas?: Pick<ReadRouter, 'checkReplicas'>;
  redis?: Redis;
  settings: Pick<Config, 'logLevel' | 'tracing'>;
  /** Default: a new logger at settings.logLevel. */
  logger?: Logger;
  /** Shared with main.ts's shutdown; default: a state of this gateway's own. */
  serving?: ServingState;
}

/**
 * The operational side of the gateway, placed first among yoga's plugins: request ids, logs
 * and metrics per request, `/health`, `/ready`, `/metrics`, and tracing when enabled. Also the
 * logger yoga writes its own lines (masked errors) to.
 */
export function gatewayOperations({
  db,
  readReplicas,
  redis,
  settings,
  logger = createLogger(settings.logLevel),
  serving = new ServingState(),
}: GatewayOperationsOptions): { plugins: Plugin[]; logging: ReturnType<typeof yogaLogger> } {
  return {
    logging: yogaLogger(logger),
    plugins: [
      requestObservability({ logger, serving }),
      healthRoutes({ db, readReplicas, redis, serving }),
      ...(settings.tracing.enabled ? [tracing(settings.tracing, logger, serving)] : []),
    ],
  };
}
