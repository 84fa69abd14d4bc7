import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { GraphQLError } from 'graphql';
import { createYoga, isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { Redis } from 'ioredis';
import { OPEN_MODE_VIEWER } from '../auth/viewer.js';
import { type Config, loadConfig } from '../config.js';
import type { Database } from '../db/client.js';
import { createRequestLoaders } from '../loaders/request-loaders.js';
import type { Context } from '../schema/builder.js';
import { schema } from '../schema/index.js';
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

/** Adds `code` to errors graphql-js reports without one. */
function withCode<E extends Error>(errors: readonly E[], code: string): E[] {
  for (const error of errors) {
    if (error instanceof GraphQLError && !error.extensions.code) {
      (error as { extensions: Record<string, unknown> }).extensions = { ...error.extensions, code };
    }
  }
  return [...errors];
}

/**
 * graphql-js reports invalid documents and variables without a code; give them the stable
 * codes clients branch on: GRAPHQL_VALIDATION_FAILED for the document, BAD_USER_INPUT for
 * variables that cannot be coerced (execution stops before any field, so there is no data).
 */
const stableErrorCodes: Plugin = {
  onValidate:
    () =>
    ({ result, setResult }) => {
      if (result.length) setResult(withCode(result, 'GRAPHQL_VALIDATION_FAILED'));
    },
  onExecute: () => ({
    onExecuteDone: ({ result }) => {
      if (!isAsyncIterable(result) && result.errors && result.data === undefined) {
        withCode(result.errors, 'BAD_USER_INPUT');
      }
    },
  }),
};

/** The settings the HTTP app reads; defaults are loadConfig's for an empty environment. */
export type GatewaySettings = Pick<
  Config,
  'auth' | 'limits' | 'cacheEnabled' | 'production' | 'tracing' | 'logLevel'
>;

export interface GatewayOptions {
  db: Database;
  /** The built web dashboard served at `/` (default web/dist); false: GraphQL only. */
  webRoot?: string | false;
  settings?: Partial<GatewaySettings>;
  /** Shared Redis (connectRedis) for the response cache, rate limits and events; absent = in process. */
  redis?: Redis;
}

/** The HTTP app; tests call `yoga.fetch` on it, main.ts listens with it. */
export function createGateway({ db, webRoot, settings: overrides, redis }: GatewayOptions) {
  const settings: GatewaySettings = { ...loadConfig({}), ...overrides };
  return createYoga<Record<string, unknown>, Context>({
    schema,
    context: () => ({ db, loaders: createRequestLoaders(db), viewer: OPEN_MODE_VIEWER }),
    graphiql: { defaultQuery: EXAMPLE_QUERY, title: 'Campaign metrics gateway' },
    // GraphiQL bundled in the package, not fetched from a CDN: works on offline machines.
    renderGraphiQL,
    landingPage: false,
    plugins: [stableErrorCodes, ...(webRoot === false ? [] : [webDashboard({ root: webRoot })])],
  });
}

export type Gateway = ReturnType<typeof createGateway>;
