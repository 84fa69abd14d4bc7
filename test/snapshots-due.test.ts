import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORD_SNAPSHOTS, snapshotInput } from './fixtures/snapshot-inputs.js';
import { createTestDatabase, executeOk, type TestDatabase } from './helpers/test-database.js';

/**
 * snapshotsDue by hand, asOf 2026-06-15T12:00Z. Cadence from sessions of the 7 days up to
 * the latest snapshot (contract): 150 -> HOURLY (due last + 1 h), 50 -> EVERY_6_HOURS
 * (+ 6 h), 10 -> DAILY (+ 24 h); COMPLETED -> FINAL_ONLY, due at its end until a snapshot
 * at or after the end exists.
 */
const AS_OF = '2026-06-15T12:00:00Z';
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.close());

const UPSERT = `mutation($input: CampaignInput!) { upsertCampaign(input: $input) { id } }`;
async function campaign(name: string, status: string, extra: Record<string, unknown> = {}) {
  const data = await executeOk(db.gateway, UPSERT, { input: { name, status, ...extra } });
  return data.upsertCampaign.id as string;
}
async function record(id: string, points: [string, number][]) {
  await executeOk(db.gateway, RECORD_SNAPSHOTS, {
    input: points.map(([at, sessions]) => snapshotInput(id, { at, sessionsCompleted: sessions })),
  });
}

describe('Query.snapshotsDue', () => {
  it('lists exactly the campaigns whose next snapshot is due, longest overdue first', async () => {
    const hourly = await campaign('hourly', 'ACTIVE');
    await record(hourly, [
      ['2026-06-08T10:00:00Z', 100],
      ['2026-06-15T10:30:00Z', 250],
    ]); // 150: due 11:30
    const sixHourly = await campaign('six', 'ACTIVE');
    await record(sixHourly, [
      ['2026-06-08T00:00:00Z', 0],
      ['2026-06-15T09:00:00Z', 50],
    ]); // 50: due 15:00, not yet
    const daily = await campaign('daily', 'ACTIVE');
    await record(daily, [
      ['2026-06-01T00:00:00Z', 0],
      ['2026-06-14T06:00:00Z', 10],
    ]); // 10: due 06-15 06:00
    const done = await campaign('done', 'COMPLETED', { endsAt: '2026-06-10T00:00:00Z' });
    await record(done, [['2026-06-01T00:00:00Z', 5]]); // final snapshot due at the end
    const finished = await campaign('finished', 'COMPLETED', { endsAt: '2026-06-10T00:00:00Z' });
    await record(finished, [['2026-06-10T00:00:00Z', 5]]); // has its final snapshot: never due
    const fresh = await campaign('fresh', 'DRAFT', { startsAt: '2026-06-20T00:00:00Z' }); // starts later
    const data = await executeOk(
      db.gateway,
      `query($asOf: DateTime) { snapshotsDue(asOf: $asOf) { campaign { id } cadence lastSnapshotAt dueAt } }`,
      { asOf: AS_OF },
    );
    expect(data.snapshotsDue).toEqual([
      {
        campaign: { id: done },
        cadence: 'FINAL_ONLY',
        lastSnapshotAt: '2026-06-01T00:00:00.000Z',
        dueAt: '2026-06-10T00:00:00.000Z',
      },
      {
        campaign: { id: daily },
        cadence: 'DAILY',
        lastSnapshotAt: '2026-06-14T06:00:00.000Z',
        dueAt: '2026-06-15T06:00:00.000Z',
      },
      {
        campaign: { id: hourly },
        cadence: 'HOURLY',
        lastSnapshotAt: '2026-06-15T10:30:00.000Z',
        dueAt: '2026-06-15T11:30:00.000Z',
      },
    ]);
    expect(data.snapshotsDue.map((d: { campaign: { id: string } }) => d.campaign.id)).not.toContain(fresh);
    expect(data.snapshotsDue.map((d: { campaign: { id: string } }) => d.campaign.id)).not.toContain(
      sixHourly,
    );
    expect(data.snapshotsDue.map((d: { campaign: { id: string } }) => d.campaign.id)).not.toContain(finished);
  });

  it('answers 10,000 campaigns in one statement', async () => {
    const { sql } = await import('drizzle-orm');
    const { queryRows } = await import('../src/db/client.js');
    await queryRows(
      db.handle.db,
      sql`INSERT INTO campaigns (name, status) SELECT 'bulk ' || i, 'ACTIVE' FROM generate_series(1, 10000) i`,
    );
    db.statements.length = 0;
    const started = Date.now();
    // never-snapshotted campaigns are due from their creation (now): ask a later asOf
    const data = await executeOk(
      db.gateway,
      `{ snapshotsDue(asOf: "2030-01-01T00:00:00Z") { cadence dueAt } }`,
    );
    expect(data.snapshotsDue.length).toBeGreaterThanOrEqual(10_000);
    expect(db.statements).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
