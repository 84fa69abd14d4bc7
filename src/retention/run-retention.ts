import { sql } from 'drizzle-orm';
import { type Database, queryRows } from '../db/client.js';
import { toInstant } from '../db/values.js';
import { retentionPartitionsDropped } from '../observability/metrics.js';
import {
  type ArchiveManifest,
  moveQuartersOut,
  quarterUnitsToArchive,
  type RetentionCampaign,
  retentionCampaigns,
  runTierStep,
  upsertArchiveManifest,
} from '../queries/rollups.js';
import { dropEmptySnapshotPartitions, maintainSnapshotPartitions } from '../queries/snapshot-partitions.js';
import { readArchivedRows } from './archive-reader.js';
import {
  ArchiveError,
  checkArchive,
  deleteArchiveObject,
  getArchiveObject,
  normalizeArchiveUrl,
  putArchiveObject,
  type S3Settings,
} from './archive-store.js';
import { tryRetentionLock } from './lock.js';
import {
  type ArchiveRow,
  canonicalRows,
  decodeArchiveRows,
  encodeArchiveRows,
  sha256Hex,
} from './parquet-archive.js';
import { type TierCutoffs, tierCutoffs } from './tiers.js';

/**
 * Named points of a run where tests inject crashes (a thrown error, or a killed process):
 * - `rollup:written`: a DAY/WEEK/MONTH step's rows are inserted and its sources deleted
 *   (one statement), the transaction not yet committed;
 * - `rollup:committed`: right after a step's commit;
 * - `archive:uploaded`: the Parquet file is written, not yet read back and verified;
 * - `archive:verified`: verified, manifest and deletes not yet committed;
 * - `archive:committed`: committed, the superseded file (late-data rewrite) not yet removed.
 */
export type RetentionPoint =
  | 'rollup:written'
  | 'rollup:committed'
  | 'archive:uploaded'
  | 'archive:verified'
  | 'archive:committed';

export interface RetentionArchiveSettings {
  /** file:///dir or s3://bucket/prefix */
  url: string;
  s3?: S3Settings;
}

export interface RetentionOptions {
  asOf?: Date;
  dryRun?: boolean;
  /** Only the campaigns of these tenants (a tenant admin's run); absent or null: every campaign. */
  tenantIds?: readonly string[] | null;
  archive: RetentionArchiveSettings;
  /** the clock (tests) */
  now?: () => Date;
  /** called at each RetentionPoint; a throw aborts the run there (crash tests) */
  onPoint?: (point: RetentionPoint, where: { campaignId: string; tier: string }) => void | Promise<void>;
  /**
   * A campaign's stored rows changed (once per campaign, after its steps; also when a later
   * step fails, as the earlier ones stay committed): answers cached from them are stale.
   */
  onCampaignChanged?: (campaignId: string) => void;
}

export interface RetentionReport {
  asOf: Date;
  dryRun: boolean;
  /** another run held the lock: this one did nothing */
  skipped: boolean;
  rawSnapshotsRolledUp: number;
  rollupRowsWritten: number;
  rowsDeleted: number;
  rowsArchived: number;
  campaignsSkippedForLegalHold: number;
  campaignsProcessed: number;
  /**
   * Month partitions of the snapshot table detached and dropped after the run: empty, and
   * ending before the oldest raw-tier cutoff. Not in the GraphQL RetentionReport (the
   * contract fixes that type): the run's log line and a counter in /metrics carry it.
   */
  partitionsDropped: string[];
}

export class RetentionInputError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

const DAY_MS = 86_400_000;

type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];

/**
 * A transaction without the gateway's statement_timeout: a step's statements are bounded by
 * one campaign's rows, and cancelling one halfway would only repeat the work on the next run.
 */
function retentionTransaction<T>(db: Database, work: (tx: Transaction) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`SET LOCAL statement_timeout = 0`);
    return work(tx);
  });
}

/** Thrown inside a dry run's transaction to roll it back. */
class DryRunRollback extends Error {}

