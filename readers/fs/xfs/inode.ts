/**
 * XFS inode core (struct xfs_dinode, xfs_format.h), big-endian. v1/v2 cores are 100 bytes, v3 (CRC
 * filesystems) 176; the data fork follows the core, the attribute fork starts at di_forkoff * 8.
 *
 *   0x00 magic 'IN'  0x02 mode  0x04 version  0x05 format  0x06 onlink(v1 nlink)  0x08 uid  0x0c gid
 *   0x10 nlink(v2+)  0x14 projid_lo/hi  0x18 big_nextents(u64, NREXT64) | pad+flushiter
 *   0x20 atime  0x28 mtime  0x30 ctime   (legacy: s32 sec + u32 nsec; BIGTIME: u64 ns since 1901-12-13)
 *   0x38 size(u64)  0x40 nblocks(u64)  0x48 extsize  0x4c nextents(u32) | big_anextents
 *   0x50 anextents(u16)  0x52 forkoff  0x53 aformat  0x54 dmevmask  0x58 dmstate  0x5a flags  0x5c gen
 *   0x60 next_unlinked
 *   v3: 0x64 crc(__le32)  0x68 changecount  0x70 lsn  0x78 flags2(u64)  0x80 cowextsize  0x84 pad[12]
 *       0x90 crtime  0x98 ino(u64)  0xa0 uuid[16]  0xb0 data fork
 */
import { CorruptError, FormatError } from '../../../engine/errors.js';
import { Cursor, toSafeNumber } from '../../bytes/cursor.js';
import { type FileType, typeFromMode } from '../types.js';
import { crcWithHole, FORMAT, type XfsSuperblock } from './superblock.js';

export const XFS_DINODE_MAGIC = 0x494e; // 'IN'
export const DINODE_CRC_OFFSET = 0x64;

export const FMT_DEV = 0;
export const FMT_LOCAL = 1;
export const FMT_EXTENTS = 2;
export const FMT_BTREE = 3;

export const DIFLAG_REALTIME = 0x1;
export const DIFLAG2_REFLINK = 0x2;
export const DIFLAG2_BIGTIME = 0x8;
export const DIFLAG2_NREXT64 = 0x10;

/** Seconds between 1901-12-13T20:45:52Z (bigtime epoch, -2^31) and the Unix epoch. */
const BIGTIME_EPOCH_OFFSET = 2n ** 31n;

export interface XfsInode {
  readonly ino: number;
  readonly version: number;
  readonly mode: number;
  readonly type: FileType;
  readonly format: number;
  readonly uid: number;
  readonly gid: number;
  readonly nlink: number;
  readonly mtime: number;
  readonly size: number;
  readonly nblocks: bigint;
  /** Data fork extent count (di_big_nextents with NREXT64, else di_nextents). */
  readonly nextents: bigint;
  readonly flags: number;
  readonly flags2: bigint;
  /** The data fork's bytes (a view into the inode buffer). */
  readonly dataFork: Buffer;
  /** Absolute byte offset of the data fork on the source, for errors. */
  readonly dataForkOffset: bigint;
}

function decodeTime(c: Cursor, at: number, bigtime: boolean): number {
  if (bigtime) {
    const ns = c.u64beAt(at, 'timestamp');
    return Number(ns / 1_000_000_000n - BIGTIME_EPOCH_OFFSET);
  }
  return c.i32beAt(at, 'timestamp');
}

/**
 * Decodes one on-disk inode of sb.inodeSize bytes read at absolute offset `base`. Checks the magic,
 * the version against the superblock, the v3 CRC, di_ino and di_uuid, and the fork geometry.
 */
