import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORD_SNAPSHOTS, UPSERT_CAMPAIGN } from './fixtures/snapshot-inputs.js';
import { createTestDatabase, execute, executeOk, type TestDatabase } from './helpers/test-database.js';

/**
 * Capacity alerts through GraphQL, against expectations worked out by hand (one campaign)
 * and by a naive reimplementation of the contract's definition (every campaign).
 */

type Pair = [used: number | null, capacity: number | null];
interface Reading {
  volunteers: [current: number, target: number];
  beneficiaries: [current: number, target: number];
  sessions: [current: number, target: number];
  /** Money in cents. */
  budget: [spent: number, allocated: number];
  seats: Pair;
  credits: Pair;
  learners: Pair;
}

const RESOURCES = ['VOLUNTEERS', 'BENEFICIARIES', 'SESSIONS', 'BUDGET', 'SEATS', 'CREDITS', 'LEARNERS'];
const OLDER = '2024-05-01T00:00:00.000Z';
const LATEST = '2024-05-02T06:00:00.000Z';

const cents = (value: number | null) =>
  value === null ? null : `${Math.floor(value / 100)}.${String(value % 100).padStart(2, '0')}`;

function snapshotInput(campaignId: string, snapshotDate: string, r: Reading) {
  return {
    campaignId,
    snapshotDate,
    volunteers: { current: r.volunteers[0], target: r.volunteers[1] },
    beneficiaries: { current: r.beneficiaries[0], target: r.beneficiaries[1] },
    sessions: { current: r.sessions[0], target: r.sessions[1] },
    budget: { spent: cents(r.budget[0]), allocated: cents(r.budget[1]) },
    monetization: {
      seatsUsed: r.seats[0],
      seatsCommitted: r.seats[1],
      creditsConsumed: cents(r.credits[0]),
      creditsAllocated: cents(r.credits[1]),
      learnersServed: r.learners[0],
      learnersCommitted: r.learners[1],
    },
  };
}

/** Everything far above any threshold: an alert from this snapshot means the wrong one was read. */
const EVERYTHING_OVER: Reading = {
  volunteers: [500, 50],
  beneficiaries: [500, 50],
  sessions: [500, 50],
  budget: [500_00, 50_00],
  seats: [500, 50],
  credits: [500_00, 50_00],
  learners: [500, 50],
};

interface NaiveAlert {
  campaignId: string;
  resource: string;
  utilization: number;
  severity: string;
}

/** round(current / target, 4) half away from zero, 0 for target 0: the stored utilization. */
function storedUtilization(current: number, target: number): number {
  if (target === 0) return 0;
  return Math.floor((current * 20_000 + target) / (2 * target)) / 10_000;
}

function naiveAlerts(campaignId: string, r: Reading, threshold: number): NaiveAlert[] {
  const ratio = ([used, capacity]: Pair) =>
    used === null || capacity === null || capacity === 0 ? null : used / capacity;
  const utilizations = [
    storedUtilization(...r.volunteers),
    storedUtilization(...r.beneficiaries),
    storedUtilization(...r.sessions),
    storedUtilization(...r.budget),
    ratio(r.seats),
    ratio(r.credits),
    ratio(r.learners),
  ];
  return utilizations.flatMap((utilization, i) =>
    utilization !== null && utilization >= threshold
      ? [
          {
            campaignId,
            resource: RESOURCES[i] as string,
            utilization,
            severity: utilization >= 1 ? 'CRITICAL' : 'WARNING',
          },
        ]
      : [],
  );
}

function naiveOrder(alerts: NaiveAlert[]): NaiveAlert[] {
  const severity = (a: NaiveAlert) => (a.severity === 'CRITICAL' ? 0 : 1);
  return [...alerts].sort(
    (a, b) =>
      severity(a) - severity(b) ||
      b.utilization - a.utilization ||
      (a.campaignId < b.campaignId ? -1 : a.campaignId > b.campaignId ? 1 : 0) ||
      RESOURCES.indexOf(a.resource) - RESOURCES.indexOf(b.resource),
  );
}

/** A small deterministic generator (so a failure reproduces). */
function lcg(seed: number) {
  let state = seed;
  return (n: number) => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state % n;
  };
}

