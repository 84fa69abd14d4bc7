import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { queryRows } from '../src/db/client.js';
import { toInstant } from '../src/db/values.js';
import { rebuildDailyAggregates, setDailyAggregateZones } from '../src/queries/daily-aggregates.js';
import { RECORD_SNAPSHOTS, snapshotInput, UPSERT_CAMPAIGN } from './fixtures/snapshot-inputs.js';
import { createCampaignWith, retain, type TestSnapshot, temporaryArchive } from './helpers/retention.js';
import { createTestDatabase, executeOk, type TestDatabase } from './helpers/test-database.js';

/**
 * The pre-aggregated local days (campaign_metrics_daily) and weeks (campaign_metrics_weekly)
 * follow every writer of raw snapshots, and bucket statements read them. Expected rows are
 * written out by hand.
 */

let db: TestDatabase;
const archive = temporaryArchive();

beforeAll(async () => {
  db = await createTestDatabase();
  await setDailyAggregateZones(db.handle.db, ['America/New_York']);
});
afterAll(async () => {
  await db?.close();
  archive.remove();
});

const snap = (iso: string, spentCents: number, volunteers: number, sroi: number | null): TestSnapshot => ({
  at: new Date(iso),
  spent: spentCents,
  volunteers,
  sroi,
});

interface PeriodRow {
  zone: string;
  start: string;
  samples: number;
  first: string;
  last: string;
  volunteersFirst: number;
  volunteersLast: number;
  volunteersMin: number;
  volunteersMax: number;
  spentSum: string;
  sroiCount: number;
}

/** A campaign's pre-aggregated days or weeks, by zone and start. */
async function periodRows(campaignId: string, level: 'days' | 'weeks' = 'days'): Promise<PeriodRow[]> {
  const [table, start] =
    level === 'days' ? ['campaign_metrics_daily', 'day_start'] : ['campaign_metrics_weekly', 'week_start'];
  const rows = await queryRows(
    db.handle.db,
    sql`SELECT time_zone, ${sql.raw(start)} AS start, sample_count, first_at, last_at, volunteers_current_first,
               volunteers_current_last, volunteers_current_min, volunteers_current_max,
               budget_spent_sum::text AS spent_sum, sroi_score_count
        FROM ${sql.raw(table)} WHERE campaign_id = ${campaignId}::uuid
        ORDER BY time_zone, start`,
  );
  return rows.map((row) => ({
    zone: String(row.time_zone),
    start: toInstant(row.start).toISOString(),
    samples: Number(row.sample_count),
    first: toInstant(row.first_at).toISOString(),
    last: toInstant(row.last_at).toISOString(),
    volunteersFirst: Number(row.volunteers_current_first),
    volunteersLast: Number(row.volunteers_current_last),
    volunteersMin: Number(row.volunteers_current_min),
    volunteersMax: Number(row.volunteers_current_max),
    spentSum: String(row.spent_sum),
    sroiCount: Number(row.sroi_score_count),
  }));
}

/** Berlin is UTC+1 in January; New York UTC-5. */
const BERLIN_DAY_1 = '2026-01-09T23:00:00.000Z'; // 2026-01-10 00:00 Berlin
const BERLIN_DAY_2 = '2026-01-10T23:00:00.000Z'; // 2026-01-11 00:00 Berlin
const NEW_YORK_DAY_1 = '2026-01-10T05:00:00.000Z'; // 2026-01-10 00:00 New York

