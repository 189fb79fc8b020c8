/**
 * Linear directory blocks (directory.rst). Each block is a chain of entries
 *
 *   0x0 u32 inode  0x4 u16 rec_len  0x6 u8 name_len  0x7 u8 file_type (u16 name_len without filetype)
 *   0x8 name[name_len]
 *
 * inode 0 marks an unused slot. Hash-tree (htree) directories are read linearly too: the dx_root
 * hides its index behind a '..' entry whose rec_len spans the rest of block 0, and every dx_node
 * block is one empty entry with rec_len = block size. The metadata_csum tail (inode 0, rec_len 12,
 * file_type 0xDE) is an empty entry as well.
 */
import { CorruptError } from '../../../engine/errors.js';
import { Cursor } from '../../bytes/cursor.js';
import type { FileType } from '../types.js';
import { FORMAT } from './superblock.js';

export interface RawDirEntry {
  readonly ino: number;
  readonly name: string;
  readonly type: FileType;
}

const TYPES: Record<number, FileType> = {
  1: 'file',
  2: 'dir',
  3: 'chardev',
  4: 'blockdev',
  5: 'fifo',
  6: 'socket',
  7: 'symlink',
};

/** ext4_rec_len_from_disk: 64 KiB blocks store 65536 as 0 or 65535 and use the low 2 bits as bits 16-17. */
function recLenFromDisk(raw: number, blockSize: number): number {
  if (blockSize < 65536) return raw;
  if (raw === 65535 || raw === 0) return blockSize;
  return (raw & 65532) | ((raw & 3) << 16);
}

/**
 * Decodes every entry in `buf` (one directory block, or one inline-data region), appending live
 * entries (not '.' / '..') to `out`. Stops with LimitExceededError via `onEntry` if the caller's
 * budget runs out.
 */
export function decodeDirBlock(
  buf: Buffer,
  absOffset: number,
  blockSize: number,
  hasFiletype: boolean,
  out: RawDirEntry[],
  onEntry: () => void,
): void {
  const c = new Cursor(buf, { base: absOffset, format: FORMAT, struct: 'directory entry' });
  let pos = 0;
  while (pos < buf.length) {
    // An entry needs its 8-byte header; a shorter tail is corrupt (rec_len must tile the block).
    const ino = c.u32leAt(pos, 'inode');
    const recLen = recLenFromDisk(c.u16leAt(pos + 4, 'rec_len'), blockSize);
    const nameLen = hasFiletype ? c.u8At(pos + 6, 'name_len') : c.u16leAt(pos + 6, 'name_len');
    const ftype = hasFiletype ? c.u8At(pos + 7, 'file_type') : 0;
    if (recLen < 12 || recLen % 4 !== 0 || pos + recLen > buf.length) {
      throw new CorruptError(
        c.loc('rec_len', pos + 4),
        recLen,
        'not a multiple of 4 in',
        `[12, ${buf.length - pos}]`,
      );
    }
    if (nameLen + 8 > recLen) {
      throw new CorruptError(c.loc('name_len', pos + 6), nameLen, '>', `rec_len - 8 (${recLen - 8})`);
    }
    // A live entry with an empty name cannot be looked up (e2fsck: "zero-length name"): whatever it
    // named is lost, so the block is corrupt rather than silently one entry shorter.
    if (ino !== 0 && nameLen === 0) {
      throw new CorruptError(c.loc('name_len', pos + 6), 0, 'for live inode', ino);
    }
    if (ino !== 0 && nameLen > 0) {
      const raw = c.bytesAt(pos + 8, nameLen, 'name');
      if (raw.includes(0x2f) || raw.includes(0)) {
        throw new CorruptError(
          c.loc('name', pos + 8),
          JSON.stringify(raw.toString('latin1')),
          'contains',
          "'/' or NUL",
        );
      }
      const name = raw.toString('utf8');
      if (name !== '.' && name !== '..') {
        onEntry();
        out.push(Object.freeze({ ino, name, type: TYPES[ftype] ?? 'unknown' }));
      }
    }
    pos += recLen;
  }
}
