import { describe, expect, it } from 'vitest';
import {
  type BurnInputs,
  budgetBurn,
  centsToMoney,
  divideRounded,
  toCents,
} from '../../src/metrics/burn-rate.js';

const NOW = new Date('2024-03-15T00:00:00Z');
const day = (iso: string) => new Date(`${iso}T00:00:00Z`);

/** Latest: allocated 1000.00, spent 700.00, remaining 300.00; base 14 days earlier. */
const inputs = (baseSpent: string, baseAt = day('2024-03-01')): BurnInputs => ({
  now: NOW,
  allocated: '1000.00',
  spent: '700.00',
  remaining: '300.00',
  base: { at: baseAt, spent: baseSpent },
});

describe('budgetBurn', () => {
  it('ON_TRACK: exhaustion exactly at endsAt is not before it', () => {
    // rate (700 - 350) / 14 = 25.00 a day; 12 days to endsAt: 700 + 25 * 12 = 1000.00;
    // exhaustion 300 / 25 = 12 days after now = 2024-03-27 = endsAt; 1000 >= 0.8 * 1000
    expect(budgetBurn(inputs('350.00'), day('2024-03-27'))).toEqual({
      asOf: NOW,
      allocated: '1000.00',
      spent: '700.00',
      remaining: '300.00',
      dailyBurnRate: 25,
      projectedSpendAtEnd: '1000.00',
      projectedExhaustionDate: day('2024-03-27'),
      status: 'ON_TRACK',
    });
  });

  it('OVERSPENDING: exhaustion one day before endsAt', () => {
    // 13 days to endsAt: 700 + 25 * 13 = 1025.00; exhaustion 2024-03-27 < 2024-03-28
    const burn = budgetBurn(inputs('350.00'), day('2024-03-28'));
    expect(burn.projectedSpendAtEnd).toBe('1025.00');
    expect(burn.projectedExhaustionDate).toEqual(day('2024-03-27'));
    expect(burn.status).toBe('OVERSPENDING');
  });

  it('UNDERSPENDING below 0.8 x allocated, with the projection rounded to cents', () => {
    // rate (700 - 600) / 14 = 7.142857... a day; 13 days: 700 + 1300 / 14 = 792.857142... -> 792.86 < 800
    // exhaustion: 300 / (100 / 14) = 42 days -> 2024-04-26, after endsAt
    const burn = budgetBurn(inputs('600.00'), day('2024-03-28'));
    expect(burn.dailyBurnRate).toBeCloseTo(100 / 14, 12);
    expect(burn.projectedSpendAtEnd).toBe('792.86');
    expect(burn.projectedExhaustionDate).toEqual(day('2024-04-26'));
    expect(burn.status).toBe('UNDERSPENDING');
  });

  it('ON_TRACK at exactly 0.8 x allocated', () => {
    // 14 days: 700 + 100 = 800.00, not < 800
    const burn = budgetBurn(inputs('600.00'), day('2024-03-29'));
    expect(burn.projectedSpendAtEnd).toBe('800.00');
    expect(burn.status).toBe('ON_TRACK');
  });

  it('UNKNOWN without endsAt, yet with a rate and an exhaustion date', () => {
    const burn = budgetBurn(inputs('350.00'), null);
    expect(burn).toMatchObject({
      dailyBurnRate: 25,
      projectedSpendAtEnd: null,
      projectedExhaustionDate: day('2024-03-27'),
      status: 'UNKNOWN',
    });
  });

  it('UNKNOWN with a single snapshot: rate 0 and no projections', () => {
    const burn = budgetBurn(inputs('700.00', NOW), day('2024-04-01'));
    expect(burn).toMatchObject({
      dailyBurnRate: 0,
      projectedSpendAtEnd: null,
      projectedExhaustionDate: null,
      status: 'UNKNOWN',
    });
  });

  it('uses fractional days between the two snapshots', () => {
    // 36 hours = 1.5 days for 30.00: 20.00 a day; 10 days to endsAt: 700 + 200 = 900.00
    // exhaustion 300 / 20 = 15 days -> 2024-03-30, after endsAt 2024-03-25
    const burn = budgetBurn(inputs('670.00', new Date('2024-03-13T12:00:00Z')), day('2024-03-25'));
    expect(burn.dailyBurnRate).toBe(20);
    expect(burn.projectedSpendAtEnd).toBe('900.00');
    expect(burn.projectedExhaustionDate).toEqual(day('2024-03-30'));
    expect(burn.status).toBe('ON_TRACK');
  });

  it('no exhaustion at rate 0 or when spending went down', () => {
    const flat = budgetBurn(inputs('700.00'), day('2024-04-01'));
    expect(flat).toMatchObject({
      dailyBurnRate: 0,
      projectedSpendAtEnd: '700.00',
      projectedExhaustionDate: null,
    });
    expect(flat.status).toBe('UNDERSPENDING'); // 700 < 800
    // a refund of 70.00 over 14 days: -5.00 a day; 17 days: 700 - 85 = 615.00
    const refund = budgetBurn(inputs('770.00'), day('2024-04-01'));
    expect(refund).toMatchObject({
      dailyBurnRate: -5,
      projectedSpendAtEnd: '615.00',
      projectedExhaustionDate: null,
    });
  });

  it('counts 0 days to an endsAt that has passed', () => {
    const burn = budgetBurn(inputs('350.00'), day('2024-03-10'));
    // projection = spent; exhaustion 2024-03-27 is after endsAt; 700 < 800
    expect(burn.projectedSpendAtEnd).toBe('700.00');
    expect(burn.status).toBe('UNDERSPENDING');
  });

  it('puts the exhaustion of an exhausted budget at or before now', () => {
    // remaining -50.00 at 25.00 a day: 2 days before now
    const burn = budgetBurn(
      {
        ...inputs('350.00'),
        spent: '1050.00',
        remaining: '-50.00',
        base: { at: day('2024-03-01'), spent: '700.00' },
      },
      day('2024-04-01'),
    );
    expect(burn.projectedExhaustionDate).toEqual(day('2024-03-13'));
    expect(burn.status).toBe('OVERSPENDING');
  });

  it('rounds half cents away from zero', () => {
    // 1.00 over 8 days, 1 day to endsAt: 100 / 8 = 12.5 cents -> 13; a refund: -12.5 -> -13
    const up = budgetBurn(inputs('699.00', day('2024-03-07')), day('2024-03-16'));
    expect(up.projectedSpendAtEnd).toBe('700.13');
    const down = budgetBurn(inputs('701.00', day('2024-03-07')), day('2024-03-16'));
    expect(down.projectedSpendAtEnd).toBe('699.87');
  });
});

describe('cent arithmetic', () => {
  it('reads and prints money exactly', () => {
    expect(toCents('1250.00')).toBe(125000n);
    expect(toCents('-0.05')).toBe(-5n);
    expect(toCents('3.5')).toBe(350n);
    expect(toCents('12')).toBe(1200n);
    expect(centsToMoney(125000n)).toBe('1250.00');
    expect(centsToMoney(-5n)).toBe('-0.05');
    expect(centsToMoney(0n)).toBe('0.00');
    expect(() => toCents('1e3')).toThrow(RangeError);
  });

  it('divides with halves away from zero', () => {
    expect(divideRounded(5n, 2n)).toBe(3n);
    expect(divideRounded(-5n, 2n)).toBe(-3n);
    expect(divideRounded(5n, -2n)).toBe(-3n);
    expect(divideRounded(7n, 3n)).toBe(2n);
    expect(divideRounded(-7n, 3n)).toBe(-2n);
    expect(divideRounded(8n, 3n)).toBe(3n);
    expect(() => divideRounded(1n, 0n)).toThrow(RangeError);
  });
});
