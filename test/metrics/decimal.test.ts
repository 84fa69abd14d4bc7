import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decimalToNumber, deltaOf, parseDecimal, subtractDecimals } from '../../src/metrics/decimal.js';

const MONEY = { precision: 12, scale: 2 };

describe('parseDecimal', () => {
  it('normalizes to exactly `scale` fraction digits', () => {
    expect(parseDecimal('12.5', MONEY)).toEqual({ ok: true, value: '12.50' });
    expect(parseDecimal('1250', MONEY)).toEqual({ ok: true, value: '1250.00' });
    expect(parseDecimal('0012.50', MONEY)).toEqual({ ok: true, value: '12.50' });
    expect(parseDecimal('-3.1', MONEY)).toEqual({ ok: true, value: '-3.10' });
    expect(parseDecimal('-0', MONEY)).toEqual({ ok: true, value: '0.00' });
    expect(parseDecimal('-0.00', MONEY)).toEqual({ ok: true, value: '0.00' });
    expect(parseDecimal('42', { precision: 5, scale: 0 })).toEqual({ ok: true, value: '42' });
  });

  it('accepts the largest numeric(12,2) values and rejects one more integer digit', () => {
    expect(parseDecimal('9999999999.99', MONEY)).toEqual({ ok: true, value: '9999999999.99' });
    expect(parseDecimal('-9999999999.99', MONEY)).toEqual({ ok: true, value: '-9999999999.99' });
    expect(parseDecimal('10000000000', MONEY)).toEqual({
      ok: false,
      reason: 'exceeds numeric(12,2), got "10000000000"',
    });
  });

  it('rejects more decimal places than the scale, even trailing zeros', () => {
    expect(parseDecimal('1.234', MONEY)).toEqual({
      ok: false,
      reason: 'has more than 2 decimal places, got "1.234"',
    });
    expect(parseDecimal('1.250', MONEY)).toMatchObject({ ok: false });
  });

  it('rejects text that is not a plain decimal', () => {
    expect(parseDecimal('', MONEY)).toEqual({ ok: false, reason: 'is empty' });
    for (const text of [
      '1e3',
      '1E-2',
      ' 1',
      '1 ',
      '+1',
      '.5',
      '5.',
      '1,5',
      'NaN',
      'Infinity',
      '-',
      '0x10',
      '١٢',
    ]) {
      expect(parseDecimal(text, MONEY), text).toEqual({
        ok: false,
        reason: `is not a decimal number, got ${JSON.stringify(text)}`,
      });
    }
  });
});

describe('subtractDecimals and deltaOf', () => {
  it('subtracts exactly, at the larger scale', () => {
    expect(subtractDecimals('0.30', '0.10')).toBe('0.20');
    expect(subtractDecimals('1', '0.25')).toBe('0.75');
    expect(subtractDecimals('-1.5', '2.25')).toBe('-3.75');
    expect(subtractDecimals('0.10', '0.10')).toBe('0.00');
    expect(subtractDecimals('0.7500', '1')).toBe('-0.2500');
    expect(subtractDecimals('42', '50')).toBe('-8');
  });

  it('gives the float nearest the exact difference, not the difference of floats', () => {
    expect(0.3 - 0.1).not.toBe(0.2);
    expect(deltaOf('0.30', '0.10')).toBe(0.2);
    expect(deltaOf('1250.00', '1000.50')).toBe(249.5);
  });

  it('is null when either side is null', () => {
    expect(deltaOf(null, '1.00')).toBeNull();
    expect(deltaOf('1.00', null)).toBeNull();
    expect(deltaOf(null, null)).toBeNull();
  });

  it('throws on text that is no decimal instead of computing with it', () => {
    expect(() => subtractDecimals('1.00', '')).toThrow(RangeError);
    expect(() => decimalToNumber('')).toThrow(RangeError);
    expect(() => decimalToNumber('1e3')).toThrow(RangeError);
  });
});

/** A value in cents as text with `scale` fraction digits, the way a person would write it. */
function centsToText(cents: bigint, scale: number): string {
  const sign = cents < 0n ? '-' : '';
  const magnitude = cents < 0n ? -cents : cents;
  const whole = `${magnitude / 100n}`;
  const fraction = `${magnitude % 100n}`.padStart(2, '0');
  return `${sign}${whole}.${fraction}${'0'.repeat(scale - 2)}`;
}

/** The value of decimal text in units of 10^-10, by string surgery. */
function inTenBillionths(text: string): bigint {
  const [integer = '', fraction = ''] = text.replace('-', '').split('.');
  const magnitude = BigInt(integer + fraction.padEnd(10, '0'));
  return text.startsWith('-') ? -magnitude : magnitude;
}

describe('(d) decimal arithmetic against BigInt cents', () => {
  const cents = fc.bigInt({ min: -999_999_999_999n, max: 999_999_999_999n });

  it('parseDecimal normalizes any numeric(12,2) value, however few decimals it is written with', () => {
    fc.assert(
      fc.property(cents, (c) => {
        const terse = centsToText(c, 2).replace(/\.?0+$/, '');
        expect(parseDecimal(terse, MONEY)).toEqual({ ok: true, value: centsToText(c, 2) });
        expect(decimalToNumber(centsToText(c, 2))).toBe(Number(c) / 100);
      }),
    );
  });

  it('subtractDecimals and deltaOf match subtraction in cents, whatever the scales', () => {
    fc.assert(
      fc.property(
        cents,
        cents,
        fc.integer({ min: 2, max: 4 }),
        fc.integer({ min: 2, max: 4 }),
        (a, b, sa, sb) => {
          const difference = subtractDecimals(centsToText(a, sa), centsToText(b, sb));
          expect(difference).toBe(centsToText(a - b, Math.max(sa, sb)));
          // Number(text) is the double nearest the exact value: the best a Float can say
          expect(deltaOf(centsToText(a, sa), centsToText(b, sb))).toBe(Number(centsToText(a - b, 2)));
        },
      ),
    );
  });

  it('parseDecimal accepts exactly the values numeric(p,s) can hold', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 8 })
          .chain((precision) =>
            fc.tuple(
              fc.constant(precision),
              fc.integer({ min: 0, max: precision }),
              fc.stringMatching(/^-?\d{1,10}(\.\d{1,6})?$/),
            ),
          ),
        ([precision, scale, text]) => {
          const [integer = '', fraction = ''] = text.replace('-', '').split('.');
          const fits = fraction.length <= scale && integer.replace(/^0+/, '').length <= precision - scale;
          const parsed = parseDecimal(text, { precision, scale });
          expect(parsed.ok).toBe(fits);
          if (parsed.ok) {
            expect(inTenBillionths(parsed.value)).toBe(inTenBillionths(text));
            expect(parsed.value.split('.')[1]?.length ?? 0).toBe(scale);
          }
        },
      ),
    );
  });
});
