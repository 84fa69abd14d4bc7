import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGatewayRuntime, type GatewayRuntime } from '@graphql-hive/gateway-runtime';
import {
  type CompositionSuccess,
  composeServices,
  compositionHasErrors,
} from '@theguild/federation-composition';
import { buildSchema, isObjectType, Kind, parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subgraphSdl } from '../src/schema/index.js';
import { createEvidenceSubgraph, type EvidenceSnippet } from './fixtures/evidence-subgraph.js';
import { RECORD_SNAPSHOTS, snapshotInput, UPSERT_CAMPAIGN } from './fixtures/snapshot-inputs.js';
import { createTestDatabase, executeOk, type TestDatabase } from './helpers/test-database.js';

/**
 * This gateway as an Apollo Federation v2 subgraph: composed with a small evidence subgraph
 * (test/fixtures/evidence-subgraph.ts) by @theguild/federation-composition, served by a real
 * Hive Gateway over both on localhost ports.
 */

let db: TestDatabase;
let servers: Server[] = [];
let router: GatewayRuntime;
let composed: CompositionSuccess;
let campaignIds: string[];
let campaignNames: string[];

/** The campaign whose snapshots and evidence the supergraph query reads. */
const SNAPSHOTS = [
  { at: '2026-03-01T00:00:00.000Z', volunteers: [12, 40], spent: '100.00' },
  { at: '2026-03-02T00:00:00.000Z', volunteers: [15, 40], spent: '180.50' },
  { at: '2026-03-03T06:00:00.000Z', volunteers: [21, 40], spent: '260.25' },
] as const;

function evidenceFixtures(ids: readonly string[]): EvidenceSnippet[] {
  const [first] = ids;
  if (!first) throw new Error('no campaigns');
  const snippet = (campaignId: string, n: number, score: number, quote: string): EvidenceSnippet => ({
    id: `ev-${campaignId.slice(0, 8)}-${n}`,
    campaignId,
    quote,
    url: `https://evidence.example/explorer/${campaignId}/snippets/${n}`,
    score,
  });
  return [
    snippet(first, 1, 0.42, 'Volunteers said the Tuesday sessions were the easiest to join.'),
    snippet(first, 2, 0.91, 'Eight of ten learners found work within six months.'),
    snippet(first, 3, 0.15, 'The venue changed twice in March.'),
    snippet(first, 4, 0.77, 'Mentors logged more hours after the buddy scheme started.'),
    // one snippet for each of the other campaigns, for recentEvidence
    ...ids.slice(1).map((id, i) => snippet(id, 1, 0.5, `Campaign ${i + 2} in the local paper.`)),
  ];
}

async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
}

