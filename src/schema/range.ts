import { badUserInput } from './errors.js';

/** Half-open ranges must be non-empty: from < to. */
export function checkRange(from: Date | null | undefined, to: Date | null | undefined): void {
  if (from && to && from.getTime() >= to.getTime()) {
    throw badUserInput(`to (${to.toISOString()}) must be after from (${from.toISOString()})`, 'to');
  }
}
