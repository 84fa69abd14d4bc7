import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BucketGranularity } from '../../src/metrics/catalog.js';
import {
  bucketStart,
  bucketStartsInRange,
  isValidTimeZone,
  nextBucketStart,
} from '../../src/metrics/time-buckets.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const GRANULARITIES: BucketGranularity[] = ['HOUR', 'DAY', 'WEEK', 'MONTH', 'QUARTER', 'YEAR'];

const iso = (date: Date) => date.toISOString();
const start = (instant: string, granularity: BucketGranularity, zone: string) =>
  iso(bucketStart(new Date(instant), granularity, zone));
const next = (label: string, granularity: BucketGranularity, zone: string) =>
  iso(nextBucketStart(new Date(label), granularity, zone));
const starts = (from: string, to: string, granularity: BucketGranularity, zone: string) =>
  bucketStartsInRange(new Date(from), new Date(to), granularity, zone).map(iso);

describe('bucketStart and nextBucketStart, hand-computed', () => {
  it('Berlin spring-forward day 2024-03-31 lasts 23 hours', () => {
    // midnight is still CET (+01:00): 2024-03-31T00:00+01 = 2024-03-30T23:00Z; the next
    // midnight is CEST (+02:00): 2024-04-01T00:00+02 = 2024-03-31T22:00Z
    expect(start('2024-03-31T12:00:00Z', 'DAY', 'Europe/Berlin')).toBe('2024-03-30T23:00:00.000Z');
    expect(next('2024-03-30T23:00:00Z', 'DAY', 'Europe/Berlin')).toBe('2024-03-31T22:00:00.000Z');
    // 02:00-03:00 local does not exist, so the day has 23 HOUR buckets
    expect(starts('2024-03-30T23:00:00Z', '2024-03-31T22:00:00Z', 'HOUR', 'Europe/Berlin')).toHaveLength(23);
  });

  it('Berlin fall-back day 2024-10-27 lasts 25 hours, with two 02:00 hours', () => {
    // 2024-10-27T00:00+02 = 2024-10-26T22:00Z; 2024-10-28T00:00+01 = 2024-10-27T23:00Z
    expect(start('2024-10-27T12:00:00Z', 'DAY', 'Europe/Berlin')).toBe('2024-10-26T22:00:00.000Z');
    expect(next('2024-10-26T22:00:00Z', 'DAY', 'Europe/Berlin')).toBe('2024-10-27T23:00:00.000Z');
    // 02:30 CEST (00:30Z) and 02:30 CET (01:30Z) are different hours: HOUR keeps the offset
    expect(start('2024-10-27T00:30:00Z', 'HOUR', 'Europe/Berlin')).toBe('2024-10-27T00:00:00.000Z');
    expect(start('2024-10-27T01:30:00Z', 'HOUR', 'Europe/Berlin')).toBe('2024-10-27T01:00:00.000Z');
    expect(starts('2024-10-26T22:00:00Z', '2024-10-27T23:00:00Z', 'HOUR', 'Europe/Berlin')).toHaveLength(25);
  });

  it('an ISO week across a year end starts on Monday 2024-12-30', () => {
    // 2025-01-01 is a Wednesday; its ISO week 2025-W01 runs Mon 2024-12-30 .. Sun 2025-01-05
    expect(start('2025-01-01T12:00:00Z', 'WEEK', 'UTC')).toBe('2024-12-30T00:00:00.000Z');
    expect(start('2025-01-05T23:59:59.999Z', 'WEEK', 'UTC')).toBe('2024-12-30T00:00:00.000Z');
    expect(start('2024-12-29T23:59:59.999Z', 'WEEK', 'UTC')).toBe('2024-12-23T00:00:00.000Z');
    expect(next('2024-12-30T00:00:00Z', 'WEEK', 'UTC')).toBe('2025-01-06T00:00:00.000Z');
    // New York is on EST (-05:00) all that week: Monday 00:00 local = 05:00Z, and
    // 2025-01-06T03:00Z is still Sunday 22:00 local
    expect(start('2025-01-06T03:00:00Z', 'WEEK', 'America/New_York')).toBe('2024-12-30T05:00:00.000Z');
    expect(start('2024-12-30T04:59:59Z', 'WEEK', 'America/New_York')).toBe('2024-12-23T05:00:00.000Z');
    expect(next('2024-12-30T05:00:00Z', 'WEEK', 'America/New_York')).toBe('2025-01-06T05:00:00.000Z');
  });

  it('QUARTER and YEAR start at local midnight in Berlin and Kolkata', () => {
    // Q2 starts 2024-04-01T00:00+02 (CEST) = 2024-03-31T22:00Z; Q3 2024-07-01T00:00+02
    expect(start('2024-05-15T12:00:00Z', 'QUARTER', 'Europe/Berlin')).toBe('2024-03-31T22:00:00.000Z');
    expect(next('2024-03-31T22:00:00Z', 'QUARTER', 'Europe/Berlin')).toBe('2024-06-30T22:00:00.000Z');
    // Q4 starts in CEST but Q1 of the next year in CET: 2024-10-01T00:00+02, 2025-01-01T00:00+01
    expect(next('2024-09-30T22:00:00Z', 'QUARTER', 'Europe/Berlin')).toBe('2024-12-31T23:00:00.000Z');
    // 2023-12-31T23:30Z is already 2024-01-01 00:30 CET; the year starts at 23:00Z
    expect(start('2023-12-31T23:30:00Z', 'YEAR', 'Europe/Berlin')).toBe('2023-12-31T23:00:00.000Z');
    expect(next('2023-12-31T23:00:00Z', 'YEAR', 'Europe/Berlin')).toBe('2024-12-31T23:00:00.000Z');
    // +05:30 all year: 2024-01-01T00:00+05:30 = 2023-12-31T18:30Z
    expect(start('2024-07-01T00:00:00Z', 'YEAR', 'Asia/Kolkata')).toBe('2023-12-31T18:30:00.000Z');
    expect(start('2024-07-01T00:00:00Z', 'MONTH', 'Asia/Kolkata')).toBe('2024-06-30T18:30:00.000Z');
  });

  it('HOUR buckets start at :30 UTC in Kolkata (+05:30) and :15 UTC in Kathmandu (+05:45)', () => {
    // 10:10Z = 15:40 IST -> 15:00 IST = 09:30Z
    expect(start('2024-06-01T10:10:00Z', 'HOUR', 'Asia/Kolkata')).toBe('2024-06-01T09:30:00.000Z');
    expect(next('2024-06-01T09:30:00Z', 'HOUR', 'Asia/Kolkata')).toBe('2024-06-01T10:30:00.000Z');
    // 10:10Z = 15:55 NPT -> 15:00 = 09:15Z; 10:20Z = 16:05 NPT -> 16:00 = 10:15Z
    expect(start('2024-06-01T10:10:00Z', 'HOUR', 'Asia/Kathmandu')).toBe('2024-06-01T09:15:00.000Z');
    expect(start('2024-06-01T10:20:00Z', 'HOUR', 'Asia/Kathmandu')).toBe('2024-06-01T10:15:00.000Z');
    expect(starts('2024-06-01T10:00:00Z', '2024-06-01T12:00:00Z', 'HOUR', 'Asia/Kathmandu')).toEqual([
      '2024-06-01T09:15:00.000Z',
      '2024-06-01T10:15:00.000Z',
      '2024-06-01T11:15:00.000Z',
    ]);
  });

  it('Lord Howe fall-back 2024-04-07: 02:00 +11 becomes 01:30 +10:30 at 15:00Z', () => {
    // the day starts at 00:00 +11 = 2024-04-06T13:00Z and lasts 24.5 h, the next
    // starting at 2024-04-08T00:00+10:30 = 2024-04-07T13:30Z
    expect(start('2024-04-06T18:00:00Z', 'DAY', 'Australia/Lord_Howe')).toBe('2024-04-06T13:00:00.000Z');
    expect(next('2024-04-06T13:00:00Z', 'DAY', 'Australia/Lord_Howe')).toBe('2024-04-07T13:30:00.000Z');
    // 14:50Z = 01:50 +11 -> 01:00 +11 = 14:00Z
    expect(start('2024-04-06T14:50:00Z', 'HOUR', 'Australia/Lord_Howe')).toBe('2024-04-06T14:00:00.000Z');
    // 15:10Z = 01:40 +10:30 -> 01:00 +10:30 = 14:30Z: a label before the previous bucket ends
    expect(start('2024-04-06T15:10:00Z', 'HOUR', 'Australia/Lord_Howe')).toBe('2024-04-06T14:30:00.000Z');
    // 15:40Z = 02:10 +10:30 -> 02:00 +10:30 = 15:30Z
    expect(start('2024-04-06T15:40:00Z', 'HOUR', 'Australia/Lord_Howe')).toBe('2024-04-06T15:30:00.000Z');
    // so the label 14:30Z is not inside its own bucket [15:00Z, 15:30Z)
    expect(start('2024-04-06T14:30:00Z', 'HOUR', 'Australia/Lord_Howe')).toBe('2024-04-06T14:00:00.000Z');
    expect(next('2024-04-06T14:00:00Z', 'HOUR', 'Australia/Lord_Howe')).toBe('2024-04-06T14:30:00.000Z');
    expect(next('2024-04-06T14:30:00Z', 'HOUR', 'Australia/Lord_Howe')).toBe('2024-04-06T15:30:00.000Z');
    expect(starts('2024-04-06T14:00:00Z', '2024-04-06T16:00:00Z', 'HOUR', 'Australia/Lord_Howe')).toEqual([
      '2024-04-06T14:00:00.000Z',
      '2024-04-06T14:30:00.000Z',
      '2024-04-06T15:30:00.000Z',
    ]);
  });

  it('Lord Howe spring-forward 2024-10-06: 02:00 +10:30 becomes 02:30 +11 at 15:30Z', () => {
    // 2024-10-06T00:00+10:30 = 2024-10-05T13:30Z; 2024-10-07T00:00+11 = 2024-10-06T13:00Z: 23.5 h
    expect(start('2024-10-06T00:00:00Z', 'DAY', 'Australia/Lord_Howe')).toBe('2024-10-05T13:30:00.000Z');
    expect(next('2024-10-05T13:30:00Z', 'DAY', 'Australia/Lord_Howe')).toBe('2024-10-06T13:00:00.000Z');
    // 15:20Z = 01:50 +10:30 -> 14:30Z; 15:40Z = 02:40 +11 -> 02:00 +11 = 15:00Z; 16:10Z -> 16:00Z
    expect(starts('2024-10-05T14:30:00Z', '2024-10-05T16:30:00Z', 'HOUR', 'Australia/Lord_Howe')).toEqual([
      '2024-10-05T14:30:00.000Z',
      '2024-10-05T15:00:00.000Z',
      '2024-10-05T16:00:00.000Z',
    ]);
    expect(start('2024-10-05T15:40:00Z', 'HOUR', 'Australia/Lord_Howe')).toBe('2024-10-05T15:00:00.000Z');
  });

  it('a skipped local midnight maps to the first instant of the day', () => {
    // Havana 2024-03-10: 00:00 CST (-05) jumps to 01:00 CDT (-04) at 05:00Z
    expect(start('2024-03-10T06:30:00Z', 'DAY', 'America/Havana')).toBe('2024-03-10T05:00:00.000Z');
    expect(next('2024-03-09T05:00:00Z', 'DAY', 'America/Havana')).toBe('2024-03-10T05:00:00.000Z');
    // Santiago 2024-09-08: 00:00 -04 jumps to 01:00 -03 at 04:00Z
    expect(start('2024-09-08T04:30:00Z', 'DAY', 'America/Santiago')).toBe('2024-09-08T04:00:00.000Z');
    // Beirut 2024-03-31: 00:00 +02 jumps to 01:00 +03 at 2024-03-30T22:00Z
    expect(start('2024-03-31T00:30:00Z', 'DAY', 'Asia/Beirut')).toBe('2024-03-30T22:00:00.000Z');
  });

  it('a repeated local midnight maps to its second occurrence, as in PostgreSQL', () => {
    // Havana 2024-11-03: 01:00 CDT (-04) falls back to 00:00 CST (-05) at 05:00Z, so
    // 00:00-01:00 happens at 04:00Z and again at 05:00Z; PostgreSQL reads 00:00 as 05:00Z
    expect(start('2024-11-03T04:30:00Z', 'DAY', 'America/Havana')).toBe('2024-11-03T05:00:00.000Z');
    expect(start('2024-11-03T05:30:00Z', 'DAY', 'America/Havana')).toBe('2024-11-03T05:00:00.000Z');
    expect(next('2024-11-02T04:00:00Z', 'DAY', 'America/Havana')).toBe('2024-11-03T05:00:00.000Z');
    // the day's first hour still belongs to it, although it precedes the label
    expect(starts('2024-11-03T04:00:00Z', '2024-11-03T04:30:00Z', 'DAY', 'America/Havana')).toEqual([
      '2024-11-03T05:00:00.000Z',
    ]);
    expect(starts('2024-11-02T12:00:00Z', '2024-11-03T04:00:01Z', 'DAY', 'America/Havana')).toEqual([
      '2024-11-02T04:00:00.000Z',
      '2024-11-03T05:00:00.000Z',
    ]);
    // a Sunday 1 November repeats the month's first midnight too
    expect(start('2026-11-15T12:00:00Z', 'MONTH', 'America/Havana')).toBe('2026-11-01T05:00:00.000Z');
  });
});

