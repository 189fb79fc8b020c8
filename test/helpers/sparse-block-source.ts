/**
 * SparseBlockSource: a BlockSource of any declared size that reads zeros except where bytes were
 * planted, so a test can put structures above 4 GiB (or at the end of a "1 TiB" disk) without a
 * large fixture. It records every read and prefetch for laziness assertions.
 */
import { TruncatedError } from '../../engine/errors.js';
import type { BlockSource, ReadRange } from '../../readers/block/types.js';

export class SparseBlockSource implements BlockSource {
  readonly blockSize = 4096;
  readonly reads: ReadRange[] = [];
  readonly prefetched: ReadRange[] = [];
  private readonly planted: Array<{ offset: bigint; bytes: Buffer }> = [];

  constructor(
    readonly size: bigint,
    readonly id = 'sparse',
  ) {}

  /** Plants bytes at an absolute offset (later plants win where they overlap). */
  plant(offset: bigint | number, bytes: Buffer): this {
    const off = BigInt(offset);
    if (off < 0n || off + BigInt(bytes.length) > this.size) {
      throw new RangeError(`SparseBlockSource: plant at ${off} (+${bytes.length}) outside size ${this.size}`);
    }
    this.planted.push({ offset: off, bytes: Buffer.from(bytes) });
    return this;
  }

  async read(offset: bigint, length: number): Promise<Buffer> {
    if (offset < 0n || length < 0 || offset + BigInt(length) > this.size) {
      throw new TruncatedError(
        { format: 'block', struct: this.id, offset, field: 'read' },
        length,
        offset < this.size ? this.size - offset : 0n,
      );
    }
    this.reads.push({ offset, length });
    const out = Buffer.alloc(length);
    const end = offset + BigInt(length);
    for (const p of this.planted) {
      const pEnd = p.offset + BigInt(p.bytes.length);
      if (pEnd <= offset || p.offset >= end) continue;
      const from = p.offset > offset ? p.offset : offset;
      const to = pEnd < end ? pEnd : end;
      p.bytes.copy(out, Number(from - offset), Number(from - p.offset), Number(to - p.offset));
    }
    return out;
  }

  prefetch(ranges: readonly ReadRange[]): void {
    this.prefetched.push(...ranges);
  }
}
