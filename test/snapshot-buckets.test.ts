import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/client.js';
import { setDailyAggregateZones } from '../src/queries/daily-aggregates.js';
import { RECORD_SNAPSHOTS, snapshotInput, UPSERT_CAMPAIGN } from './fixtures/snapshot-inputs.js';
import {
  localTimeOfDay,
  type NaiveGranularity,
  naiveBucketKey,
  naiveBuckets,
  type Sample,
} from './helpers/naive-buckets.js';
import { createTestDatabase, executeOk, type TestDatabase } from './helpers/test-database.js';

/**
 * Snapshots every 5 hours (so they straddle every boundary) over three windows: Berlin's
 * spring-forward (2024-03-31), its fall-back (2024-10-27) and an ISO week across the year
 * end, with a gap between windows. Counters climb, scores come and go (nulls).
 */
const WINDOWS: [string, string][] = [
  ['2024-03-25T00:00:00Z', '2024-04-04T00:00:00Z'],
  ['2024-10-22T00:00:00Z', '2024-11-02T00:00:00Z'],
  ['2024-12-27T00:00:00Z', '2025-01-08T00:00:00Z'],
];
const STEP_MS = 5 * 3600_000;
/** Both 02:30s of Berlin's fall-back night (CEST, then CET) and the hour after spring-forward. */
const EXTRA_INSTANTS = ['2024-10-27T00:30:00Z', '2024-10-27T01:30:00Z', '2024-03-31T01:30:00Z'];

interface FixtureRow {
  at: Date;
  volunteers: number;
  spentCents: number;
  sessions: number | null;
  sroi: number | null;
}

function fixtureRows(): FixtureRow[] {
  const instants = WINDOWS.flatMap(([start, end]) => {
    const times: number[] = [];
    for (let t = Date.parse(start); t < Date.parse(end); t += STEP_MS) times.push(t);
    return times;
  });
  instants.push(...EXTRA_INSTANTS.map((at) => Date.parse(at)));
  instants.sort((a, b) => a - b);
  return instants.map((t, i) => ({
    at: new Date(t),
    volunteers: 3 + ((i * 7) % 17),
    spentCents: 1000 * i + (i % 3) * 37,
    sessions: i % 7 === 3 ? null : 2 * i,
    sroi: i % 5 === 0 ? null : (i % 9) * 1.25,
  }));
}

const rows = fixtureRows();
const samplesOf = (pick: (row: FixtureRow) => number | null): Sample[] =>
  rows.map((row) => ({ at: row.at, value: pick(row) }));
const METRIC_SAMPLES: Record<string, Sample[]> = {
  VOLUNTEERS_CURRENT: samplesOf((r) => r.volunteers),
  // 20 is the target: utilization rounded to 4 places like the numeric(…,4) column
  VOLUNTEERS_UTILIZATION: samplesOf((r) => Math.round((r.volunteers / 20) * 10_000) / 10_000),
  BUDGET_SPENT: samplesOf((r) => r.spentCents / 100),
  TOTAL_SESSIONS_COMPLETED: samplesOf((r) => r.sessions),
  SROI_SCORE: samplesOf((r) => r.sroi),
};
const STATS = ['FIRST', 'LAST', 'MIN', 'MAX', 'AVG', 'DELTA'] as const;

const valueFields = Object.keys(METRIC_SAMPLES)
  .flatMap((metric) => STATS.map((stat) => `${metric}_${stat}: value(metric: ${metric}, stat: ${stat})`))
  .join('\n');

interface BucketPage {
  totalCount: number;
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
  edges: { cursor: string; node: Record<string, unknown> & { snapshotDate: string } }[];
}
type BucketsResponse = { campaign: { snapshots: BucketPage } };

const SNAPSHOTS = /* GraphQL */ `
  query Buckets($id: ID!, $from: DateTime, $to: DateTime, $granularity: Granularity, $timeZone: TimeZone,
                $first: Int, $after: String, $last: Int, $before: String) {
    campaign(id: $id) {
      snapshots(from: $from, to: $to, granularity: $granularity, timeZone: $timeZone,
                first: $first, after: $after, last: $last, before: $before) {
        totalCount
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { cursor node { snapshotDate granularity timeZone sampleCount ${valueFields} } }
      }
    }
  }
`;