describe('bucketStartsInRange, hand-computed', () => {
  it('has 31 DAY buckets in March and in October 2024 in Berlin, DST days included', () => {
    // 2024-03-01T00:00+01 .. 2024-04-01T00:00+02
    const march = starts('2024-02-29T23:00:00Z', '2024-03-31T22:00:00Z', 'DAY', 'Europe/Berlin');
    expect(march).toHaveLength(31);
    expect(march.slice(-2)).toEqual(['2024-03-29T23:00:00.000Z', '2024-03-30T23:00:00.000Z']);
    // 2024-10-01T00:00+02 .. 2024-11-01T00:00+01
    const october = starts('2024-09-30T22:00:00Z', '2024-10-31T23:00:00Z', 'DAY', 'Europe/Berlin');
    expect(october).toHaveLength(31);
    expect(october.slice(25, 28)).toEqual([
      '2024-10-25T22:00:00.000Z',
      '2024-10-26T22:00:00.000Z',
      '2024-10-27T23:00:00.000Z',
    ]);
  });

  it('includes the bucket that holds `from` and excludes the one that starts at `to`', () => {
    expect(starts('2024-05-15T12:00:00Z', '2024-07-01T00:00:00Z', 'MONTH', 'UTC')).toEqual([
      '2024-05-01T00:00:00.000Z',
      '2024-06-01T00:00:00.000Z',
    ]);
    expect(starts('2024-05-15T12:00:00Z', '2024-07-01T00:00:00.001Z', 'MONTH', 'UTC')).toHaveLength(3);
  });

  it('is empty for an empty or reversed range', () => {
    expect(starts('2024-05-15T12:00:00Z', '2024-05-15T12:00:00Z', 'DAY', 'UTC')).toEqual([]);
    expect(starts('2024-05-16T12:00:00Z', '2024-05-15T12:00:00Z', 'DAY', 'UTC')).toEqual([]);
  });
});

