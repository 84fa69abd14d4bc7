import { type SQL, sql } from 'drizzle-orm';
import { type Database, queryRows } from '../db/client.js';
import { toInstant } from '../db/values.js';
import type { TierGranularity } from '../retention/tiers.js';
import { visibleCampaigns } from './capacity-alerts.js';
import { refreshDailyAggregates } from './daily-aggregates.js';
import {
  at,
  granularityRank,
  mergedRollupAggregates,
  nextLabelAtRank,
  ROLLUP_COLUMNS,
  rankSql,
  rawPartColumns,
  rollupPartColumns,
  rollupRowsRecordset,
} from './rollup-parts.js';

/**
 * The rollup writer's statements. A "unit" is the bucket a tier writes one row for: a local
 * day, month or quarter of the campaign's zone, or for WEEK the part of an ISO week inside
 * one month (weeks do not nest in months, the parts do, so MONTH and coarser stay exact).
 */

export interface UnitSql {
  /** Start of the unit holding instant `e`. */
  start(e: SQL): SQL;
  /** The instant the unit starting at `start` ends (the next unit's label). */
  end(start: SQL): SQL;
  /** The end of the whole bucket (for WEEK: the whole ISO week) holding `e`. */
  eligibilityEnd(e: SQL): SQL;
}

const RANK = { DAY: 2, WEEK: 3, MONTH: 4, QUARTER: 5 } as const;
const trunc = (unit: string, e: SQL, zone: SQL) => sql`date_trunc(${sql.raw(`'${unit}'`)}, ${e}, ${zone})`;
const next = (rank: number, label: SQL, zone: SQL) => nextLabelAtRank(sql.raw(String(rank)), label, zone);

export function unitSql(tier: TierGranularity, timeZone: string): UnitSql {
  const zone = sql`${timeZone}::text`;
  if (tier === 'WEEK') {
    const week = (e: SQL) => trunc('week', e, zone);
    const month = (e: SQL) => trunc('month', e, zone);
    return {
      start: (e) => sql`greatest(${week(e)}, ${month(e)})`,
      end: (start) =>
        sql`least(${next(RANK.WEEK, week(start), zone)}, ${next(RANK.MONTH, month(start), zone)})`,
      eligibilityEnd: (e) => next(RANK.WEEK, week(e), zone),
    };
  }
  const unit = tier.toLowerCase();
  return {
    start: (e) => trunc(unit, e, zone),
    end: (start) => next(RANK[tier], start, zone),
    eligibilityEnd: (e) => next(RANK[tier], trunc(unit, e, zone), zone),
  };
}

export interface TierStepArgs {
  campaignId: string;
  timeZone: string;
  tier: TierGranularity;
  /** Units ending at or before this instant are rolled up (plus units that already have a row). */
  cutoff: Date;
}

export interface TierStepCounts {
  rawConsumed: number;
  rollupsConsumed: number;
  rowsWritten: number;
}

/**
 * Units of the step: those with at least one raw row or finer rollup in them that either
 * end by the cutoff, or already have a rollup of this tier (late data: a raw snapshot that
 * arrived after its bucket was rolled up is merged into it whatever the asOf).
 */
function unitsCte({ campaignId, timeZone, tier, cutoff }: TierStepArgs, archived = false): SQL {
  const u = unitSql(tier, timeZone);
  const rank = granularityRank(tier);
  const existing = (start: SQL) =>
    archived
      ? sql`EXISTS (SELECT 1 FROM campaign_metrics_archives e WHERE e.campaign_id = ${campaignId}::uuid
         AND e.bucket_start = ${start})`
      : sql`EXISTS (SELECT 1 FROM campaign_metrics_rollups e WHERE e.campaign_id = ${campaignId}::uuid
         AND e.bucket_start = ${start} AND e.granularity = ${tier})`;
  const raw = u.start(sql.raw('s.snapshot_date'));
  const roll = u.start(sql.raw('r.bucket_start'));
  return sql`
    units AS (
      SELECT DISTINCT unit_start FROM (
        SELECT ${raw} AS unit_start, ${u.eligibilityEnd(sql.raw('s.snapshot_date'))} AS unit_end
        FROM campaign_metrics_snapshots s WHERE s.campaign_id = ${campaignId}::uuid
        UNION ALL
        SELECT ${roll}, ${u.eligibilityEnd(sql.raw('r.bucket_start'))}
        FROM campaign_metrics_rollups r
        WHERE r.campaign_id = ${campaignId}::uuid AND ${rankSql(sql.raw('r.granularity'))} < ${rank}
      ) candidates
      WHERE (unit_end <= ${at(cutoff)} OR ${existing(sql.raw('unit_start'))})
        -- a unit inside a coarser rollup or an archived quarter (a snapshot that arrived
        -- after that step of this run) is left raw: the coarser step merges it next run
        AND NOT EXISTS (SELECT 1 FROM campaign_metrics_rollups c WHERE c.campaign_id = ${campaignId}::uuid
              AND ${rankSql(sql.raw('c.granularity'))} > ${rank}
              AND unit_start >= c.bucket_start AND unit_start < c.bucket_end)
        AND NOT EXISTS (SELECT 1 FROM campaign_metrics_archives c WHERE c.campaign_id = ${campaignId}::uuid
              AND ${rank} < 5 AND unit_start >= c.bucket_start AND unit_start < c.bucket_end)
    )`;
}

