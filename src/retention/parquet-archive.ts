import { createHash } from 'node:crypto';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { METRICS } from '../metrics/catalog.js';

/**
 * The archive file format (README "Retention"): one Parquet file per campaign and quarter
 * holding that quarter's QUARTER rollup row, same columns as campaign_metrics_rollups:
 * campaign_id, granularity, time_zone (STRING); bucket_start, bucket_end, first_at,
 * last_at (TIMESTAMP, ms); sample_count (INT32); full_snapshot (JSON); per metric
 * <metric>_first/_last/_min/_max (INT32 for count metrics, exact decimal text STRING
 * otherwise), <metric>_sum (decimal text STRING, unbounded) and, for nullable metrics,
 * <metric>_count (INT32). Decimals are text so money stays exact.
 */
export type ArchiveValue = string | number | Date | null;
export type ArchiveRow = Record<string, ArchiveValue>;

type ColumnType = 'STRING' | 'INT32' | 'TIMESTAMP' | 'JSON';

const COLUMNS: { name: string; type: ColumnType }[] = [
  { name: 'campaign_id', type: 'STRING' },
  { name: 'granularity', type: 'STRING' },
  { name: 'time_zone', type: 'STRING' },
  { name: 'bucket_start', type: 'TIMESTAMP' },
  { name: 'bucket_end', type: 'TIMESTAMP' },
  { name: 'sample_count', type: 'INT32' },
  { name: 'first_at', type: 'TIMESTAMP' },
  { name: 'last_at', type: 'TIMESTAMP' },
  { name: 'full_snapshot', type: 'JSON' },
  ...METRICS.flatMap(({ column, kind, nullable }) => {
    const valueType: ColumnType = kind === 'count' ? 'INT32' : 'STRING';
    return [
      { name: `${column}_first`, type: valueType },
      { name: `${column}_last`, type: valueType },
      { name: `${column}_min`, type: valueType },
      { name: `${column}_max`, type: valueType },
      { name: `${column}_sum`, type: 'STRING' as const },
      ...(nullable ? [{ name: `${column}_count`, type: 'INT32' as const }] : []),
    ];
  }),
];

export const ARCHIVE_COLUMNS = COLUMNS.map((c) => c.name);

function encodeValue(type: ColumnType, value: ArchiveValue): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'INT32':
      return Number(value);
    case 'TIMESTAMP':
      return value instanceof Date ? value : new Date(String(value));
    case 'JSON':
      return typeof value === 'string' ? value : JSON.stringify(value);
    default:
      return String(value);
  }
}

export function encodeArchiveRows(rows: readonly ArchiveRow[]): Uint8Array {
  const buffer = parquetWriteBuffer({
    columnData: COLUMNS.map(({ name, type }) => ({
      name,
      type,
      data: rows.map((row) => encodeValue(type, row[name] ?? null)),
    })) as Parameters<typeof parquetWriteBuffer>[0]['columnData'],
    kvMetadata: [{ key: 'campaign-metrics-gateway.format', value: 'quarter-rollup/1' }],
    createdBy: 'campaign-metrics-gateway retention',
  });
  return new Uint8Array(buffer);
}

function decodeValue(type: ColumnType, value: unknown): ArchiveValue {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'INT32':
      return Number(value);
    case 'TIMESTAMP':
      if (value instanceof Date) return value;
      return new Date(Number(value));
    case 'JSON':
      return typeof value === 'string' ? value : JSON.stringify(value);
    default:
      return String(value);
  }
}

/** Reads the rows back; throws when the bytes are not a Parquet file of this format. */
export async function decodeArchiveRows(bytes: Uint8Array): Promise<ArchiveRow[]> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const metadata = parquetMetadata(file);
  const names = new Set(metadata.schema.map((element) => element.name));
  const missing = ARCHIVE_COLUMNS.filter((name) => !names.has(name));
  if (missing.length) throw new Error(`not an archive file: columns ${missing.join(', ')} are missing`);
  const objects = await parquetReadObjects({ file, metadata });
  return objects.map((object) =>
    Object.fromEntries(COLUMNS.map(({ name, type }) => [name, decodeValue(type, object[name])])),
  );
}

export const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Canonical text of rows, to compare what was written with what is read back. */
export function canonicalRows(rows: readonly ArchiveRow[]): string {
  return JSON.stringify(
    rows.map((row) =>
      ARCHIVE_COLUMNS.map((name) => {
        const value = row[name] ?? null;
        if (value instanceof Date) return value.toISOString();
        return value === null ? null : String(value);
      }),
    ),
  );
}
