import type { BucketGranularity } from './catalog.js';
import { memoized } from './memo.js';

/**
 * Calendar buckets in a time zone, defined exactly as PostgreSQL's
 * `date_trunc(unit, instant, zone)` defines them, so that buckets computed here (gap fill,
 * expected bucket lists) carry the same labels as the buckets SQL groups by.
 *
 * PostgreSQL converts the instant to local wall time, truncates the wall time and converts
 * it back to an instant:
 * - HOUR keeps the UTC offset the instant had (no second offset lookup), so the label is
 *   the instant minus the minutes and seconds past the local hour. Where an offset change
 *   is not a whole hour (Australia/Lord_Howe, 30 minutes) a label can lie outside its own
 *   bucket: after the 2024-04-06T15:00Z fall-back the bucket [15:00Z, 15:30Z) is labelled
 *   14:30Z, which itself belongs to the bucket labelled 14:00Z.
 * - DAY and coarser look the truncated wall time up again. A wall time that exists once
 *   maps to that instant; one that exists twice (fall-back) or never (spring-forward gap)
 *   maps to the later of the two candidates, i.e. it is read with the smaller of the two
 *   offsets. A skipped midnight (America/Santiago, Asia/Beirut, America/Havana in March)
 *   thus maps to the first instant of the day, but a repeated midnight (America/Havana in
 *   November) maps to its second occurrence, an hour after the day began: the first hour
 *   of that day carries a label later than itself.
 *
 * Internally a wall time is a "local epoch": milliseconds since 1970-01-01T00:00 read as
 * if the wall clock were UTC, which makes calendar arithmetic plain UTC Date arithmetic.
 */

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Throws RangeError for a zone Intl does not know, like the Intl constructor itself. */
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  // zone names are case-insensitive: one key per zone keeps the cache as small as tzdata
  const key = timeZone.toLowerCase();
  let formatter = formatters.get(key);
  if (!formatter) {
    // longOffset prints the exact offset ("GMT+05:45", "GMT+00:53:28" for local mean time)
    // and formats several times faster than formatToParts with all calendar fields
    formatter = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
    formatters.set(key, formatter);
  }
  return formatter;
}

const mod = (value: number, divisor: number): number => ((value % divisor) + divisor) % divisor;

/** UTC offset in effect at an instant, in milliseconds. */
function readOffset(instant: number, timeZone: string): number {
  const formatted = formatterFor(timeZone).format(instant);
  // a zero offset may print as a bare "GMT"
  const match = /GMT(?:([+-])(\d\d):(\d\d)(?::(\d\d))?)?$/.exec(formatted);
  if (!match) throw new Error(`cannot read the UTC offset of ${timeZone} from "${formatted}"`);
  const [, sign, hours = '0', minutes = '0', seconds = '0'] = match;
  const magnitude = Number(hours) * HOUR_MS + Number(minutes) * MINUTE_MS + Number(seconds) * 1000;
  return sign === '-' ? -magnitude : magnitude;
}

/**
 * Offsets already read, by zone and instant: formatting an instant costs microseconds, a
 * bucket walk needs a few per bucket, and dashboards ask the same zones and ranges again.
 */
const offsetAt = memoized(
  readOffset,
  (instant: number, timeZone: string) => `${timeZone} ${instant}`,
  100_000,
);

const localOf = (instant: number, timeZone: string): number => instant + offsetAt(instant, timeZone);

/**
 * The first instant in (from, to] whose offset differs from the offset at `from`, given
 * that the offsets at `from` and `to` differ. Binary search: transitions are rare enough
 * that the ~25 lookups it costs do not matter.
 */
function firstOffsetChange(from: number, to: number, timeZone: string): number {
  const offset = offsetAt(from, timeZone);
  let low = from;
  let high = to;
  while (high - low > 1) {
    const middle = low + Math.floor((high - low) / 2);
    if (offsetAt(middle, timeZone) === offset) low = middle;
    else high = middle;
  }
  return high;
}