/** What a step would do, without writing (dry run, and the cheap "anything to do?" probe). */
export async function tierStepPreview(db: Database, args: TierStepArgs): Promise<TierStepCounts> {
  const u = unitSql(args.tier, args.timeZone);
  const rank = granularityRank(args.tier);
  const [row] = await queryRows(
    db,
    sql`
    WITH ${unitsCte(args)}
    SELECT
      (SELECT count(*) FROM campaign_metrics_snapshots s
        WHERE s.campaign_id = ${args.campaignId}::uuid AND ${u.start(sql.raw('s.snapshot_date'))} IN (SELECT unit_start FROM units))::int AS raw_consumed,
      (SELECT count(*) FROM campaign_metrics_rollups r
        WHERE r.campaign_id = ${args.campaignId}::uuid AND ${rankSql(sql.raw('r.granularity'))} <= ${rank}
          AND ${u.start(sql.raw('r.bucket_start'))} IN (SELECT unit_start FROM units))::int AS rollups_consumed,
      (SELECT count(*) FROM units)::int AS rows_written`,
  );
  return {
    rawConsumed: Number(row?.raw_consumed ?? 0),
    rollupsConsumed: Number(row?.rollups_consumed ?? 0),
    rowsWritten: Number(row?.rows_written ?? 0),
  };
}

/** The instants of the raw rows a statement deleted (its del_raw CTE). */
const DELETED_RAW_SPAN = sql`(SELECT min(first_at) FROM del_raw) AS raw_from, (SELECT max(last_at) FROM del_raw) AS raw_to`;

/** Pre-aggregated days of the deleted raw rows follow them (emptied days go). */
async function refreshDeletedDays(
  db: Database,
  campaignId: string,
  row: Record<string, unknown> | undefined,
): Promise<void> {
  if (row?.raw_from == null || row.raw_to == null) return;
  await refreshDailyAggregates(db, [
    { campaignId, fromAt: toInstant(row.raw_from), toAt: toInstant(row.raw_to) },
  ]);
}

/**
 * One tier step of one campaign as ONE statement: delete the raw rows and finer (or same
 * unit) rollups of every unit, and insert the units' merged rows computed from exactly the
 * deleted rows (RETURNING). Nothing is aggregated that is not deleted and nothing deleted
 * that is not aggregated, so a snapshot written concurrently either is seen and merged, or
 * is not seen and stays raw for the next run. Run inside the step's transaction.
 */
export async function runTierStep(db: Database, args: TierStepArgs): Promise<TierStepCounts> {
  const { campaignId, timeZone, tier } = args;
  const u = unitSql(tier, timeZone);
  const rank = granularityRank(tier);
  const columns = sql.raw(ROLLUP_COLUMNS.join(', '));
  const [row] = await queryRows(
    db,
    sql`
    WITH ${unitsCte(args)},
    del_raw AS (
      DELETE FROM campaign_metrics_snapshots s
      WHERE s.campaign_id = ${campaignId}::uuid AND ${u.start(sql.raw('s.snapshot_date'))} IN (SELECT unit_start FROM units)
      RETURNING ${u.start(sql.raw('s.snapshot_date'))} AS unit_start, s.full_snapshot, ${rawPartColumns('s')}
    ),
    del_roll AS (
      DELETE FROM campaign_metrics_rollups r
      WHERE r.campaign_id = ${campaignId}::uuid AND ${rankSql(sql.raw('r.granularity'))} <= ${rank}
        AND ${u.start(sql.raw('r.bucket_start'))} IN (SELECT unit_start FROM units)
      RETURNING ${u.start(sql.raw('r.bucket_start'))} AS unit_start, r.full_snapshot, ${rollupPartColumns('r')}
    ),
    merged AS (
      SELECT ${campaignId}::uuid AS campaign_id, ${tier}::granularity AS granularity, ${timeZone}::text AS time_zone,
             p.unit_start AS bucket_start, ${u.end(sql.raw('p.unit_start'))} AS bucket_end,
             ${mergedRollupAggregates('p')}
      FROM (SELECT * FROM del_raw UNION ALL SELECT * FROM del_roll) p
      GROUP BY p.unit_start
    ),
    inserted AS (
      INSERT INTO campaign_metrics_rollups (${columns}) SELECT ${columns} FROM merged RETURNING 1
    )
    SELECT (SELECT count(*) FROM del_raw)::int AS raw_consumed,
           (SELECT count(*) FROM del_roll)::int AS rollups_consumed,
           (SELECT count(*) FROM inserted)::int AS rows_written, ${DELETED_RAW_SPAN}`,
  );
  await refreshDeletedDays(db, campaignId, row);
  return {
    rawConsumed: Number(row?.raw_consumed ?? 0),
    rollupsConsumed: Number(row?.rollups_consumed ?? 0),
    rowsWritten: Number(row?.rows_written ?? 0),
  };
}