describe('isValidTimeZone', () => {
  it('accepts IANA Area/Location names and UTC', () => {
    for (const name of [
      'Europe/Berlin',
      'UTC',
      'Asia/Kolkata',
      'America/Argentina/Buenos_Aires',
      'Etc/GMT+5',
    ]) {
      expect(isValidTimeZone(name), name).toBe(true);
    }
  });

  it('accepts every zone Intl lists', () => {
    expect(Intl.supportedValuesOf('timeZone').filter((name) => !isValidTimeZone(name))).toEqual([]);
  });

  it('rejects unknown names, offsets, abbreviations and padded names', () => {
    for (const name of [
      '',
      'Mars/Olympus',
      '+05:00',
      '-03',
      'UTC+3',
      'GMT+0',
      'CEST',
      'CET',
      'IST',
      'EST5EDT',
    ]) {
      expect(isValidTimeZone(name), name).toBe(false);
    }
    for (const name of [' Europe/Berlin', 'Europe/Berlin ', 'Europe/', '/Berlin', 'Europe//Berlin']) {
      expect(isValidTimeZone(name), name).toBe(false);
    }
  });
});

describe('properties', () => {
  // each zone with its offset changes of 2024 (UTC), to concentrate instants around them
  const TRANSITIONS: Record<string, string[]> = {
    UTC: [],
    'Europe/Berlin': ['2024-03-31T01:00:00Z', '2024-10-27T01:00:00Z'],
    'America/New_York': ['2024-03-10T07:00:00Z', '2024-11-03T06:00:00Z'],
    'Asia/Kolkata': [],
    'Asia/Kathmandu': [],
    'Australia/Lord_Howe': ['2024-04-06T15:00:00Z', '2024-10-05T15:30:00Z'],
    'Pacific/Chatham': ['2024-04-06T14:00:00Z', '2024-09-28T14:00:00Z'],
    'America/Santiago': ['2024-04-07T03:00:00Z', '2024-09-08T04:00:00Z'],
    'America/Havana': ['2024-03-10T05:00:00Z', '2024-11-03T05:00:00Z'],
    'Asia/Beirut': ['2024-03-30T22:00:00Z', '2024-10-26T21:00:00Z'],
  };
  const ZONES = Object.keys(TRANSITIONS);

  const uniformInstant = fc.integer({
    min: Date.parse('2019-01-01T00:00:00Z'),
    max: Date.parse('2029-01-01T00:00:00Z'),
  });
  const near = (z: string, maxDistance: number) =>
    fc
      .tuple(
        fc.constantFrom(...(TRANSITIONS[z] ?? []).map(Date.parse)),
        fc.integer({ min: -maxDistance, max: maxDistance }),
      )
      .map(([at, distance]) => at + distance);
  /** A zone and an instant: uniform, or within hours or days of one of the zone's transitions. */
  const zoneAndInstant = fc
    .constantFrom(...ZONES)
    .chain((z) =>
      fc.tuple(
        fc.constant(z),
        TRANSITIONS[z]?.length
          ? fc.oneof(uniformInstant, near(z, 2 * HOUR_MS), near(z, 3 * DAY_MS))
          : uniformInstant,
      ),
    );
  const granularity = fc.constantFrom(...GRANULARITIES);
  // non-empty ranges long enough for a few buckets of the granularity, short enough to stay fast
  const MAX_RANGE: Record<BucketGranularity, number> = {
    HOUR: 2 * DAY_MS,
    DAY: 40 * DAY_MS,
    WEEK: 120 * DAY_MS,
    MONTH: 400 * DAY_MS,
    QUARTER: 1000 * DAY_MS,
    YEAR: 2000 * DAY_MS,
  };
  const range = fc
    .tuple(zoneAndInstant, granularity, fc.double({ min: 0, max: 1, noNaN: true }))
    .map(([[z, from], g, share]) => ({
      zone: z,
      granularity: g,
      from,
      to: from + 1 + Math.round(share * MAX_RANGE[g]),
    }));

  /**
   * Where every label lies in its own bucket: everywhere except HOUR in Lord Howe (labels of
   * the 30-minute-shifted hours) and DAY and coarser in Havana (the repeated midnight).
   */
  const labelInOwnBucket = (z: string, g: BucketGranularity) =>
    g === 'HOUR' ? z !== 'Australia/Lord_Howe' : z !== 'America/Havana';

  it('(a) every instant lies in exactly one bucket, and bucketStart is idempotent', () => {
    fc.assert(
      fc.property(zoneAndInstant, granularity, ([z, t], g) => {
        fc.pre(labelInOwnBucket(z, g));
        const label = bucketStart(new Date(t), g, z);
        expect(label.getTime()).toBeLessThanOrEqual(t);
        expect(nextBucketStart(label, g, z).getTime()).toBeGreaterThan(t);
        expect(bucketStart(label, g, z)).toEqual(label);
      }),
      { numRuns: 1000 },
    );
  });

  it('(a) bucketStart never decreases with the instant, in every zone', () => {
    fc.assert(
      fc.property(
        zoneAndInstant,
        granularity,
        fc.integer({ min: 0, max: 2 * DAY_MS }),
        ([z, t], g, later) => {
          expect(bucketStart(new Date(t), g, z).getTime()).toBeLessThanOrEqual(
            bucketStart(new Date(t + later), g, z).getTime(),
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  /** The first instant of [from, to) whose label is at least `label` (labels never decrease). */
  function firstInstantLabelled(label: number, from: number, to: number, g: BucketGranularity, z: string) {
    let low = from;
    let high = to - 1;
    while (low < high) {
      const middle = low + Math.floor((high - low) / 2);
      if (bucketStart(new Date(middle), g, z).getTime() >= label) high = middle;
      else low = middle + 1;
    }
    return low;
  }

  it('(b) bucketStartsInRange lists exactly the labels of the instants of the range, in order', () => {
    fc.assert(
      fc.property(
        range,
        fc.array(fc.double({ min: 0, max: 1, noNaN: true })),
        ({ zone: z, granularity: g, from, to }, shares) => {
          const list = bucketStartsInRange(new Date(from), new Date(to), g, z).map((d) => d.getTime());
          for (const [i, label] of list.entries()) {
            if (i > 0) expect(label).toBeGreaterThan(list[i - 1] ?? Number.NaN);
            if (i > 0) expect(nextBucketStart(new Date(list[i - 1] ?? 0), g, z).getTime()).toBe(label);
            if (labelInOwnBucket(z, g)) expect(bucketStart(new Date(label), g, z).getTime()).toBe(label);
            // some instant of the range has this label
            const witness = firstInstantLabelled(label, from, to, g, z);
            expect(bucketStart(new Date(witness), g, z).getTime()).toBe(label);
          }
          for (const t of [
            from,
            to - 1,
            ...shares.map((share) => from + Math.floor(share * (to - 1 - from))),
          ]) {
            expect(list).toContain(bucketStart(new Date(t), g, z).getTime());
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('(b) consecutive ranges list consecutive buckets', () => {
    fc.assert(
      fc.property(
        range,
        fc.double({ min: 0, max: 1, noNaN: true }),
        ({ zone: z, granularity: g, from, to }, share) => {
          const middle = from + Math.floor(share * (to - from));
          const whole = bucketStartsInRange(new Date(from), new Date(to), g, z).map(iso);
          const left = bucketStartsInRange(new Date(from), new Date(middle), g, z).map(iso);
          const right = bucketStartsInRange(new Date(middle), new Date(to), g, z).map(iso);
          // the bucket holding `middle` appears in both halves when it straddles the cut
          const joined = left.at(-1) === right[0] ? [...left, ...right.slice(1)] : [...left, ...right];
          expect(joined).toEqual(whole);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('HOUR buckets are at most an hour apart, DAY buckets 22 to 26 hours', () => {
    fc.assert(
      fc.property(zoneAndInstant, ([z, t]) => {
        const hour = bucketStart(new Date(t), 'HOUR', z);
        const hourGap = nextBucketStart(hour, 'HOUR', z).getTime() - hour.getTime();
        expect(hourGap).toBeGreaterThan(0);
        expect(hourGap).toBeLessThanOrEqual(HOUR_MS);
        const day = bucketStart(new Date(t), 'DAY', z);
        const dayGap = nextBucketStart(day, 'DAY', z).getTime() - day.getTime();
        expect(dayGap).toBeGreaterThanOrEqual(22 * HOUR_MS);
        expect(dayGap).toBeLessThanOrEqual(26 * HOUR_MS);
      }),
      { numRuns: 300 },
    );
  });
});
