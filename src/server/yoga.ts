import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { type ExecutionResult, GraphQLError } from 'graphql';
import { createYoga, isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { Redis } from 'ioredis';
import { createAuthenticator } from '../auth/authenticate.js';
import { responseCache } from '../cache/response-cache.js';
import { type Config, loadConfig } from '../config.js';
import type { Database } from '../db/client.js';
import { readRouting } from '../db/read-routing.js';
import type { ReadRouter } from '../db/replicas.js';
import { createEventBus, type EventBus } from '../events/event-bus.js';
import { closeEventsOnDispose } from '../events/gateway-plugin.js';
import { createRequestLoaders } from '../loaders/request-loaders.js';
import type { Logger } from '../observability/logger.js';
import type { Context } from '../schema/builder.js';
import { schema } from '../schema/index.js';
import { compiledExecution } from './compiled-execution.js';
import { errorMasking } from './error-masking.js';
import { YOGA_BUILTIN_HEALTH_ENDPOINT } from './health.js';
import { gatewayLimits } from './limits/index.js';
import { gatewayOperations } from './operations.js';
import type { ServingState } from './shutdown.js';
import { webDashboard } from './web-dashboard.js';

export const EXAMPLE_QUERY = `# A campaign's latest numbers and its last week in daily buckets.
query CampaignOverview {
  campaigns(first: 3, status: [ACTIVE]) {
    totalCount
    edges {
      node {
        id
        name
        timeZone
        snapshotCadence
        latestSnapshot {
          snapshotDate
          volunteers { current target utilization }
          budget { allocated spent remaining utilization }
        }
        snapshots(granularity: DAY, last: 7) {
          edges {
            node {
              snapshotDate
              sampleCount
              sessions: value(metric: TOTAL_SESSIONS_COMPLETED, stat: DELTA)
              spent: value(metric: BUDGET_SPENT, stat: LAST)
            }
          }
        }
      }
    }
  }
}
`;

/**
 * The error with `code` added when it has none. A copy: graphql-jit's errors have read-only
 * extensions.
 */
function withCode<E extends Error>(error: E, code: string): E | GraphQLError {
  if (!(error instanceof GraphQLError) || error.extensions?.code) return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, code },
  });
}

interface ResultHookPayload<Result> {
  result: Result;
  setResult(result: Result): void;
}
const codeValidationErrors = ({ result, setResult }: ResultHookPayload<readonly Error[]>) => {
  if (result.length) setResult(result.map((error) => withCode(error, 'GRAPHQL_VALIDATION_FAILED')));
};
const codeRequestErrors = {
  onExecuteDone: ({ result, setResult }: ResultHookPayload<ExecutionResult | AsyncIterable<unknown>>) => {
    if (!isAsyncIterable(result) && result.errors && result.data === undefined) {
      setResult({ ...result, errors: result.errors.map((error) => withCode(error, 'BAD_USER_INPUT')) });
    }
  },
};

/**
 * graphql-js and graphql-jit report invalid documents and variables without a code; give them
 * the stable codes clients branch on: GRAPHQL_VALIDATION_FAILED for the document,
 * BAD_USER_INPUT for variables that cannot be coerced (execution stops before any field, so
 * there is no data). The hooks are made once, not per request.
 */
const stableErrorCodes: Plugin = {
  onValidate: () => codeValidationErrors,
  onExecute: () => codeRequestErrors,
};

/** The settings the HTTP app reads; defaults are loadConfig's for an empty environment. */
export type GatewaySettings = Pick<
  Config,
  'auth' | 'limits' | 'cacheEnabled' | 'production' | 'tracing' | 'logLevel'
>;

export interface GatewayOptions {
  /** The primary: writes, subscriptions, and reads when no replica may serve them. */
  db: Database;
  /**
   * Routes reads to streaming replicas (createReadRouter over DATABASE_REPLICA_URLS); absent:
   * every read on the primary. main.ts shares it with scheduled retention, so that retention's
   * writes count for read-your-writes and for the response cache like a mutation's.
   */
  readRouter?: ReadRouter;
  /** The built web dashboard served at `/` (default web/dist); false: GraphQL only. */
  webRoot?: string | false;
  settings?: Partial<GatewaySettings>;
  /** Shared Redis (connectRedis) for the response cache, rate limits and events; absent = in process. */
  redis?: Redis;
  /** Structured logs (default: a logger at settings.logLevel). */
  logger?: Logger;
  /** Readiness and request draining shared with main.ts's shutdown (default: the gateway's own). */
  serving?: ServingState;
  /** Live-update events (default: createEventBus over `redis`); the gateway closes them on dispose(). */
  events?: EventBus;
}

/** The HTTP app; tests call `yoga.fetch` on it, main.ts listens with it. */
export function createGateway({
  db,
  readRouter: reads,
  webRoot,
  settings: overrides,
  redis,
  events,
  logger,
  serving,
}: GatewayOptions) {
  const settings: GatewaySettings = { ...loadConfig({}), ...overrides };
  const operations = gatewayOperations({ db, readReplicas: reads, redis, settings, logger, serving });
  const eventBus =
    events ??
    createEventBus({
      redis,
      onError: logger && ((err) => logger.warn({ err }, 'live updates: event lost, Redis failed')),
    });
  const authenticate = createAuthenticator(settings.auth, { production: settings.production });
  /** Everything in the context bound to one database; requests start on the primary. */
  const databaseContext = (database: Database) => ({ db: database, loaders: createRequestLoaders(database) });
  return createYoga<Record<string, unknown>, Context>({
    schema,
    context: async ({ request }) => ({
      ...databaseContext(db),
      viewer: await authenticate(request),
      events: eventBus,
    }),
    graphiql: { defaultQuery: EXAMPLE_QUERY, title: 'Campaign metrics gateway' },
    // GraphiQL bundled in the package, not fetched from a CDN: works on offline machines.
    renderGraphiQL,
    landingPage: false,
    logging: operations.logging,
    // `/health` is ours (JSON, server/health.ts): yoga's empty built-in moves out of the way.
    healthCheckEndpoint: YOGA_BUILTIN_HEALTH_ENDPOINT,
    maskedErrors: errorMasking,
    // limits/body-size.ts enforces MAX_BODY_BYTES (with its own code); Yoga's fixed 25 MB cap would pre-empt it.
    maxRequestBodySize: false,
    plugins: [
      ...operations.plugins,
      stableErrorCodes,
      ...compiledExecution(),
      ...(webRoot === false ? [] : [webDashboard({ root: webRoot })]),
      ...gatewayLimits(settings.limits, redis),
      // Before the cache, so a cache hit reaches no database; after any plugin that replaces
      // the execute function outright (graphql-jit), which would drop its wrapper.
      ...(reads ? [readRouting({ router: reads, databaseContext })] : []),
      responseCache({ db, enabled: settings.cacheEnabled, redis }),
      closeEventsOnDispose(eventBus),
    ],
  });
}

export type Gateway = ReturnType<typeof createGateway>;
