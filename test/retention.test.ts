import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/client.js';
import { configureRetention } from '../src/retention/settings.js';
import {
  createCampaignWith,
  retain,
  storedLayout,
  type TestSnapshot,
  temporaryArchive,
} from './helpers/retention.js';
import { createTestDatabase, execute, executeOk, type TestDatabase } from './helpers/test-database.js';

/**
 * Hand-computed tier boundaries. UTC campaign, asOf 2026-06-15T00:00Z, so the cutoffs are
 * (by hand): DAY 2026-05-15T00:00Z (asOf - 31 d), WEEK 2026-03-16T00:00Z (asOf - 91 d,
 * a Monday), MONTH 2025-06-14T00:00Z (asOf - 366 d), QUARTER 2023-06-15T00:00Z (- 3 y).
 * High value: DAY 2026-04-15T00:00Z (- 61 d), WEEK 2025-12-16T00:00Z (- 181 d).
 */
const AS_OF = new Date('2026-06-15T00:00:00Z');
let db: TestDatabase;
const archive = temporaryArchive();

beforeAll(async () => {
  db = await createTestDatabase();
  configureRetention({ archiveUrl: archive.url, s3: {} });
});
afterAll(async () => {
  await db?.close();
  archive.remove();
});

const snap = (iso: string, spent: number, sroi: number | null = null): TestSnapshot => ({
  at: new Date(iso),
  spent,
  volunteers: 5,
  sroi,
});

/** The granularity each instant is stored at (RAW, a rollup's, or QUARTER when archived). */
async function storedGranularityOf(id: string, instants: string[]): Promise<Record<string, string>> {
  const layout = await storedLayout(db.handle.db, id);
  const raw = await queryRows(
    db.handle.db,
    sql`SELECT snapshot_date FROM campaign_metrics_snapshots WHERE campaign_id = ${id}::uuid`,
  );
  const rawTimes = new Set(
    raw.map((r) =>
      new Date(
        String(r.snapshot_date)
          .replace(' ', 'T')
          .replace(/([+-]\d\d)$/, '$1:00'),
      ).getTime(),
    ),
  );
  const parse = (v: unknown) =>
    new Date(
      String(v)
        .replace(' ', 'T')
        .replace(/([+-]\d\d)$/, '$1:00'),
    ).getTime();
  const result: Record<string, string> = {};
  for (const iso of instants) {
    const t = Date.parse(iso);
    if (rawTimes.has(t)) result[iso] = 'RAW';
    else {
      const rollup = layout.rollups.find((r) => parse(r.bucket_start) <= t && t < parse(r.bucket_end));
      const archived = layout.archives.find((a) => parse(a.bucket_start) <= t && t < parse(a.bucket_end));
      result[iso] = rollup
        ? `${rollup.granularity} ${new Date(parse(rollup.bucket_start)).toISOString()}`
        : archived
          ? 'QUARTER'
          : 'MISSING';
    }
  }
  return result;
}

