import { describe, expect, it } from 'vitest';
import { logGamma, studentTCdf, studentTQuantile } from '../../src/metrics/student-t.js';

/**
 * Reference values: the t table (two-sided 95 % column) and, for the digits beyond it,
 * scipy.stats.t.ppf / t.cdf and Python's math.lgamma, computed outside this project.
 */
const QUANTILES: [p: number, df: number, t: number][] = [
  [0.975, 1, 12.706204736174694],
  [0.975, 2, 4.302652729749462],
  [0.975, 3, 3.1824463052837078],
  [0.975, 4, 2.7764451051977934],
  [0.975, 5, 2.5705818356363146],
  [0.975, 6, 2.4469118511449786],
  [0.975, 8, 2.306004135204166],
  [0.975, 10, 2.228138851986274],
  [0.975, 20, 2.085963447265864],
  [0.975, 30, 2.0422724563012378],
  [0.975, 100, 1.9839715185235518],
  [0.975, 200, 1.9718962236339088],
  [0.975, 1000, 1.9623390808264083],
  [0.975, 1_000_000, 1.959966356814107],
  [0.995, 1, 63.656741162871526],
  [0.995, 5, 4.032142983555228],
  [0.95, 10, 1.8124611228116756],
  [0.999, 7, 4.785289628638333],
  [0.6, 3, 0.2766706623326898],
  [0.025, 4, -2.7764451051977943],
];

describe('studentTQuantile', () => {
  it.each(QUANTILES)('p %f with %i degrees of freedom matches the table', (p, df, t) => {
    expect(studentTQuantile(p, df)).toBeCloseTo(t, 9);
    // relative accuracy as well, for the large values of df 1
    expect(Math.abs(studentTQuantile(p, df) - t) / Math.abs(t)).toBeLessThan(1e-10);
  });

  it('is 0 at the median and rejects p outside (0, 1) and df <= 0', () => {
    expect(studentTQuantile(0.5, 7)).toBe(0);
    expect(() => studentTQuantile(0, 3)).toThrow(RangeError);
    expect(() => studentTQuantile(1, 3)).toThrow(RangeError);
    expect(() => studentTQuantile(0.9, 0)).toThrow(RangeError);
  });
});

describe('studentTCdf', () => {
  it('matches the closed forms of 1 and 2 degrees of freedom (which it does not use)', () => {
    for (const t of [-30, -4, -1, -0.25, 0, 0.3, 1, 2.5, 12]) {
      // Cauchy: 1/2 + atan(t)/pi; df 2: 1/2 + t / (2 sqrt(2 + t^2))
      expect(studentTCdf(t, 1)).toBeCloseTo(0.5 + Math.atan(t) / Math.PI, 12);
      expect(studentTCdf(t, 2)).toBeCloseTo(0.5 + t / (2 * Math.sqrt(2 + t * t)), 12);
    }
  });

  it('matches scipy at a few points', () => {
    expect(studentTCdf(2, 3)).toBeCloseTo(0.9303370157205785, 12);
    expect(studentTCdf(-1.5, 7)).toBeCloseTo(0.088649243494985, 12);
  });
});

describe('logGamma', () => {
  it('matches math.lgamma', () => {
    expect(logGamma(0.5)).toBeCloseTo(0.5723649429247004, 12); // ln sqrt(pi)
    expect(logGamma(10)).toBeCloseTo(12.801827480081467, 12); // ln 9! = ln 362880
    expect(logGamma(100.5)).toBeCloseTo(361.4355404677776, 10);
  });
});
