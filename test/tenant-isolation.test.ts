import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configureRetention } from '../src/retention/settings.js';
import { snapshotInput } from './fixtures/snapshot-inputs.js';
import { HS256_AUTH, type HttpGateway, hs256Token, listenWithAuth } from './helpers/auth-gateway.js';
import { createTestDatabase, type TestDatabase } from './helpers/test-database.js';

/**
 * Two tenants on one gateway over HTTP: every query field and mutation, called with tenant
 * A's tokens, must behave as if tenant B's campaigns did not exist. Expected values are
 * worked out by hand from the fixtures below; each check also runs for B (or in a way that
 * would show B's data), so a filter that drops everything cannot pass.
 */

let db: TestDatabase;
let http: HttpGateway;
let archiveDir: string;
type TokenName = `${'viewer' | 'ingest' | 'admin'}${'A' | 'B'}`;
const tokens = {} as Record<TokenName, string>;
const ids: Record<'a1' | 'a2' | 'b1' | 'b2' | 'b3', string> = { a1: '', a2: '', b1: '', b2: '', b3: '' };
/** A UUID no campaign has: what "missing" looks like. */
const MISSING = '0b6c43de-5f7c-4c4e-9d4e-6f1f1d3c2b10';

const UPSERT = `mutation($input: CampaignInput!) { upsertCampaign(input: $input) { id name status } }`;
const RECORD = `mutation($input: [SnapshotInput!]!) { recordSnapshots(input: $input) { recorded } }`;
const CAMPAIGN = `query($id: ID!) { campaign(id: $id) { id name } }`;
const NODE = `query($id: ID!) { node(id: $id) { id ... on Campaign { name } } }`;
const RAW_COUNT = `query($id: ID!) { campaign(id: $id) { name snapshots(granularity: RAW) { totalCount } } }`;

/** The response with `id` written as <id>, to compare answers about different ids. */
function withoutId(body: unknown, id: string): unknown {
  return JSON.parse(JSON.stringify(body).replaceAll(id, '<id>'));
}

async function create(token: string, input: Record<string, unknown>): Promise<string> {
  return (await http.ok(token, UPSERT, { input })).upsertCampaign.id;
}

beforeAll(async () => {
  db = await createTestDatabase();
  http = await listenWithAuth(db.handle.db, HS256_AUTH);
  archiveDir = await mkdtemp(path.join(tmpdir(), 'tenant-isolation-archive-'));
  configureRetention({ archiveUrl: pathToFileURL(archiveDir).href, s3: {} });
  for (const tenant of ['a', 'b']) {
    for (const role of ['viewer', 'ingest', 'admin']) {
      tokens[`${role}${tenant.toUpperCase()}` as TokenName] = await hs256Token({
        sub: `${role}-${tenant}`,
        tenants: [`tenant-${tenant}`],
        role,
      });
    }
  }
  const { ingestA, ingestB } = tokens;
  ids.a1 = await create(ingestA, { name: 'A one', status: 'ACTIVE' });
  ids.a2 = await create(ingestA, { name: 'A two', status: 'PAUSED', startsAt: '2026-05-01T00:00:00Z' });
  ids.b1 = await create(ingestB, { name: 'B one', status: 'ACTIVE', startsAt: '2026-05-01T00:00:00Z' });
  ids.b2 = await create(ingestB, { name: 'B two', status: 'ACTIVE' });
  ids.b3 = await create(ingestB, { name: 'B three', status: 'PAUSED', startsAt: '2026-05-02T00:00:00Z' });
  // A1: volunteers 9/10 = 0.9 (WARNING); B1: 12/10 = 1.2 (CRITICAL) and spent 950/1000 (WARNING);
  // B2: 20/20 = 1.0 (CRITICAL). Beneficiaries 0.5 and sessions 0.25 never alert at 0.8.
  await http.ok(ingestA, RECORD, {
    input: [
      snapshotInput(ids.a1, { at: '2026-06-01T00:00:00Z', volunteers: [9, 10], spent: '100.00' }),
      snapshotInput(ids.a1, { at: '2026-06-02T00:00:00Z', volunteers: [9, 10], spent: '120.00' }),
    ],
  });
  await http.ok(ingestB, RECORD, {
    input: [
      snapshotInput(ids.b1, { at: '2026-06-02T00:00:00Z', volunteers: [12, 10], spent: '950.00' }),
      snapshotInput(ids.b2, { at: '2026-06-02T00:00:00Z', volunteers: [20, 20], spent: '10.00' }),
    ],
  });
});

