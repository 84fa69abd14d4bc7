import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORD_SNAPSHOTS, snapshotInput, UPSERT_CAMPAIGN } from './fixtures/snapshot-inputs.js';
import { createTestDatabase, execute, executeOk, type TestDatabase } from './helpers/test-database.js';

let db: TestDatabase;
let campaignId: string;

const LATEST = /* GraphQL */ `
  query Latest($id: ID!) {
    campaign(id: $id) {
      snapshots(first: 1000) { totalCount }
      latestSnapshot {
        snapshotDate
        volunteers { target current utilization }
        budget { allocated spent remaining utilization }
        impact { sroiScore totalSessionsCompleted }
        engagement { volunteerRetentionRate volunteerDropoutRate averageSessionsPerVolunteer }
        outcomeScores { dimension score }
        programInstances { activeCount totalCount }
        alerts { type message threshold }
        details
      }
    }
  }
`;

async function snapshotCount(): Promise<number> {
  const data = await executeOk(db.gateway, LATEST, { id: campaignId });
  return data.campaign.snapshots.totalCount;
}

beforeAll(async () => {
  db = await createTestDatabase();
  const created = await executeOk(db.gateway, UPSERT_CAMPAIGN, {
    input: { name: 'Ingest fixture', status: 'ACTIVE', timeZone: 'Europe/Berlin' },
  });
  campaignId = created.upsertCampaign.id;
});

afterAll(() => db?.close());

describe('recordSnapshots', () => {
  it('computes utilizations and remaining on the server, exactly', async () => {
    await executeOk(db.gateway, RECORD_SNAPSHOTS, {
      input: [
        snapshotInput(campaignId, {
          at: '2024-05-01T00:00:00Z',
          volunteers: [45, 50],
          allocated: '1000.00',
          spent: '250.55',
          details: {
            engagement: {
              volunteerRetentionRate: 0.82,
              volunteerDropoutRate: 0.05,
              averageSessionsPerVolunteer: 3.5,
            },
            outcomeScores: { integration: 0.7, language: 0.55 },
            programInstances: { activeCount: 2, totalCount: 3 },
            alerts: [{ type: 'capacity', message: 'volunteers at 90%', threshold: 0.8 }],
            campaignName: 'a caller cannot rename the campaign here',
          },
        }),
      ],
    });
    const data = await executeOk(db.gateway, LATEST, { id: campaignId });
    const latest = data.campaign.latestSnapshot;
    // 45/50 = 0.9; 250.55/1000 = 0.25055 -> 0.2506 (4 places); 1000.00 - 250.55 = 749.45
    expect(latest.volunteers).toEqual({ target: 50, current: 45, utilization: 0.9 });
    expect(latest.budget).toEqual({
      allocated: '1000.00',
      spent: '250.55',
      remaining: '749.45',
      utilization: 0.2506,
    });
    expect(latest.engagement).toEqual({
      volunteerRetentionRate: 0.82,
      volunteerDropoutRate: 0.05,
      averageSessionsPerVolunteer: 3.5,
    });
    expect(latest.outcomeScores).toEqual([
      { dimension: 'integration', score: 0.7 },
      { dimension: 'language', score: 0.55 },
    ]);
    expect(latest.programInstances).toEqual({ activeCount: 2, totalCount: 3 });
    expect(latest.alerts).toEqual([{ type: 'capacity', message: 'volunteers at 90%', threshold: 0.8 }]);
    expect(latest.details.campaignName).toBe('Ingest fixture');
    expect(latest.details.status).toBe('ACTIVE');
  });

  it('is idempotent per campaign and instant: a repeat replaces the values', async () => {
    const before = await snapshotCount();
    const input = [snapshotInput(campaignId, { at: '2024-05-02T00:00:00Z', spent: '10.00' })];
    await executeOk(db.gateway, RECORD_SNAPSHOTS, { input });
    await executeOk(db.gateway, RECORD_SNAPSHOTS, {
      input: [snapshotInput(campaignId, { at: '2024-05-02T00:00:00Z', spent: '12.50' })],
    });
    expect(await snapshotCount()).toBe(before + 1);
    const data = await executeOk(db.gateway, LATEST, { id: campaignId });
    expect(data.campaign.latestSnapshot.budget.spent).toBe('12.50');
  });

  it('stores a utilization far beyond 100 % (the column is widened, not overflowed)', async () => {
    await executeOk(db.gateway, RECORD_SNAPSHOTS, {
      input: [snapshotInput(campaignId, { at: '2024-05-03T00:00:00Z', volunteers: [2147483647, 1] })],
    });
    const data = await executeOk(db.gateway, LATEST, { id: campaignId });
    expect(data.campaign.latestSnapshot.volunteers.utilization).toBe(2147483647);
  });

  it('gives utilization 0 for a target of 0', async () => {
    await executeOk(db.gateway, RECORD_SNAPSHOTS, {
      input: [
        snapshotInput(campaignId, { at: '2024-05-04T00:00:00Z', volunteers: [5, 0], allocated: '0.00' }),
      ],
    });
    const data = await executeOk(db.gateway, LATEST, { id: campaignId });
    expect(data.campaign.latestSnapshot.volunteers.utilization).toBe(0);
    expect(data.campaign.latestSnapshot.budget.utilization).toBe(0);
  });
});