describe('tier boundaries (hand-computed)', () => {
  const INSTANTS = {
    // age 30.5 days: raw; the day before ends at the DAY cutoff: DAY
    '2026-05-15T12:00:00Z': 'RAW',
    '2026-05-14T12:00:00Z': 'DAY 2026-05-14T00:00:00.000Z',
    // the ISO week 2026-03-16..23 ends after the WEEK cutoff: its days are DAY rollups;
    // the week 2026-03-09..16 ends on it: WEEK
    '2026-03-16T06:00:00Z': 'DAY 2026-03-16T00:00:00.000Z',
    '2026-03-15T23:00:00Z': 'WEEK 2026-03-09T00:00:00.000Z',
    // June 2025 ends after the MONTH cutoff: weeks (cut at the month start: 2025-06-01 is a
    // Sunday, so the week of Monday 2025-05-26 has a part in June starting 2025-06-01);
    // May 2025 ends before it: MONTH
    '2025-06-01T10:00:00Z': 'WEEK 2025-06-01T00:00:00.000Z',
    '2025-05-31T10:00:00Z': 'MONTH 2025-05-01T00:00:00.000Z',
    // Q2 2023 ends after the QUARTER cutoff: MONTH; Q1 2023 ends before it: archived
    '2023-06-20T00:00:00Z': 'MONTH 2023-06-01T00:00:00.000Z',
    '2023-03-31T23:59:00Z': 'QUARTER',
  };

  it('puts each snapshot in the tier its age gives', async () => {
    const instants = Object.keys(INSTANTS);
    const id = await createCampaignWith(
      db,
      { timeZone: 'UTC' },
      instants.map((at, i) => snap(at, 100 * (i + 1))),
    );
    const report = await retain(db.handle.db, archive.url, AS_OF);
    expect(await storedGranularityOf(id, instants)).toEqual(INSTANTS);
    // by hand: 7 of 8 snapshots left the raw table, into 6 rollup rows and 1 archived quarter
    expect(report).toMatchObject({
      rawSnapshotsRolledUp: 7,
      rollupRowsWritten: 6,
      rowsDeleted: 7,
      rowsArchived: 1,
      skipped: false,
    });
    // idempotent: the same asOf again changes nothing
    const again = await retain(db.handle.db, archive.url, AS_OF);
    expect(again).toMatchObject({
      rawSnapshotsRolledUp: 0,
      rollupRowsWritten: 0,
      rowsDeleted: 0,
      rowsArchived: 0,
    });
    await queryRows(db.handle.db, sql`DELETE FROM campaigns WHERE id = ${id}::uuid`);
  });

  it('keeps raw and DAY twice as long for high-value campaigns', async () => {
    const instants = [
      '2026-04-20T12:00:00Z', // age 55.5 d: raw (HV) / DAY
      '2026-04-14T12:00:00Z', // its day ends at the HV DAY cutoff: DAY (HV) / DAY
      '2026-01-10T12:00:00Z', // age 155.5 d: DAY (HV) / WEEK
      '2025-12-10T12:00:00Z', // ISO week 2025-12-08..15 ends before the HV WEEK cutoff: WEEK both
    ];
    const normal = await createCampaignWith(
      db,
      { timeZone: 'UTC' },
      instants.map((at) => snap(at, 1)),
    );
    const high = await createCampaignWith(
      db,
      { timeZone: 'UTC', highValue: true },
      instants.map((at) => snap(at, 1)),
    );
    await retain(db.handle.db, archive.url, AS_OF);
    expect(await storedGranularityOf(normal, instants)).toEqual({
      '2026-04-20T12:00:00Z': 'DAY 2026-04-20T00:00:00.000Z',
      '2026-04-14T12:00:00Z': 'DAY 2026-04-14T00:00:00.000Z',
      '2026-01-10T12:00:00Z': 'WEEK 2026-01-05T00:00:00.000Z',
      '2025-12-10T12:00:00Z': 'WEEK 2025-12-08T00:00:00.000Z',
    });
    expect(await storedGranularityOf(high, instants)).toEqual({
      '2026-04-20T12:00:00Z': 'RAW',
      '2026-04-14T12:00:00Z': 'DAY 2026-04-14T00:00:00.000Z',
      '2026-01-10T12:00:00Z': 'DAY 2026-01-10T00:00:00.000Z',
      '2025-12-10T12:00:00Z': 'WEEK 2025-12-08T00:00:00.000Z',
    });
    await queryRows(db.handle.db, sql`DELETE FROM campaigns WHERE id IN (${normal}::uuid, ${high}::uuid)`);
  });

  it('follows the campaign zone: a Berlin day starts at local midnight, DST included', async () => {
    // 2025-10-26 is Berlin's 25-hour fall-back day: local midnight 2025-10-25T22:00Z (CEST)
    const id = await createCampaignWith(db, { timeZone: 'Europe/Berlin' }, [
      snap('2025-10-25T21:59:00Z', 1), // 23:59 CEST on the 25th
      snap('2025-10-25T22:00:00Z', 2), // 00:00 on the 26th
      snap('2025-10-26T22:59:00Z', 3), // 23:59 CET on the 26th
    ]);
    await retain(db.handle.db, archive.url, new Date('2025-12-15T00:00:00Z'));
    const layout = await storedLayout(db.handle.db, id);
    expect(
      layout.rollups.map((r) => [
        r.granularity,
        new Date(
          String(r.bucket_start)
            .replace(' ', 'T')
            .replace(/([+-]\d\d)$/, '$1:00'),
        ).toISOString(),
        r.sample_count,
      ]),
    ).toEqual([
      ['DAY', '2025-10-24T22:00:00.000Z', 1],
      ['DAY', '2025-10-25T22:00:00.000Z', 2],
    ]);
    await queryRows(db.handle.db, sql`DELETE FROM campaigns WHERE id = ${id}::uuid`);
  });
});