describe('ingest keeps the local days exact', () => {
  it('aggregates each local day in the campaign zone and the kept zone, and follows a late correction', async () => {
    const id = await createCampaignWith(db, { timeZone: 'Europe/Berlin' }, [
      snap('2026-01-10T01:00:00Z', 1000, 4, 1.5), // Berlin 10th 02:00, New York 9th 20:00
      snap('2026-01-10T12:00:00Z', 2050, 9, null), // Berlin 10th, New York 10th
      snap('2026-01-10T23:30:00Z', 3000, 2, 2.25), // Berlin 11th 00:30, New York 10th
    ]);
    expect(await periodRows(id)).toEqual([
      {
        zone: 'America/New_York',
        start: '2026-01-09T05:00:00.000Z',
        samples: 1,
        first: '2026-01-10T01:00:00.000Z',
        last: '2026-01-10T01:00:00.000Z',
        volunteersFirst: 4,
        volunteersLast: 4,
        volunteersMin: 4,
        volunteersMax: 4,
        spentSum: '10.00',
        sroiCount: 1,
      },
      {
        zone: 'America/New_York',
        start: NEW_YORK_DAY_1,
        samples: 2,
        first: '2026-01-10T12:00:00.000Z',
        last: '2026-01-10T23:30:00.000Z',
        volunteersFirst: 9,
        volunteersLast: 2,
        volunteersMin: 2,
        volunteersMax: 9,
        spentSum: '50.50',
        sroiCount: 1,
      },
      {
        zone: 'Europe/Berlin',
        start: BERLIN_DAY_1,
        samples: 2,
        first: '2026-01-10T01:00:00.000Z',
        last: '2026-01-10T12:00:00.000Z',
        volunteersFirst: 4,
        volunteersLast: 9,
        volunteersMin: 4,
        volunteersMax: 9,
        spentSum: '30.50',
        sroiCount: 1,
      },
      {
        zone: 'Europe/Berlin',
        start: BERLIN_DAY_2,
        samples: 1,
        first: '2026-01-10T23:30:00.000Z',
        last: '2026-01-10T23:30:00.000Z',
        volunteersFirst: 2,
        volunteersLast: 2,
        volunteersMin: 2,
        volunteersMax: 2,
        spentSum: '30.00',
        sroiCount: 1,
      },
    ]);

    // Monday the 5th starts the week of all three, in both zones: the days merged
    const week = {
      samples: 3,
      first: '2026-01-10T01:00:00.000Z',
      last: '2026-01-10T23:30:00.000Z',
      volunteersFirst: 4,
      volunteersLast: 2,
      volunteersMin: 2,
      volunteersMax: 9,
      spentSum: '60.50',
      sroiCount: 2,
    };
    expect(await periodRows(id, 'weeks')).toEqual([
      { zone: 'America/New_York', start: '2026-01-05T05:00:00.000Z', ...week },
      { zone: 'Europe/Berlin', start: '2026-01-04T23:00:00.000Z', ...week },
    ]);

    // the noon snapshot again with other values (a late correction), and one more at 18:00
    await executeOk(db.gateway, RECORD_SNAPSHOTS, {
      input: [
        snapshotInput(id, { at: '2026-01-10T12:00:00Z', volunteers: [7, 20], spent: '1.25', sroi: 3 }),
        snapshotInput(id, { at: '2026-01-10T18:00:00Z', volunteers: [11, 20], spent: '2.00', sroi: null }),
      ],
    });
    const berlinDay1 = (await periodRows(id)).find(
      (row) => row.zone === 'Europe/Berlin' && row.start === BERLIN_DAY_1,
    );
    // by hand: samples at 01:00 (4, 10.00, 1.5), 12:00 (7, 1.25, 3), 18:00 (11, 2.00, null)
    expect(berlinDay1).toEqual({
      zone: 'Europe/Berlin',
      start: BERLIN_DAY_1,
      samples: 3,
      first: '2026-01-10T01:00:00.000Z',
      last: '2026-01-10T18:00:00.000Z',
      volunteersFirst: 4,
      volunteersLast: 11,
      volunteersMin: 4,
      volunteersMax: 11,
      spentSum: '13.25',
      sroiCount: 2,
    });
    // the weeks follow: 01:00 (4, 10.00, 1.5), 12:00 (7, 1.25, 3), 18:00 (11, 2.00, null), 23:30 (2, 30.00, 2.25)
    const weekValues = (await periodRows(id, 'weeks')).map((row) => [
      row.zone,
      row.samples,
      row.volunteersFirst,
      row.volunteersLast,
      row.volunteersMin,
      row.volunteersMax,
      row.spentSum,
      row.sroiCount,
    ]);
    expect(weekValues).toEqual([
      ['America/New_York', 4, 4, 2, 2, 11, '43.25', 3],
      ['Europe/Berlin', 4, 4, 2, 2, 11, '43.25', 3],
    ]);
  });
});

