import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORD_SNAPSHOTS, snapshotInput, UPSERT_CAMPAIGN } from './fixtures/snapshot-inputs.js';
import { createTestDatabase, execute, executeOk, type TestDatabase } from './helpers/test-database.js';

let db: TestDatabase;

async function createCampaign(input: Record<string, unknown>): Promise<string> {
  const data = await executeOk(db.gateway, UPSERT_CAMPAIGN, { input });
  return data.upsertCampaign.id;
}

/** Snapshots with the given TOTAL_SESSIONS_COMPLETED at `day` days after 2024-01-01. */
async function recordSessions(campaignId: string, points: [day: number, sessions: number][]) {
  await executeOk(db.gateway, RECORD_SNAPSHOTS, {
    input: points.map(([day, sessions]) =>
      snapshotInput(campaignId, {
        at: new Date(Date.UTC(2024, 0, 1 + day)).toISOString(),
        sessionsCompleted: sessions,
      }),
    ),
  });
}

const CADENCE = /* GraphQL */ `
  query Cadence($id: ID!) { campaign(id: $id) { snapshotCadence } }
`;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.close());

describe('upsertCampaign and campaign lookups', () => {
  it('creates with defaults, updates by id, and keeps fields left out', async () => {
    const id = await createCampaign({ name: 'Lookup', status: 'PLANNED' });
    const query = /* GraphQL */ `
      query C($id: ID!) {
        campaign(id: $id) { id name status timeZone highValue legalHold startsAt endsAt }
        node(id: $id) { id ... on Campaign { name } }
      }
    `;
    expect((await executeOk(db.gateway, query, { id })).campaign).toEqual({
      id,
      name: 'Lookup',
      status: 'PLANNED',
      timeZone: 'UTC',
      highValue: false,
      legalHold: false,
      startsAt: null,
      endsAt: null,
    });
    await executeOk(db.gateway, UPSERT_CAMPAIGN, {
      input: {
        id,
        name: 'Lookup renamed',
        status: 'ACTIVE',
        timeZone: 'Asia/Kolkata',
        highValue: true,
        endsAt: '2025-01-01T00:00:00Z',
      },
    });
    await executeOk(db.gateway, UPSERT_CAMPAIGN, { input: { id, name: 'Lookup renamed', status: 'ACTIVE' } });
    const after = await executeOk(db.gateway, query, { id });
    expect(after.campaign).toMatchObject({
      name: 'Lookup renamed',
      status: 'ACTIVE',
      timeZone: 'Asia/Kolkata',
      highValue: true,
      endsAt: '2025-01-01T00:00:00.000Z',
    });
    expect(after.node).toEqual({ id, name: 'Lookup renamed' });
  });

  it('creates with a caller-chosen id', async () => {
    const id = '6c0f4f4e-8a4f-4f55-9a55-2b7b3b0c1d2e';
    expect(await createCampaign({ id, name: 'Chosen id', status: 'DRAFT' })).toBe(id);
  });

  it('rejects an empty name and an end before the start', async () => {
    const empty = await execute(db.gateway, UPSERT_CAMPAIGN, { input: { name: '  ', status: 'DRAFT' } });
    expect(empty.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.name' });
    const backwards = await execute(db.gateway, UPSERT_CAMPAIGN, {
      input: { name: 'x', status: 'DRAFT', startsAt: '2025-01-02T00:00:00Z', endsAt: '2025-01-01T00:00:00Z' },
    });
    expect(backwards.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'input.endsAt',
    });
  });
});

type CampaignPage = {
  campaigns: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: { node: { id: string; status: string } }[];
  };
};