/**
 * Runs the tiers as of `asOf` over every campaign not under legal hold, under the advisory
 * lock. Per campaign, coarsest tier first (QUARTER archive, MONTH, WEEK, DAY), each step one
 * transaction. A dry run performs the same steps in a transaction per campaign that is
 * rolled back (and uploads nothing), so its counts are exactly what a real run would do.
 */
export async function runRetention(db: Database, options: RetentionOptions): Promise<RetentionReport> {
  const now = (options.now ?? (() => new Date()))();
  const asOf = options.asOf ?? now;
  const dryRun = options.dryRun ?? false;
  if (Number.isNaN(asOf.getTime())) throw new RetentionInputError('asOf is not a valid instant', 'asOf');
  if (asOf.getTime() > now.getTime() + DAY_MS) {
    throw new RetentionInputError(
      `asOf ${asOf.toISOString()} is more than a day in the future (now ${now.toISOString()})`,
      'asOf',
    );
  }
  const archiveUrl = normalizeArchiveUrl(options.archive.url);
  const report: RetentionReport = {
    asOf,
    dryRun,
    skipped: false,
    rawSnapshotsRolledUp: 0,
    rollupRowsWritten: 0,
    rowsDeleted: 0,
    rowsArchived: 0,
    campaignsSkippedForLegalHold: 0,
    campaignsProcessed: 0,
    partitionsDropped: [],
  };
  const lock = await tryRetentionLock(db);
  if (!lock) return { ...report, skipped: true };
  try {
    const campaigns = await retentionCampaigns(db, options.tenantIds ?? null);
    const run: RunContext = { db, options, archiveUrl, report, dryRun };
    if (!dryRun && (await anythingToArchive(db, asOf))) {
      // a misconfigured archive stops the run before it moves anything
      await checkArchive(archiveUrl, options.archive.s3 ?? {});
    }
    for (const campaign of campaigns) {
      if (campaign.legalHold) {
        report.campaignsSkippedForLegalHold += 1;
        continue;
      }
      report.campaignsProcessed += 1;
      const cutoffs = tierCutoffs(asOf, { highValue: campaign.highValue });
      if (dryRun) await dryRunCampaign(run, campaign, cutoffs);
      else await reportingChange(run, campaign.id, () => retainCampaign(run, campaign, cutoffs));
    }
    if (!dryRun) report.partitionsDropped = await keepPartitions(db, asOf, now);
    return report;
  } finally {
    await lock.release();
  }
}

/**
 * Partition upkeep on the retention schedule: create the months ahead, then drop the month partitions the run left empty. A month
 * goes only when it ends before the raw tier's cutoff of every campaign (the high-value one
 * is the oldest) and holds no row at all, so nothing a read could see is removed.
 */
async function keepPartitions(db: Database, asOf: Date, now: Date): Promise<string[]> {
  await maintainSnapshotPartitions(db, { now });
  const dropped = await dropEmptySnapshotPartitions(db, tierCutoffs(asOf, { highValue: true }).DAY);
  retentionPartitionsDropped.inc(dropped.length);
  return dropped;
}

interface RunContext {
  db: Database;
  options: RetentionOptions;
  archiveUrl: string;
  report: RetentionReport;
  dryRun: boolean;
}

/** Cheap probe: anything older than three years, or raw rows in an archived quarter. */
async function anythingToArchive(db: Database, asOf: Date): Promise<boolean> {
  const cutoff = tierCutoffs(asOf, { highValue: false }).QUARTER.toISOString();
  const [row] = await queryRows<{ any: boolean }>(
    db,
    sql`SELECT EXISTS (SELECT 1 FROM campaign_metrics_snapshots s JOIN campaigns c ON c.id = s.campaign_id
                       WHERE NOT c.legal_hold AND s.snapshot_date < ${cutoff}::timestamptz)
            OR EXISTS (SELECT 1 FROM campaign_metrics_rollups r JOIN campaigns c ON c.id = r.campaign_id
                       WHERE NOT c.legal_hold AND r.first_at < ${cutoff}::timestamptz)
            OR EXISTS (SELECT 1 FROM campaign_metrics_archives a JOIN campaign_metrics_snapshots s
                       ON s.campaign_id = a.campaign_id AND s.snapshot_date >= a.bucket_start AND s.snapshot_date < a.bucket_end)
            AS any`,
  );
  return row?.any === true;
}

