/**
 * BlockSources that assemble a logical volume from pieces of physical volumes:
 *
 *   ConcatSource   segments back to back (a linear LV of several segments, or any LV whose
 *                  segments have different layouts)
 *   StripeSource   RAID0-style interleave: chunk k of the LV is chunk ⌊k/N⌋ of stripe k mod N
 *
 *   LV bytes:   | seg 0 (linear) | seg 1 (striped: a0 b0 a1 b1 …) | seg 2 |
 *                      │                   │
 *                 SliceSource(pv0)   StripeSource([Slice(pv0), Slice(pv1)], chunk)
 *
 * A read that spans pieces is split and the parts are concatenated once (no Buffer.concat in a loop).
 */
import { TruncatedError } from '../../../engine/errors.js';
import type { BlockSource, ReadRange } from '../../block/types.js';

function rangeError(id: string, offset: bigint, length: number, size: bigint): TruncatedError {
  return new TruncatedError({ format: 'block', struct: id, offset, field: 'read' }, length, size - offset);
}

export interface Piece {
  /** Offset of this piece inside the assembled volume. */
  readonly offset: bigint;
  readonly source: BlockSource;
}

/** Pieces laid end to end; `pieces` must be contiguous from 0 (checked). */
export class ConcatSource implements BlockSource {
  readonly size: bigint;
  readonly blockSize: number;
  private readonly pieces: readonly Piece[];

  constructor(
    readonly id: string,
    sources: readonly BlockSource[],
  ) {
    let off = 0n;
    const pieces: Piece[] = [];
    for (const s of sources) {
      if (s.size === 0n) continue;
      pieces.push({ offset: off, source: s });
      off += s.size;
    }
    this.pieces = pieces;
    this.size = off;
    this.blockSize = sources[0]?.blockSize ?? 4096;
  }

  /** Index of the piece holding byte `offset` (binary search). */
  private find(offset: bigint): number {
    let lo = 0;
    let hi = this.pieces.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.pieces[mid]!.offset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  async read(offset: bigint, length: number, signal?: AbortSignal): Promise<Buffer> {
    if (offset < 0n || length < 0 || offset + BigInt(length) > this.size) {
      throw rangeError(this.id, offset, length, this.size);
    }
    if (length === 0) return Buffer.alloc(0);
    const parts: Promise<Buffer>[] = [];
    let at = offset;
    let left = BigInt(length);
    for (let i = this.find(offset); left > 0n && i < this.pieces.length; i++) {
      const p = this.pieces[i]!;
      const inner = at - p.offset;
      const take = p.source.size - inner < left ? p.source.size - inner : left;
      parts.push(p.source.read(inner, Number(take), signal));
      at += take;
      left -= take;
    }
    const bufs = await Promise.all(parts);
    return bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs, length);
  }

  prefetch(ranges: readonly ReadRange[]): void {
    for (const r of ranges) {
      if (r.offset < 0n || r.length <= 0 || r.offset + BigInt(r.length) > this.size) continue;
      let at = r.offset;
      let left = BigInt(r.length);
      for (let i = this.find(at); left > 0n && i < this.pieces.length; i++) {
        const p = this.pieces[i]!;
        const inner = at - p.offset;
        const take = p.source.size - inner < left ? p.source.size - inner : left;
        p.source.prefetch?.([{ offset: inner, length: Number(take) }]);
        at += take;
        left -= take;
      }
    }
  }
}

/**
 * N equally sized stripes interleaved in chunks of `chunkBytes`. The volume size is N × the stripe
 * size; every stripe must have the same size and that size must be a multiple of the chunk (LVM
 * allocates whole extents, and the extent size is a multiple of the stripe size).
 */
export class StripeSource implements BlockSource {
  readonly size: bigint;
  readonly blockSize: number;
  private readonly chunk: bigint;

  constructor(
    readonly id: string,
    private readonly stripes: readonly BlockSource[],
    chunkBytes: number,
  ) {
    if (stripes.length === 0 || !Number.isSafeInteger(chunkBytes) || chunkBytes <= 0) {
      throw new RangeError(`${id}: need at least one stripe and a positive chunk size`);
    }
    const each = stripes[0]!.size;
    if (stripes.some((s) => s.size !== each)) throw new RangeError(`${id}: stripes differ in size`);
    this.chunk = BigInt(chunkBytes);
    this.size = each * BigInt(stripes.length);
    this.blockSize = stripes[0]!.blockSize;
  }

  async read(offset: bigint, length: number, signal?: AbortSignal): Promise<Buffer> {
    if (offset < 0n || length < 0 || offset + BigInt(length) > this.size) {
      throw rangeError(this.id, offset, length, this.size);
    }
    const out = Buffer.allocUnsafe(length);
    const n = BigInt(this.stripes.length);
    const jobs: Promise<void>[] = [];
    let at = offset;
    let done = 0;
    while (done < length) {
      const k = at / this.chunk;
      const within = at % this.chunk;
      const take = Number(
        this.chunk - within < BigInt(length - done) ? this.chunk - within : BigInt(length - done),
      );
      const stripe = this.stripes[Number(k % n)]!;
      const inner = (k / n) * this.chunk + within;
      const dest = done;
      jobs.push(
        stripe.read(inner, take, signal).then((b) => {
          b.copy(out, dest);
        }),
      );
      at += BigInt(take);
      done += take;
    }
    await Promise.all(jobs);
    return out;
  }
}