describe('campaigns connection', () => {
  it('filters by status, pages forward with totalCount, and visits each campaign once', async () => {
    const fresh = await createTestDatabase();
    try {
      const statuses = ['ACTIVE', 'ACTIVE', 'PAUSED', 'ACTIVE', 'COMPLETED', 'ACTIVE', 'DRAFT'];
      const ids: Record<string, string[]> = {};
      for (const [i, status] of statuses.entries()) {
        const data = await executeOk(fresh.gateway, UPSERT_CAMPAIGN, { input: { name: `C${i}`, status } });
        ids[status] = [...(ids[status] ?? []), data.upsertCampaign.id];
      }
      const page = /* GraphQL */ `
        query P($after: String, $status: [CampaignStatus!]) {
          campaigns(first: 3, after: $after, status: $status) {
            totalCount
            pageInfo { hasNextPage endCursor }
            edges { cursor node { id status } }
          }
        }
      `;
      const seen: string[] = [];
      let after: string | null = null;
      for (let i = 0; i < 10; i++) {
        const data: CampaignPage = await executeOk<CampaignPage>(fresh.gateway, page, {
          after,
          status: ['ACTIVE', 'PAUSED'],
        });
        expect(data.campaigns.totalCount).toBe(5);
        for (const edge of data.campaigns.edges) {
          expect(['ACTIVE', 'PAUSED']).toContain(edge.node.status);
          seen.push(edge.node.id);
        }
        if (!data.campaigns.pageInfo.hasNextPage) break;
        after = data.campaigns.pageInfo.endCursor;
      }
      expect(seen.sort()).toEqual([...(ids.ACTIVE ?? []), ...(ids.PAUSED ?? [])].sort());
      const all = await executeOk(fresh.gateway, '{ campaigns { totalCount } }');
      expect(all.campaigns.totalCount).toBe(statuses.length);
      const badCursor = await execute(fresh.gateway, page, { after: 'garbage' });
      expect(badCursor.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      const tooMany = await execute(fresh.gateway, '{ campaigns(first: 1001) { totalCount } }');
      expect(tooMany.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    } finally {
      await fresh.close();
    }
  });
});

describe('campaigns page with latest snapshots', () => {
  const PAGE_WITH_LATEST = /* GraphQL */ `
    query PageWithLatest($after: String, $status: [CampaignStatus!]) {
      campaigns(first: 2, after: $after, status: $status) {
        pageInfo { hasNextPage endCursor }
        edges {
          node {
            id
            name
            latestSnapshot { snapshotDate volunteers { current target utilization } budget { spent } }
            change: latestSnapshot { value(metric: VOLUNTEERS_CURRENT, stat: DELTA) }
          }
        }
      }
    }
  `;
  type PageWithLatest = {
    campaigns: {
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
      edges: { node: { id: string; name: string; latestSnapshot: unknown; change: unknown } }[];
    };
  };

  it('reads each page and its latest snapshots in one statement, null for a campaign without any', async () => {
    const fresh = await createTestDatabase();
    try {
      const create = async (name: string, status: string) =>
        (await executeOk(fresh.gateway, UPSERT_CAMPAIGN, { input: { name, status } })).upsertCampaign
          .id as string;
      const twice = await create('Twice', 'ACTIVE');
      const once = await create('Once', 'ACTIVE');
      const never = await create('Never', 'ACTIVE');
      await create('Drafted', 'DRAFT');
      await executeOk(fresh.gateway, RECORD_SNAPSHOTS, {
        input: [
          snapshotInput(twice, { at: '2024-03-01T00:00:00Z', volunteers: [4, 20], spent: '10.00' }),
          snapshotInput(twice, { at: '2024-03-02T00:00:00Z', volunteers: [9, 30], spent: '25.50' }),
          snapshotInput(once, { at: '2024-02-10T06:00:00Z', volunteers: [3, 12], spent: '7.25' }),
        ],
      });
      // By hand: utilization = current / target; DELTA = latest - the one before (none: null).
      const withLatest = (
        name: string,
        snapshotDate: string,
        [current, target, utilization]: [number, number, number],
        spent: string,
        delta: number | null,
      ) => ({
        name,
        latestSnapshot: { snapshotDate, volunteers: { current, target, utilization }, budget: { spent } },
        change: { value: delta },
      });
      const expected: Record<string, unknown> = {
        [twice]: withLatest('Twice', '2024-03-02T00:00:00.000Z', [9, 30, 0.3], '25.50', 5),
        [once]: withLatest('Once', '2024-02-10T06:00:00.000Z', [3, 12, 0.25], '7.25', null),
        [never]: { name: 'Never', latestSnapshot: null, change: null },
      };
      const seen: string[] = [];
      let after: string | null = null;
      for (let page = 0; page < 3; page++) {
        fresh.statements.length = 0;
        const data: PageWithLatest = await executeOk<PageWithLatest>(fresh.gateway, PAGE_WITH_LATEST, {
          after,
          status: ['ACTIVE'],
        });
        expect(fresh.statements).toHaveLength(1);
        for (const { node } of data.campaigns.edges) {
          const { id, ...rest } = node;
          expect(rest).toEqual(expected[id]);
          seen.push(id);
        }
        if (!data.campaigns.pageInfo.hasNextPage) break;
        after = data.campaigns.pageInfo.endCursor;
      }
      expect(seen).toEqual([twice, once, never].sort());
    } finally {
      await fresh.close();
    }
  });

  it('takes the cursors the drizzle connection issued (base64 of "DC:S:" and the id) and rejects others', async () => {
    const ids = [
      await createCampaign({ name: 'Cursor 1', status: 'ACTIVE' }),
      await createCampaign({ name: 'Cursor 2', status: 'ACTIVE' }),
    ].sort();
    const [first, second] = ids as [string, string];
    const oldCursor = Buffer.from(`DC:S:${first}`).toString('base64');
    const data = await executeOk(
      db.gateway,
      /* GraphQL */ `query After($after: String) { campaigns(first: 1000, after: $after) { edges { cursor node { id } } } }`,
      { after: oldCursor },
    );
    const after: string[] = data.campaigns.edges.map((edge: { node: { id: string } }) => edge.node.id);
    expect(after).not.toContain(first);
    expect(after).toContain(second);
    expect(after.every((id) => id > first)).toBe(true);
    for (const bad of [
      Buffer.from('DC:S:not-a-uuid').toString('base64'),
      Buffer.from('OffsetConnection:3').toString('base64'),
      '%%%',
    ]) {
      const result = await execute(
        db.gateway,
        'query Bad($after: String) { campaigns(first: 1, after: $after) { totalCount } }',
        { after: bad },
      );
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
      expect(result.data?.campaigns ?? null).toBeNull();
    }
  });
});

describe('snapshotCadence follows the seed rules', () => {
  // Sessions in the last 7 days = latest counter - counter at or before latest - 7d
  // (or the first snapshot's). Worked out by hand for each case.
  const cases: [string, string, [number, number][], string][] = [
    [
      'ACTIVE, 101 sessions since the first snapshot (none 7 days old)',
      'ACTIVE',
      [
        [0, 0],
        [2, 101],
      ],
      'HOURLY',
    ],
    [
      'ACTIVE, 111 - 50 = 61 since day 3 (the latest at or before day 10 - 7)',
      'ACTIVE',
      [
        [0, 10],
        [3, 50],
        [10, 111],
      ],
      'EVERY_6_HOURS',
    ],
    [
      'ACTIVE, exactly 100',
      'ACTIVE',
      [
        [0, 0],
        [8, 0],
        [15, 100],
      ],
      'EVERY_6_HOURS',
    ],
    [
      'ACTIVE, exactly 25',
      'ACTIVE',
      [
        [0, 0],
        [7, 25],
      ],
      'EVERY_6_HOURS',
    ],
    [
      'ACTIVE, 24',
      'ACTIVE',
      [
        [0, 0],
        [7, 24],
      ],
      'DAILY',
    ],
    ['ACTIVE without snapshots', 'ACTIVE', [], 'DAILY'],
    [
      'RECRUITING',
      'RECRUITING',
      [
        [0, 0],
        [1, 500],
      ],
      'DAILY',
    ],
    [
      'PAUSED',
      'PAUSED',
      [
        [0, 0],
        [1, 500],
      ],
      'DAILY',
    ],
    [
      'COMPLETED',
      'COMPLETED',
      [
        [0, 0],
        [1, 500],
      ],
      'FINAL_ONLY',
    ],
    ['ARCHIVED', 'ARCHIVED', [], 'FINAL_ONLY'],
  ];
  it.each(cases)('%s', async (_name, status, points, expected) => {
    const id = await createCampaign({ name: 'Cadence', status });
    if (points.length) await recordSessions(id, points);
    expect((await executeOk(db.gateway, CADENCE, { id })).campaign.snapshotCadence).toBe(expected);
  });
});

describe('batching', () => {
  const DASHBOARD = /* GraphQL */ `
    query Dashboard($first: Int) {
      campaigns(first: $first) {
        edges {
          node {
            name
            snapshotCadence
            latestSnapshot { sampleCount volunteers { current } }
            snapshots(granularity: DAY, last: 7) { totalCount edges { node { sampleCount } } }
            series(metrics: [BUDGET_SPENT], from: "2023-12-01T00:00:00Z", to: "2024-02-01T00:00:00Z", granularity: WEEK) {
              timestamps
            }
          }
        }
      }
    }
  `;

  it('costs the same statements for 1 and for 10 campaigns', async () => {
    const fresh = await createTestDatabase();
    try {
      for (let i = 0; i < 10; i++) {
        const data = await executeOk(fresh.gateway, UPSERT_CAMPAIGN, {
          input: { name: `B${i}`, status: 'ACTIVE', timeZone: i % 2 ? 'Asia/Kolkata' : 'UTC' },
        });
        await executeOk(fresh.gateway, RECORD_SNAPSHOTS, {
          input: [1, 2, 3].map((day) =>
            snapshotInput(data.upsertCampaign.id, {
              at: `2024-01-0${day}T00:00:00Z`,
              sessionsCompleted: i * day,
            }),
          ),
        });
      }
      const statementsFor = async (first: number) => {
        fresh.statements.length = 0;
        const data = await executeOk(fresh.gateway, DASHBOARD, { first });
        expect(data.campaigns.edges).toHaveLength(first);
        for (const { node } of data.campaigns.edges) {
          expect(node.snapshots.totalCount).toBe(3);
          expect(node.series.timestamps.length).toBeGreaterThan(0);
        }
        return fresh.statements.length;
      };
      // the page with its latest snapshots, cadences, snapshot buckets, series buckets
      expect(await statementsFor(1)).toBe(4);
      expect(await statementsFor(10)).toBe(4);
    } finally {
      await fresh.close();
    }
  });
});

describe('campaign(id) { latestSnapshot }', () => {
  const LATEST = /* GraphQL */ `
    query Latest($id: ID!) {
      campaign(id: $id) { name latestSnapshot { snapshotDate volunteers { current target } } }
    }
  `;
  const snapshotStatements = () =>
    db.statements.filter((statement) => /campaign_latest_snapshots/.test(statement));

  it('answers with two statements, the latest snapshot read beside the campaign lookup', async () => {
    const created = await executeOk(db.gateway, UPSERT_CAMPAIGN, {
      input: { name: 'Beside', status: 'ACTIVE' },
    });
    const id = created.upsertCampaign.id;
    await executeOk(db.gateway, RECORD_SNAPSHOTS, {
      input: [
        snapshotInput(id, { at: '2024-03-01T00:00:00Z', volunteers: [4, 20] }),
        snapshotInput(id, { at: '2024-03-02T00:00:00Z', volunteers: [9, 30] }),
      ],
    });
    db.statements.length = 0;
    const data = await executeOk(db.gateway, LATEST, { id });
    expect(data.campaign.latestSnapshot).toMatchObject({
      snapshotDate: '2024-03-02T00:00:00.000Z',
      volunteers: { current: 9, target: 30 },
    });
    expect(db.statements).toHaveLength(2);
  });

  it('asks for the snapshot without waiting for the campaign lookup (so even for an unknown id)', async () => {
    db.statements.length = 0;
    const data = await executeOk(db.gateway, LATEST, { id: '7d1f4b2e-0000-4000-8000-000000000001' });
    expect(data.campaign).toBeNull();
    // PGlite answers the lookup within one microtask run, before the loader's batch starts
    await new Promise((resolve) => setImmediate(resolve));
    // Sequential resolution would never ask: the campaign's null ends the walk.
    expect(snapshotStatements()).toHaveLength(1);
  });

  it('reads the metric columns its fields show; aliases with other fields share one statement', async () => {
    const created = await executeOk(db.gateway, UPSERT_CAMPAIGN, {
      input: { name: 'Narrow', status: 'ACTIVE' },
    });
    const id = created.upsertCampaign.id;
    await executeOk(db.gateway, RECORD_SNAPSHOTS, {
      input: [
        snapshotInput(id, { at: '2024-03-31T06:00:00Z', volunteers: [5, 28], spent: '10.00' }),
        snapshotInput(id, { at: '2024-04-01T06:00:00Z', volunteers: [7, 28], spent: '12.34' }),
      ],
    });

    db.statements.length = 0;
    await executeOk(db.gateway, LATEST, { id });
    const [narrow] = snapshotStatements();
    expect(narrow).toMatch(/\bvolunteers_current\b/);
    expect(narrow).toMatch(/\bvolunteers_target\b/);
    expect(narrow).not.toMatch(/\bbudget_spent\b|\bbeneficiaries_current\b|\bfull_snapshot\b/);

    db.statements.length = 0;
    const data = await executeOk(
      db.gateway,
      /* GraphQL */ `
        query Both($id: ID!) {
          campaign(id: $id) {
            gauge: latestSnapshot { volunteers { current } }
            burn: latestSnapshot { budget { spent } spentAgain: value(metric: BUDGET_SPENT) }
            growth: latestSnapshot { value(metric: VOLUNTEERS_CURRENT, stat: DELTA) }
          }
        }
      `,
      { id },
    );
    // the newest: 7 of 28 volunteers (5 the day before) and 12.34 spent, as recorded above
    expect(data.campaign).toEqual({
      gauge: { volunteers: { current: 7 } },
      burn: { budget: { spent: '12.34' }, spentAgain: 12.34 },
      growth: { value: 2 },
    });
    expect(snapshotStatements()).toHaveLength(1);
  });
});
