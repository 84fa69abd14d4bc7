import { describe, expect, it } from 'vitest';
import type { SnapshotBucket } from '../../src/metrics/bucket-stats.js';
import {
  type CapacityAlert,
  type CapacityResource,
  capacityAlertsOf,
  compareAlerts,
  type ResourceReading,
  utilizationOf,
} from '../../src/metrics/capacity-alerts.js';
import { METRICS, type Metric } from '../../src/metrics/catalog.js';

const AT = new Date('2024-03-01T12:00:00Z');

/** A RAW snapshot with the given LAST values (everything else null). */
function snapshot(values: Partial<Record<Metric, string | null>>, campaignId = 'c1'): SnapshotBucket {
  const metrics: SnapshotBucket['metrics'] = {};
  for (const { metric } of METRICS) {
    const value = values[metric] ?? null;
    metrics[metric] = { first: value, last: value, min: value, max: value, avg: value === null ? null : 0 };
  }
  return {
    campaignId,
    start: AT,
    granularity: 'RAW',
    timeZone: 'UTC',
    sampleCount: 1,
    metrics,
    previousLast: null,
    details: {},
  };
}

/** The four core resources well below any threshold, so a test sees only what it sets. */
const QUIET: Partial<Record<Metric, string | null>> = {
  VOLUNTEERS_CURRENT: '1',
  VOLUNTEERS_TARGET: '100',
  VOLUNTEERS_UTILIZATION: '0.0100',
  BENEFICIARIES_CURRENT: '1',
  BENEFICIARIES_TARGET: '100',
  BENEFICIARIES_UTILIZATION: '0.0100',
  SESSIONS_CURRENT: '1',
  SESSIONS_TARGET: '100',
  SESSIONS_UTILIZATION: '0.0100',
  BUDGET_SPENT: '1.00',
  BUDGET_ALLOCATED: '100.00',
  BUDGET_UTILIZATION: '0.0100',
};

const reading = (
  resource: CapacityResource,
  used: string | null,
  capacity: string | null,
  storedUtilization: string | null = null,
): ResourceReading => ({ resource, used, capacity, storedUtilization });

describe('utilizationOf', () => {
  it('uses the stored utilization of the core resources, not used / capacity', () => {
    // 2/3 would be 0.666..., the database stored 0.6667
    expect(utilizationOf(reading('VOLUNTEERS', '2', '3', '0.6667'))).toBe(0.6667);
    expect(utilizationOf(reading('BUDGET', '950.00', '1000.00', '0.9500'))).toBe(0.95);
  });

  it('divides used by committed/allocated for the monetization resources', () => {
    expect(utilizationOf(reading('SEATS', '46', '50'))).toBe(0.92);
    expect(utilizationOf(reading('CREDITS', '0.30', '0.10'))).toBe(3);
    expect(utilizationOf(reading('LEARNERS', '2', '3'))).toBe(2 / 3);
  });

  it('has none when the denominator is null or 0, or the numerator is null', () => {
    expect(utilizationOf(reading('SEATS', '5', null))).toBeNull();
    expect(utilizationOf(reading('SEATS', '5', '0'))).toBeNull();
    expect(utilizationOf(reading('CREDITS', '5.00', '0.00'))).toBeNull();
    expect(utilizationOf(reading('LEARNERS', null, '10'))).toBeNull();
  });
});

