import { type Database, queryRows } from '../db/client.js';
import { toDecimalText, toInstant, toNumber } from '../db/values.js';
import {
  type BucketSelection,
  type BucketValue,
  bucketValues,
  needsPrevious,
} from '../metrics/bucket-selection.js';
import { linkPreviousBuckets, type MetricStats, type SnapshotBucket } from '../metrics/bucket-stats.js';
import type { Granularity, Metric } from '../metrics/catalog.js';
import { memoizedPerObject } from '../metrics/memo.js';
import { archiveReadSettings, archiveUnreadable, readArchivedRows } from '../retention/archive-reader.js';
import type { S3Settings } from '../retention/archive-store.js';
import { type BucketTarget, givenTargets, type SnapshotBucketsQuery } from './bucket-query.js';
import { mergedBucketStatement } from './merged-bucket-statement.js';
import { rawBucketStatement } from './raw-bucket-statement.js';
import { granularityOfRank } from './rollup-parts.js';
import { type ArchiveManifest, toManifest } from './rollups.js';

export type { BucketTarget, SnapshotBucketsQuery } from './bucket-query.js';

export interface SnapshotBucketsResult {
  /** Ascending by start, each linked to its predecessor for DELTA. */
  buckets: SnapshotBucket[];
  totalCount: number | null;
  /** uniform: the granularity and zone of every bucket; else the ones asked for. */
  granularity: Granularity;
  timeZone: string;
}

export type Row = Record<string, unknown>;

/** Rows of one statement per target (1-based `target` column), in statement order. */
export function rowsByTarget(rows: readonly Row[], count: number): Row[][] {
  const byTarget = Array.from({ length: count }, (): Row[] => []);
  for (const row of rows) byTarget[Number(row.target) - 1]?.push(row);
  return byTarget;
}

export interface ArchiveOptions {
  s3?: S3Settings;
}

/**
 * Buckets of each target's snapshots: only the selection's metrics, statistics and details,
 * exact over raw snapshots, retention's rollups and archived quarters.
 *
 * One statement over raw snapshots answers every campaign no stored part can change
 * (rawBucketStatement). The others, if any, go to the merging statement
 * (bucketsFromRawRows).
 */
export async function snapshotBuckets(
  db: Database,
  targets: readonly BucketTarget[],
  query: SnapshotBucketsQuery,
  options: ArchiveOptions = {},
): Promise<(SnapshotBucketsResult | Error)[]> {
  const rows = await queryRows(db, rawBucketStatement(givenTargets(targets), query));
  return bucketsFromRawRows(db, targets, rowsByTarget(rows, targets.length), query, options);
}

/**
 * The answers to rawBucketStatement's rows of each target: as they are where no stored part
 * changes them, from the merging statement (mergedBucketStatement) for the others. Archived
 * quarters live in Parquet files, so that statement reports which files the answer needs and
 * runs again with their rows passed in.
 */
export async function bucketsFromRawRows(
  db: Database,
  targets: readonly BucketTarget[],
  rawRows: readonly Row[][],
  query: SnapshotBucketsQuery,
  { s3 = archiveReadSettings() }: ArchiveOptions = {},
): Promise<(SnapshotBucketsResult | Error)[]> {
  const results: (SnapshotBucketsResult | Error | undefined)[] = targets.map(() => undefined);
  let pending: number[] = [];
  for (const [i, rows] of rawRows.entries()) {
    if (rows[0]?.stored_parts === true) pending.push(i);
    else results[i] = toResult(rows, targets[i] as BucketTarget, query);
  }

  const archived: Row[] = [];
  const loaded = new Set<string>();
  // each pass can only add files older than the ones before; four reach any DELTA chain
  for (let pass = 0; pending.length > 0; pass++) {
    const batch = pending.map((i) => targets[i] as BucketTarget);
    const rows = rowsByTarget(
      await queryRows(db, mergedBucketStatement(batch, query, archived)),
      batch.length,
    );
    const next: number[] = [];
    for (const [b, i] of pending.entries()) {
      const targetRows = rows[b] ?? [];
      const needed = neededManifests(targetRows[0]).filter((m) => !loaded.has(m.objectUrl));
      if (needed.length === 0 || pass >= 4) {
        results[i] = toResult(targetRows, targets[i] as BucketTarget, query);
        continue;
      }
      try {
        for (const manifest of needed) {
          archived.push(...(await readArchivedRows(manifest, s3)));
          loaded.add(manifest.objectUrl);
        }
        next.push(i);
      } catch (error) {
        results[i] = archiveUnreadable(error);
      }
    }
    pending = next;
  }
  return results.map((result) => result ?? new Error('bucket query returned no result'));
}

