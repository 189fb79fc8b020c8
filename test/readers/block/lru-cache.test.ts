import { describe, expect, it } from 'vitest';
import { LruCache } from '../../../readers/block/lru-cache.js';

const buf = (n: number) => Buffer.alloc(n);

describe('readers/block/lru-cache', () => {
  it('evicts least recently used entries to stay within the byte budget', () => {
    const evicted: unknown[] = [];
    const c = new LruCache<string, Buffer>({
      maxBytes: 30,
      sizeOf: (b) => b.length,
      onEvict: (k) => evicted.push(k),
    });
    c.set('a', buf(10));
    c.set('b', buf(10));
    c.set('c', buf(10));
    expect(c.get('a')).toBeDefined(); // a is now the most recent
    c.set('d', buf(10));
    expect(evicted).toEqual(['b']);
    expect([...['a', 'b', 'c', 'd']].map((k) => c.has(k))).toEqual([true, false, true, true]);
    c.set('e', buf(25));
    expect(evicted).toEqual(['b', 'c', 'a', 'd']);
    expect(c.stats()).toMatchObject({ entries: 1, bytes: 25, peakBytes: 30, evictions: 4 });
  });

  it.each([
    { case: 'budget 0 stores nothing', maxBytes: 0, size: 1, stored: false },
    { case: 'value equal to the budget is stored', maxBytes: 8, size: 8, stored: true },
    { case: 'value above the budget is refused', maxBytes: 8, size: 9, stored: false },
  ])('$case', ({ maxBytes, size, stored }) => {
    const c = new LruCache<number, Buffer>({ maxBytes, sizeOf: (b) => b.length });
    expect(c.set(1, buf(size))).toBe(stored);
    expect(c.has(1)).toBe(stored);
    expect(c.stats().bytes).toBe(stored ? size : 0);
  });

  it('replacing a key updates its weight; peek does not count or refresh', () => {
    const c = new LruCache<number, Buffer>({ maxBytes: 100, sizeOf: (b) => b.length });
    c.set(1, buf(40));
    c.set(1, buf(10));
    expect(c.stats().bytes).toBe(10);
    c.peek(1);
    c.get(2);
    expect(c.stats()).toMatchObject({ hits: 0, misses: 1 });
    expect(c.delete(1)).toBe(true);
    expect(c.stats().bytes).toBe(0);
  });

  it.each([-1, 1.5, Number.NaN])('rejects maxBytes %s', (maxBytes) => {
    expect(() => new LruCache({ maxBytes, sizeOf: () => 1 })).toThrow(RangeError);
  });

  it.each([
    {
      case: 'entry budget alone (bytes Infinity)',
      maxEntries: 2,
      maxBytes: Number.POSITIVE_INFINITY,
      kept: ['b', 'c'],
    },
    { case: 'entry budget below the byte budget', maxEntries: 2, maxBytes: 100, kept: ['b', 'c'] },
    { case: 'byte budget below the entry budget', maxEntries: 10, maxBytes: 15, kept: ['c'] },
    { case: 'entry budget 0 stores nothing', maxEntries: 0, maxBytes: 100, kept: [] },
  ])(
    '$case: sizes given per set (in-flight promises weigh their read length)',
    ({ maxEntries, maxBytes, kept }) => {
      const c = new LruCache<string, Promise<Buffer>>({ maxEntries, maxBytes });
      for (const k of ['a', 'b', 'c']) c.set(k, Promise.resolve(buf(10)), 10);
      expect(['a', 'b', 'c'].filter((k) => c.has(k))).toEqual(kept);
      expect(c.stats().bytes).toBe(kept.length * 10);
    },
  );

  it.each([-1, 1.5])('rejects maxEntries %s', (maxEntries) => {
    expect(() => new LruCache({ maxBytes: 10, maxEntries })).toThrow(RangeError);
  });
});
