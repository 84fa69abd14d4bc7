import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { drizzle } from 'drizzle-orm/postgres-js';
import type postgres from 'postgres';
import type { Database } from '../db/client.js';
import { relations } from '../db/relations.js';
import type { SnapshotInput } from '../ingest/validate-snapshots.js';
import { METRICS } from '../metrics/catalog.js';
import { rebuildDailyAggregates } from '../queries/daily-aggregates.js';
import { maintainSnapshotPartitions } from '../queries/snapshot-partitions.js';
import {
  type GeneratedCampaign,
  generateSnapshots,
  generateSteadyCampaigns,
  type SeedCadence,
  type SeedCampaignValues,
  type SeedWindow,
  STEP_HOURS,
  seedWindow,
  utcMidnight,
} from './generate.js';

/** The benchmark sizes of issue 8. */
export type ScaleName = '1.5m' | '15m';

export const SCALE_NAMES: readonly ScaleName[] = ['1.5m', '15m'];

/**
 * What bulkSeed loads: `campaigns` campaigns at `cadence` plus `hourlyCampaigns` at HOURLY,
 * every one ACTIVE and reporting through the `days` days before `end` (UTC midnight) without
 * outages, so the row count is campaigns x days x (24 / cadence hours) + hourlyCampaigns x days x 24.
 */
export interface BulkSeedPlan {
  campaigns: number;
  days: number;
  cadence: SeedCadence;
  hourlyCampaigns: number;
  seed: number;
  end: Date;
}

/** Not the regular seed's 42: campaign i of both would share an id (generateSteadyCampaigns). */
const BULK_RANDOM_SEED = 1508;

/**
 * 1.5m: 1,000 campaigns x 365 days 6-hourly + 10 hourly (1,547,600 snapshots);
 * 15m: 10,000 x 365 days 6-hourly + 100 hourly (15,476,000). The days end at the UTC midnight
 * at or before `end` (default: today's).
 */
export function scalePlan(scale: ScaleName, end: Date = new Date()): BulkSeedPlan {
  const campaigns = scale === '15m' ? 10_000 : 1_000;
  return {
    campaigns,
    days: 365,
    cadence: 'EVERY_6_HOURS',
    hourlyCampaigns: campaigns / 100,
    seed: BULK_RANDOM_SEED,
    end: utcMidnight(end),
  };
}

/** The plan's window and campaigns: the `cadence` ones first, then the hourly ones. */
export function planCampaigns(plan: BulkSeedPlan): { window: SeedWindow; campaigns: GeneratedCampaign[] } {
  for (const [name, value, min] of [
    ['campaigns', plan.campaigns, 0],
    ['hourlyCampaigns', plan.hourlyCampaigns, 0],
    ['days', plan.days, 1],
    ['seed', plan.seed, -2_147_483_648],
  ] as const) {
    if (!Number.isInteger(value) || value < min) {
      throw new RangeError(`bulk seed: ${name} must be an integer >= ${min}, got ${value}`);
    }
  }
  if (plan.end.getTime() !== utcMidnight(plan.end).getTime()) {
    throw new RangeError(`bulk seed: end must be a UTC midnight, got ${plan.end.toISOString()}`);
  }
  const window = seedWindow(plan.end, plan.days);
  return {
    window,
    campaigns: [
      ...generateSteadyCampaigns(plan.campaigns, plan.seed, window, { cadence: plan.cadence, firstIndex: 0 }),
      ...generateSteadyCampaigns(plan.hourlyCampaigns, plan.seed, window, {
        cadence: 'HOURLY',
        firstIndex: plan.campaigns,
      }),
    ],
  };
}

const snapshotsPerCampaign = (days: number, cadence: SeedCadence) => (days * 24) / STEP_HOURS[cadence];

/** The snapshot rows the plan loads. */
export function plannedSnapshots(plan: BulkSeedPlan): number {
  return (
    plan.campaigns * snapshotsPerCampaign(plan.days, plan.cadence) +
    plan.hourlyCampaigns * snapshotsPerCampaign(plan.days, 'HOURLY')
  );
}

// ---------------------------------------------------------------------------------------
// COPY text format

/**
 * JSON of `{ ...details, campaignName, status }` without building that object (stringifying
 * a spread copy costs 3x as much, measured): the two keys are appended to the details' JSON.
 * A key repeated in jsonb input keeps its last value, as the spread would.
 */
