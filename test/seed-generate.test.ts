import { describe, expect, it } from 'vitest';
import {
  MAX_SNAPSHOTS_PER_CALL,
  type SnapshotInput,
  validateSnapshots,
} from '../src/ingest/validate-snapshots.js';
import { snapshotCadence } from '../src/metrics/cadence.js';
import {
  type GeneratedCampaign,
  generateCampaigns,
  generateSnapshots,
  seedWindow,
} from '../src/seed/generate.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WINDOW = seedWindow(new Date('2026-01-01T00:00:00Z'), 180);
const CAMPAIGNS = generateCampaigns(80, 7, WINDOW);
const SNAPSHOTS = new Map(CAMPAIGNS.map((c) => [c.values.id, [...generateSnapshots(c, WINDOW)]]));

const ENGAGEMENT_KEYS = 'averageSessionsPerVolunteer,volunteerDropoutRate,volunteerRetentionRate';
const OUTCOME_KEYS = 'employment,integration,language,wellbeing';

const snapshotsOf = (campaign: GeneratedCampaign) => SNAPSHOTS.get(campaign.values.id) ?? [];
const allSnapshots = () => [...SNAPSHOTS.values()].flat();
const instants = (snapshots: SnapshotInput[]) => snapshots.map((s) => s.snapshotDate.getTime());
const steps = (times: number[]) => times.slice(1).map((t, i) => t - (times[i] as number));

/** "1234.56" -> 123456n, rejecting anything but plain decimals with exactly two places. */
function cents(value: string): bigint {
  const match = /^(\d+)\.(\d{2})$/.exec(value);
  if (!match) throw new Error(`not a money value: ${value}`);
  return BigInt(`${match[1]}${match[2]}`);
}

function nonDecreasing<T>(values: readonly T[], less: (a: T, b: T) => boolean): boolean {
  return values.every((value, i) => i === 0 || !less(value, values[i - 1] as T));
}

