/**
 * ext2 / ext3 / ext4 reader.
 *
 * Spec: Linux kernel Documentation/filesystems/ext4 (the "ext4 Data Structures and Algorithms"
 * chapters, as of Linux 6.x), with behaviour cross-checked against e2fsprogs 1.47 (mke2fs, debugfs).
 *
 * On-disk layout (block size B = 1024 << s_log_block_size; 1 KiB volumes start at block 1):
 *
 *   byte 0        1024            2048 (B=1K) / B
 *   +------------+---------------+------------------------+------------------------------------+
 *   | boot (1K)  | superblock    | group descriptor table | reserved GDT blocks (resize_inode) |
 *   |            | magic @ +0x38 | 32 B or s_desc_size    |                                    |
 *   +------------+---------------+------------------------+------------------------------------+
 *   then per block group g (s_blocks_per_group blocks; with flex_bg the bitmaps and inode tables
 *   of several groups are packed together in the first group of the flex group):
 *   +-----------------------------+-------------+-------------+--------------------+-----------+
 *   | sb + GDT backup (sparse_    | block bitmap| inode bitmap| inode table        | data ...  |
 *   | super: groups 0,1,3^n,5^n,  |             |             | s_inodes_per_group |           |
 *   | 7^n; meta_bg: one GDT block | (bg_block_  | (bg_inode_  | × s_inode_size     |           |
 *   | per meta group)             |  bitmap)    |  bitmap)    | (bg_inode_table)   |           |
 *   +-----------------------------+-------------+-------------+--------------------+-----------+
 *
 *   inode n → group (n-1) / s_inodes_per_group, slot (n-1) % s_inodes_per_group in that table.
 *   i_block (60 bytes) → extent tree root (0xF30A) | 15 block pointers (12 direct, 1/2/3-indirect)
 *                        | inline data (+ system.data xattr) | fast symlink target.
 *   directories → linear entry blocks; htree directories are read linearly (their index blocks
 *                 look like empty entries).
 *
 * Unsupported: encrypted inodes (fscrypt) and e2compr inodes are refused one by one
 * (UnsupportedError); dirdata, journal_dev and compression volumes are refused at open. Volumes
 * flagged `recover` have their jbd2 journal replayed read-only, as an overlay (journal.ts).
 * Checksums (metadata_csum) are not verified: a hostile writer can forge them anyway, and every
 * structure is bounds-checked instead.
 */
import type { BlockSource } from '../../block/types.js';
import type { FsFormat } from '../types.js';
import { type Ext4OpenOptions, Ext4Store } from './store.js';
import { EXT4_MAGIC, SUPERBLOCK_OFFSET } from './superblock.js';

export const id = 'ext4';
export const displayName = 'ext2/ext3/ext4 (Linux extended file system)';
export const specUrls = [
  'https://www.kernel.org/doc/html/latest/filesystems/ext4/index.html',
  'https://git.kernel.org/pub/scm/fs/ext2/e2fsprogs.git/tree/lib/ext2fs/ext2_fs.h',
] as const;
export const version = 1;

/** True when the ext magic is at 1024 + 0x38. Never throws for short or foreign volumes. */
export async function probeExt4(source: BlockSource): Promise<boolean> {
  const at = BigInt(SUPERBLOCK_OFFSET + 0x38);
  if (source.size < BigInt(SUPERBLOCK_OFFSET * 2)) return false;
  const b = await source.read(at, 2);
  return b.readUInt16LE(0) === EXT4_MAGIC;
}

export const ext4: FsFormat = {
  id,
  displayName,
  specUrls,
  version,
  probe: probeExt4,
  open: (source: BlockSource, opts?: Ext4OpenOptions) => Ext4Store.open(source, opts),
};

export { type Ext4OpenOptions, Ext4Store } from './store.js';
export { decodeSuperblock, type Superblock, variantOf } from './superblock.js';
