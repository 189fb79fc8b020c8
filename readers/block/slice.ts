import { TruncatedError } from '../../engine/errors.js';
import type { BlockSource, ReadRange } from './types.js';

/** A window [start, start+size) of a parent source: a partition or a linear LV segment. */
export class SliceSource implements BlockSource {
  readonly id: string;
  readonly size: bigint;
  readonly blockSize: number;
  constructor(
    readonly parent: BlockSource,
    readonly start: bigint,
    size: bigint,
    name: string,
  ) {
    if (start < 0n || size < 0n || start + size > parent.size) {
      throw new TruncatedError(
        { format: 'slice', struct: name, offset: start, field: 'extent' },
        start + size,
        parent.size,
      );
    }
    this.id = `${parent.id}#${name}`;
    this.size = size;
    this.blockSize = parent.blockSize;
  }

  read(offset: bigint, length: number, signal?: AbortSignal): Promise<Buffer> {
    if (offset < 0n || length < 0 || offset + BigInt(length) > this.size) {
      return Promise.reject(
        new TruncatedError(
          { format: 'block', struct: this.id, offset, field: 'read' },
          length,
          this.size - offset,
        ),
      );
    }
    return this.parent.read(this.start + offset, length, signal);
  }

  prefetch(ranges: readonly ReadRange[]): void {
    if (!this.parent.prefetch) return;
    const inside = ranges.filter((r) => r.offset >= 0n && r.offset + BigInt(r.length) <= this.size);
    this.parent.prefetch(inside.map((r) => ({ offset: r.offset + this.start, length: r.length })));
  }
}
