/**
 * The two drivers return some types differently through raw SQL (postgres.js: timestamps as
 * text, bigint as string; PGlite: timestamps as text, bigint as number). Queries cast counts
 * to int and read instants through here, so callers see one shape.
 */
export function toInstant(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'string') {
    const epochMs = timestamptzEpochMs(value);
    if (!Number.isNaN(epochMs)) return new Date(epochMs);
    // Any other shape PostgreSQL may print ("+05:53:28" offsets, years past 9999): as ISO 8601.
    const iso = value.replace(' ', 'T').replace(/([+-]\d{2})$/, '$1:00');
    const instant = new Date(iso);
    if (!Number.isNaN(instant.getTime())) return instant;
  }
  throw new TypeError(`not a timestamp: ${String(value)}`);
}

/** `count` decimal digits of `text` at `at` as a number; NaN at any other character. */
function digitsAt(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (!(digit >= 0 && digit <= 9)) return Number.NaN;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * Milliseconds since the epoch of PostgreSQL's usual timestamptz text, "2024-03-31
 * 22:00:00[.123456]+00" or "...-05:30", read without building strings: a dashboard reads
 * thousands per request. NaN for any other shape (sub-milliseconds are dropped, as by Date).
 */
function timestamptzEpochMs(text: string): number {
  if (text[4] !== '-' || text[7] !== '-' || text[10] !== ' ' || text[13] !== ':' || text[16] !== ':') {
    return Number.NaN;
  }
  let at = 19;
  let millis = 0;
  if (text[at] === '.') {
    let scale = 100;
    for (at++; at < text.length && text.charCodeAt(at) >= 48 && text.charCodeAt(at) <= 57; at++) {
      millis += (text.charCodeAt(at) - 48) * scale;
      scale /= 10;
    }
  }
  const sign = text[at] === '+' ? 1 : text[at] === '-' ? -1 : 0;
  const rest = text.length - at;
  if (sign === 0 || (rest !== 3 && !(rest === 6 && text[at + 3] === ':'))) return Number.NaN;
  const year = digitsAt(text, 0, 4);
  // Date.UTC reads years 0-99 as 1900-1999
  if (!(year >= 100)) return Number.NaN;
  const offsetMinutes = digitsAt(text, at + 1, 2) * 60 + (rest === 6 ? digitsAt(text, at + 4, 2) : 0);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  // Date.UTC would roll 2024-13-45 over into another date rather than refuse it
  if (!(month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 && second <= 59)) {
    return Number.NaN;
  }
  const local = Date.UTC(year, month - 1, day, hour, minute, second, Math.floor(millis));
  return local - sign * offsetMinutes * 60_000;
}

/** Numeric and integer values as exact decimal text (null stays null). */
export function toDecimalText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  throw new TypeError(`not a number: ${String(value)}`);
}

export function toNumber(value: unknown): number | null {
  const text = toDecimalText(value);
  return text === null ? null : Number(text);
}
