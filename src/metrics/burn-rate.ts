import { parseDecimal } from './decimal.js';

/**
 * Budget burn as the contract defines it, from the latest snapshot ("now") and one earlier
 * snapshot (the latest at or before now - 14 days, or the first snapshot when none is that
 * old). Money stays exact: amounts are integer cents (BigInt) and the two projections are
 * rational numbers rounded once, to the cent (half away from zero, like PostgreSQL's
 * round(numeric)) or to the millisecond. Only dailyBurnRate, a Float in the contract,
 * becomes a double.
 *
 * Where the contract is silent:
 * - "days" are 24-hour days of elapsed time (fractional), not calendar days, so DST does
 *   not bend the rate; "now - 14 days" is 14 x 24 hours before the latest snapshot.
 * - With fewer than 2 snapshots there is no rate: dailyBurnRate is 0 and both projections
 *   are null (status UNKNOWN).
 * - projectedSpendAtEnd needs endsAt; when endsAt has passed, the days to it count as 0
 *   (the projection is the amount spent).
 * - projectedExhaustionDate exists only at a positive rate (null at 0 and when spending
 *   went down) and before the year 10000 (a DateTime has four year digits); it does not
 *   need endsAt. With nothing (or less than nothing) remaining it
 *   lies at or before now: the instant the projected line crossed the allocation.
 * - OVERSPENDING is a projected exhaustion strictly before endsAt; UNDERSPENDING compares
 *   the projection (rounded to cents) with 0.8 x allocated exactly.
 */

export const BURN_STATUSES = ['ON_TRACK', 'OVERSPENDING', 'UNDERSPENDING', 'UNKNOWN'] as const;
export type BurnStatus = (typeof BURN_STATUSES)[number];

const DAY_MS = 86_400_000;
export const BURN_LOOKBACK_MS = 14 * DAY_MS;
/** The last instant a DateTime (RFC 3339, four-digit year) can carry. */
const LAST_DATE_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** Money of the latest snapshot and the earlier one the rate is measured from. */
export interface BurnInputs {
  /** Instant of the latest snapshot: "now". */
  now: Date;
  allocated: string;
  spent: string;
  remaining: string;
  /** The earlier snapshot; the latest itself when the campaign has one snapshot only. */
  base: { at: Date; spent: string };
}

export interface BudgetBurn {
  asOf: Date;
  allocated: string;
  spent: string;
  remaining: string;
  dailyBurnRate: number;
  projectedSpendAtEnd: string | null;
  projectedExhaustionDate: Date | null;
  status: BurnStatus;
}

/** Exact cents of a money value such as "1250.00" or "-3.5". */
export function toCents(money: string): bigint {
  const parsed = parseDecimal(money, { precision: 40, scale: 2 });
  if (!parsed.ok) throw new RangeError(`not an amount of money: ${money} ${parsed.reason}`);
  return BigInt(parsed.value.replace('.', ''));
}

export function centsToMoney(cents: bigint): string {
  const sign = cents < 0n ? '-' : '';
  const digits = (cents < 0n ? -cents : cents).toString().padStart(3, '0');
  return `${sign}${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

/** numerator / denominator rounded to the nearest integer, halves away from zero. */
export function divideRounded(numerator: bigint, denominator: bigint): bigint {
  if (denominator === 0n) throw new RangeError('division by zero');
  const n = denominator < 0n ? -numerator : numerator;
  const d = denominator < 0n ? -denominator : denominator;
  const quotient = n / d; // truncates toward zero
  const remainder = n % d;
  const twice = 2n * (remainder < 0n ? -remainder : remainder);
  if (twice >= d) return quotient + (n < 0n ? -1n : 1n);
  return quotient;
}

export function budgetBurn(inputs: BurnInputs, endsAt: Date | null): BudgetBurn {
  const { now, allocated, spent, remaining, base } = inputs;
  const elapsedMs = BigInt(now.getTime() - base.at.getTime());
  const result = { asOf: now, allocated, spent, remaining };
  if (elapsedMs <= 0n) {
    return {
      ...result,
      dailyBurnRate: 0,
      projectedSpendAtEnd: null,
      projectedExhaustionDate: null,
      status: 'UNKNOWN',
    };
  }
  const spentCents = toCents(spent);
  const burnedCents = spentCents - toCents(base.spent);
  // cents per millisecond -> money per day, one rounding
  const dailyBurnRate = (Number(burnedCents) * DAY_MS) / (100 * Number(elapsedMs));

  let projectedSpendAtEnd: string | null = null;
  let projectedCents: bigint | null = null;
  if (endsAt) {
    const toEndMs = BigInt(Math.max(0, endsAt.getTime() - now.getTime()));
    projectedCents = spentCents + divideRounded(burnedCents * toEndMs, elapsedMs);
    projectedSpendAtEnd = centsToMoney(projectedCents);
  }
  const exhaustionMs =
    burnedCents > 0n
      ? now.getTime() + Number(divideRounded(toCents(remaining) * elapsedMs, burnedCents))
      : null;
  const projectedExhaustionDate =
    exhaustionMs !== null && exhaustionMs <= LAST_DATE_TIME_MS ? new Date(exhaustionMs) : null;

  let status: BurnStatus;
  if (!endsAt || projectedCents === null) status = 'UNKNOWN';
  else if (projectedExhaustionDate && projectedExhaustionDate.getTime() < endsAt.getTime()) {
    status = 'OVERSPENDING';
  } else if (projectedCents * 10n < toCents(allocated) * 8n) status = 'UNDERSPENDING';
  else status = 'ON_TRACK';

  return { ...result, dailyBurnRate, projectedSpendAtEnd, projectedExhaustionDate, status };
}