export function decodeInode(
  buf: Buffer,
  ino: number,
  sb: XfsSuperblock,
  base: bigint,
  verifyCrc = true,
): XfsInode {
  const c = new Cursor(buf, { base, format: FORMAT, struct: `inode ${ino}` });
  c.need(0, sb.inodeSize, 'inode');
  const magic = c.u16beAt(0, 'di_magic');
  if (magic !== XFS_DINODE_MAGIC) {
    throw new FormatError('bad-magic', c.loc('di_magic', 0), `di_magic 0x${magic.toString(16)} != 0x494e`);
  }
  const version = c.u8At(4, 'di_version');
  if (sb.hasCrc ? version !== 3 : version !== 1 && version !== 2) {
    throw new CorruptError(c.loc('di_version', 4), version, 'not allowed on a v', `${sb.version} superblock`);
  }
  let flags2 = 0n;
  if (version === 3) {
    if (verifyCrc) {
      const stored = c.u32leAt(DINODE_CRC_OFFSET, 'di_crc');
      const computed = crcWithHole(buf.subarray(0, sb.inodeSize), DINODE_CRC_OFFSET);
      if (stored !== computed) {
        throw new FormatError(
          'checksum-mismatch',
          c.loc('di_crc', DINODE_CRC_OFFSET),
          `di_crc 0x${stored.toString(16)} != computed 0x${computed.toString(16)}`,
        );
      }
    }
    const diIno = c.u64beAt(0x98, 'di_ino');
    if (diIno !== BigInt(ino)) throw new CorruptError(c.loc('di_ino', 0x98), diIno, '!=', ino);
    if (!c.bytesAt(0xa0, 16, 'di_uuid').equals(sb.metaUuid)) {
      throw new CorruptError(c.loc('di_uuid', 0xa0), 'uuid', '!=', 'superblock meta uuid');
    }
    flags2 = c.u64beAt(0x78, 'di_flags2');
  }
  const mode = c.u16beAt(2, 'di_mode');
  const type = typeFromMode(mode);
  const format = c.u8At(5, 'di_format');
  const coreSize = version === 3 ? 176 : 100;
  const forkoff = c.u8At(0x52, 'di_forkoff');
  const litSize = sb.inodeSize - coreSize;
  const dataForkSize = forkoff === 0 ? litSize : forkoff * 8;
  if (dataForkSize > litSize) {
    throw new CorruptError(c.loc('di_forkoff', 0x52), forkoff * 8, '>', `literal area ${litSize}`);
  }
  // di_size is an xfs_fsize_t (signed 64-bit); anything past 2^53 cannot be a real file here.
  const size = toSafeNumber(c.u64beAt(0x38, 'di_size'), Number.MAX_SAFE_INTEGER, c.loc('di_size', 0x38));
  const nrext64 = (flags2 & BigInt(DIFLAG2_NREXT64)) !== 0n;
  if (nrext64 && !sb.hasNrext64) {
    throw new CorruptError(c.loc('di_flags2', 0x78), 'NREXT64', 'set without', 'the nrext64 feature');
  }
  const nextents = nrext64 ? c.u64beAt(0x18, 'di_big_nextents') : BigInt(c.u32beAt(0x4c, 'di_nextents'));
  const bigtime = (flags2 & BigInt(DIFLAG2_BIGTIME)) !== 0n;

  // Which fork formats each file type may use (xfs_dinode_verify / xfs_iformat_data_fork).
  const okFormat =
    type === 'file'
      ? format === FMT_EXTENTS || format === FMT_BTREE || format === FMT_LOCAL
      : type === 'dir'
        ? format === FMT_LOCAL || format === FMT_EXTENTS || format === FMT_BTREE
        : type === 'symlink'
          ? format === FMT_LOCAL || format === FMT_EXTENTS || format === FMT_BTREE
          : type === 'unknown'
            ? true
            : format === FMT_DEV;
  if (!okFormat) throw new CorruptError(c.loc('di_format', 5), format, 'is not valid for a', type);
  if (format === FMT_EXTENTS && nextents * 16n > BigInt(dataForkSize)) {
    throw new CorruptError(
      c.loc(nrext64 ? 'di_big_nextents' : 'di_nextents', nrext64 ? 0x18 : 0x4c),
      nextents,
      'extents exceed the data fork of',
      `${dataForkSize} bytes`,
    );
  }
  const inode: XfsInode = {
    ino,
    version,
    mode,
    type,
    format,
    uid: c.u32beAt(0x08, 'di_uid'),
    gid: c.u32beAt(0x0c, 'di_gid'),
    nlink: version === 1 ? c.u16beAt(0x06, 'di_onlink') : c.u32beAt(0x10, 'di_nlink'),
    mtime: decodeTime(c, 0x28, bigtime),
    size,
    nblocks: c.u64beAt(0x40, 'di_nblocks'),
    nextents,
    flags: c.u16beAt(0x5a, 'di_flags'),
    flags2,
    dataFork: c.bytesAt(coreSize, dataForkSize, 'data fork'),
    dataForkOffset: base + BigInt(coreSize),
  };
  return Object.freeze(inode);
}
