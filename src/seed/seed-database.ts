import type { Database } from '../db/client.js';
import { recordSnapshots } from '../ingest/record-snapshots.js';
import { MAX_SNAPSHOTS_PER_CALL, type SnapshotInput } from '../ingest/validate-snapshots.js';
import { upsertCampaign } from '../queries/upsert-campaign.js';
import { generateCampaigns, generateSnapshots, seedWindow, utcMidnight } from './generate.js';

export interface SeedProgress {
  /** campaigns written */
  campaigns: number;
  /** snapshots written so far */
  snapshots: number;
}

export interface SeedOptions {
  campaigns: number;
  /** length of the data window, ending at `end` */
  days: number;
  randomSeed?: number;
  /** end of the data window (exclusive); default: today's midnight UTC */
  end?: Date;
  /**
   * Snapshot batches written at once. Keep 1 on PGlite (one connection); on a PostgreSQL
   * server up to about the pool size less one.
   */
  concurrency?: number;
  /** Called after the campaigns are written and after every snapshot batch. */
  onProgress?: (progress: SeedProgress) => void;
}

export interface SeedResult {
  campaigns: number;
  snapshots: number;
}

/**
 * Writes generated campaigns and their snapshots through the ingest code (upsertCampaign,
 * recordSnapshots), in batches of 10,000 snapshots filled across campaigns. Idempotent:
 * the same options upsert the same rows.
 */
export async function seedDatabase(
  db: Database,
  {
    campaigns,
    days,
    randomSeed = 42,
    end = utcMidnight(new Date()),
    concurrency = 1,
    onProgress,
  }: SeedOptions,
): Promise<SeedResult> {
  for (const [name, value, min] of [
    ['campaigns', campaigns, 0],
    ['days', days, 1],
    ['concurrency', concurrency, 1],
  ] as const) {
    if (!Number.isInteger(value) || value < min) {
      throw new RangeError(`seed: ${name} must be an integer >= ${min}, got ${value}`);
    }
  }
  if (!Number.isInteger(randomSeed))
    throw new RangeError(`seed: randomSeed must be an integer, got ${randomSeed}`);
  const window = seedWindow(end, days);
  const generated = generateCampaigns(campaigns, randomSeed, window);

  const pool = new WritePool(concurrency);
  // The operator's seed writes to any tenant.
  for (const { values } of generated) await pool.run(() => upsertCampaign(db, values, null));
  await pool.drain();
  let written = 0;
  onProgress?.({ campaigns: generated.length, snapshots: written });

  let batch: SnapshotInput[] = [];
  const flush = async () => {
    const snapshots = batch;
    batch = [];
    await pool.run(async () => {
      await recordSnapshots(db, snapshots, null);
      written += snapshots.length;
      onProgress?.({ campaigns: generated.length, snapshots: written });
    });
  };
  for (const campaign of generated) {
    for (const snapshot of generateSnapshots(campaign, window)) {
      batch.push(snapshot);
      if (batch.length === MAX_SNAPSHOTS_PER_CALL) await flush();
    }
  }
  if (batch.length > 0) await flush();
  await pool.drain();
  return { campaigns: generated.length, snapshots: written };
}

/**
 * Runs up to `size` writes at once. `run` waits for a free slot (so the producer never
 * gets far ahead of the database); the first failure is rethrown once the writes in flight
 * have settled, so nothing is left running unobserved.
 */
class WritePool {
  private readonly running = new Set<Promise<void>>();
  private failure: { error: unknown } | null = null;

  constructor(private readonly size: number) {}

  async run(write: () => Promise<unknown>): Promise<void> {
    while (this.running.size >= this.size) await Promise.race(this.running);
    if (this.failure) await this.drain();
    const task: Promise<void> = write().then(
      () => {
        this.running.delete(task);
      },
      (error: unknown) => {
        this.running.delete(task);
        this.failure ??= { error };
      },
    );
    this.running.add(task);
  }

  async drain(): Promise<void> {
    await Promise.all(this.running);
    if (this.failure) throw this.failure.error;
  }
}