/**
 * The instants that could show a wall time: it minus the offsets in effect a day before and
 * a day after. Offsets stay within +-14 h, so every instant showing that wall time lies
 * between the two, and zones do not change offset twice within two days (PostgreSQL makes
 * the same assumption when it looks for the transition next to a wall time).
 */
function wallTimeCandidates(local: number, timeZone: string) {
  const offsetBefore = offsetAt(local - DAY_MS, timeZone);
  const offsetAfter = offsetAt(local + DAY_MS, timeZone);
  if (offsetBefore === offsetAfter) {
    const only = local - offsetBefore;
    return { earlier: only, later: only, earlierShowsIt: true, laterShowsIt: true };
  }
  const earlier = local - Math.max(offsetBefore, offsetAfter);
  const later = local - Math.min(offsetBefore, offsetAfter);
  return {
    earlier,
    later,
    earlierShowsIt: localOf(earlier, timeZone) === local,
    laterShowsIt: localOf(later, timeZone) === local,
  };
}

/**
 * PostgreSQL's reading of a wall time (DetermineTimeZoneOffset): the instant showing it when
 * there is exactly one, else the later candidate. Both for a repeated wall time (the second
 * occurrence) and for a skipped one (read with the offset from before the gap, which lands
 * as far after the gap's start as the wall time is).
 */
function instantOfWallTime(local: number, timeZone: string): number {
  const { earlier, later, earlierShowsIt, laterShowsIt } = wallTimeCandidates(local, timeZone);
  return earlierShowsIt && !laterShowsIt ? earlier : later;
}

/**
 * The first instant whose wall time is at or after `local`: where a bucket physically
 * begins. It differs from the PostgreSQL label at a repeated midnight (the first occurrence
 * begins the day) and at a gap that starts before midnight (the transition begins the day).
 */
function firstInstantAtOrAfterWallTime(local: number, timeZone: string): number {
  const { earlier, later, earlierShowsIt, laterShowsIt } = wallTimeCandidates(local, timeZone);
  if (earlierShowsIt) return earlier;
  if (laterShowsIt) return later;
  return firstOffsetChange(earlier, later, timeZone);
}

type CalendarGranularity = Exclude<BucketGranularity, 'HOUR'>;

/** Local epoch of a calendar date at 00:00; setUTCFullYear, unlike Date.UTC, keeps years 0-99. */
function localDate(year: number, monthIndex: number, day: number): number {
  return new Date(0).setUTCFullYear(year, monthIndex, day);
}

/**
 * Wall time at which the calendar unit containing `local` starts (`shift` 0) or the unit
 * after it starts (`shift` 1).
 */
function unitStart(local: number, granularity: CalendarGranularity, shift: 0 | 1): number {
  const date = new Date(local);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  const day = date.getUTCDate();
  switch (granularity) {
    case 'DAY':
      return localDate(year, month, day + shift);
    case 'WEEK':
      // ISO weeks start on Monday; getUTCDay() counts from Sunday = 0
      return localDate(year, month, day - mod(date.getUTCDay() - 1, 7) + 7 * shift);
    case 'MONTH':
      return localDate(year, month + shift, 1);
    case 'QUARTER':
      return localDate(year, month - mod(month, 3) + 3 * shift, 1);
    case 'YEAR':
      return localDate(year + shift, 0, 1);
  }
}

/** HOUR truncates the wall time but keeps the instant's own offset, as PostgreSQL does. */
function hourLabel(instant: number, offset: number): number {
  return instant - mod(instant + offset, HOUR_MS);
}

/** Equals PostgreSQL's `date_trunc(unit, instant, timeZone)`. */
export function bucketStart(instant: Date, granularity: BucketGranularity, timeZone: string): Date {
  const t = instant.getTime();
  if (granularity === 'HOUR') return new Date(hourLabel(t, offsetAt(t, timeZone)));
  return new Date(instantOfWallTime(unitStart(localOf(t, timeZone), granularity, 0), timeZone));
}

