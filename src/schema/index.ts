import { graphqlSync } from 'graphql';
import { builder } from './builder.js';
import './scalars.js';
import './campaign.js';
import './snapshot.js';
import './snapshot-history.js';
import './series.js';
import './snapshot-ingest.js';
import './alerts.js';
import './comparison.js';
import './budget-burn.js';
import './forecast.js';
import './activity-heatmap.js';
import './year-over-year.js';
import './retention.js';
import './snapshots-due.js';
import './subscriptions.js';

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});

/**
 * One schema for every client and for a federation gateway: the contract's API plus the
 * subgraph fields (`_service { sdl }`, `_entities`). The federation plugin sorts it by name.
 */
export const schema = builder.toSubGraphSchema({ linkUrl: 'https://specs.apollo.dev/federation/v2.6' });

/** The federation SDL a gateway reads from `_service { sdl }` (`npm run schema` writes it to subgraph.graphql). */
export function subgraphSdl(): string {
  const result = graphqlSync({ schema, source: '{ _service { sdl } }' });
  const sdl = (result.data?._service as { sdl?: unknown } | undefined)?.sdl;
  if (typeof sdl !== 'string') throw new Error(`no subgraph SDL: ${JSON.stringify(result.errors)}`);
  return sdl;
}
