import type { Granularity } from '../metrics/catalog.js';
import { badUserInput } from './errors.js';

/**
 * Opaque keyset cursor of a snapshots connection: the bucket start, bound to the
 * granularity and zone it was issued for (a cursor from another bucketing would point at a
 * different sequence of buckets, so it is rejected rather than silently misread).
 */
interface CursorPayload {
  g: Granularity;
  z: string;
  t: string;
}

export function encodeBucketCursor(granularity: Granularity, timeZone: string, start: Date): string {
  const payload: CursorPayload = { g: granularity, z: timeZone, t: start.toISOString() };
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

export function decodeBucketCursor(
  cursor: string,
  granularity: Granularity,
  timeZone: string,
  argument: 'after' | 'before',
): Date {
  let payload: Partial<CursorPayload>;
  try {
    payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badUserInput(`${argument} is not a cursor of this connection`, argument);
  }
  const start = new Date(typeof payload?.t === 'string' ? payload.t : Number.NaN);
  if (Number.isNaN(start.getTime()))
    throw badUserInput(`${argument} is not a cursor of this connection`, argument);
  if (payload.g !== granularity || payload.z !== timeZone) {
    throw badUserInput(
      `${argument} was issued for granularity ${payload.g} in ${payload.z}, not ${granularity} in ${timeZone}`,
      argument,
    );
  }
  return start;
}
