/**
 * A small typed client a web app can copy: `fetch` plus the typed documents of
 * client/generated/ (`npm run codegen`). The result and variable types come from the
 * document, so `overview.latestSnapshot?.budget.utilization` is a number to the compiler.
 *
 *   npx tsx client/example.ts <campaign-id> [http://localhost:4000/graphql]
 */

import { pathToFileURL } from 'node:url';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { CapacityGaugeDocument, type CapacityGaugeQuery } from './generated/graphql.js';

export interface GraphQLErrorBody {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; field?: string; index?: number } & Record<string, unknown>;
}

/** The gateway answered with errors; `errors[i].extensions.code` says what kind. */
export class GraphQLRequestError extends Error {
  constructor(readonly errors: readonly GraphQLErrorBody[]) {
    super(errors.map((error) => error.message).join('; '));
    this.name = 'GraphQLRequestError';
  }
}

export interface RequestOptions {
  /** The gateway's GraphQL endpoint. */
  endpoint: string | URL;
  /** Another fetch (a test's `yoga.fetch`, one with auth headers); the global one by default. */
  fetch?: (url: string, init: RequestInit) => Promise<Response> | Response;
  headers?: Record<string, string>;
}

/** POSTs one typed document; resolves with its typed data or rejects with its errors. */
export async function request<Result, Variables>(
  document: TypedDocumentNode<Result, Variables>,
  variables: Variables,
  { endpoint, fetch: fetchImpl = fetch, headers = {} }: RequestOptions,
): Promise<Result> {
  const response = await fetchImpl(String(endpoint), {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify({ query: print(document), variables }),
  });
  const body = (await response.json()) as { data?: Result | null; errors?: GraphQLErrorBody[] };
  if (body.errors?.length) throw new GraphQLRequestError(body.errors);
  if (!body.data) throw new Error(`HTTP ${response.status} without data`);
  return body.data;
}

export type CampaignOverview = NonNullable<CapacityGaugeQuery['campaign']>;

/**
 * The overview of one campaign (documents/02-capacity-gauge.graphql): its latest numbers and
 * its capacity alerts at `threshold` (0.8 by default). Null when there is no such campaign.
 */
export async function fetchCampaignOverview(
  id: string,
  options: RequestOptions & { threshold?: number },
): Promise<CampaignOverview | null> {
  const { threshold, ...requestOptions } = options;
  const data = await request(CapacityGaugeDocument, { id, threshold }, requestOptions);
  return data.campaign;
}

/** Typed all the way: a line per resource, then the alerts. */
export function formatOverview(overview: CampaignOverview): string {
  const latest = overview.latestSnapshot;
  if (!latest) return `${overview.name}: no snapshot yet`;
  const percent = (ratio: number) => `${(ratio * 100).toFixed(1)} %`;
  return [
    `${overview.name} (${latest.snapshotDate})`,
    `  volunteers    ${latest.volunteers.current}/${latest.volunteers.target} ${percent(latest.volunteers.utilization)}`,
    `  beneficiaries ${latest.beneficiaries.current}/${latest.beneficiaries.target} ${percent(latest.beneficiaries.utilization)}`,
    `  sessions      ${latest.sessions.current}/${latest.sessions.target} ${percent(latest.sessions.utilization)}`,
    `  budget        ${percent(latest.budget.utilization)}`,
    ...overview.capacityAlerts.map((alert) => `  ${alert.severity} ${alert.message}`),
  ].join('\n');
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  const [id, endpoint = 'http://localhost:4000/graphql'] = process.argv.slice(2);
  if (!id) {
    console.error('usage: npx tsx client/example.ts <campaign-id> [endpoint]');
    process.exit(2);
  }
  const overview = await fetchCampaignOverview(id, { endpoint });
  console.log(overview ? formatOverview(overview) : `no campaign ${id}`);
}
