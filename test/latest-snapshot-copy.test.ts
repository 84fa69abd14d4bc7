import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/client.js';
import { RECORD_SNAPSHOTS, snapshotInput } from './fixtures/snapshot-inputs.js';
import { createCampaignWith, databaseWithArchive, retain, type TestSnapshot } from './helpers/retention.js';
import { executeOk } from './helpers/test-database.js';

/**
 * campaign_latest_snapshots holds a copy of each campaign's newest raw snapshot, kept by
 * triggers on the snapshot table. After every kind of write below, the copy must equal what
 * a plain DISTINCT ON over the raw table says is newest, column for column; the dates are
 * also checked against the ones the test wrote.
 */

const context = databaseWithArchive();
const db = () => context.db.handle.db;

const day = (iso: string) => new Date(`${iso}T00:00:00Z`);
const snapshot = (iso: string, volunteers: number): TestSnapshot => ({
  at: day(iso),
  spent: 10_000,
  volunteers,
  sroi: 1.5,
});

/** Columns the copy has beside the snapshot's: each resource's utilization as alerts compare it. */
const isAlertUtilization = (column: string) => column.endsWith('_alert_utilization');

/** The copy table, whole rows by campaign, without the alert utilizations it generates itself. */
const copies = async () =>
  (await queryRows(db(), sql`SELECT * FROM campaign_latest_snapshots ORDER BY campaign_id`)).map((row) =>
    Object.fromEntries(Object.entries(row).filter(([column]) => !isAlertUtilization(column))),
  );

/** The newest raw row of each campaign, computed without the copy. */
const newestRawRows = () =>
  queryRows(
    db(),
    sql`SELECT DISTINCT ON (campaign_id) * FROM campaign_metrics_snapshots ORDER BY campaign_id, snapshot_date DESC`,
  );

async function expectCopiesMatchRawTable() {
  expect(await copies()).toEqual(await newestRawRows());
}

async function newestDateOf(campaignId: string): Promise<string | null> {
  const [row] = await queryRows<{ newest: string }>(
    db(),
    sql`SELECT to_char(snapshot_date AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS newest
        FROM campaign_latest_snapshots WHERE campaign_id = ${campaignId}::uuid`,
  );
  return row?.newest ?? null;
}

async function volunteersOf(campaignId: string): Promise<number | null> {
  const [row] = await queryRows<{ volunteers: number; target: number; utilization: number | null }>(
    db(),
    sql`SELECT volunteers_current AS volunteers, volunteers_target AS target,
               volunteers_alert_utilization AS utilization
        FROM campaign_latest_snapshots WHERE campaign_id = ${campaignId}::uuid`,
  );
  // The generated alert utilization follows the copied values (stored utilization, 4 places).
  if (row) expect(row.utilization).toBe(Math.round((row.volunteers / row.target) * 10_000) / 10_000);
  return row?.volunteers ?? null;
}

function record(campaignId: string, iso: string, volunteers: number) {
  return executeOk(context.db.gateway, RECORD_SNAPSHOTS, {
    input: [
      snapshotInput(campaignId, {
        at: day(iso).toISOString(),
        spent: '100.00',
        allocated: '1000000.00',
        volunteers: [volunteers, 50],
        sroi: 1.5,
      }),
    ],
  });
}

