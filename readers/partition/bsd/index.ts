/**
 * BSD disklabel nested in an MBR partition (FreeBSD 0xA5, OpenBSD 0xA6, NetBSD 0xA9).
 *   FreeBSD sys/sys/disklabel.h (struct disklabel); util-linux libblkid/src/partitions/bsd.c
 *
 * The label is in sector 1 of the slice (byte 512), little-endian (x86):
 *
 *   0x000  4  d_magic 0x82564557        0x084  4  d_magic2 (same)
 *   0x028  4  d_secsize                 0x088  2  d_checksum (XOR of all 16-bit words = 0)
 *   0x08A  2  d_npartitions             0x094 16× d_partitions[]:
 *                                           0 u32 p_size · 4 u32 p_offset · 8 u32 p_fsize ·
 *                                           12 u8 p_fstype · 13 u8 p_frag · 14 u16 p_cpg
 *
 * p_offset is disk-absolute in the classic layout; some writers make it slice-relative (detected
 * as blkid does: an offset below the slice start means relative). Unused slots (size 0 or fstype
 * 0) and the raw partition covering the whole slice ('c') are skipped; the others are returned,
 * numbered after the MBR's logical partitions (as blkid numbers them).
 */
import { CorruptError, LimitExceededError, type ScanError } from '../../../engine/errors.js';
import { SliceSource } from '../../block/slice.js';
import type { BlockSource } from '../../block/types.js';
import { Cursor } from '../../bytes/cursor.js';
import type { Partition, PartitionTable } from '../types.js';

export const id = 'bsd';
export const displayName = 'BSD disklabel (nested in an MBR slice)';
export const specUrls = [
  'https://cgit.freebsd.org/src/tree/sys/sys/disklabel.h',
  'https://github.com/util-linux/util-linux/blob/master/libblkid/src/partitions/bsd.c',
] as const;
export const version = 1;

export const BSD_MAGIC = 0x82564557;
const LABEL_OFFSET = 512;
const SECTOR = 512;
const PARTITIONS_AT = 148;
/** The label must fit its sector: (512 - 148) / 16 = 22 entries. */
const MAX_PARTITIONS = 22;

export interface BsdSlice {
  readonly index: number;
  readonly size: number;
  readonly offset: number;
  readonly fstype: number;
}

/** Decodes a disklabel sector read at absolute byte `offset`. BadMagic → null (not a label). */
export function decodeBsdLabel(sector: Buffer, offset: bigint): BsdSlice[] | null {
  const c = new Cursor(sector, { base: offset, format: id, struct: 'disklabel' });
  if (c.u32leAt(0, 'd_magic') !== BSD_MAGIC) return null;
  const magic2 = c.u32leAt(132, 'd_magic2');
  if (magic2 !== BSD_MAGIC)
    throw new CorruptError(c.loc('d_magic2', 132), `0x${magic2.toString(16)}`, '!=', '0x82564557');
  const n = c.u16leAt(138, 'd_npartitions');
  if (n > MAX_PARTITIONS)
    throw new LimitExceededError(c.loc('d_npartitions', 138), 'disklabel sector', n, MAX_PARTITIONS);
  const end = PARTITIONS_AT + n * 16;
  let x = 0;
  for (let at = 0; at < end; at += 2) x ^= c.u16leAt(at, 'd_checksum');
  if (x !== 0) throw new CorruptError(c.loc('d_checksum', 136), `xor 0x${x.toString(16)}`, '!=', 0);
  const out: BsdSlice[] = [];
  for (let i = 0; i < n; i++) {
    const at = PARTITIONS_AT + i * 16;
    out.push(
      Object.freeze({
        index: i,
        size: c.u32leAt(at, 'p_size'),
        offset: c.u32leAt(at + 4, 'p_offset'),
        fstype: c.u8At(at + 12, 'p_fstype'),
      }),
    );
  }
  return out;
}

/**
 * Reads the disklabel of the MBR slice `parent` (which starts at disk sector `parentStart` of
 * `disk`). Returns null when there is no label. Slices outside the parent are dropped with a typed
 * error and a warning.
 */
export async function readBsdLabel(
  disk: BlockSource,
  parent: Partition,
  firstNumber: number,
  signal?: AbortSignal,
): Promise<PartitionTable | null> {
  if (parent.size < BigInt(LABEL_OFFSET + SECTOR)) return null;
  const at = parent.start + BigInt(LABEL_OFFSET);
  const slices = decodeBsdLabel(await disk.read(at, SECTOR, signal), at);
  if (!slices) return null;
  const pStart = parent.start / BigInt(SECTOR);
  const pEnd = pStart + parent.size / BigInt(SECTOR); // exclusive
  const used = slices.filter((s) => s.size > 0 && s.fstype !== 0);
  const relative = used.some((s) => BigInt(s.offset) < pStart);
  const partitions: Partition[] = [];
  const warnings: string[] = [];
  const errors: ScanError[] = [];
  let number = firstNumber;
  for (const s of used) {
    const start = BigInt(s.offset) + (relative ? pStart : 0n);
    const end = start + BigInt(s.size);
    if (start === pStart && end === pEnd) continue; // the raw partition: the slice itself
    const letter = String.fromCharCode(0x61 + s.index);
    if (start < pStart || end > pEnd) {
      const err = new CorruptError(
        {
          format: id,
          struct: `partition ${letter}`,
          offset: at + BigInt(PARTITIONS_AT + s.index * 16),
          field: 'extent',
        },
        `sectors ${start}..${end - 1n}`,
        'outside',
        `slice ${pStart}..${pEnd - 1n}`,
      );
      errors.push(err);
      warnings.push(`bsd: partition ${letter} dropped: ${err.message}`);
      continue;
    }
    // Like every nested table: start is relative to the parent (the MBR slice).
    const rel = start * BigInt(SECTOR) - parent.start;
    const size = BigInt(s.size) * BigInt(SECTOR);
    partitions.push({
      number: number++,
      scheme: id,
      start: rel,
      size,
      type: `0x${s.fstype.toString(16)}`,
      name: letter,
      source: new SliceSource(parent.source, rel, size, letter),
    });
  }
  const table: PartitionTable = { scheme: id, sectorSize: SECTOR, partitions, warnings };
  if (errors.length > 0) table.errors = errors;
  return table;
}