function neededManifests(row: Record<string, unknown> | undefined): ArchiveManifest[] {
  const value = row?.archives_needed;
  if (value === null || value === undefined) return [];
  const list = (typeof value === 'string' ? JSON.parse(value) : value) as Record<string, unknown>[];
  return list.map(toManifest);
}

function toResult(rows: Row[], target: BucketTarget, query: SnapshotBucketsQuery): SnapshotBucketsResult {
  const bucketRows = rows.filter((row) => row.bucket_start !== null && row.bucket_start !== undefined);
  const first = bucketRows[0];
  const earlier = !needsPrevious(query.selection)
    ? undefined
    : first?.has_previous === true
      ? Object.fromEntries(
          query.selection.metrics
            .filter(({ stats }) => stats.includes('DELTA'))
            .map(({ definition: d }) => [d.metric, toDecimalText(first[`${d.column}_previous`])]),
        )
      : null;
  const head = rows[0];
  const uniform = query.uniform === true && head?.mode_lvl != null;
  return {
    buckets: linkPreviousBuckets(
      bucketRows.map((row) => toBucket(row, target, query)),
      earlier,
    ),
    totalCount: rows.length ? toNumber(head?.total_count) : null,
    granularity: uniform ? granularityOfRank(Number(head?.mode_lvl)) : query.granularity,
    timeZone: uniform ? String(head?.mode_zn) : target.timeZone,
  };
}

/** Where a bucket row holds each value of the selection: per metric, its values and their columns. */
type RowColumns = { metric: Metric; values: { value: BucketValue; column: string }[] }[];

/** Built once per selection, not per row and metric: dashboards read thousands of bucket rows. */
const rowColumns = memoizedPerObject(
  (selection: BucketSelection): RowColumns =>
    selection.metrics.map(({ definition, stats }) => ({
      metric: definition.metric as Metric,
      values: bucketValues(stats).map((value) => ({ value, column: `${definition.column}_${value}` })),
    })),
);

/** A bucket row with the values its statement computed (bucketValues of the selection). */
function toBucket(
  row: Row,
  target: BucketTarget,
  { selection, granularity }: SnapshotBucketsQuery,
): SnapshotBucket {
  const metrics: Partial<Record<Metric, MetricStats>> = {};
  for (const { metric, values } of rowColumns(selection)) {
    const stats: MetricStats = {};
    for (const { value, column } of values) {
      if (value === 'avg') stats.avg = toNumber(row[column]);
      else stats[value] = toDecimalText(row[column]);
    }
    metrics[metric] = stats;
  }
  const details = typeof row.details === 'string' ? JSON.parse(row.details) : row.details;
  return {
    campaignId: target.campaignId,
    start: toInstant(row.bucket_start),
    granularity: row.lvl == null ? granularity : granularityOfRank(Number(row.lvl)),
    timeZone: row.zn == null ? target.timeZone : String(row.zn),
    sampleCount: Number(row.sample_count),
    metrics,
    ...(selection.details ? { details: (details ?? {}) as Record<string, unknown> } : {}),
  };
}
