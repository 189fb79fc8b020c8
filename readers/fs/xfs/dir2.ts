/**
 * XFS version 2/3 directories (xfs_da_format.h). A directory's entries live in one of:
 *
 *  - shortform, inside the inode's data fork (xfs_dir2_sf_hdr + entries):
 *      count u8 | i8count u8 | parent (4 or 8 bytes) |
 *      { namelen u8 | offset u16 | name[namelen] | ftype u8 (FTYPE only) | ino (4 or 8 bytes) }*
 *    inode numbers are 8 bytes when i8count != 0, else 4.
 *  - data blocks of (blocksize << dirblklog) bytes at file offsets below XFS_DIR2_LEAF_OFFSET (32 GiB);
 *    leaf/node (hash index) blocks sit at 32 GiB and the free index at 64 GiB — a reader that lists
 *    entries needs only the data blocks:
 *      header  v4 'XD2B' (single block) / 'XD2D' (data): magic u32 | bestfree[3] (4 bytes each)  16 bytes
 *              v5 'XDB3' / 'XDD3': magic | crc __le32 | blkno u64 | lsn u64 | uuid[16] | owner u64 |
 *                 bestfree[3] | pad u32                                                      64 bytes
 *      entries, 8-byte aligned, up to the block end ('XD2B'/'XDB3': up to the leaf array and tail):
 *        used:   inumber u64 | namelen u8 | name | ftype u8 (FTYPE) | pad | tag u16 (entry offset)
 *        unused: freetag u16 = 0xffff | length u16 | … | tag u16
 *      single-block tail: … leaf[count] (hashval u32, address u32) | count u32 | stale u32
 */
import { CorruptError, FormatError, LimitExceededError } from '../../../engine/errors.js';
import { Cursor } from '../../bytes/cursor.js';
import type { FileType } from '../types.js';
import { crcWithHole, FORMAT, type XfsSuperblock } from './superblock.js';

export const XFS_DIR2_BLOCK_MAGIC = 0x58443242; // 'XD2B'
export const XFS_DIR2_DATA_MAGIC = 0x58443244; // 'XD2D'
export const XFS_DIR3_BLOCK_MAGIC = 0x58444233; // 'XDB3'
export const XFS_DIR3_DATA_MAGIC = 0x58444433; // 'XDD3'
export const XFS_DIR2_LEAF1_MAGIC = 0xd2f1;
export const XFS_DIR3_LEAF1_MAGIC = 0x3df1;
export const XFS_DIR2_LEAFN_MAGIC = 0xd2ff;
export const XFS_DIR3_LEAFN_MAGIC = 0x3dff;
export const XFS_DA_NODE_MAGIC = 0xfebe;
export const XFS_DA3_NODE_MAGIC = 0x3ebe;
/** Directory data blocks live below this byte offset in the directory's data fork. */
export const XFS_DIR2_LEAF_OFFSET = 32 * 1024 * 1024 * 1024;
export const XFS_DIR2_FREE_OFFSET = 2 * XFS_DIR2_LEAF_OFFSET;
const DATA_FREE_TAG = 0xffff;
const DIR3_CRC_OFFSET = 4;

export interface XfsDirEntry {
  readonly name: string;
  readonly ino: bigint;
  readonly type: FileType;
}

/** XFS_DIR3_FT_* → FileType. */
export function ftypeToType(ft: number): FileType {
  switch (ft) {
    case 1:
      return 'file';
    case 2:
      return 'dir';
    case 3:
      return 'chardev';
    case 4:
      return 'blockdev';
    case 5:
      return 'fifo';
    case 6:
      return 'socket';
    case 7:
      return 'symlink';
    default:
      return 'unknown';
  }
}

function checkName(c: Cursor, at: number, raw: Buffer): string {
  // Names are byte strings with no '/' and no NUL (xfs_dir2_namecheck).
  if (raw.includes(0x2f) || raw.includes(0)) {
    throw new CorruptError(
      c.loc('name', at),
      JSON.stringify(raw.toString('latin1')),
      'contains',
      "'/' or NUL",
    );
  }
  return raw.toString('utf8');
}

export interface ShortformDir {
  readonly parent: bigint;
  readonly entries: readonly XfsDirEntry[];
}

/** Decodes a shortform directory from the inode's data fork (`size` is di_size, the bytes in use). */
export function decodeShortformDir(fork: Cursor, size: number, hasFtype: boolean): ShortformDir {
  if (size > fork.length)
    throw new CorruptError(fork.loc('di_size', 0), size, '>', `data fork ${fork.length}`);
  const c = fork.sub(0, size, 'shortform directory');
  const count = c.u8At(0, 'sf count');
  const i8count = c.u8At(1, 'sf i8count');
  const inoSize = i8count ? 8 : 4;
  const readIno = (at: number, field: string): bigint =>
    inoSize === 8 ? c.u64beAt(at, field) : BigInt(c.u32beAt(at, field));
  const parent = readIno(2, 'sf parent');
  let pos = 2 + inoSize;
  const entries: XfsDirEntry[] = [];
  for (let i = 0; i < count; i++) {
    const namelen = c.u8At(pos, 'sf namelen');
    if (namelen === 0) throw new CorruptError(c.loc('sf namelen', pos), 0, '==', 'an empty name');
    // offset u16 (a cookie for readdir, unused here)
    const name = checkName(c, pos + 3, c.bytesAt(pos + 3, namelen, 'sf name'));
    let p = pos + 3 + namelen;
    let type: FileType = 'unknown';
    if (hasFtype) {
      type = ftypeToType(c.u8At(p, 'sf ftype'));
      p += 1;
    }
    const ino = readIno(p, 'sf inumber');
    pos = p + inoSize;
    entries.push(Object.freeze({ name, ino, type }));
  }
  return Object.freeze({ parent, entries });
}

