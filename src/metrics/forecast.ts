import { studentTQuantile } from './student-t.js';

/**
 * Ordinary least squares over daily values, x in days. The caller puts x = 0 at the UTC
 * day of the latest snapshot (so the intercept is the line's value on that day) and the
 * earlier days at negative x.
 *
 * Where the contract is silent:
 * - r2 of a constant series (no variance to explain, fitted exactly) is 1.
 * - With exactly 2 days the line runs through both and n - 2 = 0 degrees of freedom leave
 *   the residual spread unknown: the interval then has zero width (lower = upper = value),
 *   as it has for a perfect line; Forecast.days tells the two apart.
 * - reachesValueAt: the instant the line takes the value (x = (value - intercept) / slope,
 *   a fractional day, to the millisecond); null at slope 0, when that instant lies before
 *   the latest snapshot (the line crossed it in the past: nothing to forecast) and when it
 *   lies after 9999-12-31 (no DateTime). It is not limited to horizonDays.
 */

export const DAY_MS = 86_400_000;
/** The last instant a DateTime (RFC 3339, four-digit year) can carry. */
const LAST_DATE_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

export interface XY {
  x: number;
  y: number;
}

export interface LineFit {
  /** Number of points (days). */
  n: number;
  slope: number;
  /** Value of the line at x = 0. */
  intercept: number;
  r2: number;
  /** s = sqrt(SSE / (n - 2)); 0 when n = 2. */
  residualStandardError: number;
  xMean: number;
  /** Σ (x - x̄)² */
  sxx: number;
}

/** OLS fit; null with fewer than 2 points or when every x is the same. */
export function fitLine(points: readonly XY[]): LineFit | null {
  const n = points.length;
  if (n < 2) return null;
  const xMean = points.reduce((sum, p) => sum + p.x, 0) / n;
  const yMean = points.reduce((sum, p) => sum + p.y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const { x, y } of points) {
    sxx += (x - xMean) ** 2;
    sxy += (x - xMean) * (y - yMean);
    syy += (y - yMean) ** 2;
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  const intercept = yMean - slope * xMean;
  const sse = points.reduce((sum, { x, y }) => sum + (y - (intercept + slope * x)) ** 2, 0);
  const r2 = syy === 0 ? 1 : Math.min(1, Math.max(0, 1 - sse / syy));
  const residualStandardError = n > 2 ? Math.sqrt(sse / (n - 2)) : 0;
  return { n, slope, intercept, r2, residualStandardError, xMean, sxx };
}

export interface PredictionPoint {
  x: number;
  value: number;
  lower: number;
  upper: number;
}

/** t quantile of the 95 % two-sided interval, null when no interval can be estimated. */
function intervalT(fit: LineFit): number | null {
  return fit.n > 2 && fit.residualStandardError > 0 ? studentTQuantile(0.975, fit.n - 2) : null;
}

function predict(fit: LineFit, x: number, t: number | null): PredictionPoint {
  const value = fit.intercept + fit.slope * x;
  if (t === null) return { x, value, lower: value, upper: value };
  const half = t * fit.residualStandardError * Math.sqrt(1 + 1 / fit.n + (x - fit.xMean) ** 2 / fit.sxx);
  return { x, value, lower: value - half, upper: value + half };
}

/** The line at x with its 95 % prediction interval (Student t, n - 2 degrees of freedom). */
export function predictAt(fit: LineFit, x: number): PredictionPoint {
  return predict(fit, x, intervalT(fit));
}

/** The predictions at x = 1..horizonDays. */
export function forecastPoints(fit: LineFit, horizonDays: number): PredictionPoint[] {
  const t = intervalT(fit);
  return Array.from({ length: horizonDays }, (_, i) => predict(fit, i + 1, t));
}

/**
 * The instant at which the line takes `value`, x = 0 being `origin`; null when never (slope
 * 0), before `notBefore` or after the last representable DateTime.
 */
export function reachesValueAt(fit: LineFit, value: number, origin: Date, notBefore: Date): Date | null {
  if (fit.slope === 0) return null;
  const at = Math.round(origin.getTime() + ((value - fit.intercept) / fit.slope) * DAY_MS);
  if (!Number.isFinite(at) || at < notBefore.getTime() || at > LAST_DATE_TIME_MS) return null;
  return new Date(at);
}
