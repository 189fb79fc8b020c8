import { describe, expect, it } from 'vitest';
import { SliceSource } from '../../../../readers/block/slice.js';
import { ConcatSource, StripeSource } from '../../../../readers/partition/lvm2/sources.js';
import { MemorySource } from '../helpers.js';

/** Deterministic bytes so every offset is distinguishable. */
function pattern(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

describe('readers/partition/lvm2/sources', () => {
  const base = new MemorySource(pattern(256 * 1024, 7));
  const pieces = [
    new SliceSource(base, 100_000n, 10_000n, 'a'),
    new SliceSource(base, 0n, 0n, 'empty'),
    new SliceSource(base, 5_000n, 30_000n, 'b'),
    new SliceSource(base, 200_000n, 1n, 'c'),
  ];
  const concatRef = Buffer.concat([
    base.buf.subarray(100_000, 110_000),
    base.buf.subarray(5_000, 35_000),
    base.buf.subarray(200_000, 200_001),
  ]);

  it.each([
    { offset: 0, length: 10 },
    { offset: 9_995, length: 10 },
    { offset: 0, length: 40_001 },
    { offset: 39_999, length: 2 },
    { offset: 40_000, length: 1 },
    { offset: 12_345, length: 0 },
  ])('ConcatSource read($offset, $length) equals the reference', async ({ offset, length }) => {
    const c = new ConcatSource('lv', pieces);
    expect(c.size).toBe(40_001n);
    expect((await c.read(BigInt(offset), length)).equals(concatRef.subarray(offset, offset + length))).toBe(
      true,
    );
  });

  it.each([
    { offset: 40_000, length: 2 },
    { offset: -1, length: 1 },
  ])('ConcatSource rejects read($offset, $length) outside the volume', async ({ offset, length }) => {
    const c = new ConcatSource('lv', pieces);
    await expect(c.read(BigInt(offset), length)).rejects.toMatchObject({ code: 'truncated' });
  });

  it('StripeSource matches a reference interleave at random offsets', async () => {
    const chunk = 4096;
    const stripes = [0, 1, 2].map((i) => new SliceSource(base, BigInt(i * 65536), 32768n, `s${i}`));
    const s = new StripeSource('lv', stripes, chunk);
    expect(s.size).toBe(3n * 32768n);
    const ref = Buffer.alloc(3 * 32768);
    for (let k = 0; k < ref.length / chunk; k++) {
      const stripe = k % 3;
      const row = Math.floor(k / 3);
      base.buf.copy(ref, k * chunk, stripe * 65536 + row * chunk, stripe * 65536 + (row + 1) * chunk);
    }
    const rnd = pattern(400, 3);
    for (let i = 0; i < 100; i++) {
      const off = rnd.readUInt16LE(i * 4) % ref.length;
      const len = Math.min(rnd.readUInt16LE(i * 4 + 2) % 20_000, ref.length - off);
      expect((await s.read(BigInt(off), len)).equals(ref.subarray(off, off + len))).toBe(true);
    }
    await expect(s.read(BigInt(ref.length - 1), 2)).rejects.toMatchObject({ code: 'truncated' });
  });

  it('StripeSource refuses unequal stripes or a zero chunk', () => {
    const a = new SliceSource(base, 0n, 8192n, 'a');
    const b = new SliceSource(base, 0n, 4096n, 'b');
    expect(() => new StripeSource('lv', [a, b], 4096)).toThrow(RangeError);
    expect(() => new StripeSource('lv', [a, a], 0)).toThrow(RangeError);
  });
});
