/**
 * `compute` with its answers kept by key, for pure functions that a request calls with the
 * same arguments again and again (every campaign of a page in the same zone, year or sample
 * size). The cache empties itself at `limit` entries, which bounds its memory whatever
 * arguments callers send; an emptied cache only costs recomputing.
 */
export function memoized<Args extends readonly unknown[], Value>(
  compute: (...args: Args) => Value,
  keyOf: (...args: Args) => string,
  limit: number,
): (...args: Args) => Value {
  const known = new Map<string, Value>();
  return (...args) => {
    const key = keyOf(...args);
    const cached = known.get(key);
    // one lookup for the usual hit; has() only tells a cached undefined from a miss
    if (cached !== undefined || known.has(key)) return cached as Value;
    const value = compute(...args);
    if (known.size >= limit) known.clear();
    known.set(key, value);
    return value;
  };
}

/**
 * `compute` kept per object (weakly: the answer goes when the object does), for values
 * derived from a selection or a query that are asked several times in one request.
 */
export function memoizedPerObject<Key extends object, Value>(
  compute: (key: Key) => Value,
): (key: Key) => Value {
  const known = new WeakMap<Key, Value>();
  return (key) => {
    if (known.has(key)) return known.get(key) as Value;
    const value = compute(key);
    known.set(key, value);
    return value;
  };
}
