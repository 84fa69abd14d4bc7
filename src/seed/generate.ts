import type { SnapshotInput } from '../ingest/validate-snapshots.js';
import type { CampaignStatus } from '../metrics/catalog.js';
import type { CampaignValues } from '../queries/upsert-campaign.js';

/**
 * Deterministic demo and benchmark data: campaigns and their metric snapshots, as the
 * ingest path takes them. Pure (no I/O, no clock, no Math.random): the same arguments give
 * the same data, so a rerun upserts the same campaigns and snapshots.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

// ---------------------------------------------------------------------------------------
// Random numbers

export type Random = () => number;

/** mulberry32: a small, fast 32-bit PRNG; uniform floats in [0, 1). */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Mixes integers into one 32-bit seed (murmur3's finalizer after each part). */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    h = Math.imul(h ^ (part >>> 0), 0xcc9e2d51);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

const uniform = (random: Random, min: number, max: number) => min + (max - min) * random();
const logUniform = (random: Random, min: number, max: number) =>
  Math.exp(uniform(random, Math.log(min), Math.log(max)));
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

/** Standard normal (Box-Muller). */
function normal(random: Random): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Poisson counts: exact for small means, normal approximation above 30. */
function poisson(random: Random, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * normal(random)));
  const limit = Math.exp(-mean);
  let count = 0;
  let product = random();
  while (product > limit) {
    count += 1;
    product *= random();
  }
  return count;
}