afterAll(async () => {
  await http?.close();
  await db?.close();
  if (archiveDir) await rm(archiveDir, { recursive: true, force: true });
});

describe('lookups by id', () => {
  it('campaign: another tenant’s id answers exactly like a missing one', async () => {
    const other = await http.post(CAMPAIGN, { id: ids.b1 }, `Bearer ${tokens.viewerA}`);
    const missing = await http.post(CAMPAIGN, { id: MISSING }, `Bearer ${tokens.viewerA}`);
    expect(other).toMatchObject({ status: 200, body: { data: { campaign: null } } });
    expect(other.body).toEqual(missing.body);
    expect(await http.ok(tokens.viewerB, CAMPAIGN, { id: ids.b1 })).toEqual({
      campaign: { id: ids.b1, name: 'B one' },
    });
    expect(await http.ok(tokens.viewerA, CAMPAIGN, { id: ids.a1 })).toEqual({
      campaign: { id: ids.a1, name: 'A one' },
    });
  });

  it('node: null without an error for another tenant’s id, as for a missing one', async () => {
    const other = await http.post(NODE, { id: ids.b1 }, `Bearer ${tokens.viewerA}`);
    const missing = await http.post(NODE, { id: MISSING }, `Bearer ${tokens.viewerA}`);
    expect(other.body).toEqual({ data: { node: null } });
    expect(missing.body).toEqual({ data: { node: null } });
    expect(await http.ok(tokens.viewerB, NODE, { id: ids.b1 })).toEqual({
      node: { id: ids.b1, name: 'B one' },
    });
  });

  it('_entities: another tenant’s reference resolves to null like a missing one', async () => {
    const query = `query($representations: [_Any!]!) {
      _entities(representations: $representations) { ... on Campaign { id name } }
    }`;
    const representations = [ids.b1, ids.a1, MISSING].map((id) => ({ __typename: 'Campaign', id }));
    expect(await http.ok(tokens.viewerA, query, { representations })).toEqual({
      _entities: [null, { id: ids.a1, name: 'A one' }, null],
    });
    expect(await http.ok(tokens.viewerB, query, { representations })).toEqual({
      _entities: [{ id: ids.b1, name: 'B one' }, null, null],
    });
  });
});

describe('lists', () => {
  const CAMPAIGNS = `query($status: [CampaignStatus!], $first: Int, $after: String) {
    campaigns(status: $status, first: $first, after: $after) {
      totalCount edges { node { id } } pageInfo { hasNextPage endCursor }
    }
  }`;
  const idsOf = (connection: { edges: { node: { id: string } }[] }) => connection.edges.map((e) => e.node.id);

  it('campaigns: only the caller’s campaigns and their count, with and without a status filter', async () => {
    const all = (await http.ok(tokens.viewerA, CAMPAIGNS, {})).campaigns;
    expect(all.totalCount).toBe(2);
    expect(idsOf(all)).toEqual([ids.a1, ids.a2].sort());
    const active = (await http.ok(tokens.viewerA, CAMPAIGNS, { status: ['ACTIVE'] })).campaigns;
    expect(active.totalCount).toBe(1);
    expect(idsOf(active)).toEqual([ids.a1]);
    const ofB = (await http.ok(tokens.viewerB, CAMPAIGNS, {})).campaigns;
    expect(ofB.totalCount).toBe(3);
    expect(idsOf(ofB)).toEqual([ids.b1, ids.b2, ids.b3].sort());
  });

  it('campaigns: pages walk only the caller’s campaigns', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 5; page++) {
      const { campaigns } = await http.ok(tokens.viewerB, CAMPAIGNS, { first: 1, after });
      seen.push(...idsOf(campaigns));
      if (!campaigns.pageInfo.hasNextPage) break;
      after = campaigns.pageInfo.endCursor;
    }
    expect(seen).toEqual([ids.b1, ids.b2, ids.b3].sort());
  });

  it('capacityAlerts: the caller’s alerts and count only', async () => {
    const query = `query($first: Int) { capacityAlerts(first: $first) {
      totalCount edges { node { campaign { id } resource utilization severity } } pageInfo { hasNextPage }
    } }`;
    expect((await http.ok(tokens.viewerA, query, {})).capacityAlerts).toEqual({
      totalCount: 1,
      edges: [
        { node: { campaign: { id: ids.a1 }, resource: 'VOLUNTEERS', utilization: 0.9, severity: 'WARNING' } },
      ],
      pageInfo: { hasNextPage: false },
    });
    const ofB = (await http.ok(tokens.viewerB, query, {})).capacityAlerts;
    expect(ofB.totalCount).toBe(3);
    expect(ofB.edges.map((e: { node: { campaign: { id: string }; resource: string } }) => e.node)).toEqual([
      { campaign: { id: ids.b1 }, resource: 'VOLUNTEERS', utilization: 1.2, severity: 'CRITICAL' },
      // 1.0 ties at CRITICAL below 1.2; B1's budget at 0.95 after both
      { campaign: { id: ids.b2 }, resource: 'VOLUNTEERS', utilization: 1, severity: 'CRITICAL' },
      { campaign: { id: ids.b1 }, resource: 'BUDGET', utilization: 0.95, severity: 'WARNING' },
    ]);
  });

  it('snapshotsDue: only the caller’s due campaigns', async () => {
    const query = `{ snapshotsDue(asOf: "2026-06-10T00:00:00Z") { campaign { id } dueAt } }`;
    // A2 (PAUSED, DAILY, no snapshot): due at its start; A1 (ACTIVE without sessions: DAILY): 24 h after 06-02.
    expect((await http.ok(tokens.viewerA, query)).snapshotsDue).toEqual([
      { campaign: { id: ids.a2 }, dueAt: '2026-05-01T00:00:00.000Z' },
      { campaign: { id: ids.a1 }, dueAt: '2026-06-03T00:00:00.000Z' },
    ]);
    const ofB = (await http.ok(tokens.viewerB, query)).snapshotsDue;
    expect(ofB.map((due: { campaign: { id: string } }) => due.campaign.id).sort()).toEqual(
      [ids.b1, ids.b2, ids.b3].sort(),
    );
  });
});

