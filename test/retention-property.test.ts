import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/client.js';
import type { NaiveGranularity } from './helpers/naive-buckets.js';
import {
  createCampaignWith,
  databaseWithArchive,
  expectSeriesEqualsNaive,
  querySeries,
  retain,
  storedLayout,
  type TestSnapshot,
} from './helpers/retention.js';
import { executeOk } from './helpers/test-database.js';

/**
 * Property: whatever retention did (random zone, snapshot times over four and a half
 * years with gaps and DST days, values with nulls, high value or not, a random sequence
 * of asOf instants, also going backwards), every bucket statistic at the granularity the
 * answer reports equals the naive computation over the ORIGINAL raw snapshots kept in the
 * test. The oracle never sees the database.
 */
const retained = databaseWithArchive();

const ZONES = [
  'UTC',
  'Europe/Berlin',
  'America/New_York',
  'Asia/Kolkata',
  'Australia/Lord_Howe',
  'America/Santiago',
];
const BASE_AS_OF = Date.parse('2026-06-15T10:17:00Z');
const DAY = 86_400_000;
const SPAN_MINUTES = Math.floor((4.5 * 365 * DAY) / 60_000);
/** Instants on and around DST changes in the zones above (local midnights and 02:30s). */
const DST_INSTANTS = [
  '2024-03-31T00:30:00Z',
  '2024-03-31T01:30:00Z',
  '2024-10-27T00:30:00Z',
  '2024-10-27T01:30:00Z',
  '2023-03-12T06:30:00Z',
  '2023-11-05T05:30:00Z',
  '2022-04-02T15:00:00Z',
  '2022-10-01T15:30:00Z',
  '2024-04-07T03:00:00Z',
  '2023-09-03T04:00:00Z',
  '2025-03-30T01:00:00Z',
  '2022-10-30T00:59:00Z',
].map((t) => Date.parse(t));

const GRANULARITIES: NaiveGranularity[] = ['DAY', 'WEEK', 'MONTH', 'QUARTER', 'YEAR'];
const RANK: Record<string, number> = { RAW: 0, HOUR: 1, DAY: 2, WEEK: 3, MONTH: 4, QUARTER: 5, YEAR: 6 };

const snapshotArb = fc.record({
  minute: fc.integer({ min: 0, max: SPAN_MINUTES }),
  spent: fc.integer({ min: 0, max: 10_000_000 }),
  volunteers: fc.integer({ min: 0, max: 60 }),
  sroi: fc.option(fc.integer({ min: 0, max: 99_999 }), { nil: null }),
});

const FROM = new Date(BASE_AS_OF - 6 * 365 * DAY);
const TO = new Date(BASE_AS_OF + 2 * DAY);
const PROPERTY_RUNS = 30;
let propertyRuns = 0;
const tiersSeen = new Set<string>();

describe('property: statistics after retention equal the naive computation on the original data', () => {
  it('holds for random campaigns, values, zones and asOf sequences', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ZONES),
        fc.boolean(),
        fc.array(snapshotArb, { minLength: 1, maxLength: 70 }),
        fc.subarray(DST_INSTANTS),
        fc.array(fc.integer({ min: 0, max: 400 * 24 }), { minLength: 1, maxLength: 3 }),
        async (timeZone, highValue, generated, dstInstants, asOfHoursBack) => {
          propertyRuns += 1;
          const instants = new Map<number, (typeof generated)[number]>();
          for (const g of generated) instants.set(BASE_AS_OF - g.minute * 60_000, g);
          dstInstants.forEach((t, i) => {
            instants.set(t, generated[i % generated.length] as (typeof generated)[number]);
          });
          const snapshots: TestSnapshot[] = [...instants.entries()]
            .sort(([a], [b]) => a - b)
            .map(([t, g]) => ({
              at: new Date(t),
              spent: g.spent,
              volunteers: g.volunteers,
              sroi: g.sroi === null ? null : g.sroi / 100,
            }));
          const id = await createCampaignWith(retained.db, { timeZone, highValue }, snapshots);
          try {
            for (const hours of asOfHoursBack) {
              await retain(
                retained.db.handle.db,
                retained.archive.url,
                new Date(BASE_AS_OF - hours * 3_600_000),
              );
            }
            const layout = await storedLayout(retained.db.handle.db, id);
            const storedRanks = [
              ...layout.rollups.map((r) => RANK[String(r.granularity)] ?? 0),
              ...layout.archives.map(() => RANK.QUARTER as number),
            ];
            const coarsest = Math.max(0, ...storedRanks);
            for (const r of layout.rollups) tiersSeen.add(String(r.granularity));
            if (layout.archives.length) tiersSeen.add('QUARTER');
            // nothing lost, nothing counted twice
            const stored =
              layout.raw +
              layout.rollups.reduce((n, r) => n + Number(r.sample_count), 0) +
              layout.archives.reduce((n, a) => n + Number(a.sample_count), 0);
            expect(stored).toBe(snapshots.length);

            for (const granularity of GRANULARITIES) {
              const answer = await querySeries(retained.db, id, FROM, TO, granularity);
              expect(RANK[answer.granularity]).toBe(Math.max(RANK[granularity] as number, coarsest));
              expect(answer.timeZone).toBe(timeZone);
              expectSeriesEqualsNaive(answer, snapshots, FROM, TO, (actual, message, expected) =>
                expect(actual, message).toEqual(expected),
              );
            }
            // each stored granularity on its own: from where the coarser data ends
            for (const granularity of ['DAY', 'WEEK', 'MONTH'] as const) {
              const coarserEnds = [
                ...layout.rollups
                  .filter((r) => (RANK[String(r.granularity)] ?? 0) > (RANK[granularity] ?? 0))
                  .map(
                    (r) =>
                      new Date(
                        String(r.bucket_end)
                          .replace(' ', 'T')
                          .replace(/([+-]\d\d)$/, '$1:00'),
                      ),
                  ),
                ...layout.archives.map(
                  (a) =>
                    new Date(
                      String(a.bucket_end)
                        .replace(' ', 'T')
                        .replace(/([+-]\d\d)$/, '$1:00'),
                    ),
                ),
              ];
              if (!layout.rollups.some((r) => r.granularity === granularity)) continue;
              const from = new Date(Math.max(FROM.getTime(), ...coarserEnds.map((d) => d.getTime())));
              const answer = await querySeries(retained.db, id, from, TO, 'DAY');
              expect(answer.granularity).toBe(granularity);
              expectSeriesEqualsNaive(
                answer,
                snapshots,
                from,
                TO,
                (actual, message, expected) => expect(actual, message).toEqual(expected),
                { skipFirstDelta: true },
              );
            }
            await checkSnapshotNodes(id, snapshots);
          } finally {
            await queryRows(retained.db.handle.db, sql`DELETE FROM campaigns WHERE id = ${id}::uuid`);
          }
        },
      ),
      { numRuns: PROPERTY_RUNS },
    );
    expect(propertyRuns).toBeGreaterThanOrEqual(PROPERTY_RUNS);
    // the generated data reached every tier
    expect(tiersSeen).toEqual(new Set(['DAY', 'WEEK', 'MONTH', 'QUARTER']));
    // 30 runs take ~20 s alone and several times that beside the rest of the suite on 2 cores.
  }, 180_000);
});