describe('other writers', () => {
  it('moves the own zone with the campaign, and keeps the kept zone', async () => {
    const id = await createCampaignWith(db, { timeZone: 'Europe/Berlin', name: 'Mover' }, [
      snap('2026-01-10T01:00:00Z', 1000, 4, null),
    ]);
    await executeOk(db.gateway, UPSERT_CAMPAIGN, {
      input: { id, name: 'Mover', status: 'ACTIVE', timeZone: 'Asia/Tokyo' },
    });
    // Tokyo is UTC+9: 01:00Z is 10:00 on the 10th, whose midnight is 2026-01-09T15:00Z
    expect((await periodRows(id)).map((row) => [row.zone, row.start, row.samples])).toEqual([
      ['America/New_York', '2026-01-09T05:00:00.000Z', 1],
      ['Asia/Tokyo', '2026-01-09T15:00:00.000Z', 1],
    ]);
    // and its week: Monday the 5th, Tokyo midnight
    expect((await periodRows(id, 'weeks')).map((row) => [row.zone, row.start, row.samples])).toEqual([
      ['America/New_York', '2026-01-05T05:00:00.000Z', 1],
      ['Asia/Tokyo', '2026-01-04T15:00:00.000Z', 1],
    ]);
  });

  it('drops the days retention rolled up and rebuilds what a zone change needs', async () => {
    const id = await createCampaignWith(db, { timeZone: 'UTC', name: 'Rolled up' }, [
      snap('2026-03-02T06:00:00Z', 100, 1, null),
      snap('2026-03-02T18:00:00Z', 200, 2, null),
      snap('2026-06-14T06:00:00Z', 300, 3, null),
    ]);
    // asOf 2026-06-15: March is older than the DAY cutoff (31 days), June 14 is not
    await retain(db.handle.db, archive.url, new Date('2026-06-15T00:00:00Z'));
    const left = (await periodRows(id)).map((row) => [row.zone, row.start, row.samples]);
    expect(left).toEqual([
      ['America/New_York', '2026-06-14T04:00:00.000Z', 1],
      ['UTC', '2026-06-14T00:00:00.000Z', 1],
    ]);
    // Sunday the 14th lies in the week of Monday the 8th; March's weeks went with its days
    const weeksLeft = (await periodRows(id, 'weeks')).map((row) => [row.zone, row.start, row.samples]);
    expect(weeksLeft).toEqual([
      ['America/New_York', '2026-06-08T04:00:00.000Z', 1],
      ['UTC', '2026-06-08T00:00:00.000Z', 1],
    ]);
    for (const table of ['campaign_metrics_daily', 'campaign_metrics_weekly']) {
      await db.handle.db.execute(sql`DELETE FROM ${sql.raw(table)} WHERE campaign_id = ${id}::uuid`);
    }
    await rebuildDailyAggregates(db.handle.db, { campaignIds: [id] });
    expect((await periodRows(id)).map((row) => [row.zone, row.start, row.samples])).toEqual(left);
    expect((await periodRows(id, 'weeks')).map((row) => [row.zone, row.start, row.samples])).toEqual(
      weeksLeft,
    );
  });

  it('drops a zone no longer kept, but not where it is a campaign zone', async () => {
    const id = await createCampaignWith(db, { timeZone: 'America/New_York', name: 'New York' }, [
      snap('2026-01-10T12:00:00Z', 100, 1, null),
    ]);
    const other = await createCampaignWith(db, { timeZone: 'UTC', name: 'Elsewhere' }, [
      snap('2026-01-10T12:00:00Z', 100, 1, null),
    ]);
    expect(await setDailyAggregateZones(db.handle.db, [])).toMatchObject({
      added: [],
      removed: ['America/New_York'],
    });
    for (const level of ['days', 'weeks'] as const) {
      expect((await periodRows(id, level)).map((row) => row.zone)).toEqual(['America/New_York']);
      expect((await periodRows(other, level)).map((row) => row.zone)).toEqual(['UTC']);
    }
    const restored = await setDailyAggregateZones(db.handle.db, ['America/New_York']);
    expect(restored.added).toEqual(['America/New_York']);
    for (const level of ['days', 'weeks'] as const) {
      expect((await periodRows(other, level)).map((row) => row.zone)).toEqual(['America/New_York', 'UTC']);
    }
  });
});

