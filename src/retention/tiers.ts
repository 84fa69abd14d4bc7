/**
 * The retention tiers (contract: Mutation.runRetention), as pure functions of `asOf`.
 *
 * Age is counted in whole days: a snapshot 30 days and 23 hours old is 30 days old. By age
 * at asOf: 0-30 days raw; 31-90 days DAY; 91-365 days WEEK; 366 days to 3 years MONTH;
 * older than 3 years QUARTER (archived). High-value campaigns keep raw up to 60 days and
 * DAY up to 180 days. A bucket moves to a tier only when all of it is old enough: its end
 * lies at or before the tier's cutoff, so no bucket is ever rolled up half.
 */
export type TierGranularity = 'DAY' | 'WEEK' | 'MONTH' | 'QUARTER';

/** Coarsest first: the order a run applies them, so each sample is consumed once. */
export const TIERS_COARSEST_FIRST: readonly TierGranularity[] = ['QUARTER', 'MONTH', 'WEEK', 'DAY'];

export interface TierCutoffs {
  /** Buckets of the tier ending at or before this instant belong to it. */
  DAY: Date;
  WEEK: Date;
  MONTH: Date;
  QUARTER: Date;
}

const DAY_MS = 86_400_000;
const daysBefore = (asOf: Date, days: number) => new Date(asOf.getTime() - days * DAY_MS);

/** asOf minus whole calendar years, in UTC (29 February falls back to 1 March). */
function yearsBefore(asOf: Date, years: number): Date {
  const instant = new Date(asOf.getTime());
  instant.setUTCFullYear(instant.getUTCFullYear() - years);
  return instant;
}

export function tierCutoffs(asOf: Date, { highValue }: { highValue: boolean }): TierCutoffs {
  const stretch = highValue ? 2 : 1;
  return {
    // raw keeps ages 0..30 (0..60): a bucket is DAY once it ends 31 (61) days before asOf
    DAY: daysBefore(asOf, 30 * stretch + 1),
    // DAY keeps ages up to 90 (180)
    WEEK: daysBefore(asOf, 90 * stretch + 1),
    // WEEK keeps ages up to 365
    MONTH: daysBefore(asOf, 366),
    // MONTH keeps up to 3 years; older goes to the archive
    QUARTER: yearsBefore(asOf, 3),
  };
}
