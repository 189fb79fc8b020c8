/**
 * ext4 inode (inodes.rst, `struct ext4_inode`): s_inode_size bytes (128, or 256+ with an extra area
 * holding i_extra_isize, the high timestamp bits and in-inode extended attributes).
 *
 *   0x00 u16 i_mode      0x02 u16 i_uid       0x04 u32 i_size_lo   0x10 u32 i_mtime
 *   0x18 u16 i_gid       0x1A u16 i_links     0x1C u32 i_blocks_lo 0x20 u32 i_flags
 *   0x28 u8[60] i_block (extent tree root, block map, inline data or fast symlink)
 *   0x68 u32 i_file_acl_lo  0x6C u32 i_size_high  0x74 u16 i_blocks_high  0x76 u16 i_file_acl_high
 *   0x78 u16 i_uid_high  0x7A u16 i_gid_high  0x80 u16 i_extra_isize  0x88 u32 i_mtime_extra
 */
import { CorruptError } from '../../../engine/errors.js';
import { Cursor, toSafeNumber } from '../../bytes/cursor.js';
import { FORMAT, INCOMPAT, type Superblock } from './superblock.js';

export const INODE_FLAGS = {
  compr: 0x4, // historical e2compr
  index: 0x1000, // htree directory
  encrypt: 0x800,
  huge_file: 0x40000,
  extents: 0x80000,
  verity: 0x100000,
  ea_inode: 0x200000,
  inline_data: 0x10000000,
  casefold: 0x40000000,
} as const;

export interface Inode {
  readonly ino: number;
  /** Absolute byte offset of the inode record, for errors. */
  readonly offset: number;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly nlink: number;
  readonly mtime: number;
  readonly flags: number;
  /** i_blocks in 512-byte units (or file-system blocks with huge_file + EXT4_HUGE_FILE_FL). */
  readonly blocks: number;
  readonly fileAcl: number;
  /** The 60-byte i_block area (a view into the inode). */
  readonly iBlock: Buffer;
  readonly iBlockOffset: number;
  /** In-inode extended attribute area after i_extra_isize (may be empty). */
  readonly ibodyXattr: Buffer;
  readonly ibodyXattrOffset: number;
}

export const I_BLOCK_OFFSET = 0x28;
export const I_BLOCK_BYTES = 60;

/** Decodes one inode record (`bytes` holds exactly s_inode_size bytes read at `absOffset`). */
export function decodeInode(sb: Superblock, ino: number, bytes: Buffer, absOffset: number): Inode {
  const c = new Cursor(bytes, { base: absOffset, format: FORMAT, struct: `inode ${ino}` });
  const mode = c.u16leAt(0x00, 'i_mode');
  const sizeLo = c.u32leAt(0x04, 'i_size_lo');
  // ext4_isize: i_size_high counts for regular files, and for everything with largedir; elsewhere
  // the field was ext2's i_dir_acl and must be ignored.
  const wide = (mode & 0o170000) === 0o100000 || (sb.featureIncompat & INCOMPAT.largedir) !== 0;
  const sizeHi = wide ? c.u32leAt(0x6c, 'i_size_high') : 0;
  const size = toSafeNumber(
    (BigInt(sizeHi) << 32n) | BigInt(sizeLo),
    Number.MAX_SAFE_INTEGER,
    c.loc('i_size', 0x04),
  );
  let mtime = c.u32leAt(0x10, 'i_mtime') | 0; // signed 32-bit seconds
  let extraIsize = 0;
  let xattrAt = sb.inodeSize;
  if (sb.inodeSize > 128) {
    extraIsize = c.u16leAt(0x80, 'i_extra_isize');
    // i_extra_isize must be 4-aligned and leave room inside the inode (ext4_iget_extra_inode).
    if (extraIsize % 4 !== 0 || 128 + extraIsize > sb.inodeSize) {
      throw new CorruptError(
        c.loc('i_extra_isize', 0x80),
        extraIsize,
        'outside',
        `[0, ${sb.inodeSize - 128}]`,
      );
    }
    if (extraIsize >= 0x0c) mtime += (c.u32leAt(0x88, 'i_mtime_extra') & 3) * 2 ** 32;
    xattrAt = 128 + extraIsize;
  }
  return Object.freeze({
    ino,
    offset: absOffset,
    mode,
    uid: c.u16leAt(0x02) + c.u16leAt(0x78) * 0x10000,
    gid: c.u16leAt(0x18) + c.u16leAt(0x7a) * 0x10000,
    size,
    nlink: c.u16leAt(0x1a),
    mtime,
    flags: c.u32leAt(0x20, 'i_flags'),
    blocks: c.u32leAt(0x1c) + c.u16leAt(0x74) * 2 ** 32,
    fileAcl: c.u32leAt(0x68) + c.u16leAt(0x76) * 2 ** 32,
    iBlock: c.bytesAt(I_BLOCK_OFFSET, I_BLOCK_BYTES, 'i_block'),
    iBlockOffset: absOffset + I_BLOCK_OFFSET,
    ibodyXattr: c.bytesAt(xattrAt, sb.inodeSize - xattrAt, 'xattr ibody'),
    ibodyXattrOffset: absOffset + xattrAt,
  });
}
