import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ColumnarSeries, fillGaps, type GapFill } from '../../src/metrics/gap-fill.js';

const day = (n: number) => new Date(Date.UTC(2024, 0, n));
const BUCKETS = [day(1), day(2), day(3), day(4), day(5)];

// data on days 2 and 4 only; day 4 reported a null for the second column
const SERIES: ColumnarSeries = {
  timestamps: [day(2), day(4)],
  columns: [
    [10, 30],
    [1.5, null],
  ],
};

describe('fillGaps', () => {
  it('NONE returns the series unchanged, empty buckets omitted', () => {
    expect(fillGaps(SERIES, BUCKETS, 'NONE')).toBe(SERIES);
  });

  it('NULL emits every bucket, with nulls where there is no data', () => {
    expect(fillGaps(SERIES, BUCKETS, 'NULL')).toEqual({
      timestamps: BUCKETS,
      columns: [
        [null, 10, null, 30, null],
        [null, 1.5, null, null, null],
      ],
    });
  });

  it('PREVIOUS repeats the last non-empty bucket, nulls before the first', () => {
    expect(fillGaps(SERIES, BUCKETS, 'PREVIOUS')).toEqual({
      timestamps: BUCKETS,
      columns: [
        [null, 10, 10, 30, 30],
        // day 4 had data and said null: day 5 repeats that null, not day 2's 1.5
        [null, 1.5, 1.5, null, null],
      ],
    });
  });

  it('fills an empty series with nulls only', () => {
    const empty: ColumnarSeries = { timestamps: [], columns: [[], []] };
    for (const mode of ['NULL', 'PREVIOUS'] as const) {
      expect(fillGaps(empty, BUCKETS.slice(0, 2), mode).columns).toEqual([
        [null, null],
        [null, null],
      ]);
    }
  });

  it('refuses a series whose timestamps are no bucket starts, instead of dropping data', () => {
    const shifted: ColumnarSeries = { timestamps: [new Date(Date.UTC(2024, 0, 2, 1))], columns: [[1]] };
    expect(() => fillGaps(shifted, BUCKETS, 'NULL')).toThrow('2024-01-02T01:00:00.000Z is no bucket start');
    const twice: ColumnarSeries = { timestamps: [day(2), day(2)], columns: [[1, 2]] };
    expect(() => fillGaps(twice, BUCKETS, 'PREVIOUS')).toThrow('occurs twice');
  });

  it('(c) agrees with a naive implementation', () => {
    const value = fc.option(fc.integer({ min: -1000, max: 1000 }), { nil: null });
    const scenario = fc
      .record({
        hasData: fc.array(fc.boolean(), { maxLength: 30 }),
        columnCount: fc.integer({ min: 0, max: 4 }),
        mode: fc.constantFrom<GapFill>('NONE', 'NULL', 'PREVIOUS'),
      })
      .chain(({ hasData, columnCount, mode }) => {
        const rows = hasData.filter(Boolean).length;
        return fc.record({
          hasData: fc.constant(hasData),
          mode: fc.constant(mode),
          columns: fc.array(fc.array(value, { minLength: rows, maxLength: rows }), {
            minLength: columnCount,
            maxLength: columnCount,
          }),
        });
      });

    fc.assert(
      fc.property(scenario, ({ hasData, mode, columns }) => {
        const buckets = hasData.map((_, i) => day(i + 1));
        const series = { timestamps: buckets.filter((_, i) => hasData[i]), columns };
        expect(fillGaps(series, buckets, mode)).toEqual(naiveFill(series, buckets, mode));
      }),
      { numRuns: 300 },
    );
  });
});

/** Bucket by bucket: look the bucket up; if empty, walk back to the last bucket with data. */
function naiveFill(series: ColumnarSeries, buckets: Date[], mode: GapFill): ColumnarSeries {
  if (mode === 'NONE') return series;
  const rowOf = (bucket: Date) => series.timestamps.findIndex((t) => t.getTime() === bucket.getTime());
  const sourceRow = (i: number): number => {
    const bucket = buckets[i];
    const row = bucket ? rowOf(bucket) : -1;
    if (row >= 0 || mode === 'NULL' || i === 0) return row;
    return sourceRow(i - 1);
  };
  return {
    timestamps: buckets,
    columns: series.columns.map((column) =>
      buckets.map((_, i) => {
        const row = sourceRow(i);
        return row < 0 ? null : (column[row] ?? null);
      }),
    ),
  };
}
