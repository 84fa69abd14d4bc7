import { describe, expect, it } from 'vitest';
import {
  alignYearOverYear,
  isoWeeksInYear,
  periodStarts,
  relativeChange,
  yearOverYearRange,
} from '../../src/metrics/year-over-year.js';

const iso = (dates: Date[]) => dates.map((d) => d.toISOString());

describe('isoWeeksInYear', () => {
  it('has 53 weeks exactly in the long ISO years (Thursday Jan 1, or leap year with Wednesday Jan 1)', () => {
    // from the ISO 8601 calendar: 1970 (Thu), 1976 (leap, Thu), 1981, 1987, 1992 (leap, Wed), 1998,
    // 2004 (leap, Thu), 2009, 2015, 2020 (leap, Wed), 2026, 2032 (leap, Thu)
    const long = [1970, 1976, 1981, 1987, 1992, 1998, 2004, 2009, 2015, 2020, 2026, 2032];
    for (let year = 1970; year <= 2035; year++) {
      expect(isoWeeksInYear(year), String(year)).toBe(long.includes(year) ? 53 : 52);
    }
  });
});

describe('periodStarts', () => {
  it('labels ISO weeks by local Monday midnight', () => {
    const utc = periodStarts(2020, 'WEEK', 'UTC');
    expect(utc).toHaveLength(53);
    // ISO 2020-W01 starts Monday 2019-12-30; W53 starts Monday 2020-12-28
    expect(utc[0]?.toISOString()).toBe('2019-12-30T00:00:00.000Z');
    expect(utc[52]?.toISOString()).toBe('2020-12-28T00:00:00.000Z');
    const berlin = periodStarts(2020, 'WEEK', 'Europe/Berlin');
    // CET (+1) in winter; W13 starts 2020-03-23 (CET), W14 on 2020-03-30 after the 29th's switch to CEST (+2)
    expect(iso([berlin[0], berlin[12], berlin[13]] as Date[])).toEqual([
      '2019-12-29T23:00:00.000Z',
      '2020-03-22T23:00:00.000Z',
      '2020-03-29T22:00:00.000Z',
    ]);
    // the extremes of the offsets: +14 and -11
    expect(periodStarts(2020, 'WEEK', 'Pacific/Kiritimati')[0]?.toISOString()).toBe(
      '2019-12-29T10:00:00.000Z',
    );
    expect(periodStarts(2020, 'WEEK', 'Pacific/Pago_Pago')[0]?.toISOString()).toBe(
      '2019-12-30T11:00:00.000Z',
    );
    expect(periodStarts(2020, 'WEEK', 'Asia/Kolkata')[0]?.toISOString()).toBe('2019-12-29T18:30:00.000Z');
  });

  it('labels months by local first-of-month midnight', () => {
    const berlin = periodStarts(2024, 'MONTH', 'Europe/Berlin');
    expect(berlin).toHaveLength(12);
    expect(iso([berlin[0], berlin[2], berlin[3], berlin[11]] as Date[])).toEqual([
      '2023-12-31T23:00:00.000Z',
      '2024-02-29T23:00:00.000Z',
      '2024-03-31T22:00:00.000Z',
      '2024-11-30T23:00:00.000Z',
    ]);
  });
});

describe('yearOverYearRange', () => {
  it('covers both years in every zone with a day to spare on each side', () => {
    // 2019-W01 starts 2018-12-31, 2021-W01 starts 2021-01-04; 52 + 53 weeks + 3
    expect(yearOverYearRange(2020, 'WEEK')).toEqual({
      from: new Date('2018-12-30T00:00:00Z'),
      to: new Date('2021-01-05T00:00:00Z'),
      limit: 108,
    });
    expect(yearOverYearRange(2020, 'MONTH')).toEqual({
      from: new Date('2018-12-31T00:00:00Z'),
      to: new Date('2021-01-02T00:00:00Z'),
      limit: 27,
    });
    for (const zone of ['Pacific/Kiritimati', 'Pacific/Pago_Pago', 'America/Los_Angeles', 'Asia/Kolkata']) {
      for (const granularity of ['WEEK', 'MONTH'] as const) {
        const { from, to } = yearOverYearRange(2020, granularity);
        const first = periodStarts(2019, granularity, zone)[0] as Date;
        const next = periodStarts(2021, granularity, zone)[0] as Date; // end of the last period
        expect(first.getTime()).toBeGreaterThanOrEqual(from.getTime());
        expect(next.getTime()).toBeLessThan(to.getTime());
      }
    }
  });
});

describe('alignment and change', () => {
  it('relative change is null where either side is null or previous is 0', () => {
    expect(relativeChange(15, 10)).toBe(0.5);
    expect(relativeChange(5, 10)).toBe(-0.5);
    expect(relativeChange(5, 0)).toBeNull();
    expect(relativeChange(null, 3)).toBeNull();
    expect(relativeChange(3, null)).toBeNull();
  });

  it('gives week 53 of 2020 no counterpart in 2019 and drops 2020-W53 from 2021', () => {
    // value = week number + 100 * (year - 2019), in UTC
    const values = new Map<number, number>();
    for (const year of [2019, 2020, 2021]) {
      periodStarts(year, 'WEEK', 'UTC').forEach((start, i) => {
        values.set(start.getTime(), i + 1 + 100 * (year - 2019));
      });
    }
    const valueAt = (label: Date) => values.get(label.getTime()) ?? null;
    const y2020 = alignYearOverYear(2020, 'WEEK', 'UTC', valueAt);
    expect(y2020.periods).toHaveLength(53);
    expect(y2020.current[0]).toBe(101);
    expect(y2020.previous[0]).toBe(1);
    expect(y2020.change[0]).toBe(100); // (101 - 1) / 1
    expect(y2020.current[52]).toBe(153);
    expect(y2020.previous[52]).toBeNull();
    expect(y2020.change[52]).toBeNull();
    const y2021 = alignYearOverYear(2021, 'WEEK', 'UTC', valueAt);
    expect(y2021.periods).toEqual(Array.from({ length: 52 }, (_, i) => i + 1));
    expect(y2021.previous.at(-1)).toBe(152); // 2020-W52, not W53
    expect(y2021.change[1]).toBe((202 - 102) / 102);
  });
});