/**
 * Label of the bucket after the one labelled `start` (a value returned by bucketStart), as
 * PostgreSQL labels it: date_trunc of the wall time one unit later.
 */
export function nextBucketStart(start: Date, granularity: BucketGranularity, timeZone: string): Date {
  const t = start.getTime();
  if (granularity === 'HOUR') return bucketStart(new Date(t + HOUR_MS), granularity, timeZone);
  return new Date(instantOfWallTime(unitStart(localOf(t, timeZone), granularity, 1), timeZone));
}

/**
 * Label of the bucket holding an instant, and the instant at which the next bucket begins.
 *
 * For HOUR that is an hour after the label (every instant of a bucket lies less than an hour
 * after its label): a bucket could only be skipped by an offset change that moves the clock
 * back by less than an hour, less than that amount after the start of a local hour, and
 * no zone of tzdata 1850-2040 has one (Lord Howe moves back 30 minutes exactly on the hour).
 */
function bucketAround(instant: number, granularity: BucketGranularity, timeZone: string) {
  if (granularity === 'HOUR') {
    const start = hourLabel(instant, offsetAt(instant, timeZone));
    return { start, end: start + HOUR_MS };
  }
  const local = localOf(instant, timeZone);
  return {
    start: instantOfWallTime(unitStart(local, granularity, 0), timeZone),
    end: firstInstantAtOrAfterWallTime(unitStart(local, granularity, 1), timeZone),
  };
}

/**
 * Ascending labels of every bucket holding at least one instant of [from, to), the first
 * possibly before `from`: exactly the distinct bucketStart values of the range, which are
 * the labels SQL's date_trunc groups the range's rows by. Walks the buckets physically,
 * from instant to instant, because a label can lie outside its own bucket (see above).
 */
function walkBucketStarts(from: Date, to: Date, granularity: BucketGranularity, timeZone: string): Date[] {
  const starts: Date[] = [];
  let instant = from.getTime();
  while (instant < to.getTime()) {
    const { start, end } = bucketAround(instant, granularity, timeZone);
    starts.push(new Date(start));
    instant = end;
  }
  return starts;
}

/**
 * walkBucketStarts by range, granularity and zone: a dashboard asks the same range of every
 * campaign and again on every refresh. The arrays are shared, so callers only read them; a
 * range holds up to 10,000 starts, so few ranges are kept.
 */
export const bucketStartsInRange: (
  from: Date,
  to: Date,
  granularity: BucketGranularity,
  timeZone: string,
) => readonly Date[] = memoized(
  walkBucketStarts,
  (from, to, granularity, timeZone) => `${from.getTime()} ${to.getTime()} ${granularity} ${timeZone}`,
  64,
);

/**
 * Accepts what PostgreSQL and Intl both read as the same IANA zone, because the same string
 * is handed to date_trunc: "UTC" and Area/Location names such as "Europe/Berlin",
 * "America/Argentina/Buenos_Aires" or "Etc/GMT+5" (any letter case, as both match names
 * case-insensitively). Rejected:
 * - offsets such as "+05:00" or "UTC+3": Intl (Node 20) rejects them and PostgreSQL reads
 *   them as POSIX zones with the sign inverted ("+05:00" is five hours west);
 * - single words other than "UTC" ("CET", "IST", "EST5EDT", "CEST"): PostgreSQL resolves
 *   abbreviations before zone names, so "CET" is a fixed +01:00 to it but a zone with
 *   summer time to Intl, and "IST" is Israel to PostgreSQL but India to Intl.
 */
export function isValidTimeZone(name: string): boolean {
  if (name !== 'UTC' && !/^[A-Za-z][\w+-]*(?:\/[\w+-]+)+$/.test(name)) return false;
  try {
    formatterFor(name);
    return true;
  } catch {
    return false;
  }
}
