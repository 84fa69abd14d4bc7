import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/client.js';
import type { RetentionPoint } from '../src/retention/run-retention.js';
import { configureRetention } from '../src/retention/settings.js';
import { RECORD_SNAPSHOTS, snapshotInput } from './fixtures/snapshot-inputs.js';
import {
  createCampaignWith,
  expectSeriesEqualsNaive,
  querySeries,
  retain,
  type TestSnapshot,
  temporaryArchive,
} from './helpers/retention.js';
import { createTestDatabase, executeOk, type TestDatabase } from './helpers/test-database.js';

/**
 * Crash safety: a run interrupted at each named point (the hook throws there, which aborts
 * the run like a crash: the open transaction rolls back, a written file stays behind)
 * followed by a clean rerun ends in exactly the state a clean run gives, and every
 * statistic equals the naive computation on the original data. Plus ingest running
 * concurrently with retention loses nothing.
 */
const AS_OF = new Date('2026-06-15T00:00:00Z');
const DAY = 86_400_000;
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

/** Every 19 hours over four years: data in every tier, a few archived quarters. */
const DATA: TestSnapshot[] = Array.from({ length: Math.floor((4 * 365 * 24) / 19) }, (_, i) => ({
  at: new Date(AS_OF.getTime() - 4 * 365 * DAY + i * 19 * 3_600_000),
  spent: (i * 7919) % 100_000,
  volunteers: i % 50,
  sroi: i % 4 === 0 ? null : (i % 13) * 0.5,
}));

/** The stored state of a campaign, without its id: what a rerun must converge to. */
async function state(id: string) {
  const rollups = await queryRows(
    db.handle.db,
    sql`SELECT granularity::text, time_zone, bucket_start::text, bucket_end::text, sample_count, first_at::text,
               last_at::text, budget_spent_sum::text, budget_spent_min::text, sroi_score_count
        FROM campaign_metrics_rollups WHERE campaign_id = ${id}::uuid ORDER BY bucket_start`,
  );
  const archives = await queryRows(
    db.handle.db,
    sql`SELECT bucket_start::text, sample_count, revision, row_count, replace(object_url, ${id}, 'ID') AS url
        FROM campaign_metrics_archives WHERE campaign_id = ${id}::uuid ORDER BY bucket_start`,
  );
  const raw = await queryRows(
    db.handle.db,
    sql`SELECT snapshot_date::text FROM campaign_metrics_snapshots WHERE campaign_id = ${id}::uuid ORDER BY 1`,
  );
  return { rollups, archives, raw };
}

const FROM = new Date(AS_OF.getTime() - 6 * 365 * DAY);
const TO = new Date(AS_OF.getTime() + DAY);

async function expectExact(id: string, snapshots: TestSnapshot[]) {
  for (const granularity of ['DAY', 'MONTH', 'YEAR'] as const) {
    const answer = await querySeries(db, id, FROM, TO, granularity);
    expectSeriesEqualsNaive(answer, snapshots, FROM, TO, (actual, message, expected) =>
      expect(actual, message).toEqual(expected),
    );
  }
}

let reference: Awaited<ReturnType<typeof state>>;

describe('crash points', () => {
  it('a clean run is the reference', async () => {
    const id = await createCampaignWith(db, { timeZone: 'Europe/Berlin' }, DATA);
    await retain(db.handle.db, archive.url, AS_OF);
    reference = await state(id);
    expect(reference.archives.length).toBeGreaterThan(0);
    expect(new Set(reference.rollups.map((r) => r.granularity))).toEqual(new Set(['DAY', 'WEEK', 'MONTH']));
    await expectExact(id, DATA);
    await queryRows(db.handle.db, sql`DELETE FROM campaigns WHERE id = ${id}::uuid`);
  });

  const POINTS: [RetentionPoint, string][] = [
    ['archive:uploaded', 'QUARTER'],
    ['archive:verified', 'QUARTER'],
    ['archive:committed', 'QUARTER'],
    ['rollup:written', 'MONTH'],
    ['rollup:committed', 'MONTH'],
    ['rollup:written', 'WEEK'],
    ['rollup:written', 'DAY'],
    ['rollup:committed', 'DAY'],
  ];
  it.each(POINTS)('crash at %s (%s) then rerun converges to the clean state', async (point, tier) => {
    const id = await createCampaignWith(db, { timeZone: 'Europe/Berlin' }, DATA);
    await expect(
      retain(db.handle.db, archive.url, AS_OF, {
        onPoint: (at, where) => {
          if (at === point && where.tier === tier) throw new Error(`crash at ${point}`);
        },
      }),
    ).rejects.toThrow(`crash at ${point}`);
    // between the crash and the rerun, reads are already exact
    await expectExact(id, DATA);
    await retain(db.handle.db, archive.url, AS_OF);
    expect(await state(id)).toEqual(reference);
    await expectExact(id, DATA);
    await queryRows(db.handle.db, sql`DELETE FROM campaigns WHERE id = ${id}::uuid`);
  });
});

describe('ingest concurrent with retention', () => {
  it('loses nothing: late snapshots in rolled-up buckets merge, stats stay exact', async () => {
    const id = await createCampaignWith(db, { timeZone: 'America/New_York' }, DATA);
    await retain(db.handle.db, archive.url, new Date(AS_OF.getTime() - 30 * DAY));
    // late snapshots into DAY/WEEK/MONTH/QUARTER-rolled buckets and fresh ones, written by
    // four concurrent writers while a second run works
    const late: TestSnapshot[] = Array.from({ length: 80 }, (_, i) => ({
      at: new Date(AS_OF.getTime() - (i * 17 + 3) * DAY - 7 * 60_000),
      spent: 123_45 + i,
      volunteers: 7,
      sroi: i % 3 ? 9.5 : null,
    }));
    const writers = [0, 1, 2, 3].map(async (w) => {
      for (const s of late.filter((_, i) => i % 4 === w)) {
        await executeOk(db.gateway, RECORD_SNAPSHOTS, {
          input: [
            snapshotInput(id, {
              at: s.at.toISOString(),
              spent: (s.spent / 100).toFixed(2),
              allocated: '1000000.00',
              volunteers: [s.volunteers, 50],
              sroi: s.sroi,
            }),
          ],
        });
      }
    });
    const [report] = await Promise.all([retain(db.handle.db, archive.url, AS_OF), ...writers]);
    expect(report?.skipped).toBe(false);
    const all = [...DATA, ...late].sort((a, b) => a.at.getTime() - b.at.getTime());
    await expectExact(id, all);
    // the next run merges whatever stayed raw; still exact, and nothing left to do after
    await retain(db.handle.db, archive.url, AS_OF);
    await expectExact(id, all);
    const [counted] = await queryRows(
      db.handle.db,
      sql`SELECT (SELECT coalesce(sum(sample_count), 0) FROM campaign_metrics_rollups WHERE campaign_id = ${id}::uuid)
               + (SELECT coalesce(sum(sample_count), 0) FROM campaign_metrics_archives WHERE campaign_id = ${id}::uuid)
               + (SELECT count(*) FROM campaign_metrics_snapshots WHERE campaign_id = ${id}::uuid) AS samples`,
    );
    expect(Number(counted?.samples)).toBe(all.length);
    expect(await retain(db.handle.db, archive.url, AS_OF)).toMatchObject({
      rowsDeleted: 0,
      rollupRowsWritten: 0,
    });
  });
});