const SNAPSHOTS = /* GraphQL */ `
  query Nodes($id: ID!, $from: DateTime, $to: DateTime) {
    campaign(id: $id) {
      snapshots(from: $from, to: $to, granularity: DAY, first: 1000) {
        totalCount
        edges { node { snapshotDate granularity timeZone sampleCount
          spentLast: value(metric: BUDGET_SPENT, stat: LAST)
          spentMin: value(metric: BUDGET_SPENT, stat: MIN)
          spentMax: value(metric: BUDGET_SPENT, stat: MAX)
          sroiAvg: value(metric: SROI_SCORE, stat: AVG) } }
      }
    }
  }`;

/**
 * The snapshots connection at DAY: nodes partition the samples; every node that is not a
 * week cut by an older month holds exactly the samples of its bucket at the granularity and
 * zone it reports.
 */
async function checkSnapshotNodes(id: string, snapshots: TestSnapshot[]) {
  const { naiveBucketKey } = await import('./helpers/naive-buckets.js');
  const data = await executeOk(retained.db.gateway, SNAPSHOTS, {
    id,
    from: FROM.toISOString(),
    to: TO.toISOString(),
  });
  const nodes: {
    snapshotDate: string;
    granularity: NaiveGranularity;
    timeZone: string;
    sampleCount: number;
    spentLast: number;
    spentMin: number;
    spentMax: number;
    sroiAvg: number | null;
  }[] = data.campaign.snapshots.edges.map((e: { node: unknown }) => e.node);
  expect(nodes.reduce((n, node) => n + node.sampleCount, 0)).toBe(snapshots.length);
  expect(data.campaign.snapshots.totalCount).toBe(nodes.length);
  // assign each sample to the coarsest node whose bucket holds it
  const owner = (s: TestSnapshot) => {
    const holders = nodes.filter(
      (node) =>
        naiveBucketKey(s.at, node.granularity, node.timeZone) ===
        naiveBucketKey(new Date(node.snapshotDate), node.granularity, node.timeZone),
    );
    return holders.sort((a, b) => (RANK[b.granularity] ?? 0) - (RANK[a.granularity] ?? 0))[0];
  };
  const byNode = new Map<(typeof nodes)[number], TestSnapshot[]>();
  for (const s of snapshots) {
    const node = owner(s);
    expect(node, `a node holds ${s.at.toISOString()}`).toBeDefined();
    if (node) byNode.set(node, [...(byNode.get(node) ?? []), s]);
  }
  for (const node of nodes) {
    const mine = byNode.get(node) ?? [];
    expect(mine.length, `samples of ${node.granularity} ${node.snapshotDate}`).toBe(node.sampleCount);
    const spent = mine.map((s) => s.spent / 100);
    expect(node.spentLast).toBeCloseTo(spent.at(-1) ?? Number.NaN, 6);
    expect(node.spentMin).toBeCloseTo(Math.min(...spent), 6);
    expect(node.spentMax).toBeCloseTo(Math.max(...spent), 6);
    const sroi = mine.map((s) => s.sroi).filter((v): v is number => v !== null);
    if (sroi.length === 0) expect(node.sroiAvg).toBeNull();
    else expect(node.sroiAvg).toBeCloseTo(sroi.reduce((a, b) => a + b, 0) / sroi.length, 6);
  }
}
