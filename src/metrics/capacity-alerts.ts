import type { SnapshotBucket } from './bucket-stats.js';
import type { Metric } from './catalog.js';

/**
 * Capacity alerts of a snapshot, as the contract defines them: one per resource whose
 * utilization >= threshold. The four core resources use the utilization the database stored
 * (current / target, rounded to 4 places); the monetization ones divide used by committed /
 * consumed by allocated / served by committed and are skipped when that denominator is null
 * or 0. CRITICAL at utilization >= 1.0, otherwise WARNING.
 *
 * RESOURCES is the one definition: Campaign.capacityAlerts runs `capacityAlertsOf` on the
 * latest snapshot, and the SQL of Query.capacityAlerts is generated from the same list (a
 * test checks that both agree on the same data).
 */
export const CAPACITY_RESOURCES = [
  'VOLUNTEERS',
  'BENEFICIARIES',
  'SESSIONS',
  'BUDGET',
  'SEATS',
  'CREDITS',
  'LEARNERS',
] as const;
export type CapacityResource = (typeof CAPACITY_RESOURCES)[number];

export const ALERT_SEVERITIES = ['WARNING', 'CRITICAL'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export interface ResourceDefinition {
  readonly resource: CapacityResource;
  /** The numerator: what is in use. */
  readonly used: Metric;
  /** The denominator: what is available. */
  readonly capacity: Metric;
  /** Stored utilization column, or null when the ratio is computed from used / capacity. */
  readonly utilization: Metric | null;
  /** Words of the message: "<label> at 92% of <capacityLabel> (46/50)". */
  readonly label: string;
  readonly capacityLabel: string;
}

export const RESOURCES: readonly ResourceDefinition[] = [
  {
    resource: 'VOLUNTEERS',
    used: 'VOLUNTEERS_CURRENT',
    capacity: 'VOLUNTEERS_TARGET',
    utilization: 'VOLUNTEERS_UTILIZATION',
    label: 'Volunteers',
    capacityLabel: 'target',
  },
  {
    resource: 'BENEFICIARIES',
    used: 'BENEFICIARIES_CURRENT',
    capacity: 'BENEFICIARIES_TARGET',
    utilization: 'BENEFICIARIES_UTILIZATION',
    label: 'Beneficiaries',
    capacityLabel: 'target',
  },
  {
    resource: 'SESSIONS',
    used: 'SESSIONS_CURRENT',
    capacity: 'SESSIONS_TARGET',
    utilization: 'SESSIONS_UTILIZATION',
    label: 'Sessions',
    capacityLabel: 'target',
  },
  {
    resource: 'BUDGET',
    used: 'BUDGET_SPENT',
    capacity: 'BUDGET_ALLOCATED',
    utilization: 'BUDGET_UTILIZATION',
    label: 'Budget',
    capacityLabel: 'allocated',
  },
  {
    resource: 'SEATS',
    used: 'SEATS_USED',
    capacity: 'SEATS_COMMITTED',
    utilization: null,
    label: 'Seats',
    capacityLabel: 'committed',
  },
  {
    resource: 'CREDITS',
    used: 'CREDITS_CONSUMED',
    capacity: 'CREDITS_ALLOCATED',
    utilization: null,
    label: 'Credits',
    capacityLabel: 'allocated',
  },
  {
    resource: 'LEARNERS',
    used: 'LEARNERS_SERVED',
    capacity: 'LEARNERS_COMMITTED',
    utilization: null,
    label: 'Learners',
    capacityLabel: 'committed',
  },
];

/** The values of one resource in one snapshot, as exact decimal text (null when absent). */
export interface ResourceReading {
  resource: CapacityResource;
  used: string | null;
  capacity: string | null;
  /** The stored utilization; only read for resources that have one. */
  storedUtilization: string | null;
}

export interface CapacityAlert {
  campaignId: string;
  resource: CapacityResource;
  utilization: number;
  threshold: number;
  severity: AlertSeverity;
  message: string;
  snapshotDate: Date;
}

const definitionOf = new Map(RESOURCES.map((d) => [d.resource, d]));

export function resourceDefinition(resource: CapacityResource): ResourceDefinition {
  const found = definitionOf.get(resource);
  if (!found) throw new Error(`unknown capacity resource ${resource}`);
  return found;
}

/**
 * Utilization of a reading, or null when the resource has none (a computed ratio whose
 * numerator is null or whose denominator is null or 0). A computed ratio is exact up to the
 * final division: both decimals are scaled to integers of the same scale (exact doubles, as
 * money has 2 places and 12 digits), so the quotient is the double nearest the true ratio
 * ("0.30" / "0.10" is 3, not 2.9999999999999996). SQL computes it the same way.
 */
export function utilizationOf(reading: ResourceReading): number | null {
  if (resourceDefinition(reading.resource).utilization !== null) {
    return reading.storedUtilization === null ? null : Number(reading.storedUtilization);
  }
  if (reading.used === null || reading.capacity === null) return null;
  const [used, capacity] = sameScaleIntegers(reading.used, reading.capacity);
  if (capacity === 0) return null;
  return used / capacity;
}

/** Two non-negative decimal texts as integers of their common scale ("0.3", "0.10" -> 30, 10). */
function sameScaleIntegers(a: string, b: string): [number, number] {
  const [aInteger = '', aFraction = ''] = a.split('.');
  const [bInteger = '', bFraction = ''] = b.split('.');
  const scale = Math.max(aFraction.length, bFraction.length);
  return [Number(aInteger + aFraction.padEnd(scale, '0')), Number(bInteger + bFraction.padEnd(scale, '0'))];
}

export function severityOf(utilization: number): AlertSeverity {
  return utilization >= 1 ? 'CRITICAL' : 'WARNING';
}

/** Whole percent, rounded down so that "100%" is never shown for a WARNING (0.9999). */
function percent(utilization: number): string {
  // the epsilon absorbs binary noise such as 0.29 * 100 = 28.999999999999996
  return `${Math.floor(utilization * 100 + 1e-9)}%`;
}

export function alertMessage(reading: ResourceReading, utilization: number): string {
  const { label, capacityLabel } = resourceDefinition(reading.resource);
  return `${label} at ${percent(utilization)} of ${capacityLabel} (${reading.used ?? '?'}/${reading.capacity ?? '?'})`;
}

/** The alert of one reading, or null below the threshold or without a utilization. */
export function alertOf(
  campaignId: string,
  snapshotDate: Date,
  reading: ResourceReading,
  threshold: number,
): CapacityAlert | null {
  const utilization = utilizationOf(reading);
  if (utilization === null || !(utilization >= threshold)) return null;
  return {
    campaignId,
    resource: reading.resource,
    utilization,
    threshold,
    severity: severityOf(utilization),
    message: alertMessage(reading, utilization),
    snapshotDate,
  };
}

/** The readings of a snapshot (LAST values of a bucket), in resource order. */
export function readingsOf(snapshot: SnapshotBucket): ResourceReading[] {
  const last = (metric: Metric | null) => (metric === null ? null : (snapshot.metrics[metric]?.last ?? null));
  return RESOURCES.map((d) => ({
    resource: d.resource,
    used: last(d.used),
    capacity: last(d.capacity),
    storedUtilization: last(d.utilization),
  }));
}

/**
 * Order of alerts: most severe first, then highest utilization, then campaign id and the
 * resource's position in CAPACITY_RESOURCES. Severity follows from utilization (>= 1 is
 * CRITICAL), so this is utilization descending with a unique tie-break; the SQL keyset of
 * Query.capacityAlerts orders by (-utilization, campaign_id, resource ordinal) to match.
 */
export function compareAlerts(a: CapacityAlert, b: CapacityAlert): number {
  if (a.severity !== b.severity) return a.severity === 'CRITICAL' ? -1 : 1;
  if (a.utilization !== b.utilization) return b.utilization - a.utilization;
  if (a.campaignId !== b.campaignId) return a.campaignId < b.campaignId ? -1 : 1;
  return CAPACITY_RESOURCES.indexOf(a.resource) - CAPACITY_RESOURCES.indexOf(b.resource);
}

/** Alerts of one snapshot, in alert order. */
export function capacityAlertsOf(snapshot: SnapshotBucket, threshold: number): CapacityAlert[] {
  return readingsOf(snapshot)
    .map((reading) => alertOf(snapshot.campaignId, snapshot.start, reading, threshold))
    .filter((alert) => alert !== null)
    .sort(compareAlerts);
}

export const MIN_THRESHOLD = 0;
export const MAX_THRESHOLD = 10;
export const DEFAULT_THRESHOLD = 0.8;