describe('campaign_latest_snapshots', () => {
  it('holds the newest row of each campaign after inserts in any order', async () => {
    const a = await createCampaignWith(context.db, { timeZone: 'UTC', name: 'A' }, [
      snapshot('2026-03-02', 7),
      snapshot('2026-03-09', 9),
      snapshot('2026-03-05', 8),
    ]);
    const b = await createCampaignWith(context.db, { timeZone: 'Europe/Berlin', name: 'B' }, [
      snapshot('2026-02-20', 3),
    ]);
    expect(await newestDateOf(a)).toBe('2026-03-09');
    expect(await volunteersOf(a)).toBe(9);
    expect(await newestDateOf(b)).toBe('2026-02-20');
    await expectCopiesMatchRawTable();
  });

  it('keeps the newer copy when an older snapshot arrives, and takes a newer one', async () => {
    const id = await createCampaignWith(context.db, { timeZone: 'UTC', name: 'Late data' }, [
      snapshot('2026-04-10', 20),
    ]);
    await record(id, '2026-04-01', 11);
    expect(await newestDateOf(id)).toBe('2026-04-10');
    expect(await volunteersOf(id)).toBe(20);
    await record(id, '2026-04-12', 22);
    expect(await newestDateOf(id)).toBe('2026-04-12');
    expect(await volunteersOf(id)).toBe(22);
    await expectCopiesMatchRawTable();
  });

  it('takes the corrected values when the newest snapshot is recorded again', async () => {
    const id = await createCampaignWith(context.db, { timeZone: 'UTC', name: 'Corrected' }, [
      snapshot('2026-05-01', 30),
      snapshot('2026-05-02', 31),
    ]);
    await record(id, '2026-05-02', 35);
    expect(await volunteersOf(id)).toBe(35);
    await expectCopiesMatchRawTable();
  });

  it('moves back to the newest row left when the newest is deleted, and is gone with the last row', async () => {
    const id = await createCampaignWith(context.db, { timeZone: 'UTC', name: 'Deleted' }, [
      snapshot('2026-06-01', 40),
      snapshot('2026-06-02', 41),
      snapshot('2026-06-03', 42),
    ]);
    await db().execute(
      sql`DELETE FROM campaign_metrics_snapshots WHERE campaign_id = ${id}::uuid AND snapshot_date = ${day('2026-06-03').toISOString()}::timestamptz`,
    );
    expect(await newestDateOf(id)).toBe('2026-06-02');
    expect(await volunteersOf(id)).toBe(41);
    // deleting an older row leaves the copy as it is
    await db().execute(
      sql`DELETE FROM campaign_metrics_snapshots WHERE campaign_id = ${id}::uuid AND snapshot_date = ${day('2026-06-01').toISOString()}::timestamptz`,
    );
    expect(await newestDateOf(id)).toBe('2026-06-02');
    await db().execute(sql`DELETE FROM campaign_metrics_snapshots WHERE campaign_id = ${id}::uuid`);
    expect(await newestDateOf(id)).toBeNull();
    await expectCopiesMatchRawTable();
  });

  it('follows a key that an update moves', async () => {
    const id = await createCampaignWith(context.db, { timeZone: 'UTC', name: 'Moved' }, [
      snapshot('2026-07-01', 50),
      snapshot('2026-07-05', 55),
    ]);
    await db().execute(
      sql`UPDATE campaign_metrics_snapshots SET snapshot_date = ${day('2026-06-20').toISOString()}::timestamptz
          WHERE campaign_id = ${id}::uuid AND snapshot_date = ${day('2026-07-05').toISOString()}::timestamptz`,
    );
    expect(await newestDateOf(id)).toBe('2026-07-01');
    expect(await volunteersOf(id)).toBe(50);
    await expectCopiesMatchRawTable();
  });

  it('follows retention: a campaign rolled up whole has no raw snapshot left, so no copy', async () => {
    // every raw row is years older than the run: retention rolls all of them into rollups
    const rolledUp = await createCampaignWith(context.db, { timeZone: 'UTC', name: 'Stopped' }, [
      snapshot('2019-01-01', 60),
      snapshot('2019-01-02', 61),
    ]);
    const recent = await createCampaignWith(context.db, { timeZone: 'UTC', name: 'Reporting' }, [
      snapshot('2019-01-01', 70),
      snapshot('2026-11-20', 71),
    ]);
    expect(await newestDateOf(rolledUp)).toBe('2019-01-02');
    await retain(db(), context.archive.url, day('2026-11-27'));
    expect(await newestDateOf(rolledUp)).toBeNull();
    expect(await newestDateOf(recent)).toBe('2026-11-20');
    await expectCopiesMatchRawTable();
  });

  it('is emptied by TRUNCATE of the snapshot table', async () => {
    expect((await copies()).length).toBeGreaterThan(0);
    await db().execute(sql`TRUNCATE campaign_metrics_snapshots`);
    expect(await copies()).toEqual([]);
  });
});

describe.skipIf(!process.env.DATABASE_URL)(
  'campaign_latest_snapshots under concurrent writes (PostgreSQL)',
  () => {
    it('keeps the newer row when a delete of the newest races an insert of a newer one', async () => {
      const id = await createCampaignWith(context.db, { timeZone: 'UTC', name: 'Race' }, [
        snapshot('2026-08-01', 80),
        snapshot('2026-08-02', 81),
      ]);
      const [database] = await queryRows<{ name: string }>(db(), sql`SELECT current_database() AS name`);
      const url = new URL(process.env.DATABASE_URL ?? '');
      url.pathname = `/${database?.name}`;
      const writer = postgres(url.toString(), { max: 1, onnotice: () => {} });
      try {
        const reserved = await writer.reserve();
        await reserved`BEGIN`;
        // a newer snapshot, not yet committed: its trigger has replaced (and locked) the copy
        await reserved`
        INSERT INTO campaign_metrics_snapshots (campaign_id, snapshot_date, volunteers_target, volunteers_current,
          beneficiaries_target, beneficiaries_current, sessions_target, sessions_current, budget_allocated,
          budget_spent, full_snapshot)
        VALUES (${id}, ${day('2026-08-03').toISOString()}, 100, 82, 10, 1, 10, 1, 100, 1, '{}')`;
        // meanwhile the newest committed row goes: this delete's refresh must wait for the insert
        // (then() sends it now: drizzle sends a statement when it is first awaited)
        const deleted = db()
          .execute(
            sql`DELETE FROM campaign_metrics_snapshots WHERE campaign_id = ${id}::uuid AND snapshot_date = ${day('2026-08-02').toISOString()}::timestamptz`,
          )
          .then(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 300));
        await reserved`COMMIT`;
        reserved.release();
        await deleted;
      } finally {
        await writer.end();
      }
      expect(await newestDateOf(id)).toBe('2026-08-03');
      expect(await volunteersOf(id)).toBe(82);
      await expectCopiesMatchRawTable();
    });
  },
);
