import { describe, expect, it } from 'vitest';
import { fitLine, forecastPoints, predictAt, reachesValueAt } from '../../src/metrics/forecast.js';

/** The textbook formulas, written out independently of the code under test. */
function naiveOls(xs: number[], ys: number[]) {
  const n = xs.length;
  const sumX = xs.reduce((a, b) => a + b, 0);
  const sumY = ys.reduce((a, b) => a + b, 0);
  const sumXY = xs.reduce((a, x, i) => a + x * (ys[i] as number), 0);
  const sumXX = xs.reduce((a, x) => a + x * x, 0);
  const slope = (n * sumXY - sumX * sumY) / (n * sumXX - sumX * sumX);
  const intercept = (sumY - slope * sumX) / n;
  const meanY = sumY / n;
  const residuals = ys.map((y, i) => y - (intercept + slope * (xs[i] as number)));
  const sse = residuals.reduce((a, r) => a + r * r, 0);
  const sst = ys.reduce((a, y) => a + (y - meanY) ** 2, 0);
  const meanX = sumX / n;
  const sxx = xs.reduce((a, x) => a + (x - meanX) ** 2, 0);
  const s = Math.sqrt(sse / (n - 2));
  return { slope, intercept, r2: 1 - sse / sst, s, meanX, sxx, n };
}

const DAY = 86_400_000;
const ORIGIN = new Date('2024-05-05T00:00:00Z');
const LATEST = new Date('2024-05-05T18:00:00Z');

describe('fitLine', () => {
  it('is null with fewer than 2 points', () => {
    expect(fitLine([])).toBeNull();
    expect(fitLine([{ x: 0, y: 3 }])).toBeNull();
  });

  it('fits a perfect line exactly: r2 = 1 and a zero-width interval', () => {
    // y = 120 + 5x at x = -4..0
    const fit = fitLine([-4, -3, -2, -1, 0].map((x) => ({ x, y: 120 + 5 * x })));
    expect(fit).toMatchObject({ n: 5, slope: 5, intercept: 120, r2: 1, residualStandardError: 0 });
    if (!fit) throw new Error('no fit');
    expect(forecastPoints(fit, 3)).toEqual([
      { x: 1, value: 125, lower: 125, upper: 125 },
      { x: 2, value: 130, lower: 130, upper: 130 },
      { x: 3, value: 135, lower: 135, upper: 135 },
    ]);
  });

  it('with 2 points runs through both and has no interval (0 degrees of freedom)', () => {
    // (-3, 10), (0, 19): slope 3, intercept 19
    const fit = fitLine([
      { x: -3, y: 10 },
      { x: 0, y: 19 },
    ]);
    expect(fit).toMatchObject({ n: 2, slope: 3, intercept: 19, r2: 1 });
    if (!fit) throw new Error('no fit');
    expect(predictAt(fit, 2)).toEqual({ x: 2, value: 25, lower: 25, upper: 25 });
  });

  it('gives a constant series slope 0 and r2 1', () => {
    const fit = fitLine([-2, -1, 0].map((x) => ({ x, y: 7 })));
    expect(fit).toMatchObject({ slope: 0, intercept: 7, r2: 1 });
  });

  it('agrees with the textbook formulas on a noisy series, interval with t(0.975, 6)', () => {
    const xs = [-9, -8, -6, -5, -4, -2, -1, 0]; // gaps: days without data
    const ys = [3, 7, 6, 11, 10, 14, 13, 18.5];
    const expected = naiveOls(xs, ys);
    const fit = fitLine(xs.map((x, i) => ({ x, y: ys[i] as number })));
    if (!fit) throw new Error('no fit');
    expect(fit.slope).toBeCloseTo(expected.slope, 12);
    expect(fit.intercept).toBeCloseTo(expected.intercept, 12);
    expect(fit.r2).toBeCloseTo(expected.r2, 12);
    expect(fit.r2).toBeGreaterThan(0.8);
    expect(fit.r2).toBeLessThan(1);
    const t6 = 2.4469118511449786; // t table, 6 degrees of freedom, 97.5 %
    for (const point of forecastPoints(fit, 4)) {
      const value = expected.intercept + expected.slope * point.x;
      const half = t6 * expected.s * Math.sqrt(1 + 1 / 8 + (point.x - expected.meanX) ** 2 / expected.sxx);
      expect(point.value).toBeCloseTo(value, 10);
      expect(point.lower).toBeCloseTo(value - half, 10);
      expect(point.upper).toBeCloseTo(value + half, 10);
    }
  });
});

describe('reachesValueAt', () => {
  const fit = fitLine([-4, -3, -2, -1, 0].map((x) => ({ x, y: 120 + 5 * x })));
  if (!fit) throw new Error('no fit');

  it('is the instant the line takes the value, to the millisecond', () => {
    // (150 - 120) / 5 = 6 days; (125.5 - 120) / 5 = 1.1 days = 1 day 2:24
    expect(reachesValueAt(fit, 150, ORIGIN, LATEST)).toEqual(new Date(ORIGIN.getTime() + 6 * DAY));
    expect(reachesValueAt(fit, 125.5, ORIGIN, LATEST)).toEqual(new Date('2024-05-06T02:24:00Z'));
  });

  it('is null before the latest snapshot, at slope 0 and past year 9999', () => {
    // 121: 0.2 days = 04:48 on the latest day, before the 18:00 snapshot
    expect(reachesValueAt(fit, 121, ORIGIN, LATEST)).toBeNull();
    expect(reachesValueAt(fit, 100, ORIGIN, LATEST)).toBeNull();
    expect(reachesValueAt(fit, 1e12, ORIGIN, LATEST)).toBeNull();
    const flat = fitLine([0, 1].map((x) => ({ x: -x, y: 4 })));
    if (!flat) throw new Error('no fit');
    expect(reachesValueAt(flat, 4, ORIGIN, LATEST)).toBeNull();
  });

  it('works for a falling line', () => {
    const falling = fitLine([-1, 0].map((x) => ({ x, y: 10 - 2 * x }))); // y = 10 - 2x
    if (!falling) throw new Error('no fit');
    expect(reachesValueAt(falling, 0, ORIGIN, LATEST)).toEqual(new Date(ORIGIN.getTime() + 5 * DAY));
  });
});