function fullSnapshotJson(details: SnapshotInput['details'], campaign: SeedCampaignValues): string {
  const json = JSON.stringify(details ?? {});
  const campaignKeys = `"campaignName":${JSON.stringify(campaign.name)},"status":${JSON.stringify(campaign.status)}}`;
  return json === '{}' ? `{${campaignKeys}` : `${json.slice(0, -1)},${campaignKeys}`;
}

type ColumnValue = (snapshot: SnapshotInput, campaign: SeedCampaignValues) => unknown;

/**
 * The written columns (the database computes utilizations and remaining) and their values,
 * as recordSnapshots stores a generated snapshot: full_snapshot = details plus the campaign's
 * name and status. The generator's values are valid and already rounded to their columns'
 * scales, so they go out without validateSnapshots, which costs twice the generation itself
 * (measured); test/seed-bulk.test.ts checks the rows equal those of the ingest path.
 */
const COPY_COLUMNS: readonly [string, ColumnValue][] = [
  ['campaign_id', (s) => s.campaignId],
  ['snapshot_date', (s) => s.snapshotDate],
  ['volunteers_target', (s) => s.volunteers.target],
  ['volunteers_current', (s) => s.volunteers.current],
  ['beneficiaries_target', (s) => s.beneficiaries.target],
  ['beneficiaries_current', (s) => s.beneficiaries.current],
  ['sessions_target', (s) => s.sessions.target],
  ['sessions_current', (s) => s.sessions.current],
  ['budget_allocated', (s) => s.budget.allocated],
  ['budget_spent', (s) => s.budget.spent],
  ['sroi_score', (s) => s.impact?.sroiScore],
  ['average_vis_score', (s) => s.impact?.averageVisScore],
  ['total_hours_logged', (s) => s.impact?.totalHoursLogged],
  ['total_sessions_completed', (s) => s.impact?.totalSessionsCompleted],
  ['seats_used', (s) => s.monetization?.seatsUsed],
  ['seats_committed', (s) => s.monetization?.seatsCommitted],
  ['credits_consumed', (s) => s.monetization?.creditsConsumed],
  ['credits_allocated', (s) => s.monetization?.creditsAllocated],
  ['learners_served', (s) => s.monetization?.learnersServed],
  ['learners_committed', (s) => s.monetization?.learnersCommitted],
  ['full_snapshot', (s, c) => fullSnapshotJson(s.details, c)],
];
const COPY_COLUMN_NAMES = COPY_COLUMNS.map(([column]) => column);
const WRITTEN_COLUMNS = METRICS.filter((m) => !m.derived).map((m) => m.column);
if (COPY_COLUMN_NAMES.slice(2, -1).join() !== WRITTEN_COLUMNS.join()) {
  // a metric added to the catalog needs its value here too
  throw new Error(`bulk seed: COPY columns differ from the catalog's written metrics (${WRITTEN_COLUMNS})`);
}

const SPECIAL = /[\\\t\n\r]/;
const SPECIAL_ALL = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** One value in COPY's text format: \N for null, backslash escapes for the delimiters. */
function copyValue(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  if (value instanceof Date) return value.toISOString();
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return SPECIAL.test(text) ? text.replace(SPECIAL_ALL, (c) => ESCAPES[c] ?? c) : text;
}

/** Rows per chunk of COPY text. */
const ROWS_PER_CHUNK = 1000;

/** COPY text of the campaigns' snapshots, a chunk of lines at a time. */
function* copyChunks(
  campaigns: readonly GeneratedCampaign[],
  window: SeedWindow,
  onRows: (rows: number) => void,
): Generator<string> {
  let chunk = '';
  let rows = 0;
  for (const campaign of campaigns) {
    for (const snapshot of generateSnapshots(campaign, window)) {
      for (let i = 0; i < COPY_COLUMNS.length; i++) {
        const [, value] = COPY_COLUMNS[i] as [string, ColumnValue];
        chunk += (i === 0 ? '' : '\t') + copyValue(value(snapshot, campaign.values));
      }
      chunk += '\n';
      if (++rows === ROWS_PER_CHUNK) {
        yield chunk;
        onRows(rows);
        chunk = '';
        rows = 0;
      }
    }
  }
  if (rows > 0) {
    yield chunk;
    onRows(rows);
  }
}

// ---------------------------------------------------------------------------------------
// Loading

