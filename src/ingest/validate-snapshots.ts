import { parseDecimal } from '../metrics/decimal.js';
import { InputError, requireUuid } from './input-error.js';

/** A snapshot as callers send it (the GraphQL SnapshotInput, already scalar-parsed). */
export interface SnapshotInput {
  campaignId: string;
  snapshotDate: Date;
  volunteers: CapacityInput;
  beneficiaries: CapacityInput;
  sessions: CapacityInput;
  budget: { allocated: string; spent: string };
  impact?: {
    sroiScore?: number | null;
    averageVisScore?: number | null;
    totalHoursLogged?: number | null;
    totalSessionsCompleted?: number | null;
  } | null;
  monetization?: {
    seatsUsed?: number | null;
    seatsCommitted?: number | null;
    creditsConsumed?: string | null;
    creditsAllocated?: string | null;
    learnersServed?: number | null;
    learnersCommitted?: number | null;
  } | null;
  details?: Record<string, unknown> | null;
}
interface CapacityInput {
  target: number;
  current: number;
}

/** The writable columns of one snapshot (utilizations and remaining are generated). */
export interface SnapshotValues {
  campaignId: string;
  snapshotDate: Date;
  volunteersTarget: number;
  volunteersCurrent: number;
  beneficiariesTarget: number;
  beneficiariesCurrent: number;
  sessionsTarget: number;
  sessionsCurrent: number;
  budgetAllocated: string;
  budgetSpent: string;
  sroiScore: string | null;
  averageVisScore: string | null;
  totalHoursLogged: string | null;
  totalSessionsCompleted: number | null;
  seatsUsed: number | null;
  seatsCommitted: number | null;
  creditsConsumed: string | null;
  creditsAllocated: string | null;
  learnersServed: number | null;
  learnersCommitted: number | null;
  details: Record<string, unknown>;
}

export const MAX_SNAPSHOTS_PER_CALL = 10_000;

const MONEY = { precision: 12, scale: 2 };

/**
 * Instants ingest accepts. Each month written gets its own partition (ingest creates a missing
 * one), so the range is bounded: one batch of far-flung instants cannot create thousands.
 */
const EARLIEST_SNAPSHOT_MS = Date.UTC(2000, 0, 1);
const LATEST_SNAPSHOT_AHEAD_MS = 366 * 86_400_000;

/** Checks one field of one snapshot; `at` builds the error path. */
class SnapshotChecker {
  constructor(readonly index: number) {}

  path(field: string) {
    return `input[${this.index}].${field}`;
  }

  fail(field: string, problem: string): never {
    throw new InputError(`${this.path(field)} ${problem}`, this.path(field), 'BAD_USER_INPUT', this.index);
  }

  count(field: string, value: number): number {
    if (!Number.isInteger(value) || value < 0)
      this.fail(field, `must be a non-negative integer, got ${value}`);
    return value;
  }

  optionalCount(field: string, value: number | null | undefined): number | null {
    return value === null || value === undefined ? null : this.count(field, value);
  }

  money(field: string, value: string): string {
    const parsed = parseDecimal(value, MONEY);
    if (!parsed.ok) this.fail(field, parsed.reason);
    if (parsed.value.startsWith('-')) this.fail(field, `must not be negative, got ${value}`);
    return parsed.value;
  }

  optionalMoney(field: string, value: string | null | undefined): string | null {
    return value === null || value === undefined ? null : this.money(field, value);
  }

