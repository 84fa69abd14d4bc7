import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/client.js';
import { toInstant } from '../src/db/values.js';
import { naiveBucketKey, naiveBuckets, type Sample } from './helpers/naive-buckets.js';
import {
  createCampaignWith,
  retain,
  samplesOf,
  type TestSnapshot,
  temporaryArchive,
} from './helpers/retention.js';
import { createTestDatabase, type TestDatabase } from './helpers/test-database.js';

/**
 * Bucket statements compute what the request selects and nothing else, and read rollups
 * only where retention left some. Values are checked against the naive statistics of the
 * snapshots the test wrote; the statements the gateway sent are checked for what they read.
 *
 * Two UTC campaigns, a snapshot every 6 hours over 2026-01-01 .. 2026-03-02: `fresh` keeps
 * them raw; `rolled` goes through retention as of 2026-03-02T12:00Z, which turns the days
 * older than 30 days into DAY rollups and deletes their raw snapshots.
 */
const START = Date.parse('2026-01-01T00:00:00Z');
const HOURS_6 = 6 * 3600_000;
const DAY = 86_400_000;
const AS_OF = new Date('2026-03-02T12:00:00Z');
/** The first day retention left raw (read after the run). */
let firstRawDay: string;

const snapshots: TestSnapshot[] = Array.from({ length: 60 * 4 }, (_, i) => ({
  at: new Date(START + i * HOURS_6),
  spent: 1000 * i + (i % 3) * 7,
  volunteers: 3 + ((i * 7) % 17),
  sroi: i % 5 === 0 ? null : i * 0.25,
  details: { outcomeScores: { integration: i } },
}));
const SPENT = samplesOf(snapshots, 'BUDGET_SPENT');
const VOLUNTEERS = samplesOf(snapshots, 'VOLUNTEERS_CURRENT');
const SROI = samplesOf(snapshots, 'SROI_SCORE');

let db: TestDatabase;
let server: Server;
let endpoint: string;
const archive = temporaryArchive();
let fresh: string;
let rolled: string;

// biome-ignore lint/suspicious/noExplicitAny: response shapes are read field by field
type Json = any;

async function graphql(query: string, variables: Record<string, unknown> = {}): Promise<Json> {
  db.statements.length = 0;
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: Json; errors?: unknown[] };
  expect(body.errors).toBeUndefined();
  return body.data;
}

const rawStatements = () => db.statements.filter((s) => s.includes('WITH probe AS MATERIALIZED'));
const mergedStatements = () => db.statements.filter((s) => s.includes('natural_keys AS MATERIALIZED'));

beforeAll(async () => {
  db = await createTestDatabase();
  // legal hold keeps `fresh` out of retention
  fresh = await createCampaignWith(db, { name: 'fresh', timeZone: 'UTC', legalHold: true }, snapshots);
  rolled = await createCampaignWith(db, { name: 'rolled', timeZone: 'UTC' }, snapshots);
  await retain(db.handle.db, archive.url, AS_OF);
  const [layout] = await queryRows(
    db.handle.db,
    sql`SELECT (SELECT min(snapshot_date) FROM campaign_metrics_snapshots WHERE campaign_id = ${rolled}::uuid) AS raw_from,
               (SELECT count(*)::int FROM campaign_metrics_rollups WHERE campaign_id = ${rolled}::uuid AND granularity = 'DAY') AS days,
               (SELECT count(*)::int FROM campaign_metrics_rollups WHERE campaign_id = ${fresh}::uuid) AS fresh_rollups`,
  );
  // every day of `rolled` before the raw ones is a DAY rollup now; `fresh` has none
  firstRawDay = toInstant(layout?.raw_from).toISOString();
  expect(firstRawDay).toMatch(/T00:00:00.000Z$/);
  expect(layout?.days).toBe((Date.parse(firstRawDay) - START) / DAY);
  expect(layout?.days).toBeGreaterThan(20);
  expect(layout?.fresh_rollups).toBe(0);
  server = createServer(db.gateway);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
}, 120_000);

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await db?.close();
  archive.remove();
});

const FEB = { from: '2026-02-03T00:00:00Z', to: '2026-02-13T00:00:00Z' };
const naive = (series: Sample[], from: string, to: string) =>
  naiveBuckets(series, new Date(from), new Date(to), 'DAY', 'UTC');

