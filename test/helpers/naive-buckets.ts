/**
 * A second, deliberately simple implementation of the contract's bucket definitions, used
 * as the oracle in integration tests: group by the local calendar fields Intl reports.
 */
export type NaiveGranularity = 'HOUR' | 'DAY' | 'WEEK' | 'MONTH' | 'QUARTER' | 'YEAR';

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      timeZoneName: 'longOffset',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

function localFields(instant: Date, timeZone: string) {
  const parts = formatter(timeZone).formatToParts(instant);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return {
    year: get('year'),
    month: get('month'),
    day: get('day'),
    hour: get('hour'),
    minute: get('minute'),
    offset: parts.find((p) => p.type === 'timeZoneName')?.value ?? '',
  };
}

/** ISO 8601 week-year and week of a calendar date. */
function isoWeek(year: number, month: number, day: number) {
  const date = new Date(Date.UTC(year, month - 1, day));
  const weekday = date.getUTCDay() || 7;
  date.setUTCDate(date.getUTCDate() + 4 - weekday); // the Thursday of this week decides the year
  const weekYear = date.getUTCFullYear();
  const week = Math.ceil(((date.getTime() - Date.UTC(weekYear, 0, 1)) / 86_400_000 + 1) / 7);
  return { weekYear, week };
}

export function naiveBucketKey(instant: Date, granularity: NaiveGranularity, timeZone: string): string {
  const { year, month, day, hour, offset } = localFields(instant, timeZone);
  switch (granularity) {
    // An hour is a local hour at one UTC offset: the repeated hour of a fall-back night is two hours.
    case 'HOUR':
      return `${year}-${month}-${day}T${hour}${offset}`;
    case 'DAY':
      return `${year}-${month}-${day}`;
    case 'WEEK': {
      const { weekYear, week } = isoWeek(year, month, day);
      return `${weekYear}-W${week}`;
    }
    case 'MONTH':
      return `${year}-${month}`;
    case 'QUARTER':
      return `${year}-Q${Math.ceil(month / 3)}`;
    case 'YEAR':
      return `${year}`;
  }
}

export function localTimeOfDay(instant: Date, timeZone: string): string {
  const { hour, minute } = localFields(instant, timeZone);
  return `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
}

export interface Sample {
  at: Date;
  value: number | null;
}

export interface NaiveStats {
  key: string;
  count: number;
  FIRST: number | null;
  LAST: number | null;
  MIN: number | null;
  MAX: number | null;
  AVG: number | null;
  DELTA: number | null;
}

/**
 * Buckets of the samples inside [from, to) with the contract's statistics. DELTA looks at
 * all samples (also before `from`) for the nearest earlier non-empty bucket.
 */
export function naiveBuckets(
  all: Sample[],
  from: Date,
  to: Date,
  granularity: NaiveGranularity,
  timeZone: string,
): NaiveStats[] {
  const sorted = [...all]
    .sort((a, b) => a.at.getTime() - b.at.getTime())
    .map((sample) => ({ ...sample, key: naiveBucketKey(sample.at, granularity, timeZone) }));
  const groups = new Map<string, Sample[]>();
  for (const sample of sorted) {
    if (sample.at < from || sample.at >= to) continue;
    groups.set(sample.key, [...(groups.get(sample.key) ?? []), sample]);
  }
  return [...groups.entries()].map(([key, samples]) => {
    const values = samples.map((s) => s.value).filter((v): v is number => v !== null);
    const last = samples.at(-1)?.value ?? null;
    const firstAt = samples[0]?.at ?? from;
    const earlier = sorted.filter((s) => s.at < firstAt && s.key !== key).at(-1);
    return {
      key,
      count: samples.length,
      FIRST: samples[0]?.value ?? null,
      LAST: last,
      MIN: values.length ? Math.min(...values) : null,
      MAX: values.length ? Math.max(...values) : null,
      AVG: values.length ? values.reduce((sum, v) => sum + v, 0) / values.length : null,
      DELTA: earlier && last !== null && earlier.value !== null ? round(last - earlier.value) : null,
    };
  });
}

/** Differences of 2-decimal values, free of binary float noise. */
const round = (value: number) => Math.round(value * 10_000) / 10_000;