describe('capacityAlertsOf', () => {
  it('alerts at exactly the threshold, not below it', () => {
    const at = snapshot({ ...QUIET, SEATS_USED: '40', SEATS_COMMITTED: '50' });
    expect(capacityAlertsOf(at, 0.8).map((a) => [a.resource, a.utilization])).toEqual([['SEATS', 0.8]]);
    const below = snapshot({ ...QUIET, SEATS_USED: '39', SEATS_COMMITTED: '50' });
    expect(capacityAlertsOf(below, 0.8)).toEqual([]);
  });

  it('is CRITICAL from exactly 1.0, WARNING just below', () => {
    const alerts = capacityAlertsOf(
      snapshot({
        ...QUIET,
        VOLUNTEERS_CURRENT: '50',
        VOLUNTEERS_TARGET: '50',
        VOLUNTEERS_UTILIZATION: '1.0000',
        BUDGET_SPENT: '999.90',
        BUDGET_ALLOCATED: '1000.00',
        BUDGET_UTILIZATION: '0.9999',
      }),
      0.8,
    );
    expect(alerts.map((a) => [a.resource, a.severity])).toEqual([
      ['VOLUNTEERS', 'CRITICAL'],
      ['BUDGET', 'WARNING'],
    ]);
  });

  it('describes the alert with the values it came from', () => {
    const [credits, budget, volunteers] = capacityAlertsOf(
      snapshot({
        ...QUIET,
        VOLUNTEERS_CURRENT: '46',
        VOLUNTEERS_TARGET: '50',
        VOLUNTEERS_UTILIZATION: '0.9200',
        BUDGET_SPENT: '999.90',
        BUDGET_ALLOCATED: '1000.00',
        BUDGET_UTILIZATION: '0.9999',
        CREDITS_CONSUMED: '0.29',
        CREDITS_ALLOCATED: '0.25',
      }),
      0.8,
    );
    expect(volunteers).toEqual<CapacityAlert>({
      campaignId: 'c1',
      resource: 'VOLUNTEERS',
      utilization: 0.92,
      threshold: 0.8,
      severity: 'WARNING',
      message: 'Volunteers at 92% of target (46/50)',
      snapshotDate: AT,
    });
    // 0.29 / 0.25 is 1.1599999999999999 in binary: still shown as 116 %
    expect(credits).toMatchObject({
      severity: 'CRITICAL',
      message: 'Credits at 116% of allocated (0.29/0.25)',
    });
    // rounded down, so a WARNING never reads 100 %
    expect(budget?.message).toBe('Budget at 99% of allocated (999.90/1000.00)');
  });

  it('skips monetization resources without a usable denominator', () => {
    const alerts = capacityAlertsOf(
      snapshot({
        ...QUIET,
        SEATS_USED: '10',
        SEATS_COMMITTED: null,
        CREDITS_CONSUMED: '5.00',
        CREDITS_ALLOCATED: '0.00',
        LEARNERS_SERVED: '3',
        LEARNERS_COMMITTED: '0',
      }),
      0,
    );
    // threshold 0: every resource with a utilization alerts, the three skipped ones do not
    expect(alerts.map((a) => a.resource).sort()).toEqual([
      'BENEFICIARIES',
      'BUDGET',
      'SESSIONS',
      'VOLUNTEERS',
    ]);
  });

  it('orders most severe, then highest utilization, then resource order', () => {
    const alerts = capacityAlertsOf(
      snapshot({
        VOLUNTEERS_CURRENT: '45',
        VOLUNTEERS_TARGET: '50',
        VOLUNTEERS_UTILIZATION: '0.9000',
        BENEFICIARIES_CURRENT: '90',
        BENEFICIARIES_TARGET: '100',
        BENEFICIARIES_UTILIZATION: '0.9000',
        SESSIONS_CURRENT: '12',
        SESSIONS_TARGET: '10',
        SESSIONS_UTILIZATION: '1.2000',
        BUDGET_SPENT: '95.00',
        BUDGET_ALLOCATED: '100.00',
        BUDGET_UTILIZATION: '0.9500',
        LEARNERS_SERVED: '10',
        LEARNERS_COMMITTED: '10',
      }),
      0.8,
    );
    expect(alerts.map((a) => [a.resource, a.utilization])).toEqual([
      ['SESSIONS', 1.2],
      ['LEARNERS', 1],
      ['BUDGET', 0.95],
      ['VOLUNTEERS', 0.9],
      ['BENEFICIARIES', 0.9],
    ]);
  });
});

describe('compareAlerts', () => {
  const alert = (campaignId: string, resource: CapacityResource, utilization: number): CapacityAlert => ({
    campaignId,
    resource,
    utilization,
    threshold: 0.8,
    severity: utilization >= 1 ? 'CRITICAL' : 'WARNING',
    message: '',
    snapshotDate: AT,
  });

  it('breaks ties of utilization by campaign id, then resource', () => {
    const sorted = [
      alert('b', 'SEATS', 0.9),
      alert('a', 'SEATS', 0.9),
      alert('a', 'VOLUNTEERS', 0.9),
      alert('c', 'BUDGET', 1),
      alert('c', 'CREDITS', 0.85),
    ].sort(compareAlerts);
    expect(sorted.map((a) => `${a.campaignId}:${a.resource}`)).toEqual([
      'c:BUDGET',
      'a:VOLUNTEERS',
      'a:SEATS',
      'b:SEATS',
      'c:CREDITS',
    ]);
  });
});
