/**
 * Block group descriptors (super.rst "Block Group Descriptors", `struct ext4_group_desc`): 32 bytes,
 * or s_desc_size (>= 64) with the 64bit feature, packed in descriptor blocks. Without meta_bg the
 * table follows the superblock's block; with meta_bg, descriptor block n (n >= s_first_meta_bg)
 * lives in the first block of group n × descriptors-per-block (after its superblock backup).
 */
import { CorruptError } from '../../../engine/errors.js';
import { Cursor, toSafeNumber } from '../../bytes/cursor.js';
import {
  COMPAT,
  FORMAT,
  hasCompat,
  hasIncompat,
  hasRoCompat,
  INCOMPAT,
  RO_COMPAT,
  SUPERBLOCK_OFFSET,
  type Superblock,
} from './superblock.js';

export interface GroupDesc {
  readonly group: number;
  readonly blockBitmap: number; // 0x00 lo, 0x20 hi
  readonly inodeBitmap: number; // 0x04 lo, 0x24 hi
  readonly inodeTable: number; // 0x08 lo, 0x28 hi
  readonly flags: number; // 0x12 u16: INODE_UNINIT 0x1, BLOCK_UNINIT 0x2, ITABLE_ZEROED 0x4
  readonly itableUnused: number; // 0x1C lo, 0x32 hi
}

export const BG_INODE_UNINIT = 0x1;

export function descsPerBlock(sb: Superblock): number {
  return sb.blockSize / sb.descSize;
}

function isPowerOf(n: number, base: number): boolean {
  if (n < 1) return false;
  while (n % base === 0) n /= base;
  return n === 1;
}

/** ext4_bg_has_super: does this group carry a superblock (and descriptor) backup? */
export function groupHasSuper(sb: Superblock, group: number): boolean {
  if (group === 0) return true;
  if (hasCompat(sb, COMPAT.sparse_super2)) return group === sb.backupBgs[0] || group === sb.backupBgs[1];
  if (!hasRoCompat(sb, RO_COMPAT.sparse_super)) return true;
  if (group <= 1) return true;
  if (group % 2 === 0) return false;
  return isPowerOf(group, 3) || isPowerOf(group, 5) || isPowerOf(group, 7);
}

export function groupFirstBlock(sb: Superblock, group: number): number {
  return group * sb.blocksPerGroup + sb.firstDataBlock;
}

/** Block number holding descriptor block `n` (ext4 descriptor_loc). */
export function descriptorBlock(sb: Superblock, n: number): number {
  // The table follows the block holding the superblock: block 1 with 1 KiB blocks (even when
  // bigalloc makes s_first_data_block 0), else block 0.
  const sbBlock = Math.floor(SUPERBLOCK_OFFSET / sb.blockSize);
  if (!hasIncompat(sb, INCOMPAT.meta_bg) || n < sb.firstMetaBg) return sbBlock + 1 + n;
  const bg = descsPerBlock(sb) * n;
  let hasSuper = groupHasSuper(sb, bg) ? 1 : 0;
  if (sb.blockSize === 1024 && n === 0 && sb.firstDataBlock === 0) hasSuper++;
  return groupFirstBlock(sb, bg) + hasSuper;
}

/**
 * Decodes descriptor `group` from its descriptor block (`block`, read from `absOffset`) and checks
 * its inode table lies inside the volume.
 */
export function decodeGroupDesc(sb: Superblock, group: number, block: Buffer, absOffset: number): GroupDesc {
  const at = (group % descsPerBlock(sb)) * sb.descSize;
  const c = new Cursor(block, { base: absOffset, format: FORMAT, struct: `group descriptor ${group}` }).sub(
    at,
    sb.descSize,
  );
  const wide = sb.descSize >= 64;
  // lo + hi << 32 through the one checked conversion (64-bit descriptors carry the high halves).
  const u64 = (lo: number, hi: number, field: string) =>
    wide
      ? toSafeNumber(
          (BigInt(c.u32leAt(hi, `${field}_hi`)) << 32n) | BigInt(c.u32leAt(lo, `${field}_lo`)),
          Number.MAX_SAFE_INTEGER,
          c.loc(field, lo),
        )
      : c.u32leAt(lo, `${field}_lo`);
  const inodeTable = u64(0x08, 0x28, 'bg_inode_table');
  const itableBlocks = Math.ceil((sb.inodesPerGroup * sb.inodeSize) / sb.blockSize);
  if (inodeTable <= sb.firstDataBlock || inodeTable + itableBlocks > sb.blocksCount) {
    throw new CorruptError(
      c.loc('bg_inode_table', 0x08),
      inodeTable,
      'outside',
      `[${sb.firstDataBlock + 1}, ${sb.blocksCount - itableBlocks}]`,
    );
  }
  return Object.freeze({
    group,
    blockBitmap: u64(0x00, 0x20, 'bg_block_bitmap'),
    inodeBitmap: u64(0x04, 0x24, 'bg_inode_bitmap'),
    inodeTable,
    flags: c.u16leAt(0x12),
    itableUnused: c.u16leAt(0x1c) + (wide ? c.u16leAt(0x32) * 0x10000 : 0),
  });
}