/**
 * Every case runs twice: with only the campaign's own zone (Berlin) pre-aggregated, so other
 * zones group raw snapshots; and with every zone asked pre-aggregated, some kept before the
 * snapshots are recorded (ingest refreshes their days) and some after (built from the
 * snapshots). Both must equal the naive computation.
 */
const MODES = [
  { mode: 'own zone pre-aggregated', zonesBeforeIngest: [] as string[], zonesAfterIngest: [] as string[] },
  {
    mode: 'every zone pre-aggregated',
    zonesBeforeIngest: ['Asia/Kolkata', 'America/New_York', 'UTC'],
    zonesAfterIngest: ['Australia/Lord_Howe', 'Asia/Kathmandu'],
  },
];

describe.each(MODES)('$mode', ({ zonesBeforeIngest, zonesAfterIngest }) => {
  let db: TestDatabase;
  let campaignId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    await setDailyAggregateZones(db.handle.db, zonesBeforeIngest);
    const created = await executeOk(db.gateway, UPSERT_CAMPAIGN, {
      input: { name: 'Berlin fixture', status: 'ACTIVE', timeZone: 'Europe/Berlin' },
    });
    campaignId = created.upsertCampaign.id;
    const input = rows.map((row) =>
      snapshotInput(campaignId, {
        at: row.at.toISOString(),
        volunteers: [row.volunteers, 20],
        spent: (row.spentCents / 100).toFixed(2),
        allocated: '100000.00',
        sessionsCompleted: row.sessions,
        sroi: row.sroi,
      }),
    );
    const recorded = await executeOk(db.gateway, RECORD_SNAPSHOTS, { input });
    expect(recorded.recordSnapshots.recorded).toBe(rows.length);
    await setDailyAggregateZones(db.handle.db, [...zonesBeforeIngest, ...zonesAfterIngest]);
    const kept = await queryRows<{ time_zone: string }>(
      db.handle.db,
      sql`SELECT DISTINCT time_zone FROM campaign_metrics_daily ORDER BY 1`,
    );
    expect(kept.map((row) => row.time_zone)).toEqual(
      ['Europe/Berlin', ...zonesBeforeIngest, ...zonesAfterIngest].sort(),
    );
  });

  afterAll(() => db?.close());

  const FROM = '2024-03-26T23:00:00Z'; // local midnight of 2024-03-27 in Berlin (CET)
  const TO = '2025-01-06T23:00:00Z'; // local midnight of 2025-01-07 in Berlin

  async function allBuckets(granularity: string, timeZone: string, from = FROM, to = TO) {
    const data = await executeOk(db.gateway, SNAPSHOTS, {
      id: campaignId,
      from,
      to,
      granularity,
      timeZone,
      first: 1000,
    });
    return data.campaign.snapshots;
  }

  const CASES: [NaiveGranularity, string][] = [];
  for (const granularity of ['HOUR', 'DAY', 'WEEK', 'MONTH', 'QUARTER', 'YEAR'] as const) {
    for (const zone of ['Europe/Berlin', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Asia/Kathmandu']) {
      CASES.push([granularity, zone]);
    }
  }

  describe('bucket statistics equal a naive computation over the raw snapshots', () => {
    it.each(CASES)('%s buckets in %s', async (granularity, timeZone) => {
      const connection = await allBuckets(granularity, timeZone);
      const expectedCounts = naiveBuckets(
        METRIC_SAMPLES.VOLUNTEERS_CURRENT ?? [],
        new Date(FROM),
        new Date(TO),
        granularity,
        timeZone,
      );
      expect(connection.totalCount).toBe(expectedCounts.length);
      const nodes = connection.edges.map((edge: { node: Record<string, unknown> }) => edge.node);
      expect(
        nodes.map((n: Record<string, unknown>) =>
          naiveBucketKey(new Date(String(n.snapshotDate)), granularity, timeZone),
        ),
      ).toEqual(expectedCounts.map((b) => b.key));
      expect(nodes.map((n: Record<string, unknown>) => n.sampleCount)).toEqual(
        expectedCounts.map((b) => b.count),
      );
      for (const node of nodes) {
        expect(node.granularity).toBe(granularity);
        expect(node.timeZone).toBe(timeZone);
      }
      for (const [metric, samples] of Object.entries(METRIC_SAMPLES)) {
        const expected = naiveBuckets(samples, new Date(FROM), new Date(TO), granularity, timeZone);
        expected.forEach((bucket, i) => {
          const node = nodes[i];
          for (const stat of STATS) {
            const actual = node[`${metric}_${stat}`];
            const want = bucket[stat];
            if (want === null || stat !== 'AVG')
              expect([metric, stat, bucket.key, actual]).toEqual([metric, stat, bucket.key, want]);
            else expect(actual).toBeCloseTo(want, 9);
          }
        });
      }
    });

    it('labels calendar buckets with the local midnight that starts them, also on 23- and 25-hour days', async () => {
      const days = await allBuckets('DAY', 'Europe/Berlin');
      const starts: string[] = days.edges.map(
        (edge: { node: { snapshotDate: string } }) => edge.node.snapshotDate,
      );
      for (const start of starts) expect(localTimeOfDay(new Date(start), 'Europe/Berlin')).toBe('00:00');
      // By hand: the spring-forward day starts at 23:00Z (CET) and lasts 23 hours; the
      // fall-back day starts at 22:00Z (CEST) and lasts 25 hours.
      expect(starts).toContain('2024-03-30T23:00:00.000Z');
      expect(starts).toContain('2024-03-31T22:00:00.000Z');
      expect(starts).toContain('2024-10-26T22:00:00.000Z');
      expect(starts).toContain('2024-10-27T23:00:00.000Z');
      const weeks = await allBuckets('WEEK', 'Europe/Berlin');
      const weekStarts = weeks.edges.map(
        (edge: { node: { snapshotDate: string } }) => edge.node.snapshotDate,
      );
      // ISO week 1 of 2025 starts on Monday 2024-12-30, local midnight (CET, UTC+1).
      expect(weekStarts).toContain('2024-12-29T23:00:00.000Z');
      const quarters = await allBuckets('QUARTER', 'Asia/Kolkata');
      // Q2 2024 in India (UTC+05:30) starts 2024-04-01T00:00+05:30.
      expect(
        quarters.edges.map((edge: { node: { snapshotDate: string } }) => edge.node.snapshotDate),
      ).toContain('2024-03-31T18:30:00.000Z');
    });
  });

  describe('keyset pagination over buckets', () => {
    it('pages forward and backward through the same buckets as one big page', async () => {
      const everything = await allBuckets('DAY', 'Europe/Berlin');
      const all = everything.edges.map((edge: { node: { snapshotDate: string } }) => edge.node.snapshotDate);

      const forward: string[] = [];
      let after: string | null = null;
      for (let page = 0; page < 100; page++) {
        const data: BucketsResponse = await executeOk<BucketsResponse>(db.gateway, SNAPSHOTS, {
          id: campaignId,
          from: FROM,
          to: TO,
          granularity: 'DAY',
          first: 7,
          after,
        });
        const connection: BucketPage = data.campaign.snapshots;
        forward.push(
          ...connection.edges.map((edge: { node: { snapshotDate: string } }) => edge.node.snapshotDate),
        );
        expect(connection.pageInfo.hasPreviousPage).toBe(after !== null);
        if (!connection.pageInfo.hasNextPage) break;
        after = connection.pageInfo.endCursor;
      }
      expect(forward).toEqual(all);

      const backward: string[] = [];
      let before: string | null = null;
      for (let page = 0; page < 100; page++) {
        const data: BucketsResponse = await executeOk<BucketsResponse>(db.gateway, SNAPSHOTS, {
          id: campaignId,
          from: FROM,
          to: TO,
          granularity: 'DAY',
          last: 7,
          before,
        });
        const connection: BucketPage = data.campaign.snapshots;
        backward.unshift(
          ...connection.edges.map((edge: { node: { snapshotDate: string } }) => edge.node.snapshotDate),
        );
        if (!connection.pageInfo.hasPreviousPage) break;
        before = connection.pageInfo.startCursor;
      }
      expect(backward).toEqual(all);
    });

    it('keeps DELTA exact across page boundaries', async () => {
      const everything = await allBuckets('DAY', 'Europe/Berlin');
      const deltas = everything.edges.map(
        (edge: { node: Record<string, unknown> }) => edge.node.BUDGET_SPENT_DELTA,
      );
      const firstPage = await executeOk(db.gateway, SNAPSHOTS, {
        id: campaignId,
        from: FROM,
        to: TO,
        granularity: 'DAY',
        first: 3,
      });
      const secondPage = await executeOk(db.gateway, SNAPSHOTS, {
        id: campaignId,
        from: FROM,
        to: TO,
        granularity: 'DAY',
        first: 3,
        after: firstPage.campaign.snapshots.pageInfo.endCursor,
      });
      expect(
        secondPage.campaign.snapshots.edges.map(
          (edge: { node: Record<string, unknown> }) => edge.node.BUDGET_SPENT_DELTA,
        ),
      ).toEqual(deltas.slice(3, 6));
    });

    it('answers the RAW granularity snapshot by snapshot, with DELTA against the previous snapshot', async () => {
      const from = '2024-03-28T00:00:00Z';
      const to = '2024-03-30T00:00:00Z';
      const data = await executeOk(db.gateway, SNAPSHOTS, { id: campaignId, from, to, first: 1000 });
      const inRange = rows.filter((row) => row.at >= new Date(from) && row.at < new Date(to));
      const nodes = data.campaign.snapshots.edges.map((edge: { node: Record<string, unknown> }) => edge.node);
      expect(nodes.map((n: Record<string, unknown>) => n.snapshotDate)).toEqual(
        inRange.map((row) => row.at.toISOString()),
      );
      nodes.forEach((node: Record<string, unknown>, i: number) => {
        const row = inRange[i] as FixtureRow;
        const previous = rows[rows.indexOf(row) - 1] as FixtureRow;
        expect(node.sampleCount).toBe(1);
        expect(node.VOLUNTEERS_CURRENT_MIN).toBe(row.volunteers);
        expect(node.BUDGET_SPENT_DELTA).toBeCloseTo((row.spentCents - previous.spentCents) / 100, 9);
      });
    });
  });

  describe('property: statistics of random snapshots equal the naive computation', () => {
    const ZONES = [
      'UTC',
      'Europe/Berlin',
      'America/New_York',
      'Asia/Kolkata',
      'Australia/Lord_Howe',
      'Asia/Kathmandu',
    ];
    const GRANULARITIES = ['HOUR', 'DAY', 'WEEK', 'MONTH', 'QUARTER', 'YEAR'] as const;
    const YEAR_START = Date.parse('2024-01-01T00:00:00Z');
    const MINUTES_IN_TWO_YEARS = 2 * 366 * 24 * 60;

    it('holds for random instants, values, zones and granularities', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(fc.integer({ min: 0, max: MINUTES_IN_TWO_YEARS }), { minLength: 1, maxLength: 40 }),
          fc.array(fc.integer({ min: 0, max: 100_000 }), { minLength: 40, maxLength: 40 }),
          fc.constantFrom(...ZONES),
          fc.constantFrom(...GRANULARITIES),
          async (minutes, values, timeZone, granularity) => {
            const samples = minutes.map((minute, i) => ({
              at: new Date(YEAR_START + minute * 60_000),
              value: (values[i] ?? 0) / 100,
            }));
            const created = await executeOk(db.gateway, UPSERT_CAMPAIGN, {
              input: { name: 'Property', status: 'ACTIVE', timeZone },
            });
            const id = created.upsertCampaign.id;
            await executeOk(db.gateway, RECORD_SNAPSHOTS, {
              input: samples.map((s) =>
                snapshotInput(id, { at: s.at.toISOString(), spent: s.value.toFixed(2) }),
              ),
            });
            const from = new Date(YEAR_START - 86_400_000 * 400);
            const to = new Date(YEAR_START + 86_400_000 * 800);
            const data = await executeOk<BucketsResponse>(db.gateway, SNAPSHOTS, {
              id,
              from: from.toISOString(),
              to: to.toISOString(),
              granularity,
              first: 1000,
            });
            const expected = naiveBuckets(samples, from, to, granularity, timeZone);
            const nodes = data.campaign.snapshots.edges.map((edge) => edge.node);
            expect(nodes.map((n) => naiveBucketKey(new Date(n.snapshotDate), granularity, timeZone))).toEqual(
              expected.map((b) => b.key),
            );
            expected.forEach((bucket, i) => {
              const node: Record<string, unknown> = nodes[i] ?? {};
              expect(node.sampleCount).toBe(bucket.count);
              for (const stat of ['FIRST', 'LAST', 'MIN', 'MAX', 'DELTA'] as const) {
                expect(node[`BUDGET_SPENT_${stat}`]).toEqual(bucket[stat]);
              }
              expect(node.BUDGET_SPENT_AVG).toBeCloseTo(bucket.AVG ?? Number.NaN, 6);
            });
          },
        ),
        { numRuns: 15 },
      );
    });
  });
});