describe('compareCampaigns', () => {
  const COMPARE = `query($ids: [ID!]!) {
    compareCampaigns(ids: $ids, metrics: [VOLUNTEERS_CURRENT]) { campaign { id } values { value rank percentile } }
  }`;

  it('an id of another tenant is NOT_FOUND at its index, word for word as a missing id', async () => {
    const other = await http.post(COMPARE, { ids: [ids.a1, ids.b1] }, `Bearer ${tokens.viewerA}`);
    const missing = await http.post(COMPARE, { ids: [ids.a1, MISSING] }, `Bearer ${tokens.viewerA}`);
    expect(other.body.errors?.[0]?.extensions).toEqual({ code: 'NOT_FOUND', field: 'ids', index: 1 });
    expect(withoutId(other.body, ids.b1)).toEqual(withoutId(missing.body, MISSING));
  });

  it('the caller’s own cohort ranks without the other tenant’s campaigns', async () => {
    // B sees both of its campaigns: 20 ranks above 12.
    expect((await http.ok(tokens.viewerB, COMPARE, { ids: [ids.b1, ids.b2] })).compareCampaigns).toEqual([
      { campaign: { id: ids.b1 }, values: [{ value: 12, rank: 2, percentile: 0 }] },
      { campaign: { id: ids.b2 }, values: [{ value: 20, rank: 1, percentile: 1 }] },
    ]);
    expect((await http.ok(tokens.viewerA, COMPARE, { ids: [ids.a1] })).compareCampaigns).toEqual([
      { campaign: { id: ids.a1 }, values: [{ value: 9, rank: 1, percentile: 1 }] },
    ]);
  });
});