/** Byte size of a used data entry (xfs_dir2_data_entsize). */
export function dataEntrySize(namelen: number, hasFtype: boolean): number {
  return (8 + 1 + namelen + (hasFtype ? 1 : 0) + 2 + 7) & ~7;
}

export interface DataBlock {
  readonly magic: number;
  readonly entries: readonly XfsDirEntry[];
}

/**
 * Decodes one directory data block ('XD2B'/'XD2D' or 'XDB3'/'XDD3') of dirBlkSize bytes read at
 * absolute byte `base`, returning its used entries except '.' and '..'. On v5 checks the CRC,
 * the owner inode and the uuid. Every entry must end inside the block's data area.
 */
export function decodeDataBlock(
  buf: Buffer,
  sb: XfsSuperblock,
  base: bigint,
  owner: number,
  verifyCrc = true,
): DataBlock {
  const dirBlkSize = sb.blockSize * 2 ** sb.dirBlkLog;
  const c = new Cursor(buf, { base, format: FORMAT, struct: `directory block (inode ${owner})` });
  c.need(0, dirBlkSize, 'directory block');
  const magic = c.u32beAt(0, 'magic');
  const blockMagic = sb.hasCrc ? XFS_DIR3_BLOCK_MAGIC : XFS_DIR2_BLOCK_MAGIC;
  const dataMagic = sb.hasCrc ? XFS_DIR3_DATA_MAGIC : XFS_DIR2_DATA_MAGIC;
  if (magic !== blockMagic && magic !== dataMagic) {
    throw new FormatError(
      'bad-magic',
      c.loc('magic', 0),
      `magic 0x${magic.toString(16)} != 0x${blockMagic.toString(16)} or 0x${dataMagic.toString(16)}`,
    );
  }
  let hdr = 16;
  if (sb.hasCrc) {
    hdr = 64;
    if (verifyCrc) {
      const stored = c.u32leAt(DIR3_CRC_OFFSET, 'crc');
      const computed = crcWithHole(buf.subarray(0, dirBlkSize), DIR3_CRC_OFFSET);
      if (stored !== computed) {
        throw new FormatError(
          'checksum-mismatch',
          c.loc('crc', DIR3_CRC_OFFSET),
          `crc 0x${stored.toString(16)} != computed 0x${computed.toString(16)}`,
        );
      }
    }
    const own = c.u64beAt(40, 'owner');
    if (own !== BigInt(owner)) throw new CorruptError(c.loc('owner', 40), own, '!=', owner);
    if (!c.bytesAt(24, 16, 'uuid').equals(sb.metaUuid)) {
      throw new CorruptError(c.loc('uuid', 24), 'uuid', '!=', 'superblock meta uuid');
    }
  }
  let end = dirBlkSize;
  if (magic === blockMagic) {
    const count = c.u32beAt(dirBlkSize - 8, 'block tail count');
    // The leaf array (8 bytes an entry) and the 8-byte tail end the block; entries stop before them.
    if (count > Math.floor((dirBlkSize - hdr - 8) / 8)) {
      throw new CorruptError(c.loc('block tail count', dirBlkSize - 8), count, '>', 'what fits in the block');
    }
    end = dirBlkSize - 8 - count * 8;
  }
  const hasFtype = sb.hasFtype;
  const entries: XfsDirEntry[] = [];
  let pos = hdr;
  while (pos < end) {
    if (end - pos < 8)
      throw new CorruptError(c.loc('entry', pos), end - pos, '<', 'minimum entry of 8 bytes');
    if (c.u16beAt(pos, 'freetag') === DATA_FREE_TAG) {
      const len = c.u16beAt(pos + 2, 'unused length');
      if (len < 8 || len % 8 !== 0 || pos + len > end) {
        throw new CorruptError(c.loc('unused length', pos + 2), len, 'overflows block data ending at', end);
      }
      pos += len;
      continue;
    }
    const ino = c.u64beAt(pos, 'inumber');
    const namelen = c.u8At(pos + 8, 'namelen');
    if (namelen === 0) throw new CorruptError(c.loc('namelen', pos + 8), 0, '==', 'an empty name');
    const size = dataEntrySize(namelen, hasFtype);
    if (pos + size > end) {
      throw new CorruptError(
        c.loc('entry', pos),
        `entry of ${size} bytes at ${pos}`,
        'overflows block data ending at',
        end,
      );
    }
    const tag = c.u16beAt(pos + size - 2, 'tag');
    if (tag !== pos) throw new CorruptError(c.loc('tag', pos + size - 2), tag, '!=', pos);
    const raw = c.bytesAt(pos + 9, namelen, 'name');
    const type = hasFtype ? ftypeToType(c.u8At(pos + 9 + namelen, 'ftype')) : 'unknown';
    const isDot = (namelen === 1 && raw[0] === 0x2e) || (namelen === 2 && raw[0] === 0x2e && raw[1] === 0x2e);
    if (!isDot) entries.push(Object.freeze({ name: checkName(c, pos + 9, raw), ino, type }));
    pos += size;
  }
  return Object.freeze({ magic, entries });
}

/** Guard shared by the directory readers: too many entries in one directory. */
export function checkEntryCount(n: number, max: number, base: bigint, owner: number): void {
  if (n > max) {
    throw new LimitExceededError(
      { format: FORMAT, struct: `directory (inode ${owner})`, offset: base },
      'MAX_DIR_ENTRIES',
      n,
      max,
    );
  }
}
