import { describe, expect, it } from 'vitest';
import { decimalToNumber, deltaOf, parseDecimal, subtractDecimals } from '../src/metrics/decimal.js';

/** Exact decimal text: what PostgreSQL prints for numeric, read and subtracted without float error. */

describe('decimalToNumber', () => {
  it.each([
    ['0', 0],
    ['1250.00', 1250],
    ['-0.50', -0.5],
    ['0.8500', 0.85],
    ['000123.4', 123.4],
  ])('%s is %d', (text, value) => {
    expect(decimalToNumber(text)).toBe(value);
  });

  it('refuses text PostgreSQL never prints for numeric (Number would read most of it)', () => {
    for (const text of ['', ' 1', '1e3', '+1', '1.', '.5', 'NaN', 'Infinity', '0x10', '1,5']) {
      expect(() => decimalToNumber(text), JSON.stringify(text)).toThrow(RangeError);
    }
  });
});

describe('exact subtraction', () => {
  it('subtracts before the float: 0.30 - 0.10 is 0.2, not 0.19999999999999998', () => {
    expect(subtractDecimals('0.30', '0.10')).toBe('0.20');
    expect(deltaOf('0.30', '0.10')).toBe(0.2);
    expect(subtractDecimals('100', '250.125')).toBe('-150.125');
    expect(subtractDecimals('5.00', '5')).toBe('0.00');
    expect(deltaOf(null, '1')).toBeNull();
  });

  it('normalizes input to the column scale and rejects what would not fit', () => {
    expect(parseDecimal('12.5', { precision: 12, scale: 2 })).toEqual({ ok: true, value: '12.50' });
    expect(parseDecimal('0012.50', { precision: 4, scale: 2 })).toEqual({ ok: true, value: '12.50' });
    expect(parseDecimal('1.005', { precision: 12, scale: 2 }).ok).toBe(false);
    expect(parseDecimal('123.00', { precision: 4, scale: 2 }).ok).toBe(false);
  });
});