/** Campaigns per COPY statement: a failed statement loses at most this many campaigns' rows. */
const CAMPAIGNS_PER_COPY = 250;

/**
 * Inserts or updates the plan's campaigns in one statement (upsertCampaign's columns; the
 * bulk data belongs to the default tenant). Plain SQL: a drizzle instance over the caller's
 * postgres.js client would switch its date parsers to strings.
 */
async function upsertCampaigns(sql: postgres.Sql, campaigns: readonly GeneratedCampaign[]): Promise<void> {
  const rows = campaigns.map(({ values }) => ({
    id: values.id,
    name: values.name,
    status: values.status,
    starts_at: values.startsAt?.toISOString() ?? null,
    ends_at: values.endsAt?.toISOString() ?? null,
    time_zone: values.timeZone,
    high_value: values.highValue,
    legal_hold: values.legalHold,
  }));
  await sql`
    INSERT INTO campaigns (id, name, status, starts_at, ends_at, time_zone, high_value, legal_hold)
    SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows)}::text::jsonb) AS c(
      id uuid, name text, status campaign_status, starts_at timestamptz, ends_at timestamptz,
      time_zone text, high_value boolean, legal_hold boolean)
    ON CONFLICT (id) DO UPDATE SET name = excluded.name, status = excluded.status,
      starts_at = excluded.starts_at, ends_at = excluded.ends_at, time_zone = excluded.time_zone,
      high_value = excluded.high_value, legal_hold = excluded.legal_hold, updated_at = now()`;
}

/**
 * Runs drizzle-based code on the caller's client, then restores the client's type parsers
 * and serializers: drizzle switches timestamps to strings, which would surprise a caller
 * reading dates through the same client afterwards.
 */
async function withDrizzle<T>(sql: postgres.Sql, work: (db: Database) => Promise<T>): Promise<T> {
  const { parsers, serializers } = sql.options;
  const saved = { parsers: { ...parsers }, serializers: { ...serializers } };
  try {
    return await work(drizzle({ client: sql, relations }));
  } finally {
    for (const [current, original] of [
      [parsers, saved.parsers],
      [serializers, saved.serializers],
    ] as const) {
      for (const key of Object.keys(current)) delete current[Number(key)];
      Object.assign(current, original);
    }
  }
}

/**
 * Loads the plan into the database at `sql` (migrated, PostgreSQL): upserts its campaigns,
 * removes snapshots they already have (a rerun or an interrupted load), creates the month
 * partitions of the window (COPY would fail on a month without one), then streams
 * the snapshots with COPY ... FROM STDIN into the parent campaign_metrics_snapshots, which
 * routes them, `streams` statements at once, and ANALYZEs. The same plan always
 * yields the same rows. `onProgress` gets the snapshot rows sent so far.
 */
export async function bulkSeed(
  sql: postgres.Sql,
  plan: BulkSeedPlan,
  onProgress?: (rows: number) => void,
  { streams = 1 }: { streams?: number } = {},
): Promise<{ campaigns: number; snapshots: number; seconds: number }> {
  const started = performance.now();
  const { window, campaigns } = planCampaigns(plan);
  await upsertCampaigns(sql, campaigns);
  const ids = campaigns.map((c) => c.values.id);
  await sql`DELETE FROM campaign_metrics_snapshots WHERE campaign_id = ANY(${ids}::uuid[])`;
  await withDrizzle(sql, (db) => maintainSnapshotPartitions(db, { from: window.start }));

  let sent = 0;
  const onRows = (rows: number) => {
    sent += rows;
    onProgress?.(sent);
  };
  const ranges: GeneratedCampaign[][] = [];
  for (let i = 0; i < campaigns.length; i += CAMPAIGNS_PER_COPY) {
    ranges.push(campaigns.slice(i, i + CAMPAIGNS_PER_COPY));
  }
  const copyRanges = async () => {
    for (let range = ranges.shift(); range; range = ranges.shift()) {
      const target =
        await sql`COPY campaign_metrics_snapshots (${sql(COPY_COLUMN_NAMES)}) FROM STDIN`.writable();
      await pipeline(Readable.from(copyChunks(range, window, onRows)), target);
    }
  };
  await Promise.all(Array.from({ length: streams }, copyRanges));
  await sql`ANALYZE campaigns, campaign_metrics_snapshots`;
  await rebuildDailyAggregatesInParts(sql, ids, streams);
  return { campaigns: campaigns.length, snapshots: sent, seconds: (performance.now() - started) / 1000 };
}

