import type { BlockSource, ReadRange, ReadStats } from './types.js';
import { EBS_BLOCK_BYTES } from './types.js';

/**
 * Wraps the root source of a scan and records what was read: calls, bytes, and the set of distinct
 * 512 KiB blocks touched (the unit an EBS snapshot is fetched in, so this predicts GetSnapshotBlock
 * calls for the same scan).
 */
export class CountingSource implements BlockSource {
  readonly id: string;
  readonly size: bigint;
  readonly blockSize: number;
  private reads = 0;
  private bytes = 0;
  private readonly blocks = new Set<number>();

  constructor(
    readonly inner: BlockSource,
    readonly unit = EBS_BLOCK_BYTES,
  ) {
    this.id = inner.id;
    this.size = inner.size;
    this.blockSize = inner.blockSize;
  }

  read(offset: bigint, length: number, signal?: AbortSignal): Promise<Buffer> {
    this.reads++;
    this.bytes += length;
    if (length > 0) {
      const unit = BigInt(this.unit);
      const first = Number(offset / unit);
      const last = Number((offset + BigInt(length) - 1n) / unit);
      for (let b = first; b <= last; b++) this.blocks.add(b);
    }
    return this.inner.read(offset, length, signal);
  }

  prefetch(ranges: readonly ReadRange[]): void {
    this.inner.prefetch?.(ranges);
  }

  /** Distinct block indexes touched so far (sorted), for comparing against EBS calls. */
  touchedBlocks(): number[] {
    return [...this.blocks].sort((a, b) => a - b);
  }

  stats(): ReadStats {
    return {
      reads: this.reads,
      bytesRead: this.bytes,
      distinctBlocks: this.blocks.size,
      blockBytes: this.unit,
    };
  }
}