const TWO_SELECTIONS = /* GraphQL */ `
  query Two($id: ID!, $from: DateTime!, $to: DateTime!, $metric: Metric!, $stat: Stat) {
    campaign(id: $id) {
      a: snapshots(from: $from, to: $to, granularity: DAY) {
        edges { node { snapshotDate first: value(metric: BUDGET_SPENT, stat: FIRST) } }
      }
      b: snapshots(from: $from, to: $to, granularity: DAY) {
        edges { node { ...Values } }
      }
    }
  }
  fragment Values on MetricsSnapshot {
    sampleCount
    volunteers { current }
    ... on MetricsSnapshot { chosen: value(metric: $metric, stat: $stat) }
  }
`;

describe('what a bucket statement computes', () => {
  it('computes the union of the selections of one request in one statement, each answer exact', async () => {
    const data = await graphql(TWO_SELECTIONS, { id: fresh, ...FEB, metric: 'SROI_SCORE', stat: 'MIN' });
    const spent = naive(SPENT, FEB.from, FEB.to);
    const volunteers = naive(VOLUNTEERS, FEB.from, FEB.to);
    const sroi = naive(SROI, FEB.from, FEB.to);
    expect(data.campaign.a.edges.map((e: Json) => e.node.first)).toEqual(spent.map((b) => b.FIRST));
    expect(data.campaign.b.edges.map((e: Json) => e.node.sampleCount)).toEqual(spent.map((b) => b.count));
    expect(data.campaign.b.edges.map((e: Json) => e.node.volunteers.current)).toEqual(
      volunteers.map((b) => b.LAST),
    );
    expect(data.campaign.b.edges.map((e: Json) => e.node.chosen)).toEqual(sroi.map((b) => b.MIN));

    // one bucket statement for both fields, with exactly the four values asked
    expect(rawStatements()).toHaveLength(1);
    expect(mergedStatements()).toHaveLength(0);
    const [statement] = rawStatements() as [string];
    for (const column of ['budget_spent_first', 'volunteers_current_last', 'sroi_score_min']) {
      expect(statement).toContain(column);
    }
    for (const column of [
      'budget_spent_last',
      'budget_spent_max',
      'sroi_score_avg',
      'volunteers_target',
      'full_snapshot',
    ]) {
      expect(statement).not.toContain(column);
    }
    // no DELTA asked: no lookup of the bucket before the page
    expect(statement).not.toContain('_previous');
  });

  it('looks up the bucket before the page only for DELTA, and reads full_snapshot only for details', async () => {
    const query = /* GraphQL */ `
      query Delta($id: ID!, $from: DateTime!, $to: DateTime!, $stat: Stat!) {
        campaign(id: $id) {
          snapshots(from: $from, to: $to, granularity: DAY) {
            edges { node { delta: value(metric: BUDGET_SPENT, stat: $stat) outcomeScores { dimension score } } }
          }
        }
      }
    `;
    const data = await graphql(query, { id: fresh, ...FEB, stat: 'DELTA' });
    const nodes = data.campaign.snapshots.edges.map((e: Json) => e.node);
    expect(nodes.map((n: Json) => n.delta)).toEqual(naive(SPENT, FEB.from, FEB.to).map((b) => b.DELTA));
    // the last snapshot of each day is its fourth (index 4 * day + 3 from January 1)
    const firstDay = (Date.parse(FEB.from) - START) / DAY;
    expect(nodes.map((n: Json) => n.outcomeScores)).toEqual(
      nodes.map((_: unknown, d: number) => [{ dimension: 'integration', score: 4 * (firstDay + d) + 3 }]),
    );
    const [statement] = rawStatements() as [string];
    expect(statement).toContain('budget_spent_previous');
    expect(statement).toContain('full_snapshot');
  });

  it('reads the latest snapshot alone unless DELTA or details are asked', async () => {
    const query = /* GraphQL */ `
      query Latest($id: ID!) {
        campaign(id: $id) {
          latestSnapshot { volunteers { current } spent: value(metric: BUDGET_SPENT, stat: LAST) }
        }
      }
    `;
    const last = snapshots.at(-1) as TestSnapshot;
    const data = await graphql(query, { id: fresh });
    expect(data.campaign.latestSnapshot).toEqual({
      volunteers: { current: last.volunteers },
      spent: last.spent / 100,
    });
    const latest = db.statements.find((s) => s.includes('JOIN campaign_latest_snapshots')) as string;
    expect(latest).not.toContain('has_previous');
    expect(latest).not.toContain('full_snapshot');

    const withDelta = await graphql(query.replace('stat: LAST', 'stat: DELTA'), { id: fresh });
    const before = snapshots.at(-2) as TestSnapshot;
    expect(withDelta.campaign.latestSnapshot.spent).toBe((last.spent - before.spent) / 100);
  });
});