/** Daily and weekly pre-aggregates of the campaigns, `streams` groups of CAMPAIGNS_PER_COPY at once. */
async function rebuildDailyAggregatesInParts(
  sql: postgres.Sql,
  ids: readonly string[],
  streams: number,
): Promise<void> {
  const parts: string[][] = [];
  for (let i = 0; i < ids.length; i += CAMPAIGNS_PER_COPY) parts.push(ids.slice(i, i + CAMPAIGNS_PER_COPY));
  const rebuildParts = (db: Database) => async () => {
    for (let part = parts.shift(); part; part = parts.shift()) {
      await rebuildDailyAggregates(db, { campaignIds: part });
    }
  };
  await withDrizzle(sql, (db) => Promise.all(Array.from({ length: streams }, rebuildParts(db))));
  await sql`ANALYZE campaign_metrics_daily, campaign_metrics_weekly`;
}

/**
 * For a loaded plan: builds the daily and weekly pre-aggregates where a sample of its
 * campaigns (as in bulkSeedIsPresent) lacks a kept zone's days (a database seeded before
 * they existed, or a zone added since; the migration that added the weeks built them from
 * the days). Returns whether it built them.
 */
export async function ensureBulkSeedDailyAggregates(
  sql: postgres.Sql,
  plan: BulkSeedPlan,
  { streams = 1 }: { streams?: number } = {},
): Promise<boolean> {
  const { campaigns } = planCampaigns(plan);
  const ids = campaigns.map((c) => c.values.id);
  const sample = sampledCampaigns(campaigns).map((c) => c.values.id);
  const [missing] = await sql<{ missing: boolean }[]>`
    SELECT EXISTS (
      SELECT 1 FROM campaigns c
      CROSS JOIN LATERAL (SELECT c.time_zone UNION SELECT time_zone FROM daily_aggregate_zones) z
      WHERE c.id = ANY(${sample}::uuid[])
        AND NOT EXISTS (SELECT 1 FROM campaign_metrics_daily d WHERE d.campaign_id = c.id AND d.time_zone = z.time_zone)
    ) AS missing`;
  if (!missing?.missing) return false;
  await rebuildDailyAggregatesInParts(sql, ids, streams);
  return true;
}

/** The first and last campaign of every COPY statement, and the very last. */
function sampledCampaigns(campaigns: readonly GeneratedCampaign[]): GeneratedCampaign[] {
  return campaigns.filter(
    (_, i) =>
      i % CAMPAIGNS_PER_COPY === 0 ||
      i % CAMPAIGNS_PER_COPY === CAMPAIGNS_PER_COPY - 1 ||
      i === campaigns.length - 1,
  );
}

/**
 * Whether the plan is loaded: every campaign present, and for a sample of them (the first
 * and last of every COPY statement) the snapshot count and span exactly as planned.
 * Index lookups only, so cheap at 15M rows. The comparison happens in SQL, so it does not
 * matter how the client parses timestamps (drizzle makes them strings).
 */
export async function bulkSeedIsPresent(sql: postgres.Sql, plan: BulkSeedPlan): Promise<boolean> {
  const { window, campaigns } = planCampaigns(plan);
  const ids = campaigns.map((c) => c.values.id);
  const [found] = await sql<{ count: number }[]>`
    SELECT count(*)::int AS count FROM campaigns WHERE id = ANY(${ids}::uuid[])`;
  if (found?.count !== ids.length) return false;
  const expected = sampledCampaigns(campaigns).map(({ values, profile }) => ({
    id: values.id,
    count: snapshotsPerCampaign(plan.days, profile.cadence),
    first: window.start.toISOString(),
    last: new Date(window.end.getTime() - STEP_HOURS[profile.cadence] * 3_600_000).toISOString(),
  }));
  const [complete] = await sql<{ complete: boolean }[]>`
    SELECT coalesce(bool_and(s.count = e.count AND s.first = e.first AND s.last = e.last), false) AS complete
    FROM jsonb_to_recordset(${JSON.stringify(expected)}::text::jsonb)
         AS e(id uuid, count int, first timestamptz, last timestamptz)
    CROSS JOIN LATERAL (
      SELECT count(*)::int AS count, min(snapshot_date) AS first, max(snapshot_date) AS last
      FROM campaign_metrics_snapshots WHERE campaign_id = e.id) s`;
  return complete?.complete === true;
}
