import { describe, expect, it } from 'vitest';
import { memoized, memoizedPerObject } from '../../src/metrics/memo.js';

describe('memoized', () => {
  it('computes once per key, caches undefined answers too, and recomputes only after emptying at the limit', () => {
    const calls: string[] = [];
    const lengthOf = memoized(
      (word: string) => {
        calls.push(word);
        return word === 'none' ? undefined : word.length;
      },
      (word) => word,
      3,
    );
    expect([lengthOf('a'), lengthOf('bb'), lengthOf('a'), lengthOf('none'), lengthOf('none')]).toEqual([
      1,
      2,
      1,
      undefined,
      undefined,
    ]);
    expect(calls).toEqual(['a', 'bb', 'none']);
    // a fourth key empties the cache (3 entries): 'a' is computed again afterwards
    expect(lengthOf('cccc')).toBe(4);
    expect(lengthOf('a')).toBe(1);
    expect(calls).toEqual(['a', 'bb', 'none', 'cccc', 'a']);
  });

  it('does not keep a failure: the next call computes again', () => {
    let attempts = 0;
    const flaky = memoized(
      (n: number) => {
        attempts++;
        if (attempts === 1) throw new Error('first call fails');
        return n * 2;
      },
      (n) => String(n),
      10,
    );
    expect(() => flaky(2)).toThrow('first call fails');
    expect(flaky(2)).toBe(4);
    expect(flaky(2)).toBe(4);
    expect(attempts).toBe(2);
  });
});

describe('memoizedPerObject', () => {
  it('computes once per object, not per equal object', () => {
    const seen: object[] = [];
    const sizeOf = memoizedPerObject((list: readonly number[]) => {
      seen.push(list);
      return list.length;
    });
    const one = [1, 2, 3];
    const equal = [1, 2, 3];
    expect([sizeOf(one), sizeOf(one), sizeOf(equal), sizeOf(one)]).toEqual([3, 3, 3, 3]);
    expect(seen).toHaveLength(2);
    expect(seen[0]).toBe(one);
    expect(seen[1]).toBe(equal);
  });
});