describe('rollups are read only where retention left some', () => {
  const SERIES = /* GraphQL */ `
    query Series($id: ID!, $from: DateTime!, $to: DateTime!, $stat: Stat!) {
      campaign(id: $id) {
        series(metrics: [BUDGET_SPENT, SROI_SCORE], from: $from, to: $to, granularity: DAY, stat: $stat) {
          granularity timestamps columns { metric values }
        }
      }
    }
  `;
  const expectSeries = (answer: Json, from: string, to: string, stat: 'LAST' | 'AVG' | 'DELTA') => {
    expect(answer.granularity).toBe('DAY');
    const spent = naive(SPENT, from, to);
    expect(answer.timestamps.map((t: string) => naiveBucketKey(new Date(t), 'DAY', 'UTC'))).toEqual(
      spent.map((b) => b.key),
    );
    // AVG is a float8 quotient: equal to the naive mean within rounding
    const expectClose = (values: (number | null)[], want: (number | null)[]) => {
      expect(values).toHaveLength(want.length);
      values.forEach((value, i) => {
        if (value === null || want[i] === null) expect(value).toBe(want[i]);
        else expect(value).toBeCloseTo(want[i] as number, 9);
      });
    };
    expectClose(
      answer.columns[0].values,
      spent.map((b) => b[stat]),
    );
    expectClose(
      answer.columns[1].values,
      naive(SROI, from, to).map((b) => b[stat]),
    );
  };

  it('answers a range newer than every rollup from raw snapshots in one statement', async () => {
    const data = await graphql(SERIES, { id: rolled, ...FEB, stat: 'DELTA' });
    expectSeries(data.campaign.series, FEB.from, FEB.to, 'DELTA');
    expect(rawStatements()).toHaveLength(1);
    expect(mergedStatements()).toHaveLength(0);
  });

  it('merges rollups when the range reaches them, and when DELTA needs the LAST a rollup holds', async () => {
    const across = { from: '2026-01-20T00:00:00Z', to: '2026-02-10T00:00:00Z' };
    const data = await graphql(SERIES, { id: rolled, ...across, stat: 'AVG' });
    expectSeries(data.campaign.series, across.from, across.to, 'AVG');
    expect(rawStatements()).toHaveLength(1);
    expect(mergedStatements()).toHaveLength(1);

    // raw from firstRawDay on: the day before it is only a rollup now
    const after = { from: firstRawDay, to: '2026-02-05T00:00:00Z' };
    const delta = await graphql(SERIES, { id: rolled, ...after, stat: 'DELTA' });
    expectSeries(delta.campaign.series, after.from, after.to, 'DELTA');
    expect(mergedStatements()).toHaveLength(1);
    // without DELTA the same range needs no rollup
    const last = await graphql(SERIES, { id: rolled, ...after, stat: 'LAST' });
    expectSeries(last.campaign.series, after.from, after.to, 'LAST');
    expect(mergedStatements()).toHaveLength(0);
  });

  it('answers the raw campaign from the raw statement and the rolled one by merging, on one page', async () => {
    const query = /* GraphQL */ `
      query Page($from: DateTime!, $to: DateTime!) {
        campaigns(first: 10) {
          edges { node { name series(metrics: [BUDGET_SPENT], from: $from, to: $to, granularity: WEEK) { timestamps columns { values } } } }
        }
      }
    `;
    const range = { from: '2026-01-05T00:00:00Z', to: '2026-03-02T00:00:00Z' };
    const data = await graphql(query, range);
    const weeks = naiveBuckets(SPENT, new Date(range.from), new Date(range.to), 'WEEK', 'UTC');
    for (const { node } of data.campaigns.edges) {
      expect(node.series.columns[0].values, node.name).toEqual(weeks.map((w) => w.LAST));
    }
    // both campaigns in the raw statement; only the rolled one goes on to the merging one
    expect(rawStatements()).toHaveLength(1);
    expect(mergedStatements()).toHaveLength(1);
  });
});
