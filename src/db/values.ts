/**
 * The two drivers return some types differently through raw SQL (postgres.js: timestamps as
 * text, bigint as string; PGlite: timestamps as text, bigint as number). Queries cast counts
 * to int and read instants through here, so callers see one shape.
 */
export function toInstant(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'string') {
    // PostgreSQL text output: "2024-03-31 22:00:00.123+00" or "+05:30"; make it ISO 8601.
    const iso = value.replace(' ', 'T').replace(/([+-]\d{2})$/, '$1:00');
    const instant = new Date(iso);
    if (!Number.isNaN(instant.getTime())) return instant;
  }
  throw new TypeError(`not a timestamp: ${String(value)}`);
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