const zoneOf = (campaign: RetentionCampaign) => campaign.rollupZone ?? campaign.timeZone;

/** Runs a campaign's steps and tells onCampaignChanged when any of them wrote or removed rows. */
async function reportingChange(run: RunContext, campaignId: string, steps: () => Promise<void>) {
  // The counters move only after a step committed.
  const rowsChanged = () => run.report.rowsDeleted + run.report.rollupRowsWritten;
  const before = rowsChanged();
  try {
    await steps();
  } finally {
    if (rowsChanged() !== before) run.options.onCampaignChanged?.(campaignId);
  }
}

async function retainCampaign(run: RunContext, campaign: RetentionCampaign, cutoffs: TierCutoffs) {
  await archiveStep(run, campaign, cutoffs.QUARTER);
  for (const tier of ['MONTH', 'WEEK', 'DAY'] as const) {
    const counts = await retentionTransaction(run.db, async (tx) => {
      const step = await runTierStep(tx, {
        campaignId: campaign.id,
        timeZone: zoneOf(campaign),
        tier,
        cutoff: cutoffs[tier],
      });
      if (step.rowsWritten > 0)
        await run.options.onPoint?.('rollup:written', { campaignId: campaign.id, tier });
      return step;
    });
    if (counts.rowsWritten > 0)
      await run.options.onPoint?.('rollup:committed', { campaignId: campaign.id, tier });
    count(run.report, counts.rawConsumed, counts.rollupsConsumed, counts.rowsWritten);
  }
}

function count(report: RetentionReport, raw: number, rollups: number, written: number) {
  report.rawSnapshotsRolledUp += raw;
  report.rowsDeleted += raw + rollups;
  report.rollupRowsWritten += written;
}

/** The same steps as a real run in one transaction that is rolled back; nothing is uploaded. */
async function dryRunCampaign(run: RunContext, campaign: RetentionCampaign, cutoffs: TierCutoffs) {
  const { db, report } = run;
  const zone = zoneOf(campaign);
  try {
    await retentionTransaction(db, async (tx) => {
      const units = await quarterUnitsToArchive(tx, campaign.id, zone, cutoffs.QUARTER);
      if (units.length) {
        const moved = await moveQuartersOut(
          tx,
          campaign.id,
          zone,
          units.map((unit) => unit.start),
          [],
        );
        report.rawSnapshotsRolledUp += moved.rawConsumed;
        report.rowsDeleted += moved.rawConsumed + moved.rollupsConsumed;
        report.rowsArchived += moved.rows.length;
      }
      for (const tier of ['MONTH', 'WEEK', 'DAY'] as const) {
        const step = await runTierStep(tx, {
          campaignId: campaign.id,
          timeZone: zone,
          tier,
          cutoff: cutoffs[tier],
        });
        count(report, step.rawConsumed, step.rollupsConsumed, step.rowsWritten);
      }
      throw new DryRunRollback('dry run');
    });
  } catch (error) {
    if (!(error instanceof DryRunRollback)) throw error;
  }
}

/** `<base>/<campaign id>/<YYYY>-Q<n>.parquet`, then `.r<revision>.parquet` for rewrites after late data. */
function objectUrl(base: string, campaignId: string, label: string, revision: number) {
  return `${base}/${campaignId}/${label}${revision === 0 ? '' : `.r${revision}`}.parquet`;
}

/**
 * The QUARTER tier of one campaign. Files of already archived quarters that get late rows
 * are read (and verified) first. Then, in one transaction: delete the quarters' rows and
 * get their merged QUARTER rows (one statement), write each quarter's file, read it back
 * and compare checksum, row count and every value, record the manifest, commit. Any failure
 * rolls the transaction back: the database keeps every row, and a file written before the
 * failure is an orphan the next run overwrites (same name, as the manifest has not moved).
 */