describe('bucket statements read the days', () => {
  const WEEKS = /* GraphQL */ `
    query Weeks($id: ID!, $zone: TimeZone!, $from: DateTime!, $to: DateTime!) {
      campaign(id: $id) {
        snapshots(from: $from, to: $to, granularity: WEEK, timeZone: $zone, first: 10) {
          totalCount
          edges { node { snapshotDate sampleCount max: value(metric: VOLUNTEERS_CURRENT, stat: MAX) } }
        }
      }
    }`;

  interface WeekNode {
    snapshotDate: string;
    sampleCount: number;
    max: number;
  }
  type WeeksAnswer = { campaign: { snapshots: { totalCount: number; edges: { node: WeekNode }[] } } };
  const nodesOf = (data: WeeksAnswer) => data.campaign.snapshots.edges.map((edge) => edge.node);

  it('answers whole weeks from their pre-aggregate, days of cut weeks from theirs, cut days from the snapshots', async () => {
    const id = await createCampaignWith(db, { timeZone: 'UTC', name: 'Weeks' }, [
      snap('2026-01-05T06:00:00Z', 100, 3, null), // New York Monday the 5th, 01:00
      snap('2026-01-12T12:00:00Z', 100, 5, null),
      snap('2026-01-19T04:00:00Z', 100, 8, null), // New York Sunday the 18th, 23:00
    ]);
    // what the statement reads shows: alter a week's and a day's pre-aggregate behind the writers' back
    await db.handle.db.execute(
      sql`UPDATE campaign_metrics_weekly SET volunteers_current_max = 50
          WHERE campaign_id = ${id}::uuid AND time_zone = 'America/New_York' AND week_start = '2026-01-12T05:00:00Z'`,
    );
    await db.handle.db.execute(
      sql`UPDATE campaign_metrics_daily SET volunteers_current_max = 40
          WHERE campaign_id = ${id}::uuid AND time_zone = 'America/New_York' AND day_start = '2026-01-05T05:00:00Z'`,
    );
    const weeks = (zone: string, from = '2026-01-05T05:00:00Z', to = '2026-01-19T05:00:00Z') =>
      executeOk<WeeksAnswer>(db.gateway, WEEKS, { id, zone, from, to });
    // two whole New York weeks: the week rows
    const newYork = await weeks('America/New_York');
    expect(newYork.campaign.snapshots.totalCount).toBe(2);
    expect(nodesOf(newYork)).toEqual([
      { snapshotDate: '2026-01-05T05:00:00.000Z', sampleCount: 1, max: 3 },
      { snapshotDate: '2026-01-12T05:00:00.000Z', sampleCount: 2, max: 50 },
    ]);
    // up to Saturday the 10th: the first week is cut, so its whole days (Monday the 5th altered)
    expect(nodesOf(await weeks('America/New_York', '2026-01-05T05:00:00Z', '2026-01-10T05:00:00Z'))).toEqual([
      { snapshotDate: '2026-01-05T05:00:00.000Z', sampleCount: 1, max: 40 },
    ]);
    // from Wednesday the 7th to Wednesday the 21st: days, the whole week between, days
    expect(nodesOf(await weeks('America/New_York', '2026-01-07T05:00:00Z', '2026-01-21T05:00:00Z'))).toEqual([
      { snapshotDate: '2026-01-12T05:00:00.000Z', sampleCount: 2, max: 50 },
    ]);
    // Tokyo's days are not kept: the snapshots themselves; the range cuts its first and last week
    const tokyo = await weeks('Asia/Tokyo');
    expect(nodesOf(tokyo).map((node) => node.max)).toEqual([3, 5, 8]);
    await rebuildDailyAggregates(db.handle.db, { campaignIds: [id] });
    const rebuilt = await weeks('America/New_York');
    expect(nodesOf(rebuilt).map((node) => node.max)).toEqual([3, 8]);
    expect(nodesOf(await weeks('America/New_York', '2026-01-05T05:00:00Z', '2026-01-10T05:00:00Z'))).toEqual([
      { snapshotDate: '2026-01-05T05:00:00.000Z', sampleCount: 1, max: 3 },
    ]);
  });
});