  /**
   * Scores arrive as GraphQL Floats; they are stored as numeric(p,2), so they are rounded
   * to cents like PostgreSQL would, and values the column cannot hold are rejected.
   */
  score(
    field: string,
    value: number | null | undefined,
    precision: number,
    nonNegative: boolean,
  ): string | null {
    if (value === null || value === undefined) return null;
    if (!Number.isFinite(value)) this.fail(field, 'must be a finite number');
    if (nonNegative && value < 0) this.fail(field, `must not be negative, got ${value}`);
    const parsed = parseDecimal(value.toFixed(2), { precision, scale: 2 });
    if (!parsed.ok) this.fail(field, parsed.reason);
    return parsed.value;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The documented parts of full_snapshot must have their documented shape, so typed reads
 * (engagement, outcomeScores, programInstances, alerts) never meet a surprise later.
 */
function checkDetails(check: SnapshotChecker, details: Record<string, unknown>) {
  const { engagement, outcomeScores, programInstances, alerts } = details;
  for (const [name, part] of [
    ['engagement', engagement],
    ['outcomeScores', outcomeScores],
  ] as const) {
    if (part === undefined) continue;
    if (!isRecord(part)) check.fail(`details.${name}`, 'must be an object of numbers');
    for (const [key, value] of Object.entries(part)) {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        check.fail(`details.${name}.${key}`, 'must be a number');
      }
    }
  }
  if (programInstances !== undefined) {
    if (!isRecord(programInstances)) check.fail('details.programInstances', 'must be an object');
    for (const key of ['activeCount', 'totalCount']) {
      const value = programInstances[key];
      if (typeof value !== 'number') check.fail(`details.programInstances.${key}`, 'must be a number');
      check.count(`details.programInstances.${key}`, value);
    }
  }
  if (alerts !== undefined) {
    if (!Array.isArray(alerts)) check.fail('details.alerts', 'must be a list');
    alerts.forEach((alert: unknown, i) => {
      const at = `details.alerts[${i}]`;
      if (!isRecord(alert)) check.fail(at, 'must be an object');
      if (typeof alert.type !== 'string') check.fail(`${at}.type`, 'must be a string');
      if (typeof alert.message !== 'string') check.fail(`${at}.message`, 'must be a string');
      if (typeof alert.threshold !== 'number') check.fail(`${at}.threshold`, 'must be a number');
    });
  }
}

function validateSnapshot(input: SnapshotInput, index: number): SnapshotValues {
  const check = new SnapshotChecker(index);
  const impact = input.impact ?? {};
  const monetization = input.monetization ?? {};
  const details = input.details ?? {};
  checkDetails(check, details);
  const instant = input.snapshotDate.getTime();
  if (Number.isNaN(instant)) check.fail('snapshotDate', 'is not a valid instant');
  else if (instant < EARLIEST_SNAPSHOT_MS || instant >= Date.now() + LATEST_SNAPSHOT_AHEAD_MS) {
    check.fail('snapshotDate', 'must be from 2000-01-01 to one year from now');
  }
  return {
    campaignId: requireUuid(input.campaignId, check.path('campaignId'), index),
    snapshotDate: input.snapshotDate,
    volunteersTarget: check.count('volunteers.target', input.volunteers.target),
    volunteersCurrent: check.count('volunteers.current', input.volunteers.current),
    beneficiariesTarget: check.count('beneficiaries.target', input.beneficiaries.target),
    beneficiariesCurrent: check.count('beneficiaries.current', input.beneficiaries.current),
    sessionsTarget: check.count('sessions.target', input.sessions.target),
    sessionsCurrent: check.count('sessions.current', input.sessions.current),
    budgetAllocated: check.money('budget.allocated', input.budget.allocated),
    budgetSpent: check.money('budget.spent', input.budget.spent),
    sroiScore: check.score('impact.sroiScore', impact.sroiScore, 10, false),
    averageVisScore: check.score('impact.averageVisScore', impact.averageVisScore, 10, false),
    totalHoursLogged: check.score('impact.totalHoursLogged', impact.totalHoursLogged, 12, true),
    totalSessionsCompleted: check.optionalCount(
      'impact.totalSessionsCompleted',
      impact.totalSessionsCompleted,
    ),
    seatsUsed: check.optionalCount('monetization.seatsUsed', monetization.seatsUsed),
    seatsCommitted: check.optionalCount('monetization.seatsCommitted', monetization.seatsCommitted),
    creditsConsumed: check.optionalMoney('monetization.creditsConsumed', monetization.creditsConsumed),
    creditsAllocated: check.optionalMoney('monetization.creditsAllocated', monetization.creditsAllocated),
    learnersServed: check.optionalCount('monetization.learnersServed', monetization.learnersServed),
    learnersCommitted: check.optionalCount('monetization.learnersCommitted', monetization.learnersCommitted),
    details,
  };
}

/**
 * Validates a whole batch before anything is written; the first problem rejects it all.
 * A batch naming the same campaign and instant twice keeps the later one, as a repeated
 * call would.
 */
export function validateSnapshots(inputs: readonly SnapshotInput[]): SnapshotValues[] {
  if (inputs.length > MAX_SNAPSHOTS_PER_CALL) {
    throw new InputError(
      `input has ${inputs.length} snapshots; at most ${MAX_SNAPSHOTS_PER_CALL} per call`,
      'input',
    );
  }
  const byKey = new Map<string, SnapshotValues>();
  inputs.forEach((input, index) => {
    const values = validateSnapshot(input, index);
    const key = `${values.campaignId}@${values.snapshotDate.toISOString()}`;
    byKey.delete(key);
    byKey.set(key, values);
  });
  return [...byKey.values()];
}