/** A version 4 UUID made of PRNG bits, so the same seed names the same campaign. */
function randomUuid(random: Random): string {
  const hex = Array.from({ length: 4 }, () =>
    Math.floor(random() * 4_294_967_296)
      .toString(16)
      .padStart(8, '0'),
  ).join('');
  const variant = ((Number.parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

// ---------------------------------------------------------------------------------------
// Campaigns

/** The data window: snapshots fall in [start, end). */
export interface SeedWindow {
  start: Date;
  end: Date;
}

/** The `days` days before `end`. */
export function seedWindow(end: Date, days: number): SeedWindow {
  return { start: new Date(end.getTime() - days * DAY), end };
}

/** Midnight UTC at or before the instant. */
export function utcMidnight(instant: Date): Date {
  return new Date(Math.floor(instant.getTime() / DAY) * DAY);
}

/** Snapshot cadence while a campaign runs (the contract's rules; see metrics/cadence.ts). */
export type SeedCadence = 'HOURLY' | 'EVERY_6_HOURS' | 'DAILY';

/** Hours between two snapshots of a campaign reporting at the cadence. */
export const STEP_HOURS: Record<SeedCadence, number> = { HOURLY: 1, EVERY_6_HOURS: 6, DAILY: 24 };

export interface SeedCampaignValues extends CampaignValues {
  id: string;
  startsAt: Date | null;
  endsAt: Date | null;
  timeZone: string;
  highValue: boolean;
  legalHold: boolean;
}

interface Growth {
  /** capacity targets (fixed) */
  target: number;
  /** plateau of current / target (0.6 .. 1.2) */
  peak: number;
}

interface Monetization {
  seatsCommitted: number;
  /** seats used per current volunteer */
  seatsPerVolunteer: number;
  creditsAllocatedCents: number;
  creditsPerSessionCents: number;
  learnersCommitted: number;
  /** yearly learner turnover: learners served = current beneficiaries x (1 + churn x years) */
  learnerChurn: number;
}

/** The hidden parameters behind one campaign's snapshots (all instants in epoch ms). */
export interface CampaignProfile {
  index: number;
  /** seeds the snapshot stream */
  seed: number;
  cadence: SeedCadence;
  /** snapshots are reported in [reportingFrom, reportingTo) (intersected with the window) */
  reportingFrom: number;
  reportingTo: number;
  /** PAUSED: from here on DAILY snapshots with frozen activity */
  pausedAt: number | null;
  /** sessions run in [programStart, programEnd) */
  programStart: number;
  programEnd: number;
  /** logistic ramp: current = target x peak x 1/(1 + e^-((t - anchor)/days - mid)/scale) */
  rampAnchor: number;
  rampMidDays: number;
  rampScaleDays: number;
  volunteers: Growth;
  beneficiaries: Growth;
  sessions: Growth;
  /** sessions completed per week on the plateau (HOURLY > 100, EVERY_6_HOURS 25..100, DAILY < 25) */
  weeklySessions: number;
  hoursPerSession: number;
  budgetAllocatedCents: number;
  /** steady spend per day at full activity, bursts excluded */
  dailyBurnCents: number;
  /** mean size of a burst (one-off payment), about one every 40 days */
  burstCents: number;
  sroiBase: number | null;
  visBase: number | null;
  retentionBase: number;
  outcomes: { dimension: string; base: number; gain: number }[];
  programInstances: number;
  monetization: Monetization | null;
  /** reporting outages: no snapshot in [from, to) (counters keep running) */
  gaps: { from: number; to: number }[];
}

export interface GeneratedCampaign {
  values: SeedCampaignValues;
  profile: CampaignProfile;
}

const PLACES = [
  { zone: 'UTC', cities: ['Online', 'Remote'] },
  { zone: 'Europe/Berlin', cities: ['Berlin', 'Munich', 'Hamburg', 'Cologne'] },
  { zone: 'Europe/London', cities: ['London', 'Manchester'] },
  { zone: 'America/New_York', cities: ['New York', 'Boston'] },
  { zone: 'America/Los_Angeles', cities: ['Los Angeles', 'Seattle'] },
  { zone: 'Asia/Kolkata', cities: ['Mumbai', 'Bengaluru', 'Delhi'] },
  { zone: 'Australia/Sydney', cities: ['Sydney', 'Canberra'] },
  { zone: 'America/Sao_Paulo', cities: ['Sao Paulo', 'Campinas'] },
  { zone: 'Asia/Tokyo', cities: ['Tokyo', 'Osaka'] },
] as const;

const PROGRAMS = [
  'Language Cafe',
  'Job Mentoring',
  'Coding Club',
  'Homework Help',
  'Digital Skills Lab',
  'Buddy Program',
  'Career Coaching',
  'Women in Tech Circle',
  'Integration Workshop',
  'Youth Mentoring',
] as const;

const OUTCOME_DIMENSIONS = ['integration', 'language', 'employment', 'wellbeing'] as const;

/** Status shares: cumulative, in order. */
const STATUS_MIX: readonly [CampaignStatus, number][] = [
  ['ACTIVE', 0.62],
  ['RECRUITING', 0.7],
  ['PLANNED', 0.76],
  ['PAUSED', 0.82],
  ['COMPLETED', 0.92],
  ['ARCHIVED', 0.96],
  ['DRAFT', 1],
];

/**
 * Statuses follow a golden-ratio sequence (offset by the seed) rather than independent
 * draws, so even a dozen campaigns get a representative mix.
 */
function statusAt(index: number, offset: number): CampaignStatus {
  const u = (offset + (index + 1) * 0.618_033_988_749_895) % 1;
  return STATUS_MIX.find(([, upTo]) => u < upTo)?.[0] ?? 'ACTIVE';
}

/** 1 in 10 ACTIVE campaigns is high-activity (hourly), about 15 % low-activity (daily). */
function activeCadence(activeOrdinal: number): SeedCadence {
  if (activeOrdinal % 10 === 1) return 'HOURLY';
  if (activeOrdinal % 10 === 6 || activeOrdinal % 20 === 13) return 'DAILY';
  return 'EVERY_6_HOURS';
}

const floorDay = (ms: number) => Math.floor(ms / DAY) * DAY;

/**
 * `count` campaigns around the window. Campaign i depends only on (randomSeed, i) and the
 * window, never on count: seeding 12 and later 1,000 with one seed keeps the first 12.
 */
export function generateCampaigns(
  count: number,
  randomSeed: number,
  window: SeedWindow,
): GeneratedCampaign[] {
  const offset = mulberry32(mixSeed(randomSeed, 0x5eed))();
  const campaigns: GeneratedCampaign[] = [];
  let activeOrdinal = 0;
  for (let index = 0; index < count; index++) {
    const status = statusAt(index, offset);
    const cadence = status === 'ACTIVE' ? activeCadence(activeOrdinal++) : undefined;
    campaigns.push(generateCampaign(index, randomSeed, window, status, cadence));
  }
  return campaigns;
}

/**
 * `count` ACTIVE campaigns from `firstIndex` on, each reporting at `cadence` through the whole
 * window without outages: the bulk benchmark data, whose size is exactly campaigns x days x
 * snapshots per day. Values come from the same profiles as generateCampaigns' ACTIVE ones.
 * Campaign i has the id of generateCampaigns' campaign i for the same seed, so a database
 * holding both needs two seeds.
 */
export function generateSteadyCampaigns(
  count: number,
  randomSeed: number,
  window: SeedWindow,
  { cadence, firstIndex }: { cadence: SeedCadence; firstIndex: number },
): GeneratedCampaign[] {
  return Array.from({ length: count }, (_, i) =>
    generateCampaign(firstIndex + i, randomSeed, window, 'ACTIVE', cadence, true),
  );
}

function generateCampaign(
  index: number,
  randomSeed: number,
  window: SeedWindow,
  status: CampaignStatus,
  activeCadenceValue: SeedCadence | undefined,
  steady = false,
): GeneratedCampaign {
  const random = mulberry32(mixSeed(randomSeed, index, 1));
  const id = randomUuid(random);
  const place = pick(random, PLACES);
  const name = `${pick(random, place.cities)} ${pick(random, PROGRAMS)} ${String(index + 1).padStart(3, '0')}`;
  const start = window.start.getTime();
  const end = window.end.getTime();
  const windowDays = Math.max(1, (end - start) / DAY);
  const days = (n: number) => n * DAY;

  let startsAt: number | null;
  let endsAt: number | null;
  let reportingFrom: number;
  let reportingTo = Number.POSITIVE_INFINITY;
  let pausedAt: number | null = null;
  let cadence: SeedCadence = activeCadenceValue ?? 'DAILY';
  let preProgram = false;
  switch (status) {
    case 'ACTIVE':
      startsAt = floorDay(
        random() < 0.55
          ? start - days(uniform(random, 0, 400))
          : start + days(uniform(random, 0, 0.75 * windowDays)),
      );
      endsAt = floorDay(end + days(uniform(random, 30, 540)));
      reportingFrom = startsAt;
      break;
    case 'RECRUITING':
    case 'PLANNED': {
      const recruiting = status === 'RECRUITING';
      startsAt = floorDay(end + days(recruiting ? uniform(random, 3, 45) : uniform(random, 30, 180)));
      endsAt = floorDay(startsAt + days(uniform(random, 90, 540)));
      reportingFrom = floorDay(end - days(recruiting ? uniform(random, 14, 120) : uniform(random, 7, 60)));
      preProgram = true;
      break;
    }
    case 'PAUSED':
      startsAt = floorDay(start - days(uniform(random, 0, 300)));
      pausedAt = floorDay(end - days(uniform(random, 7, Math.max(8, Math.min(90, windowDays / 2)))));
      endsAt = floorDay(end + days(uniform(random, 30, 365)));
      reportingFrom = startsAt;
      cadence = 'EVERY_6_HOURS';
      break;
    case 'COMPLETED':
    case 'ARCHIVED': {
      const [from, to] = status === 'COMPLETED' ? [0.3, 0.97] : [0.05, 0.5];
      endsAt = floorDay(start + days(uniform(random, from * windowDays, to * windowDays)));
      startsAt = floorDay(endsAt - days(uniform(random, 90, 540)));
      reportingFrom = startsAt;
      reportingTo = endsAt;
      const u = random();
      cadence = u < 0.1 ? 'HOURLY' : u < 0.2 ? 'DAILY' : 'EVERY_6_HOURS';
      break;
    }
    default: // DRAFT: nothing to report yet, dates often not set
      startsAt = random() < 0.5 ? null : floorDay(end + days(uniform(random, 60, 365)));
      endsAt = startsAt === null ? null : floorDay(startsAt + days(uniform(random, 90, 365)));
      reportingFrom = Number.POSITIVE_INFINITY;
  }

  const programStart = startsAt ?? Number.POSITIVE_INFINITY;
  const programEnd = Math.min(endsAt ?? Number.POSITIVE_INFINITY, pausedAt ?? Number.POSITIVE_INFINITY);
  const programDays = startsAt !== null && endsAt !== null ? (endsAt - startsAt) / DAY : 365;

  // Capacity: sessions/week decide the cadence, so they come first.
  const weeklySessions =
    cadence === 'HOURLY'
      ? uniform(random, 130, 450)
      : cadence === 'EVERY_6_HOURS'
        ? uniform(random, 35, 92)
        : uniform(random, 4, 20);
  const peak = () => {
    const u = random();
    // 15 % over target (up to 120 %), 40 % well below, the rest close to it
    return u < 0.15
      ? uniform(random, 1.0, 1.2)
      : u < 0.55
        ? uniform(random, 0.55, 0.8)
        : uniform(random, 0.8, 1.0);
  };
  const preProgramPeak = status === 'RECRUITING' ? [0.3, 0.7] : [0.02, 0.15];
  const volunteersTarget = Math.round(logUniform(random, 20, 300));
  const volunteers: Growth = {
    target: volunteersTarget,
    peak: preProgram ? uniform(random, preProgramPeak[0] ?? 0, preProgramPeak[1] ?? 0) : peak(),
  };
  const beneficiaries: Growth = {
    target: Math.round(volunteersTarget * uniform(random, 2, 6)),
    peak: preProgram ? volunteers.peak * uniform(random, 0.1, 0.6) : peak(),
  };
  const sessionsPeak = peak();
  const sessions: Growth = {
    target: Math.max(1, Math.round(weeklySessions / sessionsPeak)),
    peak: preProgram ? 0 : sessionsPeak,
  };
  const rampMidDays = preProgram ? uniform(random, 10, 40) : uniform(random, 20, 90);

  const budgetAllocatedCents = Math.round(logUniform(random, 15_000, 600_000) / 500) * 500 * 100;
  const burnFactor = uniform(random, 0.7, 1.1);
  const programBurn = (budgetAllocatedCents * burnFactor) / Math.max(30, programDays);
  const dailyBurnCents = preProgram ? programBurn * 0.1 : programBurn * 0.85;
  const burstCents = preProgram ? 0 : programBurn * 0.15 * 40;

  const monetization: Monetization | null =
    random() < 0.5
      ? {
          seatsCommitted: Math.ceil(volunteersTarget * uniform(random, 0.9, 1.4)),
          seatsPerVolunteer: uniform(random, 0.85, 1.05),
          creditsAllocatedCents: Math.round(logUniform(random, 2_000, 80_000) / 100) * 100 * 100,
          creditsPerSessionCents: 0,
          learnersCommitted: Math.round(beneficiaries.target * uniform(random, 0.9, 1.4)),
          learnerChurn: uniform(random, 0.1, 0.5),
        }
      : null;
  if (monetization) {
    const expectedSessions = (weeklySessions * Math.max(30, programDays)) / 7;
    monetization.creditsPerSessionCents =
      (monetization.creditsAllocatedCents * uniform(random, 0.6, 1.1)) / expectedSessions;
  }

  // A few reporting outages a year (about 3), 1 to 3 days each, at least a week apart.
  const gaps: { from: number; to: number }[] = [];
  for (let at = start; ; ) {
    at += -Math.log(1 - random()) * (365 / 3) * DAY;
    if (at >= end) break;
    const from = Math.floor(at / HOUR) * HOUR;
    const to = from + Math.round(uniform(random, 24, 72)) * HOUR;
    gaps.push({ from, to });
    at = to + 7 * DAY;
  }

  // A steady campaign reports from the window's start, also before its programme starts.
  if (steady) {
    reportingFrom = start;
    gaps.length = 0;
  }

  const values: SeedCampaignValues = {
    id,
    name,
    status,
    startsAt: startsAt === null ? null : new Date(startsAt),
    endsAt: endsAt === null ? null : new Date(endsAt),
    timeZone: place.zone,
    highValue: random() < 0.15,
    legalHold: random() < 0.02,
  };
  const profile: CampaignProfile = {
    index,
    seed: mixSeed(randomSeed, index, 2),
    cadence,
    reportingFrom,
    reportingTo,
    pausedAt,
    programStart,
    programEnd,
    rampAnchor: preProgram ? reportingFrom : programStart,
    rampMidDays,
    rampScaleDays: rampMidDays / 5,
    volunteers,
    beneficiaries,
    sessions,
    weeklySessions,
    hoursPerSession: uniform(random, 1.2, 4),
    budgetAllocatedCents,
    dailyBurnCents,
    burstCents,
    sroiBase: preProgram ? null : uniform(random, 1.5, 5.5),
    visBase: preProgram ? null : uniform(random, 35, 90),
    retentionBase: uniform(random, 0.65, 0.95),
    outcomes: OUTCOME_DIMENSIONS.map((dimension) => ({
      dimension,
      base: uniform(random, 35, 65),
      gain: uniform(random, 5, 30),
    })),
    programInstances: Math.max(1, Math.round(volunteersTarget / uniform(random, 8, 25))),
    monetization,
    gaps,
  };
  return { values, profile };
}

// ---------------------------------------------------------------------------------------
// Snapshots

/** Local activity by hour of the week (Monday 00:00 first), mean 1: daytime, fewer weekends. */
const HOUR_OF_WEEK_WEIGHT: Float64Array = (() => {
  const hourly = [
    0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.1, 0.5, 1.3, 1.3, 1.3, 1.3, 1, 1.4, 1.4, 1.4, 1.4, 1.1, 1.1,
    1.1, 0.5, 0.15, 0.15,
  ];
  const daily = [1, 1, 1, 1, 1, 0.5, 0.25];
  const weights = new Float64Array(168);
  for (let h = 0; h < 168; h++) weights[h] = (daily[Math.floor(h / 24)] ?? 1) * (hourly[h % 24] ?? 1);
  const mean = weights.reduce((sum, w) => sum + w, 0) / 168;
  return weights.map((w) => w / mean);
})();

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();
const offsetCache = new Map<string, number>();

/** The zone's UTC offset in whole hours at the instant (half-hour zones round down). */
function utcOffsetHours(zone: string, instant: number): number {
  const key = `${zone}@${Math.floor(instant / DAY)}`;
  const cached = offsetCache.get(key);
  if (cached !== undefined) return cached;
  let format = offsetFormatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    offsetFormatters.set(zone, format);
  }
  const part = (type: string) => Number(format.formatToParts(instant).find((p) => p.type === type)?.value);
  const local = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'));
  const offset = Math.floor((local - Math.floor(instant / 60_000) * 60_000) / HOUR);
  offsetCache.set(key, offset);
  return offset;
}

/** Epoch day 0 (1970-01-01) was a Thursday: day 3 of a week starting on Monday. */
const hourOfWeek = (instant: number, offsetHours: number) =>
  (((Math.floor(instant / HOUR) + offsetHours + 3 * 24) % 168) + 168) % 168;

const softplus = (z: number) => (z > 30 ? z : Math.log1p(Math.exp(z)));

/** Mean-reverting noise (AR(1) in continuous time): stationary deviation `sigma`, memory `tauHours`. */
class Drift {
  value: number;
  constructor(
    private readonly random: Random,
    private readonly sigma: number,
    private readonly tauHours: number,
  ) {
    this.value = sigma * normal(random);
  }

  private hours = 0;
  private phi = 1;
  private innovation = 0;

  step(hours: number): number {
    if (hours !== this.hours) {
      // steps repeat (the cadence), so the decay is computed once per step length
      this.hours = hours;
      this.phi = Math.exp(-hours / this.tauHours);
      this.innovation = this.sigma * Math.sqrt(1 - this.phi * this.phi);
    }
    if (this.innovation === 0) return this.value;
    this.value = this.phi * this.value + this.innovation * normal(this.random);
    return this.value;
  }
}

const round = (value: number, decimals: number) => {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
};
const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

/** Non-negative integer cents as a decimal string: 123456 -> "1234.56". */
export function formatCents(cents: number): string {
  const whole = Math.floor(cents / 100);
  return `${whole}.${String(cents - whole * 100).padStart(2, '0')}`;
}

const RESOURCE_LABEL = {
  VOLUNTEERS: 'Volunteers',
  BENEFICIARIES: 'Beneficiaries',
  SESSIONS: 'Sessions',
  BUDGET: 'Budget',
  SEATS: 'Seats',
  CREDITS: 'Credits',
  LEARNERS: 'Learners',
} as const;
type Resource = keyof typeof RESOURCE_LABEL;

/** An alert per resource at or above 80 % (compared exactly: 5 x used >= 4 x capacity). */
function alertsFor(usage: readonly [Resource, number, number][]) {
  const alerts: { type: string; message: string; threshold: number }[] = [];
  for (const [resource, used, capacity] of usage) {
    if (capacity <= 0 || 5 * used < 4 * capacity) continue;
    const threshold = used >= capacity ? 1 : 0.8;
    const percent = Math.round((100 * used) / capacity);
    alerts.push({
      type: resource,
      message: `${RESOURCE_LABEL[resource]} at ${percent}% of capacity${threshold === 1 ? ' (over capacity)' : ''}`,
      threshold,
    });
  }
  return alerts;
}

/** A capacity's current value: the ramp times its plateau, with noise; at most 120 % of target. */
function currentOf(growth: Growth, level: number, drift: number): number {
  return clamp(
    Math.round(growth.target * growth.peak * level * (1 + drift)),
    0,
    Math.floor(growth.target * 1.2),
  );
}

/** The instants a campaign reports in the window: cadence-aligned in UTC, strictly increasing. */
function* reportingInstants(profile: CampaignProfile, window: SeedWindow): Generator<number> {
  const from = Math.max(window.start.getTime(), profile.reportingFrom);
  const to = Math.min(window.end.getTime(), profile.reportingTo);
  const switchAt = profile.pausedAt ?? Number.POSITIVE_INFINITY;
  const segments: [number, number, number][] = [
    [from, Math.min(to, switchAt), STEP_HOURS[profile.cadence] * HOUR],
    [Math.max(from, switchAt), to, DAY],
  ];
  for (const [segmentFrom, segmentTo, step] of segments) {
    for (let t = Math.ceil(segmentFrom / step) * step; t < segmentTo; t += step) yield t;
  }
}

/**
 * The snapshots of one campaign in the window, oldest first, one at a time (an hourly
 * campaign over two years is 17,520 snapshots; nothing is kept but the running state).
 * Counters and spend keep running through reporting gaps, so they jump after one.
 */
export function* generateSnapshots(
  campaign: GeneratedCampaign,
  window: SeedWindow,
): Generator<SnapshotInput> {
  const { values, profile: p } = campaign;
  const random = mulberry32(p.seed);
  const noise = {
    volunteers: new Drift(random, 0.03, 72),
    beneficiaries: new Drift(random, 0.03, 96),
    sessions: new Drift(random, 0.06, 24),
    sroi: new Drift(random, 0.12, 240),
    vis: new Drift(random, 2.5, 240),
    retention: new Drift(random, 0.02, 336),
    outcomes: p.outcomes.map(() => new Drift(random, 1.5, 168)),
  };
  const rampDays = (t: number) => (t - p.rampAnchor) / DAY;
  const ramp = (t: number) => 1 / (1 + Math.exp(-(rampDays(t) - p.rampMidDays) / p.rampScaleDays));
  /** integral of ramp over [anchor, t], in days */
  const rampIntegral = (t: number) =>
    t <= p.rampAnchor
      ? 0
      : p.rampScaleDays *
        (softplus((rampDays(t) - p.rampMidDays) / p.rampScaleDays) -
          softplus(-p.rampMidDays / p.rampScaleDays));
  const running = (t: number) => t >= p.programStart && t < p.programEnd;
  /** activity frozen at a pause or the programme end */
  const activityAt = (t: number) => Math.min(t, p.programEnd);

  const spentCap = Math.floor(p.budgetAllocatedCents * 1.15);
  const creditsCap = p.monetization ? Math.floor(p.monetization.creditsAllocatedCents * 1.2) : 0;
  let sessionsCompleted = 0;
  let hoursCentis = 0;
  let spentCents = 0;
  let creditsCents = 0;
  let learnersServed = 0;
  let previous: number | null = null;
  let offsetDay = Number.NaN;
  let offsetHours = 0;
  let gapIndex = 0;

  for (const t of reportingInstants(p, window)) {
    const hours = previous === null ? 0 : (t - previous) / HOUR;
    if (previous === null) {
      // What happened before the first reported instant, as expected values.
      const sinceAnchor = Math.max(0, activityAt(t) - p.rampAnchor) / DAY;
      const rampDaysSoFar = rampIntegral(activityAt(t));
      sessionsCompleted = p.sessions.peak > 0 ? Math.round((p.weeklySessions / 7) * rampDaysSoFar) : 0;
      hoursCentis = Math.round(sessionsCompleted * p.hoursPerSession * 100);
      const spent =
        p.dailyBurnCents * (0.25 * sinceAnchor + 0.75 * rampDaysSoFar) + (p.burstCents * sinceAnchor) / 40;
      spentCents = Math.min(spentCap, Math.round(spent));
      if (p.monetization) {
        creditsCents = Math.min(
          creditsCap,
          Math.round(sessionsCompleted * p.monetization.creditsPerSessionCents),
        );
      }
    } else {
      // Sessions by local hour of the week, then hours logged and credits per session.
      // (the ramp moves slowly: its value at the end of the step stands for the whole step)
      let weight = 0;
      if (p.sessions.peak > 0) {
        for (let h = previous + HOUR; h <= t; h += HOUR) {
          if (!running(h)) continue;
          const day = Math.floor(h / DAY);
          if (day !== offsetDay) {
            offsetDay = day;
            offsetHours = utcOffsetHours(values.timeZone, h);
          }
          weight += HOUR_OF_WEEK_WEIGHT[hourOfWeek(h, offsetHours)] ?? 1;
        }
      }
      const done = weight > 0 ? poisson(random, (weight * ramp(t) * p.weeklySessions) / 168) : 0;
      sessionsCompleted += done;
      hoursCentis += Math.round(done * p.hoursPerSession * uniform(random, 80, 120));
      if (p.monetization) {
        const credits = done * p.monetization.creditsPerSessionCents * uniform(random, 0.8, 1.2);
        creditsCents = Math.min(creditsCap, creditsCents + Math.round(credits));
      }
      // Spend: steady (some fixed costs even early) plus the odd one-off payment; none while paused.
      if (p.pausedAt === null || t <= p.pausedAt) {
        const steady = p.dailyBurnCents * (hours / 24) * (0.25 + 0.75 * ramp(t)) * uniform(random, 0.5, 1.5);
        const burst = random() < hours / 24 / 40 ? p.burstCents * uniform(random, 0.5, 1.5) : 0;
        spentCents = Math.min(spentCap, spentCents + Math.round(steady + burst));
      }
    }
    previous = t;
    const volunteerNoise = noise.volunteers.step(hours);
    const beneficiaryNoise = noise.beneficiaries.step(hours);
    const sessionNoise = noise.sessions.step(hours);
    const sroiNoise = noise.sroi.step(hours);
    const visNoise = noise.vis.step(hours);
    const retentionNoise = noise.retention.step(hours);
    const outcomeNoise = noise.outcomes.map((drift) => drift.step(hours));

    while (gapIndex < p.gaps.length && (p.gaps[gapIndex]?.to ?? 0) <= t) gapIndex++;
    const gap = p.gaps[gapIndex];
    if (gap && gap.from <= t) continue;

    const level = ramp(activityAt(t));
    const volunteersCurrent = currentOf(p.volunteers, level, volunteerNoise);
    const beneficiariesCurrent = currentOf(p.beneficiaries, level, beneficiaryNoise);
    const sessionsCurrent = running(t) ? currentOf(p.sessions, level, sessionNoise) : 0;
    const scored = t >= p.programStart + 7 * DAY;
    const m = p.monetization;
    let monetization: SnapshotInput['monetization'] = null;
    let seatsUsed = 0;
    if (m) {
      seatsUsed = Math.round(volunteersCurrent * m.seatsPerVolunteer);
      const years = Math.max(0, activityAt(t) - p.rampAnchor) / (365 * DAY);
      learnersServed = Math.max(
        learnersServed,
        Math.round(beneficiariesCurrent * (1 + m.learnerChurn * years)),
      );
      monetization = {
        seatsUsed,
        seatsCommitted: m.seatsCommitted,
        creditsConsumed: formatCents(creditsCents),
        creditsAllocated: formatCents(m.creditsAllocatedCents),
        learnersServed,
        learnersCommitted: m.learnersCommitted,
      };
    }
    const retention = clamp(p.retentionBase + retentionNoise, 0.3, 0.99);
    const alerts = alertsFor([
      ['VOLUNTEERS', volunteersCurrent, p.volunteers.target],
      ['BENEFICIARIES', beneficiariesCurrent, p.beneficiaries.target],
      ['SESSIONS', sessionsCurrent, p.sessions.target],
      ['BUDGET', spentCents, p.budgetAllocatedCents],
      ...(m
        ? ([
            ['SEATS', seatsUsed, m.seatsCommitted],
            ['CREDITS', creditsCents, m.creditsAllocatedCents],
            ['LEARNERS', learnersServed, m.learnersCommitted],
          ] as [Resource, number, number][])
        : []),
    ]);
    const started = t >= p.programStart;
    const instances =
      started && running(t) ? clamp(Math.round(p.programInstances * level), 1, p.programInstances) : 0;
    const details: Record<string, unknown> = {
      engagement: {
        volunteerRetentionRate: round(retention, 3),
        volunteerDropoutRate: round(1 - retention, 3),
        averageSessionsPerVolunteer:
          volunteersCurrent > 0 ? round(sessionsCompleted / volunteersCurrent, 2) : 0,
      },
      programInstances: { activeCount: instances, totalCount: p.programInstances },
    };
    if (started) {
      const scores: Record<string, number> = {};
      p.outcomes.forEach((o, i) => {
        scores[o.dimension] = round(clamp(o.base + o.gain * level + (outcomeNoise[i] ?? 0), 0, 100), 1);
      });
      details.outcomeScores = scores;
    }
    if (alerts.length > 0) details.alerts = alerts;

    yield {
      campaignId: values.id,
      snapshotDate: new Date(t),
      volunteers: { target: p.volunteers.target, current: volunteersCurrent },
      beneficiaries: { target: p.beneficiaries.target, current: beneficiariesCurrent },
      sessions: { target: p.sessions.target, current: sessionsCurrent },
      budget: { allocated: formatCents(p.budgetAllocatedCents), spent: formatCents(spentCents) },
      impact: {
        sroiScore:
          p.sroiBase !== null && scored
            ? round(Math.max(0, p.sroiBase * (0.7 + 0.3 * level) + sroiNoise), 2)
            : null,
        averageVisScore:
          p.visBase !== null && scored
            ? round(clamp(p.visBase * (0.8 + 0.2 * level) + visNoise, 0, 100), 2)
            : null,
        totalHoursLogged: started ? hoursCentis / 100 : null,
        totalSessionsCompleted: started ? sessionsCompleted : null,
      },
      monetization,
      details,
    };
  }
}
