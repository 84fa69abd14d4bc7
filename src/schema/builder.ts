import SchemaBuilder from '@pothos/core';
import ComplexityPlugin from '@pothos/plugin-complexity';
import DataloaderPlugin from '@pothos/plugin-dataloader';
import DirectivesPlugin from '@pothos/plugin-directives';
import DrizzlePlugin from '@pothos/plugin-drizzle';
import FederationPlugin from '@pothos/plugin-federation';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { getTableConfig } from 'drizzle-orm/pg-core';
import { type AuthScopes, roleForbidden, viewerScopes } from '../auth/scopes.js';
import type { Viewer } from '../auth/viewer.js';
import type { Database } from '../db/client.js';
import { relations } from '../db/relations.js';
import type { EventBus } from '../events/event-bus.js';
import type { RequestLoaders } from '../loaders/request-loaders.js';

export interface Context {
  db: Database;
  /** Per-request batching across campaigns (latest snapshots, snapshot buckets). */
  loaders: RequestLoaders;
  /** The authenticated caller; every read and write is scoped to its tenants. */
  viewer: Viewer;
  /** Live updates: writes publish recorded snapshots, subscriptions read them. */
  events: EventBus;
}

/**
 * The builder and its plugins; no types here (one file per domain type). Campaign is the
 * only Node, and the contract makes its id the plain UUID, so global ids are not encoded.
 * Federation (with the directives plugin it prints `@key` through) comes last, after every
 * plugin that wraps resolvers: the schema is also an Apollo Federation v2 subgraph.
 */
export const builder = new SchemaBuilder<{
  Context: Context;
  AuthScopes: AuthScopes;
  DrizzleRelations: typeof relations;
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    Decimal: { Input: string; Output: string };
    TimeZone: { Input: string; Output: string };
    JSONObject: { Input: Record<string, unknown>; Output: Record<string, unknown> };
  };
}>({
  plugins: [
    ScopeAuthPlugin,
    RelayPlugin,
    ComplexityPlugin,
    DataloaderPlugin,
    DrizzlePlugin,
    DirectivesPlugin,
    FederationPlugin,
  ],
  // Field costs only (connections by page size, see pagination.ts); the gateway enforces
  // MAX_COST per request before execution (src/server/limits/cost-limit.ts).
  complexity: { defaultComplexity: 1, defaultListMultiplier: 10 },
  defaultFieldNullability: false,
  // Roles per field (`authScopes: { role: 'ingest' }`); authentication itself happens before
  // execution (src/auth/authenticate.ts), so every field runs for a verified viewer.
  scopeAuth: {
    authScopes: (ctx) => viewerScopes(ctx.viewer),
    unauthorizedError: (_parent, ctx, info) => roleForbidden(ctx.viewer, info.fieldName),
  },
  drizzle: {
    client: (ctx) => ctx.db,
    relations,
    getTableConfig,
    maxConnectionSize: 1000,
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    // campaign.ts defines `node` itself, scoped to the caller's tenants.
    nodeQueryOptions: false,
    nodesQueryOptions: false,
    // The connection field multiplies by its page size already.
    edgesFieldOptions: { nullable: false, complexity: { field: 1, multiplier: 1 } },
    nodeFieldOptions: { nullable: false },
    encodeGlobalID: (_typename, id) => String(id),
    decodeGlobalID: (globalID) => ({ typename: 'Campaign', id: globalID }),
  },
});