async function archiveStep(run: RunContext, campaign: RetentionCampaign, cutoff: Date) {
  const { db, options, archiveUrl, report } = run;
  const zone = zoneOf(campaign);
  const s3 = options.archive.s3 ?? {};
  const units = await quarterUnitsToArchive(db, campaign.id, zone, cutoff);
  if (units.length === 0) return;
  const previous: Record<string, unknown>[] = [];
  for (const unit of units) {
    if (unit.manifest) previous.push(...(await readArchivedRows(unit.manifest, s3)));
  }
  const superseded: string[] = [];
  const where = { campaignId: campaign.id, tier: 'QUARTER' };
  const written = await retentionTransaction(db, async (tx) => {
    const moved = await moveQuartersOut(
      tx,
      campaign.id,
      zone,
      units.map((unit) => unit.start),
      previous,
    );
    for (const row of moved.rows) {
      const start = toDate(row.bucket_start);
      const unit = units.find((u) => u.start.getTime() === start.getTime());
      if (!unit)
        throw new Error(`archive step produced a quarter it was not asked for: ${start.toISOString()}`);
      const revision = unit.manifest ? unit.manifest.revision + 1 : 0;
      const url = objectUrl(archiveUrl, campaign.id, unit.label, revision);
      const archiveRow = toArchiveRow(row);
      const bytes = encodeArchiveRows([archiveRow]);
      await putArchiveObject(url, bytes, s3);
      await options.onPoint?.('archive:uploaded', where);
      await verifyWritten(url, bytes, [archiveRow], s3);
      await options.onPoint?.('archive:verified', where);
      const manifest: ArchiveManifest = {
        campaignId: campaign.id,
        bucketStart: toDate(row.bucket_start),
        bucketEnd: toDate(row.bucket_end),
        firstAt: toDate(row.first_at),
        lastAt: toDate(row.last_at),
        timeZone: zone,
        objectUrl: url,
        revision,
        rowCount: 1,
        sampleCount: Number(row.sample_count),
        sha256: sha256Hex(bytes),
      };
      await upsertArchiveManifest(tx, manifest);
      if (unit.manifest && unit.manifest.objectUrl !== url) superseded.push(unit.manifest.objectUrl);
    }
    return moved;
  });
  await options.onPoint?.('archive:committed', where);
  report.rawSnapshotsRolledUp += written.rawConsumed;
  report.rowsDeleted += written.rawConsumed + written.rollupsConsumed;
  report.rowsArchived += written.rows.length;
  for (const url of superseded) {
    await deleteArchiveObject(url, s3).catch(() => {
      // an unreferenced old revision is harmless; the next rewrite of the quarter does not need it
    });
  }
}

const toDate = (value: unknown): Date => toInstant(value);

function toArchiveRow(row: Record<string, unknown>): ArchiveRow {
  const out: ArchiveRow = {};
  for (const [key, value] of Object.entries(row)) {
    if (value === null || value === undefined) out[key] = null;
    else if (['bucket_start', 'bucket_end', 'first_at', 'last_at'].includes(key)) out[key] = toDate(value);
    else if (key === 'full_snapshot') out[key] = typeof value === 'string' ? value : JSON.stringify(value);
    else if (typeof value === 'number') out[key] = value;
    else out[key] = String(value);
  }
  return out;
}

/** Reads the object back: same bytes (sha256), one row per written row, every value equal. */
async function verifyWritten(url: string, bytes: Uint8Array, rows: ArchiveRow[], s3: S3Settings) {
  const back = await getArchiveObject(url, s3);
  const expected = sha256Hex(bytes);
  const actual = sha256Hex(back);
  if (actual !== expected)
    throw new ArchiveError(`archive object ${url} read back with sha256 ${actual}, wrote ${expected}`, url);
  let decoded: ArchiveRow[];
  try {
    decoded = await decodeArchiveRows(back);
  } catch (error) {
    throw new ArchiveError(`archive object ${url} does not read back as Parquet: ${String(error)}`, url);
  }
  if (decoded.length !== rows.length) {
    throw new ArchiveError(`archive object ${url} holds ${decoded.length} rows, wrote ${rows.length}`, url);
  }
  if (canonicalRows(decoded) !== canonicalRows(rows)) {
    throw new ArchiveError(`archive object ${url} reads back with different values than were written`, url);
  }
}
