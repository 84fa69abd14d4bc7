import { decodeBase64, decodeCursorChunk, encodeBase64, encodeCursorChunk } from '@pothos/core';
import { isUuid } from '../ingest/input-error.js';
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

/**
 * Opaque keyset cursor of the campaigns connection: the campaign id, in the shape the drizzle
 * plugin's connection issued before this one (`DC:` and Pothos' tagged chunk), so cursors
 * that clients hold keep working.
 */
export function encodeCampaignCursor(id: string): string {
  return encodeBase64(`DC:${encodeCursorChunk(id)}`);
}

/** The campaign id of a campaigns cursor (lower case); anything else is a BAD_USER_INPUT on `after`. */
export function decodeCampaignCursor(cursor: string): string {
  let id: unknown;
  try {
    const decoded = decodeBase64(cursor);
    id = decoded.startsWith('DC:') ? decodeCursorChunk(decoded.slice(3)) : undefined;
  } catch {
    id = undefined;
  }
  if (typeof id !== 'string' || !isUuid(id))
    throw badUserInput('after is not a cursor of this connection', 'after');
  return id.toLowerCase();
}