/** What a schema registry or `rover`/`hive` would do: read each subgraph's `_service { sdl }`. */
async function fetchSdl(url: string): Promise<string> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ _service { sdl } }' }),
  });
  const body = (await response.json()) as { data?: { _service: { sdl: string } } };
  if (!body.data) throw new Error(`no _service from ${url}: ${JSON.stringify(body)}`);
  return body.data._service.sdl;
}

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response shapes
async function querySupergraph(query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const response = await router.fetch('http://supergraph.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: unknown; errors?: unknown[] };
  if (body.errors?.length) throw new Error(`supergraph errors: ${JSON.stringify(body.errors, null, 2)}`);
  return body.data;
}

beforeAll(async () => {
  db = await createTestDatabase();
  campaignNames = Array.from({ length: 20 }, (_, i) => `Federated ${String(i + 1).padStart(2, '0')}`);
  campaignIds = [];
  for (const name of campaignNames) {
    const data = await executeOk(db.gateway, UPSERT_CAMPAIGN, { input: { name, status: 'ACTIVE' } });
    campaignIds.push(data.upsertCampaign.id);
  }
  await executeOk(db.gateway, RECORD_SNAPSHOTS, {
    input: SNAPSHOTS.map(({ at, volunteers, spent }) =>
      snapshotInput(campaignIds[0] as string, { at, volunteers: [...volunteers], spent }),
    ),
  });

  const metricsUrl = await listen(db.gateway);
  const evidenceUrl = await listen(createEvidenceSubgraph(evidenceFixtures(campaignIds)));
  const result = composeServices([
    { name: 'metrics', url: metricsUrl, typeDefs: parse(await fetchSdl(metricsUrl)) },
    { name: 'evidence', url: evidenceUrl, typeDefs: parse(await fetchSdl(evidenceUrl)) },
  ]);
  if (compositionHasErrors(result)) {
    throw new Error(`composition failed:\n${result.errors.map((error) => error.message).join('\n')}`);
  }
  composed = result;
  router = createGatewayRuntime({
    supergraph: composed.supergraphSdl,
    logging: false,
    // a subgraph's or the planner's message in a failure, not "Unexpected error."
    maskedErrors: false,
  });
}, 120_000);

afterAll(async () => {
  await router?.dispose();
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  servers = [];
  await db?.close();
});

describe('the subgraph', () => {
  it('subgraph.graphql is what the code serves as _service.sdl (run `npm run schema`)', () => {
    expect(readFileSync(new URL('../subgraph.graphql', import.meta.url), 'utf8')).toBe(`${subgraphSdl()}\n`);
  });

  it('declares Campaign as an entity keyed by id, under a Federation v2 @link', () => {
    const document = parse(subgraphSdl());
    const campaign = document.definitions.find(
      (definition) => definition.kind === Kind.OBJECT_TYPE_DEFINITION && definition.name.value === 'Campaign',
    );
    const keys =
      campaign && 'directives' in campaign
        ? (campaign.directives ?? [])
            .filter((directive) => directive.name.value === 'key')
            .map((directive) => directive.arguments?.map((argument) => argument.value))
        : [];
    expect(keys).toEqual([[{ kind: Kind.STRING, value: 'id', block: false, loc: expect.anything() }]]);
    expect(subgraphSdl()).toMatch(/@link\(url: "https:\/\/specs\.apollo\.dev\/federation\/v2\.\d+"/);
  });

  it('resolves 20 references (and null for unknown or malformed ids) with one statement', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    const representations = [...campaignIds, unknown, 'not-a-uuid'].map((id) => ({
      __typename: 'Campaign',
      id,
    }));
    db.statements.length = 0;
    const data = await executeOk(
      db.gateway,
      `query Entities($representations: [_Any!]!) {
        _entities(representations: $representations) { ... on Campaign { id name status } }
      }`,
      { representations },
    );
    expect(data._entities).toEqual([
      ...campaignIds.map((id, i) => ({ id, name: campaignNames[i], status: 'ACTIVE' })),
      null,
      null,
    ]);
    expect(db.statements).toHaveLength(1);
    expect(db.statements[0]).toMatch(/FROM campaigns c\s+WHERE c\.id = ANY/);
  });
});

describe('a supergraph of the metrics and evidence subgraphs (Hive Gateway)', () => {
  it('composes: Campaign has the fields of both subgraphs', () => {
    const campaign = buildSchema(composed.publicSdl).getType('Campaign');
    if (!isObjectType(campaign)) throw new Error('no Campaign in the supergraph');
    const fields = campaign.getFields();
    expect(String(fields.topEvidence?.type)).toBe('[EvidenceSnippet!]!');
    expect(String(fields.snapshots?.type)).toBe('SnapshotConnection!');
    expect(String(fields.id?.type)).toBe('ID!');
  });

  it("answers a campaign's snapshots and its top evidence in one request", async () => {
    const id = campaignIds[0] as string;
    const data = await querySupergraph(
      /* GraphQL */ `
        query CampaignWithEvidence($id: ID!) {
          campaign(id: $id) {
            id
            name
            snapshots(first: 10) {
              totalCount
              edges { node { snapshotDate volunteers { current target } budget { spent } } }
            }
            topEvidence { id quote url }
          }
        }
      `,
      { id },
    );
    expect(data.campaign).toEqual({
      id,
      name: 'Federated 01',
      snapshots: {
        totalCount: 3,
        edges: SNAPSHOTS.map(({ at, volunteers: [current, target], spent }) => ({
          node: { snapshotDate: at, volunteers: { current, target }, budget: { spent } },
        })),
      },
      // the fixtures' scores 0.91 > 0.77 > 0.42 > 0.15: snippets 2, 4, 1
      topEvidence: [
        {
          id: `ev-${id.slice(0, 8)}-2`,
          quote: 'Eight of ten learners found work within six months.',
          url: `https://evidence.example/explorer/${id}/snippets/2`,
        },
        {
          id: `ev-${id.slice(0, 8)}-4`,
          quote: 'Mentors logged more hours after the buddy scheme started.',
          url: `https://evidence.example/explorer/${id}/snippets/4`,
        },
        {
          id: `ev-${id.slice(0, 8)}-1`,
          quote: 'Volunteers said the Tuesday sessions were the easiest to join.',
          url: `https://evidence.example/explorer/${id}/snippets/1`,
        },
      ],
    });
  });

  it('fetches the campaigns of 20 evidence snippets from this subgraph with one statement', async () => {
    db.statements.length = 0;
    const data = await querySupergraph(/* GraphQL */ `
      query EvidenceWithCampaigns {
        recentEvidence { id campaign { id name status } }
      }
    `);
    const snippets = data.recentEvidence as { id: string; campaign: { id: string; name: string } }[];
    // 4 snippets of the first campaign, 1 of each of the other 19
    expect(snippets).toHaveLength(23);
    const expectedName = new Map(campaignIds.map((id, i) => [id, campaignNames[i]]));
    for (const snippet of snippets) {
      expect(snippet.campaign.name).toBe(expectedName.get(snippet.campaign.id));
    }
    expect(new Set(snippets.map((snippet) => snippet.campaign.id)).size).toBe(20);
    expect(db.statements).toHaveLength(1);
  });
});
