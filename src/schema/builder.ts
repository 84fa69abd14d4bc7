import SchemaBuilder from '@pothos/core';
import DataloaderPlugin from '@pothos/plugin-dataloader';
import DirectivesPlugin from '@pothos/plugin-directives';
import DrizzlePlugin from '@pothos/plugin-drizzle';
import FederationPlugin from '@pothos/plugin-federation';
import RelayPlugin from '@pothos/plugin-relay';
import { getTableConfig } from 'drizzle-orm/pg-core';
import type { Viewer } from '../auth/viewer.js';
import type { Database } from '../db/client.js';
import { relations } from '../db/relations.js';
import type { RequestLoaders } from '../loaders/request-loaders.js';

export interface Context {
  db: Database;
  /** Per-request batching across campaigns (latest snapshots, snapshot buckets). */
  loaders: RequestLoaders;
  /** The authenticated caller; every read and write is scoped to its tenants. */
  viewer: Viewer;
}

/**
 * The builder and its plugins; no types here (one file per domain type). Campaign is the
 * only Node, and the contract makes its id the plain UUID, so global ids are not encoded.
 * Federation (with the directives plugin it prints `@key` through) comes last, after every
 * plugin that wraps resolvers: the schema is also an Apollo Federation v2 subgraph.
 */
export const builder = new SchemaBuilder<{
  Context: Context;
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
  plugins: [RelayPlugin, DataloaderPlugin, DrizzlePlugin, DirectivesPlugin, FederationPlugin],
  defaultFieldNullability: false,
  drizzle: {
    client: (ctx) => ctx.db,
    relations,
    getTableConfig,
    maxConnectionSize: 1000,
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    nodesQueryOptions: false,
    edgesFieldOptions: { nullable: false },
    nodeFieldOptions: { nullable: false },
    encodeGlobalID: (_typename, id) => String(id),
    decodeGlobalID: (globalID) => ({ typename: 'Campaign', id: globalID }),
  },
});