describe('writes', () => {
  it('upsertCampaign cannot overwrite or take over another tenant’s campaign', async () => {
    const hijack = await http.post(
      UPSERT,
      { input: { id: ids.b1, name: 'Taken over', status: 'COMPLETED' } },
      `Bearer ${tokens.ingestA}`,
    );
    expect(hijack.body.data).toBeNull();
    expect(hijack.body.errors?.[0]?.extensions).toEqual({ code: 'FORBIDDEN', field: 'input.id' });
    // The stored period of B1 (starts 2026-05-01) must not show through the endsAt check either.
    const probe = await http.post(
      UPSERT,
      { input: { id: ids.b1, name: 'B one', status: 'ACTIVE', endsAt: '2026-04-01T00:00:00Z' } },
      `Bearer ${tokens.ingestA}`,
    );
    expect(probe.body.errors?.[0]?.extensions).toEqual({ code: 'FORBIDDEN', field: 'input.id' });
    expect(await http.ok(tokens.viewerB, CAMPAIGN, { id: ids.b1 })).toEqual({
      campaign: { id: ids.b1, name: 'B one' },
    });
  });

  it('upsertCampaign writes only to the token’s tenants', async () => {
    const elsewhere = await http.post(
      UPSERT,
      { input: { name: 'Planted', status: 'DRAFT', tenantId: 'tenant-b' } },
      `Bearer ${tokens.ingestA}`,
    );
    expect(elsewhere.body.errors?.[0]?.extensions).toEqual({ code: 'FORBIDDEN', field: 'input.tenantId' });
    const count = `{ campaigns { totalCount } }`;
    expect((await http.ok(tokens.viewerB, count)).campaigns.totalCount).toBe(3);
    // Its own tenant, named or implied, works and stays its own.
    const named = await create(tokens.ingestA, { name: 'A named', status: 'DRAFT', tenantId: 'tenant-a' });
    expect((await http.ok(tokens.viewerA, CAMPAIGN, { id: named })).campaign.name).toBe('A named');
    expect((await http.ok(tokens.viewerB, CAMPAIGN, { id: named })).campaign).toBeNull();
    await http.ok(tokens.ingestA, UPSERT, { input: { id: named, name: 'A renamed', status: 'DRAFT' } });
    expect((await http.ok(tokens.viewerA, CAMPAIGN, { id: named })).campaign.name).toBe('A renamed');
    await http.ok(
      tokens.adminA,
      `mutation($id: ID!) { upsertCampaign(input: { id: $id, name: "gone", status: ARCHIVED }) { id } }`,
      { id: named },
    );
    expect((await http.ok(tokens.viewerA, count)).campaigns.totalCount).toBe(3);
  });

  it('recordSnapshots for another tenant’s campaign fails like an unknown campaign, and writes nothing', async () => {
    const batch = (campaignId: string) => [
      snapshotInput(ids.a1, { at: '2026-06-05T00:00:00Z' }),
      snapshotInput(campaignId, { at: '2026-06-05T00:00:00Z' }),
    ];
    const other = await http.post(RECORD, { input: batch(ids.b1) }, `Bearer ${tokens.ingestA}`);
    const missing = await http.post(RECORD, { input: batch(MISSING) }, `Bearer ${tokens.ingestA}`);
    expect(other.body.errors?.[0]?.extensions).toEqual({
      code: 'NOT_FOUND',
      field: 'input[1].campaignId',
      index: 1,
    });
    expect(withoutId(other.body, ids.b1)).toEqual(withoutId(missing.body, MISSING));
    expect((await http.ok(tokens.viewerA, RAW_COUNT, { id: ids.a1 })).campaign.snapshots.totalCount).toBe(2);
    expect((await http.ok(tokens.viewerB, RAW_COUNT, { id: ids.b1 })).campaign.snapshots.totalCount).toBe(1);
  });
});

describe('runRetention', () => {
  const RUN = `mutation($asOf: DateTime) { runRetention(asOf: $asOf) { campaignsProcessed rawSnapshotsRolledUp } }`;
  const STORED = `query($id: ID!) { campaign(id: $id) { snapshots { edges { node { granularity sampleCount } } } } }`;
  const storedOf = async (token: string, id: string) =>
    (await http.ok(token, STORED, { id })).campaign.snapshots.edges.map(
      (edge: { node: unknown }) => edge.node,
    );

  it('an admin’s run touches only its tenants’ campaigns', async () => {
    // June 2026 is more than 90 days before now: raw snapshots move to the WEEK tier.
    const asOf = new Date().toISOString();
    // A: A1, A2 and the archived "gone" campaign; only A1's two snapshots are old raw rows.
    expect((await http.ok(tokens.adminA, RUN, { asOf })).runRetention).toEqual({
      campaignsProcessed: 3,
      rawSnapshotsRolledUp: 2,
    });
    expect(await storedOf(tokens.viewerA, ids.a1)).toEqual([{ granularity: 'WEEK', sampleCount: 2 }]);
    expect(await storedOf(tokens.viewerB, ids.b1)).toEqual([{ granularity: 'RAW', sampleCount: 1 }]);
    expect(await storedOf(tokens.viewerB, ids.b2)).toEqual([{ granularity: 'RAW', sampleCount: 1 }]);
    expect((await http.ok(tokens.adminB, RUN, { asOf })).runRetention).toEqual({
      campaignsProcessed: 3,
      rawSnapshotsRolledUp: 2,
    });
    expect(await storedOf(tokens.viewerB, ids.b1)).toEqual([{ granularity: 'WEEK', sampleCount: 1 }]);
  });
});
