/**
 * Gap filling of a columnar series against the full list of bucket starts of its range
 * (bucketStartsInRange), for charts that want one point per bucket.
 */

/**
 * NONE: only buckets with data. NULL: every bucket, empty ones with nulls. PREVIOUS: every
 * bucket, empty ones repeating the last non-empty bucket before them (nulls before any).
 */
export type GapFill = 'NONE' | 'NULL' | 'PREVIOUS';

/** columns[i][j] is the value of column i at timestamps[j]. */
export interface ColumnarSeries {
  timestamps: Date[];
  columns: (number | null)[][];
}

/**
 * Position of each timestamp of the series. A timestamp that is no bucket start, or one
 * that occurs twice, means the series and the bucket list disagree about the buckets
 * (zone, granularity or date_trunc semantics): filling would silently drop or merge data.
 */
function positionsByTime(timestamps: Date[], bucketStarts: readonly Date[]): Map<number, number> {
  const starts = new Set(bucketStarts.map((start) => start.getTime()));
  const positions = new Map<number, number>();
  for (const [position, timestamp] of timestamps.entries()) {
    const time = timestamp.getTime();
    if (!starts.has(time)) throw new Error(`series timestamp ${timestamp.toISOString()} is no bucket start`);
    if (positions.has(time)) throw new Error(`series timestamp ${timestamp.toISOString()} occurs twice`);
    positions.set(time, position);
  }
  return positions;
}

/**
 * The series with one timestamp per bucket start. Values of buckets that have data are
 * never changed (a null reported for one stays null, also under PREVIOUS: it is what that
 * bucket said); only empty buckets are filled.
 */
export function fillGaps(
  series: ColumnarSeries,
  bucketStarts: readonly Date[],
  mode: GapFill,
): ColumnarSeries {
  if (mode === 'NONE') return series;
  const positions = positionsByTime(series.timestamps, bucketStarts);
  // per bucket start, the series position whose values it shows (undefined: all nulls)
  let carried: number | undefined;
  const sources = bucketStarts.map((start) => {
    const position = positions.get(start.getTime());
    if (position !== undefined) carried = position;
    return position ?? (mode === 'PREVIOUS' ? carried : undefined);
  });
  return {
    timestamps: [...bucketStarts],
    columns: series.columns.map((column) =>
      sources.map((source) => (source === undefined ? null : (column[source] ?? null))),
    ),
  };
}