describe('upgrading a database that has snapshots (PGlite)', () => {
  it("builds every campaign's days and weeks in its own zone in the migrations that add them", async () => {
    const migrations = path.resolve('drizzle');
    const older = mkdtempSync(path.join(tmpdir(), 'cmg-migrations-'));
    const client = await PGlite.create();
    try {
      const all = readdirSync(migrations).sort();
      const daysAdded = all.findIndex((name) => name.endsWith('_daily_aggregates'));
      for (const folder of all.slice(0, daysAdded)) {
        cpSync(path.join(migrations, folder), path.join(older, folder), { recursive: true });
      }
      const database = drizzle({ client });
      await migrate(database, { migrationsFolder: older });
      await client.exec(`
        CREATE TABLE campaign_metrics_snapshots_2026_01 PARTITION OF campaign_metrics_snapshots
          FOR VALUES FROM ('2026-01-01 00:00+00') TO ('2026-02-01 00:00+00');
        INSERT INTO campaigns (id, name, status, time_zone)
          VALUES ('5a0c1f2e-0000-4000-8000-000000000001', 'Before the upgrade', 'ACTIVE', 'Asia/Tokyo');
        INSERT INTO campaign_metrics_snapshots (campaign_id, snapshot_date, volunteers_target, volunteers_current,
            beneficiaries_target, beneficiaries_current, sessions_target, sessions_current, budget_allocated,
            budget_spent, full_snapshot)
          VALUES ('5a0c1f2e-0000-4000-8000-000000000001', '2026-01-10T14:00:00Z', 20, 4, 10, 1, 5, 1, 100, 10, '{}'),
                 ('5a0c1f2e-0000-4000-8000-000000000001', '2026-01-10T16:00:00Z', 20, 6, 10, 1, 5, 1, 100, 12, '{}');`);
      await migrate(database, { migrationsFolder: migrations });
      // Tokyo (UTC+9): 14:00Z is 23:00 on the 10th, 16:00Z is 01:00 on the 11th
      const days = await client.query<{ day_start: Date; sample_count: number; budget_spent_sum: string }>(
        'SELECT day_start, sample_count, budget_spent_sum::text FROM campaign_metrics_daily ORDER BY day_start',
      );
      expect(
        days.rows.map((row) => [row.day_start.toISOString(), row.sample_count, row.budget_spent_sum]),
      ).toEqual([
        ['2026-01-09T15:00:00.000Z', 1, '10.00'],
        ['2026-01-10T15:00:00.000Z', 1, '12.00'],
      ]);
      // and the later migration their week: Saturday the 10th and Sunday the 11th, Tokyo's Monday the 5th
      const weeks = await client.query<{ week_start: Date; sample_count: number; budget_spent_sum: string }>(
        'SELECT week_start, sample_count, budget_spent_sum::text FROM campaign_metrics_weekly',
      );
      expect(
        weeks.rows.map((row) => [row.week_start.toISOString(), row.sample_count, row.budget_spent_sum]),
      ).toEqual([['2026-01-04T15:00:00.000Z', 2, '22.00']]);
    } finally {
      await client.close();
      rmSync(older, { recursive: true, force: true });
    }
  });
});

describe('DAILY_AGGREGATE_TIME_ZONES', () => {
  it('lists IANA zones, and rejects anything else by name', () => {
    expect(
      loadConfig({ DAILY_AGGREGATE_TIME_ZONES: ' America/New_York, UTC,UTC ' }).dailyAggregateTimeZones,
    ).toEqual(['America/New_York', 'UTC']);
    expect(loadConfig({}).dailyAggregateTimeZones).toBeUndefined();
    expect(loadConfig({ DAILY_AGGREGATE_TIME_ZONES: '' }).dailyAggregateTimeZones).toEqual([]);
    expect(() => loadConfig({ DAILY_AGGREGATE_TIME_ZONES: 'UTC,CET' })).toThrow(
      'DAILY_AGGREGATE_TIME_ZONES must list IANA zone names such as "Europe/Berlin", got "CET"',
    );
  });
});