function generatedReading(next: (n: number) => number): Reading {
  const pair = (max: number): Pair => {
    const capacity = [null, 0, 10, 20, 50, 3][next(6)] ?? null;
    return [next(8) === 0 ? null : next(max), capacity];
  };
  return {
    volunteers: [next(70), [50, 40, 7, 0][next(4)] ?? 50],
    beneficiaries: [next(130), 100],
    sessions: [next(45), 40],
    budget: [next(1_200_00), 1_000_00],
    seats: pair(70),
    credits: pair(6_000),
    learners: pair(70),
  };
}

/** Campaign A, worked out by hand below. */
const HAND: Reading = {
  volunteers: [40, 50], // 0.8: exactly at the default threshold
  beneficiaries: [100, 100], // 1.0: CRITICAL
  sessions: [10, 40], // 0.25
  budget: [999_90, 1_000_00], // 0.9999
  seats: [5, null], // skipped: no denominator
  credits: [5_00, 0], // skipped: denominator 0
  learners: [30, 20], // 1.5
};

let db: TestDatabase;
let handId: string;
let emptyId: string;
const readings = new Map<string, Reading>();
const names = new Map<string, string>();

async function createCampaign(name: string, extra: Record<string, unknown> = {}): Promise<string> {
  const data = await executeOk(db.gateway, UPSERT_CAMPAIGN, { input: { name, status: 'ACTIVE', ...extra } });
  names.set(data.upsertCampaign.id, name);
  return data.upsertCampaign.id;
}

beforeAll(async () => {
  db = await createTestDatabase();
  handId = await createCampaign('Hand', {
    timeZone: 'Europe/Berlin',
    highValue: true,
    startsAt: '2024-01-01T00:00:00Z',
  });
  emptyId = await createCampaign('No snapshots');
  readings.set(handId, HAND);
  const next = lcg(20_240_501);
  const generated: Reading[] = Array.from({ length: 12 }, () => generatedReading(next));
  // ties across campaigns (same utilizations) and exact decimal ratios (0.30 / 0.10 = 3)
  generated.push(generated[0] as Reading);
  generated.push({ ...HAND, seats: [12, 12], credits: [30, 10], learners: [null, 20] });
  for (const [i, reading] of generated.entries()) {
    readings.set(await createCampaign(`Generated ${i}`), reading);
  }
  await executeOk(db.gateway, RECORD_SNAPSHOTS, {
    input: [...readings].flatMap(([id, reading]) => [
      snapshotInput(id, OLDER, EVERYTHING_OVER),
      snapshotInput(id, LATEST, reading),
    ]),
  });
});
afterAll(() => db?.close());

const CAMPAIGN_ALERTS = /* GraphQL */ `
  query CampaignAlerts($id: ID!, $threshold: Float) {
    campaign(id: $id) {
      capacityAlerts(threshold: $threshold) {
        campaign { id }
        resource utilization threshold severity message snapshotDate
      }
    }
  }
`;

describe('Campaign.capacityAlerts', () => {
  it("alerts on the latest snapshot's resources, most severe and highest utilization first", async () => {
    const data = await executeOk(db.gateway, CAMPAIGN_ALERTS, { id: handId });
    const alert = (resource: string, utilization: number, severity: string, message: string) => ({
      campaign: { id: handId },
      resource,
      utilization,
      threshold: 0.8,
      severity,
      message,
      snapshotDate: LATEST,
    });
    expect(data.campaign.capacityAlerts).toEqual([
      alert('LEARNERS', 1.5, 'CRITICAL', 'Learners at 150% of committed (30/20)'),
      alert('BENEFICIARIES', 1, 'CRITICAL', 'Beneficiaries at 100% of target (100/100)'),
      alert('BUDGET', 0.9999, 'WARNING', 'Budget at 99% of allocated (999.90/1000.00)'),
      alert('VOLUNTEERS', 0.8, 'WARNING', 'Volunteers at 80% of target (40/50)'),
    ]);
  });

  it.each([
    [0, ['LEARNERS', 'BENEFICIARIES', 'BUDGET', 'VOLUNTEERS', 'SESSIONS']],
    [0.8001, ['LEARNERS', 'BENEFICIARIES', 'BUDGET']],
    [1, ['LEARNERS', 'BENEFICIARIES']],
    [1.5, ['LEARNERS']],
    [10, []],
  ])('at threshold %s alerts on %j', async (threshold, resources) => {
    const data = await executeOk(db.gateway, CAMPAIGN_ALERTS, { id: handId, threshold });
    expect(data.campaign.capacityAlerts.map((a: { resource: string }) => a.resource)).toEqual(resources);
  });

  it('has none without snapshots', async () => {
    const data = await executeOk(db.gateway, CAMPAIGN_ALERTS, { id: emptyId });
    expect(data.campaign.capacityAlerts).toEqual([]);
  });

  it.each([-0.01, 10.01])('rejects threshold %s', async (threshold) => {
    const result = await execute(db.gateway, CAMPAIGN_ALERTS, { id: handId, threshold });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'threshold' });
  });
});

