import DataLoader from 'dataloader';

export interface GroupedLoaderOptions<Key, Value> {
  /** Keys with the same group share one call of `load` (the arguments beside the campaign). */
  groupOf: (key: Key) => string;
  /** Identity of a key within a request (DataLoader caches by it). */
  cacheKeyOf: (key: Key) => string;
  /** One statement for a group of keys; answers in the order of `keys`. */
  load: (keys: readonly Key[]) => Promise<readonly Value[]>;
}

const UNANSWERED = Symbol('unanswered');

/**
 * A per-request DataLoader whose keys carry arguments: the keys of one tick are split by
 * argument set and each set runs as one statement for all its campaigns.
 */
export function createGroupedLoader<Key, Value>({
  groupOf,
  cacheKeyOf,
  load,
}: GroupedLoaderOptions<Key, Value>): DataLoader<Key, Value, string> {
  return new DataLoader<Key, Value, string>(
    async (keys) => {
      const groups = new Map<string, number[]>();
      keys.forEach((key, i) => {
        const group = groupOf(key);
        groups.set(group, [...(groups.get(group) ?? []), i]);
      });
      // filled per group below; a key its group left unanswered gets an error at the end
      // (made only then: an Error captures a stack, and a page batches 50 keys)
      const answers: (Value | Error | typeof UNANSWERED)[] = keys.map(() => UNANSWERED);
      await Promise.all(
        [...groups.values()].map(async (indexes) => {
          try {
            const values = await load(indexes.map((i) => keys[i] as Key));
            indexes.forEach((index, j) => {
              if (j < values.length) answers[index] = values[j] as Value;
            });
          } catch (error) {
            // one failed statement fails its own keys, not the other groups of the batch
            const failure = error instanceof Error ? error : new Error(String(error));
            for (const index of indexes) answers[index] = failure;
          }
        }),
      );
      return answers.map((answer) =>
        answer === UNANSWERED ? new Error('grouped loader returned no answer') : answer,
      );
    },
    { cacheKeyFn: cacheKeyOf },
  );
}
