/**
 * Exact decimals as text. Money is numeric(12,2) in PostgreSQL and travels as "1250.00";
 * a float would turn 0.30 - 0.10 into 0.19999999999999998, so arithmetic here is BigInt
 * on integers scaled by a power of ten, and a float appears only in the final Number.
 */

/** Optional '-', digits, optional '.digits': what PostgreSQL prints for numeric. */
const DECIMAL_TEXT = /^(-?)(\d+)(?:\.(\d+))?$/;

/** The value units / 10^scale. */
interface Scaled {
  units: bigint;
  scale: number;
}

interface DecimalParts {
  negative: boolean;
  integer: string;
  fraction: string;
}

function partsOf(text: string): DecimalParts | null {
  const match = DECIMAL_TEXT.exec(text);
  if (!match) return null;
  const [, sign = '', integer = '', fraction = ''] = match;
  return { negative: sign === '-', integer, fraction };
}

function scaledOf({ negative, integer, fraction }: DecimalParts): Scaled {
  const magnitude = BigInt(integer + fraction);
  return { units: negative ? -magnitude : magnitude, scale: fraction.length };
}

/** The same value in units of 10^-to (`to` is at least the current scale). */
const rescaled = ({ units, scale }: Scaled, to: number): bigint => units * 10n ** BigInt(to - scale);

/** Text with exactly `scale` fraction digits; zero never gets a sign ("-0" prints "0.00"). */
function format(units: bigint, scale: number): string {
  const sign = units < 0n ? '-' : '';
  const digits = (units < 0n ? -units : units).toString().padStart(scale + 1, '0');
  const integer = digits.slice(0, digits.length - scale);
  return scale === 0 ? `${sign}${integer}` : `${sign}${integer}.${digits.slice(digits.length - scale)}`;
}

/** Decimal text from the database or from parseDecimal; anything else is a bug upstream. */
function requireParts(text: string): DecimalParts {
  const parts = partsOf(text);
  if (!parts) throw notDecimal(text);
  return parts;
}

const notDecimal = (text: string) => new RangeError(`not a decimal: ${JSON.stringify(text)}`);

export type ParsedDecimal = { ok: true; value: string } | { ok: false; reason: string };

/**
 * Validates input for a numeric(precision, scale) column and normalizes it to exactly
 * `scale` fraction digits ("12.5" -> "12.50"). Rejects rather than rounds: a client that
 * sends more decimal places than the column keeps would otherwise lose money silently.
 * Exponents, spaces, '+', NaN and Infinity are rejected as not decimal numbers.
 */
export function parseDecimal(
  text: string,
  { precision, scale }: { precision: number; scale: number },
): ParsedDecimal {
  const got = `got ${JSON.stringify(text)}`;
  if (text === '') return { ok: false, reason: 'is empty' };
  const parts = partsOf(text);
  if (!parts) return { ok: false, reason: `is not a decimal number, ${got}` };
  if (parts.fraction.length > scale) {
    return { ok: false, reason: `has more than ${scale} decimal places, ${got}` };
  }
  // leading zeros are no digits of the value: "0012.50" fits numeric(4,2)
  if (parts.integer.replace(/^0+/, '').length > precision - scale) {
    return { ok: false, reason: `exceeds numeric(${precision},${scale}), ${got}` };
  }
  return { ok: true, value: format(rescaled(scaledOf(parts), scale), scale) };
}

/** a - b exactly, with as many fraction digits as the longer of the two. */
export function subtractDecimals(a: string, b: string): string {
  const left = scaledOf(requireParts(a));
  const right = scaledOf(requireParts(b));
  const scale = Math.max(left.scale, right.scale);
  return format(rescaled(left, scale) - rescaled(right, scale), scale);
}

/** The nearest double, for GraphQL Float fields; checks the text, as Number('') is 0. */
export function decimalToNumber(value: string): number {
  // test, not exec: charts convert thousands of values per request, and need no parts
  if (!DECIMAL_TEXT.test(value)) throw notDecimal(value);
  return Number(value);
}

/**
 * The DELTA statistic: LAST of a bucket minus LAST of the nearest earlier non-empty bucket,
 * subtracted exactly before it becomes a float. Null when either side is null.
 */
export function deltaOf(current: string | null, previous: string | null): number | null {
  if (current === null || previous === null) return null;
  return decimalToNumber(subtractDecimals(current, previous));
}