/** A campaign retention looks at. */
export interface RetentionCampaign {
  id: string;
  timeZone: string;
  highValue: boolean;
  legalHold: boolean;
  /** Zone of the campaign's existing rollups/archives when it has any (sticky: see retention README). */
  rollupZone: string | null;
}

/** Every campaign of these tenants (null: all), with the zone its stored rollups already follow. */
export async function retentionCampaigns(
  db: Database,
  tenantIds: readonly string[] | null,
): Promise<RetentionCampaign[]> {
  const rows = await queryRows(
    db,
    sql`
    SELECT c.id, c.time_zone, c.high_value, c.legal_hold,
           coalesce(
             (SELECT r.time_zone FROM campaign_metrics_rollups r WHERE r.campaign_id = c.id ORDER BY r.bucket_start DESC LIMIT 1),
             (SELECT a.time_zone FROM campaign_metrics_archives a WHERE a.campaign_id = c.id ORDER BY a.bucket_start DESC LIMIT 1)
           ) AS rollup_zone
    FROM ${visibleCampaigns(tenantIds)} c ORDER BY c.id`,
  );
  return rows.map((row) => ({
    id: String(row.id),
    timeZone: String(row.time_zone),
    highValue: row.high_value === true,
    legalHold: row.legal_hold === true,
    rollupZone: row.rollup_zone === null ? null : String(row.rollup_zone),
  }));
}

/** Oldest raw snapshot of a campaign (null without any): lets a run skip campaigns with nothing old. */
export async function oldestRawInstant(db: Database, campaignId: string): Promise<Date | null> {
  const [row] = await queryRows(
    db,
    sql`SELECT min(snapshot_date) AS oldest FROM campaign_metrics_snapshots WHERE campaign_id = ${campaignId}::uuid`,
  );
  return row?.oldest == null ? null : toInstant(row.oldest);
}

/** The archive manifest row of a campaign's quarter. */
export interface ArchiveManifest {
  campaignId: string;
  bucketStart: Date;
  bucketEnd: Date;
  firstAt: Date;
  lastAt: Date;
  timeZone: string;
  objectUrl: string;
  revision: number;
  rowCount: number;
  sampleCount: number;
  sha256: string;
}

export function toManifest(row: Record<string, unknown>): ArchiveManifest {
  return {
    campaignId: String(row.campaign_id),
    bucketStart: toInstant(row.bucket_start),
    bucketEnd: toInstant(row.bucket_end),
    firstAt: toInstant(row.first_at),
    lastAt: toInstant(row.last_at),
    timeZone: String(row.time_zone),
    objectUrl: String(row.object_url),
    revision: Number(row.revision),
    rowCount: Number(row.row_count),
    sampleCount: Number(row.sample_count),
    sha256: String(row.sha256),
  };
}

export interface QuarterUnit {
  start: Date;
  /** "2021-Q3" in the campaign's zone: names the file. */
  label: string;
  /** The quarter is archived already: the new rows merge into its file. */
  manifest: ArchiveManifest | null;
}

/** Quarters of a campaign to archive now: old enough, or archived already and given late rows. */
export async function quarterUnitsToArchive(
  db: Database,
  campaignId: string,
  timeZone: string,
  cutoff: Date,
): Promise<QuarterUnit[]> {
  const rows = await queryRows(
    db,
    sql`
    WITH ${unitsCte({ campaignId, timeZone, tier: 'QUARTER', cutoff }, true)}
    SELECT u.unit_start, to_char(u.unit_start AT TIME ZONE ${timeZone}::text, 'YYYY"-Q"Q') AS label, m.*
    FROM units u
    LEFT JOIN campaign_metrics_archives m ON m.campaign_id = ${campaignId}::uuid AND m.bucket_start = u.unit_start
    ORDER BY u.unit_start`,
  );
  return rows.map((row) => ({
    start: toInstant(row.unit_start),
    label: String(row.label),
    manifest: row.object_url == null ? null : toManifest(row),
  }));
}

