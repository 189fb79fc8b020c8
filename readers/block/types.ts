/**
 * BlockSource: the one interface every reader reads through. A disk, a partition, a logical volume
 * and an EBS snapshot are all BlockSources. Reads are positional and sized; a read that runs past
 * `size` throws TruncatedError (never returns short).
 */

export interface ReadRange {
  offset: bigint;
  length: number;
}

export interface BlockSource {
  /** Human-readable description for errors: `image:disk.img`, `snap-0abc`, `disk.img#p2`. */
  readonly id: string;
  /** Size in bytes. */
  readonly size: bigint;
  /** Natural read unit of the backing store (EBS: 524288; a file: 4096). Readers may ignore it. */
  readonly blockSize: number;
  /** Reads exactly `length` bytes at `offset`. */
  read(offset: bigint, length: number, signal?: AbortSignal): Promise<Buffer>;
  /**
   * Hint that these ranges will be read soon (a file's extents, an inode table). Sources with
   * latency (EBS) fetch them in parallel; local sources may ignore it. Never throws.
   */
  prefetch?(ranges: readonly ReadRange[]): void;
}

/** Figures every scan reports. `distinctBlocks` counts 512 KiB units, the EBS snapshot block size. */
export interface ReadStats {
  reads: number;
  bytesRead: number;
  distinctBlocks: number;
  blockBytes: number;
}

export const EBS_BLOCK_BYTES = 512 * 1024;
