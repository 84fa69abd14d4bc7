/** Formatting and date helpers; every number on the page goes through one of these (en-US). */

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const money = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const DASH = '–';

export const formatInteger = (value: number | null | undefined) =>
  value === null || value === undefined ? DASH : integer.format(value);

/** Decimal strings ("1250.00") and numbers, two decimals with grouping. */
export const formatMoney = (value: string | number | null | undefined) =>
  value === null || value === undefined ? DASH : money.format(Number(value));

/** A ratio as a percentage with one decimal: 0.8123 -> "81.2 %". */
export const formatPercent = (ratio: number | null | undefined) =>
  ratio === null || ratio === undefined ? DASH : `${(ratio * 100).toFixed(1)} %`;

export const formatDecimal = (value: number | null | undefined, digits = 2) =>
  value === null || value === undefined ? DASH : value.toFixed(digits);

/** A calendar date (YYYY-MM-DD) of an instant in a zone. */
export function localDate(instant: string | number | Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(new Date(instant));
  const get = (type: string) => parts.find((part) => part.type === type)?.value ?? '00';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** The zone's offset from UTC at an instant, in milliseconds. */
function offsetAt(timeZone: string, instant: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(instant));
  const get = (type: string) => Number(parts.find((part) => part.type === type)?.value ?? 0);
  const asUtc = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/** The instant a local calendar date (YYYY-MM-DD) starts in a zone, as an ISO string. */
export function zonedMidnight(date: string, timeZone: string): string {
  const [year = 1970, month = 1, day = 1] = date.split('-').map(Number);
  const wall = Date.UTC(year, month - 1, day);
  let instant = wall - offsetAt(timeZone, wall);
  instant = wall - offsetAt(timeZone, instant);
  return new Date(instant).toISOString();
}

/** Adds days to a calendar date (YYYY-MM-DD). */
export function addDays(date: string, days: number): string {
  const [year = 1970, month = 1, day = 1] = date.split('-').map(Number);
  return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10);
}

/** Short label of an instant in a zone for chart axes and tooltips. */
export function shortDateTime(instant: string | number, timeZone: string, withTime: boolean): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    day: '2-digit',
    month: 'short',
    ...(withTime ? { hour: '2-digit', minute: '2-digit' } : {}),
  }).format(new Date(instant));
}

export const sum = (values: readonly (number | null)[]) =>
  values.reduce<number>((total, value) => total + (value ?? 0), 0);

/** Mean of the non-null values, null when there are none. */
export function mean(values: readonly (number | null)[]): number | null {
  const present = values.filter((value): value is number => value !== null);
  return present.length ? sum(present) / present.length : null;
}

/** Last non-null value. */
export function lastValue(values: readonly (number | null)[]): number | null {
  for (let index = values.length - 1; index >= 0; index--) {
    const value = values[index];
    if (value !== null && value !== undefined) return value;
  }
  return null;
}
