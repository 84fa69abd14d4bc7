import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rankCohort } from '../../src/metrics/ranks.js';

describe('rankCohort', () => {
  it('gives ties the same rank and skips the ranks they use up (1, 2, 2, 4)', () => {
    // values 10, 8, 8, 5 in a cohort of four: the others below each, out of 3
    expect(rankCohort([8, 10, 5, 8])).toEqual([
      { value: 8, rank: 2, percentile: 1 / 3, cohortAverage: 7.75 },
      { value: 10, rank: 1, percentile: 1, cohortAverage: 7.75 },
      { value: 5, rank: 4, percentile: 0, cohortAverage: 7.75 },
      { value: 8, rank: 2, percentile: 1 / 3, cohortAverage: 7.75 },
    ]);
  });

  it('gives a cohort of one rank 1 and percentile 1.0', () => {
    expect(rankCohort([42.5])).toEqual([{ value: 42.5, rank: 1, percentile: 1, cohortAverage: 42.5 }]);
  });

  it('leaves null values out of the cohort, its ranks and its average', () => {
    expect(rankCohort([null, 3, null, 1])).toEqual([
      { value: null, rank: null, percentile: null, cohortAverage: 2 },
      { value: 3, rank: 1, percentile: 1, cohortAverage: 2 },
      { value: null, rank: null, percentile: null, cohortAverage: 2 },
      { value: 1, rank: 2, percentile: 0, cohortAverage: 2 },
    ]);
  });

  it('ranks a cohort of only equal values all first, none of them above another', () => {
    expect(rankCohort([7, 7, 7]).map((r) => [r.rank, r.percentile])).toEqual([
      [1, 0],
      [1, 0],
      [1, 0],
    ]);
  });

  it('has nothing to rank without values', () => {
    expect(rankCohort([null, null])).toEqual([
      { value: null, rank: null, percentile: null, cohortAverage: null },
      { value: null, rank: null, percentile: null, cohortAverage: null },
    ]);
    expect(rankCohort([])).toEqual([]);
  });

  it('agrees with a naive pairwise count on any cohort', () => {
    const cohort = fc.array(fc.option(fc.integer({ min: -5, max: 5 }), { nil: null }), { maxLength: 30 });
    fc.assert(
      fc.property(cohort, (values) => {
        const present = values.filter((v): v is number => v !== null);
        const expected = values.map((value) => {
          if (value === null) return [null, null];
          const greater = present.filter((other) => other > value).length;
          const lower = present.filter((other) => other < value).length;
          return [greater + 1, present.length === 1 ? 1 : lower / (present.length - 1)];
        });
        expect(rankCohort(values).map((r) => [r.rank, r.percentile])).toEqual(expected);
      }),
    );
  });
});
