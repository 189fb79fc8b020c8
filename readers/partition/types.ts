/**
 * Partition layer: turns a disk BlockSource into the volumes to probe for filesystems.
 * A scheme (none, mbr, gpt, lvm2) answers `probe` and lists its partitions; every partition is
 * probed for a filesystem, none is skipped by its name or type.
 */
import type { ScanError } from '../../engine/errors.js';
import type { Limits } from '../../engine/limits.js';
import type { BlockSource } from '../block/types.js';

export interface Partition {
  /** 1-based number as the OS names it (sda1 → 1); logical MBR partitions start at 5. */
  number: number;
  /** Scheme that produced it: gpt, mbr, bsd, lvm2, none. */
  scheme: string;
  /** Byte offset and size inside the parent source. */
  start: bigint;
  size: bigint;
  /** GPT partition type GUID, or the MBR type byte as `0x83`. */
  type: string;
  /** GPT name / LVM "vg/lv". */
  name?: string;
  /** GPT unique partition GUID. */
  uuid?: string;
  /** GPT attribute bits as hex, MBR boot flag as `0x80`. */
  flags?: string;
  /** The partition's bytes. */
  source: BlockSource;
  /**
   * A table found inside this partition (an LVM2 PV's logical volumes, a BSD disklabel's
   * partitions; their `start` is relative to this partition). When set, the partition's
   * own bytes are a container: `listVolumes` returns the nested volumes instead of it.
   */
  nested?: PartitionTable;
  /** An MBR extended partition: holds EBRs and logical partitions, not a filesystem. */
  container?: boolean;
}

export interface PartitionTable {
  scheme: string;
  /** Logical sector size the table was read with (512 or 4096). */
  sectorSize: number;
  /** GPT disk GUID, MBR disk signature as 8 hex digits. */
  id?: string;
  partitions: Partition[];
  /** Non-fatal problems: primary GPT header bad (backup used), overlapping entries… */
  warnings: string[];
  /** Typed errors for entries that were dropped (outside the disk, end < start…); the rest are kept. */
  errors?: ScanError[];
}

export interface ReadOptions {
  signal?: AbortSignal;
  /** Defaults to DEFAULT_LIMITS. */
  limits?: Limits;
}

export interface PartitionScheme {
  readonly id: string;
  readonly displayName: string;
  readonly specUrls: readonly string[];
  readonly version: number;
  /** Returns null when the source does not carry this scheme; BadMagicError is also accepted. */
  read(source: BlockSource, opts?: ReadOptions): Promise<PartitionTable | null>;
}

/** A scheme found inside the partitions of a table (LVM2 PVs): it attaches nested tables in place. */
export interface NestedScheme {
  readonly id: string;
  readonly displayName: string;
  readonly specUrls: readonly string[];
  readonly version: number;
  attach(table: PartitionTable, opts: ReadOptions): Promise<void>;
}