const ALERT_PAGE = /* GraphQL */ `
  query AlertPage($threshold: Float, $first: Int, $after: String) {
    capacityAlerts(threshold: $threshold, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { campaign { id } resource utilization severity } }
    }
  }
`;

interface AlertPage {
  capacityAlerts: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string; endCursor: string };
    edges: {
      cursor: string;
      node: { campaign: { id: string }; resource: string; utilization: number; severity: string };
    }[];
  };
}

async function walkAllPages(threshold: number, first: number): Promise<NaiveAlert[]> {
  const expectedCount = naiveAlertsOfAll(threshold).length;
  const seen: NaiveAlert[] = [];
  let after: string | null = null;
  for (let page = 0; page < 100; page++) {
    const data: AlertPage = await executeOk<AlertPage>(db.gateway, ALERT_PAGE, { threshold, first, after });
    const { totalCount, pageInfo, edges } = data.capacityAlerts;
    expect(totalCount).toBe(expectedCount);
    expect(edges.length).toBeLessThanOrEqual(first);
    expect(pageInfo.hasPreviousPage).toBe(after !== null);
    for (const { node } of edges) {
      const { resource, utilization, severity } = node;
      seen.push({ campaignId: node.campaign.id, resource, utilization, severity });
    }
    if (!pageInfo.hasNextPage) return seen;
    expect(pageInfo.endCursor).toBe(edges.at(-1)?.cursor);
    after = pageInfo.endCursor;
  }
  throw new Error('more than 100 pages');
}

function naiveAlertsOfAll(threshold: number): NaiveAlert[] {
  return naiveOrder([...readings].flatMap(([id, reading]) => naiveAlerts(id, reading, threshold)));
}

const comparable = (alerts: NaiveAlert[]) =>
  alerts.map(({ campaignId, resource, utilization, severity }) => ({
    campaignId,
    resource,
    utilization,
    severity,
  }));