const good = (at: string) => snapshotInput('00000000-0000-4000-8000-000000000000', { at });

describe('bad input is rejected whole, with a stable code and the offending field', () => {
  const cases: [string, () => Record<string, unknown>[], string, string][] = [
    [
      'a negative count',
      () => [ok(0), { ...ok(1), volunteers: { target: 10, current: -1 } }],
      'BAD_USER_INPUT',
      'input[1].volunteers.current',
    ],
    [
      'money with 3 decimals',
      () => [{ ...ok(0), budget: { allocated: '10.005', spent: '1.00' } }],
      'BAD_USER_INPUT',
      'input[0].budget.allocated',
    ],
    [
      'money beyond numeric(12,2)',
      () => [ok(0), ok(1), { ...ok(2), budget: { allocated: '10000000000.00', spent: '0' } }],
      'BAD_USER_INPUT',
      'input[2].budget.allocated',
    ],
    [
      'negative money',
      () => [{ ...ok(0), budget: { allocated: '10.00', spent: '-1.00' } }],
      'BAD_USER_INPUT',
      'input[0].budget.spent',
    ],
    [
      'a malformed campaign UUID',
      () => [ok(0), { ...ok(1), campaignId: 'not-a-uuid' }],
      'BAD_USER_INPUT',
      'input[1].campaignId',
    ],
    [
      'an unknown campaign',
      () => [ok(0), { ...good('2024-06-01T00:00:00Z') }],
      'NOT_FOUND',
      'input[1].campaignId',
    ],
    [
      'an instant before 2000 (every month written gets a partition: the range is bounded)',
      () => [ok(0), { ...ok(1), snapshotDate: '1999-12-31T23:59:59Z' }],
      'BAD_USER_INPUT',
      'input[1].snapshotDate',
    ],
    [
      'an instant more than a year ahead',
      () => [{ ...ok(0), snapshotDate: new Date(Date.now() + 367 * 86_400_000).toISOString() }],
      'BAD_USER_INPUT',
      'input[0].snapshotDate',
    ],
    [
      'a badly shaped details.programInstances',
      () => [{ ...ok(0), details: { programInstances: { activeCount: 'two', totalCount: 3 } } }],
      'BAD_USER_INPUT',
      'input[0].details.programInstances.activeCount',
    ],
  ];
  function ok(i: number) {
    return snapshotInput(campaignId, { at: `2024-07-0${i + 1}T00:00:00Z` });
  }

  it.each(cases)('%s', async (_name, input, code, field) => {
    const before = await snapshotCount();
    const result = await execute(db.gateway, RECORD_SNAPSHOTS, { input: input() });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code, field });
    expect(await snapshotCount()).toBe(before);
  });

  it('caps a call at 10,000 snapshots', async () => {
    const input = Array.from({ length: 10_001 }, (_, i) =>
      snapshotInput(campaignId, { at: new Date(Date.UTC(2023, 0, 1) + i * 3600_000).toISOString() }),
    );
    const before = await snapshotCount();
    const result = await execute(db.gateway, RECORD_SNAPSHOTS, { input });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input' });
    expect(result.errors?.[0]?.message).toContain('10000');
    expect(await snapshotCount()).toBe(before);
  });

  it('rejects a malformed snapshotDate and Decimal before anything runs', async () => {
    const result = await execute(db.gateway, RECORD_SNAPSHOTS, {
      input: [{ ...ok(0), snapshotDate: 'yesterday' }],
    });
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const decimal = await execute(db.gateway, RECORD_SNAPSHOTS, {
      input: [{ ...ok(0), budget: { allocated: 12.5, spent: '1.00' } }],
    });
    expect(decimal.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('bad arguments to reads', () => {
  const SNAPSHOTS = /* GraphQL */ `
    query S($id: ID!, $from: DateTime, $to: DateTime, $timeZone: TimeZone, $first: Int, $last: Int, $after: String, $granularity: Granularity) {
      campaign(id: $id) {
        snapshots(from: $from, to: $to, timeZone: $timeZone, first: $first, last: $last, after: $after, granularity: $granularity) {
          totalCount
        }
      }
    }
  `;
  const cases: [string, Record<string, unknown>, string][] = [
    ['from >= to', { from: '2024-05-02T00:00:00Z', to: '2024-05-01T00:00:00Z' }, 'to'],
    ['first over the cap', { first: 1001 }, 'first'],
    ['negative first', { first: -1 }, 'first'],
    ['negative last', { last: -5 }, 'last'],
    ['a malformed cursor', { after: 'bm90LWEtY3Vyc29y' }, 'after'],
    [
      'a cursor of another granularity',
      {
        after: 'eyJnIjoiREFZIiwieiI6IkV1cm9wZS9CZXJsaW4iLCJ0IjoiMjAyNC0wNS0wMVQwMDowMDowMC4wMDBaIn0',
        granularity: 'RAW',
      },
      'after',
    ],
  ];
  it.each(cases)('%s', async (_name, variables, field) => {
    const result = await execute(db.gateway, SNAPSHOTS, { id: campaignId, ...variables });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });

  it('rejects an invalid time zone name', async () => {
    const result = await execute(db.gateway, SNAPSHOTS, { id: campaignId, timeZone: 'Mars/Olympus_Mons' });
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const upsert = await execute(db.gateway, UPSERT_CAMPAIGN, {
      input: { name: 'x', status: 'DRAFT', timeZone: 'Mars/Olympus_Mons' },
    });
    expect(upsert.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('rejects a malformed campaign id and returns null for an unknown one', async () => {
    const malformed = await execute(db.gateway, SNAPSHOTS, { id: 'nope' });
    expect(malformed.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    const unknown = await executeOk(db.gateway, SNAPSHOTS, { id: '00000000-0000-4000-8000-000000000000' });
    expect(unknown.campaign).toBeNull();
  });

  it('never leaks internals: errors carry no stack or SQL', async () => {
    const result = await execute(db.gateway, SNAPSHOTS, { id: campaignId, first: 5000 });
    expect(JSON.stringify(result.errors)).not.toMatch(/stack|select|postgres|pglite/i);
  });
});

describe('protocol errors carry stable codes too', () => {
  it('marks an invalid document GRAPHQL_VALIDATION_FAILED', async () => {
    const result = await execute(db.gateway, '{ campaigns { nope } }');
    expect(result.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('marks a variable of the wrong type BAD_USER_INPUT', async () => {
    const result = await execute(db.gateway, 'query($n: Int) { campaigns(first: $n) { totalCount } }', {
      n: 'abc',
    });
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0]?.message).toContain('$n');
  });
});