export interface ArchiveMove {
  rawConsumed: number;
  rollupsConsumed: number;
  /** The quarters' merged QUARTER rows (with the already archived rows merged in). */
  rows: Record<string, unknown>[];
}

/**
 * Deletes the raw rows and rollups of the given quarters and returns their merged QUARTER
 * rows, merged also with `archived` (the rows of files already holding those quarters). One
 * statement inside the archive transaction: the rows come back deleted-but-uncommitted, and
 * the transaction commits only after the file is written and verified.
 */
export async function moveQuartersOut(
  db: Database,
  campaignId: string,
  timeZone: string,
  units: readonly Date[],
  archived: readonly Record<string, unknown>[],
): Promise<ArchiveMove> {
  const u = unitSql('QUARTER', timeZone);
  const unitList = sql`${`{${units.map((unit) => `"${unit.toISOString()}"`).join(',')}}`}::timestamptz[]`;
  const rows = await queryRows(
    db,
    sql`
    WITH del_raw AS (
      DELETE FROM campaign_metrics_snapshots s
      WHERE s.campaign_id = ${campaignId}::uuid AND ${u.start(sql.raw('s.snapshot_date'))} = ANY(${unitList})
      RETURNING ${u.start(sql.raw('s.snapshot_date'))} AS unit_start, s.full_snapshot, ${rawPartColumns('s')}
    ),
    del_roll AS (
      DELETE FROM campaign_metrics_rollups r
      WHERE r.campaign_id = ${campaignId}::uuid AND ${u.start(sql.raw('r.bucket_start'))} = ANY(${unitList})
      RETURNING ${u.start(sql.raw('r.bucket_start'))} AS unit_start, r.full_snapshot, ${rollupPartColumns('r')}
    ),
    old AS (
      SELECT a.bucket_start AS unit_start, a.full_snapshot, ${rollupPartColumns('a')}
      FROM ${rollupRowsRecordset(archived, 'a')}
    )
    SELECT ${campaignId}::uuid AS campaign_id, 'QUARTER' AS granularity, ${timeZone}::text AS time_zone,
           p.unit_start AS bucket_start, ${u.end(sql.raw('p.unit_start'))} AS bucket_end,
           ${mergedRollupAggregates('p')},
           (SELECT count(*) FROM del_raw)::int AS raw_consumed,
           (SELECT count(*) FROM del_roll)::int AS rollups_consumed, ${DELETED_RAW_SPAN}
    FROM (SELECT * FROM del_raw UNION ALL SELECT * FROM del_roll UNION ALL SELECT * FROM old) p
    GROUP BY p.unit_start
    ORDER BY p.unit_start`,
  );
  const first = rows[0];
  await refreshDeletedDays(db, campaignId, first);
  return {
    rawConsumed: Number(first?.raw_consumed ?? 0),
    rollupsConsumed: Number(first?.rollups_consumed ?? 0),
    rows: rows.map(({ raw_consumed: _r, rollups_consumed: _c, raw_from: _f, raw_to: _t, ...row }) => row),
  };
}

export async function upsertArchiveManifest(db: Database, manifest: ArchiveManifest): Promise<void> {
  await queryRows(
    db,
    sql`
    INSERT INTO campaign_metrics_archives
      (campaign_id, time_zone, bucket_start, bucket_end, first_at, last_at, sample_count, object_url, revision, row_count, sha256)
    VALUES (${manifest.campaignId}::uuid, ${manifest.timeZone}, ${at(manifest.bucketStart)}, ${at(manifest.bucketEnd)},
            ${at(manifest.firstAt)}, ${at(manifest.lastAt)}, ${manifest.sampleCount}, ${manifest.objectUrl},
            ${manifest.revision}, ${manifest.rowCount}, ${manifest.sha256})
    ON CONFLICT (campaign_id, bucket_start) DO UPDATE SET
      time_zone = excluded.time_zone, bucket_end = excluded.bucket_end, first_at = excluded.first_at,
      last_at = excluded.last_at, sample_count = excluded.sample_count, object_url = excluded.object_url,
      revision = excluded.revision, row_count = excluded.row_count, sha256 = excluded.sha256, archived_at = now()`,
  );
}