describe('generateCampaigns and generateSnapshots', () => {
  it('are deterministic: the same seed gives the same data, another seed other campaigns', () => {
    const again = generateCampaigns(80, 7, WINDOW);
    expect(again.map((c) => c.values)).toEqual(CAMPAIGNS.map((c) => c.values));
    for (const index of [0, 1, 17, 79]) {
      const campaign = again[index] as GeneratedCampaign;
      expect([...generateSnapshots(campaign, WINDOW)]).toEqual(snapshotsOf(campaign));
    }
    const other = generateCampaigns(80, 8, WINDOW);
    const ids = new Set(CAMPAIGNS.map((c) => c.values.id));
    expect(other.filter((c) => ids.has(c.values.id))).toEqual([]);
    // Campaign i does not depend on how many are generated.
    expect(generateCampaigns(5, 7, WINDOW).map((c) => c.values)).toEqual(
      CAMPAIGNS.slice(0, 5).map((c) => c.values),
    );
  });

  it('makes distinct UUIDs, names with a number, valid dates and a mix of statuses and zones', () => {
    const ids = CAMPAIGNS.map((c) => c.values.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    CAMPAIGNS.forEach(({ values }, i) => {
      expect(values.name.endsWith(` ${String(i + 1).padStart(3, '0')}`)).toBe(true);
      if (values.startsAt && values.endsAt)
        expect(values.startsAt.getTime()).toBeLessThan(values.endsAt.getTime());
      expect(() => new Intl.DateTimeFormat('en', { timeZone: values.timeZone })).not.toThrow();
    });
    const count = (status: string) => CAMPAIGNS.filter((c) => c.values.status === status).length;
    expect(count('ACTIVE')).toBeGreaterThan(CAMPAIGNS.length / 2);
    for (const status of ['RECRUITING', 'PLANNED', 'PAUSED', 'COMPLETED', 'ARCHIVED', 'DRAFT']) {
      expect(count(status)).toBeGreaterThan(0);
    }
    expect(new Set(CAMPAIGNS.map((c) => c.values.timeZone)).size).toBeGreaterThanOrEqual(5);
    expect(CAMPAIGNS.some((c) => c.values.highValue)).toBe(true);
    // Even a dozen campaigns (the demo) get the mix that matters.
    const demo = generateCampaigns(12, 42, WINDOW);
    expect(new Set(demo.map((c) => c.values.status)).size).toBeGreaterThanOrEqual(4);
  });

  it('passes the ingest validation, every snapshot, with no repeated (campaign, instant)', () => {
    const all = allSnapshots();
    expect(all.length).toBeGreaterThan(20_000);
    for (let start = 0; start < all.length; start += MAX_SNAPSHOTS_PER_CALL) {
      const batch = all.slice(start, start + MAX_SNAPSHOTS_PER_CALL);
      expect(validateSnapshots(batch)).toHaveLength(batch.length);
    }
  });

  it('reports instants strictly increasing, inside the window and aligned to the cadence in UTC', () => {
    for (const campaign of CAMPAIGNS) {
      const times = instants(snapshotsOf(campaign));
      if (times.length === 0) continue;
      expect(steps(times).every((step) => step > 0)).toBe(true);
      expect(times[0]).toBeGreaterThanOrEqual(WINDOW.start.getTime());
      expect(times.at(-1)).toBeLessThan(WINDOW.end.getTime());
      const cadence = Math.min(...steps(times));
      expect([HOUR, 6 * HOUR, DAY]).toContain(cadence);
      expect(times.every((t) => t % cadence === 0)).toBe(true);
      const { startsAt, endsAt } = campaign.values;
      if (campaign.values.status === 'COMPLETED' || campaign.values.status === 'ARCHIVED') {
        expect(times.at(-1)).toBeLessThan(endsAt?.getTime() ?? 0);
        expect(times[0]).toBeGreaterThanOrEqual(startsAt?.getTime() ?? 0);
      }
    }
    const drafts = CAMPAIGNS.filter((c) => c.values.status === 'DRAFT');
    expect(drafts.every((c) => snapshotsOf(c).length === 0)).toBe(true);
  });

  it('mixes cadences: about 1 in 10 active campaigns hourly, most 6-hourly, some daily', () => {
    const active = CAMPAIGNS.filter((c) => c.values.status === 'ACTIVE' && snapshotsOf(c).length > 1);
    const cadences = active.map((c) => Math.min(...steps(instants(snapshotsOf(c)))));
    const share = (step: number) => cadences.filter((c) => c === step).length / cadences.length;
    expect(share(HOUR)).toBeGreaterThanOrEqual(0.05);
    expect(share(HOUR)).toBeLessThanOrEqual(0.2);
    expect(share(6 * HOUR)).toBeGreaterThan(0.5);
    expect(share(DAY)).toBeGreaterThan(0);
  });

  it("matches the contract's cadence rule for active campaigns on their plateau", () => {
    // Campaigns that started long before the window end are past their ramp-up: their
    // sessions in the last 7 days must give the cadence they report at.
    const settled = CAMPAIGNS.filter(
      (c) =>
        c.values.status === 'ACTIVE' &&
        (c.values.startsAt?.getTime() ?? Number.POSITIVE_INFINITY) < WINDOW.end.getTime() - 150 * DAY,
    );
    expect(settled.length).toBeGreaterThan(10);
    let agree = 0;
    for (const campaign of settled) {
      const snapshots = snapshotsOf(campaign);
      const latest = snapshots.at(-1) as SnapshotInput;
      const cutoff = latest.snapshotDate.getTime() - 7 * DAY;
      const weekAgo = snapshots.findLast((s) => s.snapshotDate.getTime() <= cutoff) ?? snapshots[0];
      const sessions =
        (latest.impact?.totalSessionsCompleted ?? 0) - (weekAgo?.impact?.totalSessionsCompleted ?? 0);
      const step = Math.min(...steps(instants(snapshots)));
      const reported = step === HOUR ? 'HOURLY' : step === 6 * HOUR ? 'EVERY_6_HOURS' : 'DAILY';
      if (snapshotCadence('ACTIVE', sessions) === reported) agree += 1;
    }
    expect(agree / settled.length).toBeGreaterThanOrEqual(0.8);
  });

  it('leaves gaps of one to three days a few times a year', () => {
    let gaps = 0;
    let campaignYears = 0;
    for (const campaign of CAMPAIGNS.filter((c) => c.values.status === 'ACTIVE')) {
      const times = instants(snapshotsOf(campaign));
      if (times.length < 2) continue;
      const cadence = Math.min(...steps(times));
      campaignYears += ((times.at(-1) as number) - (times[0] as number)) / (365 * DAY);
      for (const step of steps(times)) {
        if (step === cadence) continue;
        gaps += 1;
        expect(step).toBeGreaterThanOrEqual(Math.max(2 * cadence, 24 * HOUR));
        expect(step).toBeLessThanOrEqual(72 * HOUR + 2 * cadence);
      }
    }
    expect(gaps / campaignYears).toBeGreaterThan(1);
    expect(gaps / campaignYears).toBeLessThan(8);
  });

  it('never decreases the cumulative counters, credits consumed or learners served', () => {
    for (const campaign of CAMPAIGNS) {
      const snapshots = snapshotsOf(campaign);
      const counted = snapshots.filter((s) => s.impact?.totalSessionsCompleted != null);
      // once counting starts it never stops
      expect(snapshots.slice(snapshots.length - counted.length)).toEqual(counted);
      const numbers = (read: (s: SnapshotInput) => number | null | undefined) =>
        snapshots.map(read).filter((v): v is number => v !== null && v !== undefined);
      expect(
        nonDecreasing(
          numbers((s) => s.impact?.totalSessionsCompleted),
          (a, b) => a < b,
        ),
      ).toBe(true);
      expect(
        nonDecreasing(
          numbers((s) => s.impact?.totalHoursLogged),
          (a, b) => a < b,
        ),
      ).toBe(true);
      expect(
        nonDecreasing(
          numbers((s) => s.monetization?.learnersServed),
          (a, b) => a < b,
        ),
      ).toBe(true);
      const credits = snapshots.flatMap((s) =>
        s.monetization?.creditsConsumed ? [cents(s.monetization.creditsConsumed)] : [],
      );
      expect(nonDecreasing(credits, (a, b) => a < b)).toBe(true);
    }
    // and they do grow
    const hourly = allSnapshots().filter((s) => (s.impact?.totalSessionsCompleted ?? 0) > 1000);
    expect(hourly.length).toBeGreaterThan(0);
  });

  it('keeps the budget allocation fixed and spending non-decreasing, within 125 % of it', () => {
    let bursts = 0;
    for (const campaign of CAMPAIGNS) {
      const snapshots = snapshotsOf(campaign);
      if (snapshots.length === 0) continue;
      const allocated = new Set(snapshots.map((s) => cents(s.budget.allocated)));
      expect(allocated.size).toBe(1);
      const [budget] = [...allocated] as [bigint];
      expect(budget).toBeGreaterThan(0n);
      const spent = snapshots.map((s) => cents(s.budget.spent));
      expect(nonDecreasing(spent, (a, b) => a < b)).toBe(true);
      expect(spent.every((s) => s >= 0n && s * 100n <= budget * 125n)).toBe(true);
      // A burst: one step spends more than 5 times the campaign's median step.
      const increments = spent.slice(1).map((s, i) => s - (spent[i] as bigint));
      const sorted = [...increments].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const median = sorted[Math.floor(sorted.length / 2)] ?? 0n;
      if (median > 0n) bursts += increments.filter((d) => d > 5n * median).length;
    }
    expect(bursts).toBeGreaterThan(0);
  });

  it('keeps targets fixed; current sometimes above target but never above 120 %', () => {
    let over = 0;
    const problems: string[] = [];
    for (const campaign of CAMPAIGNS) {
      const snapshots = snapshotsOf(campaign);
      for (const resource of ['volunteers', 'beneficiaries', 'sessions'] as const) {
        if (new Set(snapshots.map((s) => s[resource].target)).size > 1) {
          problems.push(`${campaign.values.name}: ${resource} target changes`);
        }
        for (const { [resource]: capacity, snapshotDate } of snapshots) {
          if (capacity.current * 100 > capacity.target * 120) {
            problems.push(`${campaign.values.name} ${snapshotDate.toISOString()}: ${resource} above 120 %`);
          }
          if (capacity.current > capacity.target) over += 1;
        }
      }
    }
    expect(problems.slice(0, 5)).toEqual([]);
    expect(over).toBeGreaterThan(0);
  });

  it('fills monetization for about half of the campaigns and leaves it null for the others', () => {
    const reporting = CAMPAIGNS.filter((c) => snapshotsOf(c).length > 0);
    const monetized = reporting.filter((c) => snapshotsOf(c).every((s) => s.monetization != null));
    const plain = reporting.filter((c) => snapshotsOf(c).every((s) => s.monetization == null));
    expect(monetized.length + plain.length).toBe(reporting.length);
    expect(monetized.length / reporting.length).toBeGreaterThan(0.3);
    expect(monetized.length / reporting.length).toBeLessThan(0.7);
  });

  it('records details: engagement, outcome scores, program instances, alerts exactly at >= 80 %', () => {
    let alerted = 0;
    const problems: string[] = [];
    for (const s of allSnapshots()) {
      const at = `${s.campaignId} ${s.snapshotDate.toISOString()}`;
      const details = s.details ?? {};
      const engagement = details.engagement as Record<string, number>;
      if (Object.keys(engagement).sort().join() !== ENGAGEMENT_KEYS) problems.push(`${at}: engagement keys`);
      const retention = engagement.volunteerRetentionRate ?? -1;
      if (retention < 0 || retention > 1) problems.push(`${at}: retention ${retention}`);
      const instances = details.programInstances as { activeCount: number; totalCount: number };
      if (instances.activeCount > instances.totalCount)
        problems.push(`${at}: more active than total instances`);
      if (details.outcomeScores !== undefined) {
        const scores = details.outcomeScores as Record<string, number>;
        if (Object.keys(scores).sort().join() !== OUTCOME_KEYS) problems.push(`${at}: outcome dimensions`);
        if (Object.values(scores).some((v) => v < 0 || v > 100))
          problems.push(`${at}: outcome out of 0..100`);
      }
      const m = s.monetization;
      const usage: [string, number, number][] = [
        ['VOLUNTEERS', s.volunteers.current, s.volunteers.target],
        ['BENEFICIARIES', s.beneficiaries.current, s.beneficiaries.target],
        ['SESSIONS', s.sessions.current, s.sessions.target],
        ['BUDGET', Number(s.budget.spent), Number(s.budget.allocated)],
        ['SEATS', m?.seatsUsed ?? 0, m?.seatsCommitted ?? 0],
        ['CREDITS', Number(m?.creditsConsumed ?? 0), Number(m?.creditsAllocated ?? 0)],
        ['LEARNERS', m?.learnersServed ?? 0, m?.learnersCommitted ?? 0],
      ];
      const expected = usage
        .filter(([, used, capacity]) => capacity > 0 && used / capacity >= 0.8)
        .map(([r]) => r);
      const alerts = (details.alerts ?? []) as { type: string; threshold: number }[];
      if (alerts.map((a) => a.type).join() !== expected.join()) {
        problems.push(`${at}: alerts ${alerts.map((a) => a.type)} but >= 80 %: ${expected}`);
      }
      if (details.alerts !== undefined && alerts.length === 0) problems.push(`${at}: empty alert list`);
      if (alerts.length > 0) alerted += 1;
    }
    expect(problems.slice(0, 5)).toEqual([]);
    expect(alerted).toBeGreaterThan(0);
  });

  it('handles a window of one day and a window ending off midnight', () => {
    for (const window of [
      seedWindow(new Date('2026-03-29T00:00:00Z'), 1),
      seedWindow(new Date('2026-03-29T13:30:00Z'), 3),
    ]) {
      const campaigns = generateCampaigns(30, 1, window);
      const snapshots = campaigns.flatMap((c) => [...generateSnapshots(c, window)]);
      expect(snapshots.length).toBeGreaterThan(0);
      expect(validateSnapshots(snapshots)).toHaveLength(snapshots.length);
      const times = snapshots.map((s) => s.snapshotDate.getTime());
      expect(times.filter((t) => t < window.start.getTime() || t >= window.end.getTime())).toEqual([]);
      expect(times.filter((t) => t % HOUR !== 0)).toEqual([]);
    }
  });
});
