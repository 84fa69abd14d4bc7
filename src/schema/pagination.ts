import { badUserInput } from './errors.js';

export const MAX_PAGE_SIZE = 1000;
export const DEFAULT_PAGE_SIZE = 100;

export interface PageArgs {
  first?: number | null;
  last?: number | null;
}

export interface PageRequest {
  /** Newest-first fetch for `last`; otherwise oldest first. */
  backward: boolean;
  size: number;
}

/** Page size and direction from relay arguments; out-of-range values are rejected, not clamped. */
export function pageRequest({ first, last }: PageArgs): PageRequest {
  if (first != null && last != null) {
    throw badUserInput('Pass either first or last, not both', 'last');
  }
  for (const [name, value] of [
    ['first', first],
    ['last', last],
  ] as const) {
    if (value != null && (value < 0 || value > MAX_PAGE_SIZE)) {
      throw badUserInput(`${name} must be between 0 and ${MAX_PAGE_SIZE}, got ${value}`, name);
    }
  }
  return last != null
    ? { backward: true, size: last }
    : { backward: false, size: first ?? DEFAULT_PAGE_SIZE };
}

/**
 * Cost of a connection field for the complexity plugin: its selection counts once per node of
 * the requested page (default DEFAULT_PAGE_SIZE). Out-of-range sizes count as the nearest
 * valid one; pageRequest still rejects them, with the clearer BAD_USER_INPUT.
 */
export function pageComplexity({ first, last }: PageArgs): { field: number; multiplier: number } {
  const size = last ?? first ?? DEFAULT_PAGE_SIZE;
  return { field: 1, multiplier: Math.min(Math.max(size, 0), MAX_PAGE_SIZE) };
}