describe('legal hold, dry run, exact money, lock', () => {
  async function tableDump() {
    const dump = async (table: string) =>
      JSON.stringify(await queryRows(db.handle.db, sql.raw(`SELECT * FROM ${table} ORDER BY 1, 2, 3`)));
    return [
      await dump('campaign_metrics_snapshots'),
      await dump('campaign_metrics_rollups'),
      await dump('campaign_metrics_archives'),
    ];
  }

  it('leaves legal-hold campaigns untouched and a dry run writes nothing', async () => {
    const old = ['2020-01-05T00:00:00Z', '2024-02-01T00:00:00Z', '2026-01-01T00:00:00Z'];
    const held = await createCampaignWith(
      db,
      { timeZone: 'UTC', legalHold: true },
      old.map((at) => snap(at, 7)),
    );
    const other = await createCampaignWith(
      db,
      { timeZone: 'UTC' },
      old.map((at) => snap(at, 7)),
    );
    const before = await tableDump();
    const dry = await executeOk(
      db.gateway,
      `mutation { runRetention(asOf: "2026-06-15T00:00:00Z", dryRun: true) {
        asOf dryRun rawSnapshotsRolledUp rollupRowsWritten rowsDeleted rowsArchived campaignsSkippedForLegalHold skipped } }`,
    );
    expect(await tableDump()).toEqual(before);
    // by hand for `other`: 2020-01-05 archived (Q1 2020), 2024-02-01 MONTH, 2026-01-01 WEEK
    expect(dry.runRetention).toEqual({
      asOf: '2026-06-15T00:00:00.000Z',
      dryRun: true,
      rawSnapshotsRolledUp: 3,
      rollupRowsWritten: 2,
      rowsDeleted: 3,
      rowsArchived: 1,
      campaignsSkippedForLegalHold: 1,
      skipped: false,
    });
    const real = await executeOk(
      db.gateway,
      `mutation { runRetention(asOf: "2026-06-15T00:00:00Z") {
        dryRun rawSnapshotsRolledUp rollupRowsWritten rowsDeleted rowsArchived campaignsSkippedForLegalHold } }`,
    );
    expect(real.runRetention).toEqual({
      ...dry.runRetention,
      dryRun: false,
      asOf: undefined,
      skipped: undefined,
    });
    expect((await storedLayout(db.handle.db, held)).raw).toBe(3);
    expect((await storedLayout(db.handle.db, other)).raw).toBe(0);
    await queryRows(db.handle.db, sql`DELETE FROM campaigns WHERE id IN (${held}::uuid, ${other}::uuid)`);
  });

  it('sums money exactly in numeric', async () => {
    // ten snapshots of 0.10 and ten of 0.20 in one old day: sum 3.00 exactly, not 3.0000000000000004
    const day = Date.parse('2026-01-02T00:00:00Z');
    const id = await createCampaignWith(
      db,
      { timeZone: 'UTC' },
      Array.from({ length: 20 }, (_, i) => ({
        at: new Date(day + i * 60_000),
        spent: i % 2 ? 10 : 20,
        volunteers: 1,
        sroi: null,
      })),
    );
    await retain(db.handle.db, archive.url, new Date('2026-02-15T00:00:00Z'));
    const [row] = await queryRows(
      db.handle.db,
      sql`SELECT budget_spent_sum::text AS sum, sroi_score_count, sample_count FROM campaign_metrics_rollups WHERE campaign_id = ${id}::uuid`,
    );
    expect(row).toEqual({ sum: '3.00', sroi_score_count: 0, sample_count: 20 });
    await queryRows(db.handle.db, sql`DELETE FROM campaigns WHERE id = ${id}::uuid`);
  });

  it('rejects an asOf more than a day ahead', async () => {
    const result = await execute(
      db.gateway,
      'mutation { runRetention(asOf: "2999-01-01T00:00:00Z") { rowsDeleted } }',
    );
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0]?.message).toMatch(/more than a day in the future/);
  });

  it('lets one of two concurrent runs work and reports the other skipped', async () => {
    const id = await createCampaignWith(
      db,
      { timeZone: 'UTC' },
      Array.from({ length: 200 }, (_, i) =>
        snap(new Date(Date.parse('2025-01-01T00:00:00Z') + i * 3_600_000).toISOString(), i),
      ),
    );
    const runs = await Promise.all([
      retain(db.handle.db, archive.url, AS_OF),
      retain(db.handle.db, archive.url, AS_OF),
    ]);
    expect(runs.map((r) => r.skipped).sort()).toEqual([false, true]);
    const worked = runs.find((r) => !r.skipped);
    expect(worked?.rawSnapshotsRolledUp).toBe(200);
    expect(runs.find((r) => r.skipped)).toMatchObject({ rawSnapshotsRolledUp: 0, rowsDeleted: 0 });
    await queryRows(db.handle.db, sql`DELETE FROM campaigns WHERE id = ${id}::uuid`);
  });
});
