import DataLoader from 'dataloader';
import { describe, expect, it } from 'vitest';
import type { Database } from '../src/db/client.js';
import { createRequestLoaders } from '../src/loaders/request-loaders.js';

// Making a loader sends nothing, so no database is needed to see when loaders are made.
const noDatabase = {} as Database;

describe('request loaders', () => {
  it('makes each loader on first use, once per request', () => {
    const first = createRequestLoaders(noDatabase);
    const second = createRequestLoaders(noDatabase);
    expect(first.latestSnapshots).toBeInstanceOf(DataLoader);
    expect(first.latestSnapshots).toBe(first.latestSnapshots);
    expect(first.snapshotBuckets).toBe(first.snapshotBuckets);
    expect(first.latestSnapshots).not.toBe(first.snapshotBuckets);
    // another request has loaders (and caches) of its own
    expect(second.latestSnapshots).not.toBe(first.latestSnapshots);
    expect((first as unknown as { made: Map<string, unknown> }).made.size).toBe(2);
    expect([...(second as unknown as { made: Map<string, unknown> }).made.keys()]).toEqual([
      'latestSnapshots',
    ]);
  });
});
