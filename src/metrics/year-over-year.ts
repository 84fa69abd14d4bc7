import { memoized } from './memo.js';
import { bucketStart } from './time-buckets.js';

/**
 * Year-over-year periods: ISO weeks (1..52 or 53, Monday-based, week 1 holds January 4)
 * of an ISO week-year, or months 1..12 of a calendar year, in a time zone.
 *
 * Where the contract is silent:
 * - The periods are those of the year asked for; previous[i] is the same period number of
 *   the year before. Week 53 of a 53-week year has no counterpart in a 52-week previous
 *   year (previous null); week 53 of a 53-week previous year is not listed when the year
 *   asked for has 52 weeks.
 * - change = (current - previous) / previous, null where either is null or previous is 0.
 *   With a negative previous (possible for DELTA) the sign follows that formula.
 */

export const YEAR_OVER_YEAR_GRANULARITIES = ['WEEK', 'MONTH'] as const;
export type YearOverYearGranularity = (typeof YEAR_OVER_YEAR_GRANULARITIES)[number];

const DAY_MS = 86_400_000;

/** UTC midnight of the Monday of ISO week 1 of `year` (the week holding January 4). */
function isoWeekOneMondayUtc(year: number): number {
  const january4 = new Date(0).setUTCFullYear(year, 0, 4);
  const mondayBased = (new Date(january4).getUTCDay() + 6) % 7;
  return january4 - mondayBased * DAY_MS;
}

/** 52 or 53. */
export function isoWeeksInYear(year: number): number {
  return Math.round((isoWeekOneMondayUtc(year + 1) - isoWeekOneMondayUtc(year)) / (7 * DAY_MS));
}

export function periodCount(year: number, granularity: YearOverYearGranularity): number {
  return granularity === 'WEEK' ? isoWeeksInYear(year) : 12;
}

/**
 * Bucket label (as date_trunc gives it) of each period of `year` in `timeZone`, period 1
 * first. Each label comes from an instant inside the period in every zone: the Thursday of
 * the ISO week or the 15th of the month at 12:00 UTC lies within 14 hours of that local
 * day's noon.
 */
function computePeriodStarts(year: number, granularity: YearOverYearGranularity, timeZone: string): Date[] {
  if (granularity === 'WEEK') {
    const monday = isoWeekOneMondayUtc(year);
    return Array.from({ length: isoWeeksInYear(year) }, (_, week) =>
      bucketStart(new Date(monday + (7 * week + 3.5) * DAY_MS), 'WEEK', timeZone),
    );
  }
  return Array.from({ length: 12 }, (_, month) =>
    bucketStart(new Date(new Date(0).setUTCFullYear(year, month, 15) + DAY_MS / 2), 'MONTH', timeZone),
  );
}

/**
 * computePeriodStarts by year, granularity and zone: every campaign of a page in the same
 * zone asks for the same periods. The arrays are shared, so callers only read them.
 */
export const periodStarts: (
  year: number,
  granularity: YearOverYearGranularity,
  timeZone: string,
) => readonly Date[] = memoized(
  computePeriodStarts,
  (year, granularity, timeZone) => `${year} ${granularity} ${timeZone}`,
  10_000,
);

/**
 * One range of snapshot instants that covers every period of `year - 1` and `year` in
 * every time zone (UTC offsets stay within -12..+14 hours, so a day on either side of the
 * UTC boundaries is enough). It does not depend on the zone, so campaigns in different
 * zones share one bucket statement; the partial buckets it adds at both ends are ignored
 * by label (the one before still serves DELTA exactly: its LAST is the real LAST of that
 * period, whose end lies inside the range). `limit` bounds the buckets per campaign.
 */
export function yearOverYearRange(year: number, granularity: YearOverYearGranularity) {
  const start = (y: number) =>
    granularity === 'WEEK' ? isoWeekOneMondayUtc(y) : new Date(0).setUTCFullYear(y, 0, 1);
  return {
    from: new Date(start(year - 1) - DAY_MS),
    to: new Date(start(year + 1) + DAY_MS),
    limit: periodCount(year - 1, granularity) + periodCount(year, granularity) + 3,
  };
}

/** (current - previous) / previous; null where either is null or previous is 0. */
export function relativeChange(current: number | null, previous: number | null): number | null {
  if (current === null || previous === null || previous === 0) return null;
  return (current - previous) / previous;
}

export interface YearOverYearValues {
  periods: number[];
  current: (number | null)[];
  previous: (number | null)[];
  change: (number | null)[];
}

/**
 * Aligns by period number: `valueAt` gives the statistic of the bucket labelled by an
 * instant (null when there is no such bucket).
 */
export function alignYearOverYear(
  year: number,
  granularity: YearOverYearGranularity,
  timeZone: string,
  valueAt: (label: Date) => number | null,
): YearOverYearValues {
  const currentStarts = periodStarts(year, granularity, timeZone);
  const previousStarts = periodStarts(year - 1, granularity, timeZone);
  const current = currentStarts.map(valueAt);
  const previous = currentStarts.map((_, i) => {
    const label = previousStarts[i];
    return label ? valueAt(label) : null;
  });
  return {
    periods: currentStarts.map((_, i) => i + 1),
    current,
    previous,
    change: current.map((value, i) => relativeChange(value, previous[i] ?? null)),
  };
}