describe('Query.capacityAlerts', () => {
  it.each([
    [0.8, 4],
    [0, 7],
    [1, 1],
    [0.8, 1000],
  ])('at threshold %s, pages of %s visit every alert once in contract order', async (threshold, first) => {
    const expected = naiveAlertsOfAll(threshold);
    // several pages, or (first: 1000) all in one
    expect(expected.length).toBeGreaterThan(Math.min(2 * first, 10));
    expect(comparable(await walkAllPages(threshold, first))).toEqual(comparable(expected));
  });

  it('agrees with Campaign.capacityAlerts (the pure definition) for every campaign and threshold', async () => {
    const query = /* GraphQL */ `
      query Both($threshold: Float) {
        capacityAlerts(threshold: $threshold, first: 100) {
          edges { node { campaign { id } resource utilization severity message snapshotDate } }
        }
        campaigns(first: 100) {
          edges { node { id capacityAlerts(threshold: $threshold) { campaign { id } resource utilization severity message snapshotDate } } }
        }
      }
    `;
    for (const threshold of [0, 0.25, 0.8, 0.9999, 1, 1.2, 3, 10]) {
      const data = await executeOk(db.gateway, query, { threshold });
      // One page holds every campaign and every alert (the cost limit keeps pages honest).
      expect(data.campaigns.edges.length).toBeLessThan(100);
      expect(data.capacityAlerts.edges.length).toBeLessThan(100);
      const fromSql = data.capacityAlerts.edges.map((e: { node: unknown }) => e.node);
      const fromLatest = data.campaigns.edges.flatMap(
        (e: { node: { capacityAlerts: unknown[] } }) => e.node.capacityAlerts,
      );
      const key = (a: { campaign: { id: string }; resource: string }) => `${a.campaign.id}:${a.resource}`;
      expect([...fromSql].sort((a, b) => key(a).localeCompare(key(b)))).toEqual(
        [...fromLatest].sort((a, b) => key(a).localeCompare(key(b))),
      );
    }
  });

  it('returns the whole campaign of an alert', async () => {
    const data = await executeOk(
      db.gateway,
      /* GraphQL */ `{
        capacityAlerts(threshold: 1.5, first: 1000) {
          edges { node { resource campaign { id name timeZone highValue legalHold startsAt endsAt status } } }
        }
      }`,
    );
    const hand = data.capacityAlerts.edges.find(
      (e: { node: { campaign: { id: string } } }) => e.node.campaign.id === handId,
    );
    expect(hand.node).toEqual({
      resource: 'LEARNERS',
      campaign: {
        id: handId,
        name: 'Hand',
        timeZone: 'Europe/Berlin',
        highValue: true,
        legalHold: false,
        startsAt: '2024-01-01T00:00:00.000Z',
        endsAt: null,
        status: 'ACTIVE',
      },
    });
  });

  it('rejects a threshold outside 0..10, a foreign cursor and an oversized page', async () => {
    for (const threshold of [-1, 10.5]) {
      const result = await execute(db.gateway, ALERT_PAGE, { threshold });
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'threshold' });
    }
    const foreign = Buffer.from(JSON.stringify({ g: 'DAY', z: 'UTC', t: OLDER })).toString('base64url');
    for (const after of ['garbage', foreign]) {
      const result = await execute(db.gateway, ALERT_PAGE, { after });
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    }
    const tooMany = await execute(db.gateway, ALERT_PAGE, { first: 1001 });
    expect(tooMany.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
  });
});

describe('batching', () => {
  const statementsFor = async (query: string, variables: Record<string, unknown> = {}) => {
    db.statements.length = 0;
    await executeOk(db.gateway, query, variables);
    return db.statements.length;
  };

  it('latestSnapshot and capacityAlerts of a page of campaigns share one statement, whatever its size', async () => {
    const dashboard = /* GraphQL */ `
      query Gauge($first: Int) {
        campaigns(first: $first) {
          edges { node { latestSnapshot { volunteers { utilization } } capacityAlerts { resource } high: capacityAlerts(threshold: 1) { resource } } }
        }
      }
    `;
    // the page of campaigns reads their latest snapshots, every metric, in the same statement
    expect(await statementsFor(dashboard, { first: 1 })).toBe(1);
    expect(await statementsFor(dashboard, { first: 10 })).toBe(1);
  });

  it('Query.capacityAlerts is one statement, totalCount included, whatever the page size', async () => {
    const query = /* GraphQL */ `
      query Widget($first: Int) {
        capacityAlerts(first: $first) { totalCount edges { cursor node { message campaign { id } } } }
      }
    `;
    expect(await statementsFor(query, { first: 1 })).toBe(1);
    expect(await statementsFor(query, { first: 50 })).toBe(1);
    // every campaign's newest snapshot from the copy table, not a probe per campaign
    expect(db.statements[0]).toMatch(/JOIN campaign_latest_snapshots/);
    expect(db.statements[0]).not.toMatch(/OFFSET/i);
  });

  it("campaigns' columns come with the alerts' own statement; their latest snapshots cost one more", async () => {
    const query = /* GraphQL */ `
      query Widget($first: Int) {
        capacityAlerts(first: $first) { edges { node { campaign { id name latestSnapshot { sampleCount } } } } }
      }
    `;
    expect(await statementsFor(query, { first: 1 })).toBe(2);
    expect(await statementsFor(query, { first: 50 })).toBe(2);
    const data = await executeOk(db.gateway, query, { first: 50 });
    const shown = data.capacityAlerts.edges.map(
      ({ node }: { node: { campaign: { id: string; name: string } } }) => node.campaign,
    );
    expect(shown.length).toBeGreaterThan(1);
    for (const campaign of shown) expect(campaign.name).toBe(names.get(campaign.id));
  });
});
