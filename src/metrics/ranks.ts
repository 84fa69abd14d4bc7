/**
 * Ranking of a cohort, as Query.compareCampaigns defines it. The cohort is the rows with a
 * value; a null value takes no part and gets no rank or percentile.
 *
 * - rank: 1 + the number of cohort values strictly greater (ties share a rank: 1, 2, 2, 4)
 * - percentile: the share of the other cohort members with a strictly lower value (1.0 at
 *   the top, 0.0 at the bottom; a cohort of one gives 1.0)
 * - cohortAverage: the mean of the cohort's values (null for an empty cohort), the same for
 *   every row
 */
export interface RankedValue {
  value: number | null;
  rank: number | null;
  percentile: number | null;
  cohortAverage: number | null;
}

export function rankCohort(values: readonly (number | null)[]): RankedValue[] {
  const present = values.filter((value): value is number => value !== null);
  const sorted = [...present].sort((a, b) => a - b);
  const cohortAverage = present.length
    ? present.reduce((sum, value) => sum + value, 0) / present.length
    : null;
  return values.map((value) => {
    if (value === null) return { value, rank: null, percentile: null, cohortAverage };
    const lower = countBelow(sorted, value);
    const notGreater = countBelow(sorted, value, true);
    const greater = sorted.length - notGreater;
    return {
      value,
      rank: greater + 1,
      percentile: sorted.length === 1 ? 1 : lower / (sorted.length - 1),
      cohortAverage,
    };
  });
}

/** Number of entries of an ascending list below `value` (or at most `value` when `inclusive`). */
function countBelow(sorted: readonly number[], value: number, inclusive = false): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const entry = sorted[middle] as number;
    if (entry < value || (inclusive && entry === value)) low = middle + 1;
    else high = middle;
  }
  return low;
}
