/**
 * XFS superblock (struct xfs_dsb, fs/xfs/libxfs/xfs_format.h), big-endian, at byte 0 of AG 0.
 *
 *   0x000 magicnum 'XFSB'  0x004 blocksize   0x008 dblocks(u64)  0x010 rblocks  0x018 rextents
 *   0x020 uuid[16]         0x030 logstart    0x038 rootino(u64)  0x040 rbmino   0x048 rsumino
 *   0x050 rextsize         0x054 agblocks    0x058 agcount       0x05c rbmblocks 0x060 logblocks
 *   0x064 versionnum(u16)  0x066 sectsize    0x068 inodesize     0x06a inopblock 0x06c fname[12]
 *   0x078 blocklog 0x079 sectlog 0x07a inodelog 0x07b inopblog 0x07c agblklog 0x07d rextslog
 *   0x07e inprogress 0x07f imax_pct  0x080 icount ifree fdblocks frextents uquotino gquotino
 *   0x0b0 qflags(u16) 0x0b2 flags 0x0b3 shared_vn 0x0b4 inoalignmt unit width
 *   0x0c0 dirblklog 0x0c1 logsectlog 0x0c2 logsectsize 0x0c4 logsunit 0x0c8 features2 0x0cc bad_features2
 *   v5 only: 0x0d0 features_compat 0x0d4 ro_compat 0x0d8 incompat 0x0dc log_incompat
 *            0x0e0 crc (__le32, CRC32C of the sector with this field zeroed) 0x0e4 spino_align
 *            0x0e8 pquotino 0x0f0 lsn 0x0f8 meta_uuid[16]
 */
import { CorruptError, FormatError, UnsupportedError } from '../../../engine/errors.js';
import { crc32c } from '../../bytes/crc32.js';
import { Cursor } from '../../bytes/cursor.js';

export const FORMAT = 'xfs';
export const XFS_SB_MAGIC = 0x58465342; // 'XFSB'
/** Bytes of the superblock fields we decode (up to and including sb_meta_uuid). */
export const SB_DECODE_BYTES = 264;
export const SB_CRC_OFFSET = 0xe0;

// sb_versionnum bits (xfs_format.h XFS_SB_VERSION_*).
const V_NUMBITS = 0x000f;
const V_ATTRBIT = 0x0010;
const V_NLINKBIT = 0x0020;
const V_QUOTABIT = 0x0040;
const V_ALIGNBIT = 0x0080;
const V_DALIGNBIT = 0x0100;
const V_SHAREDBIT = 0x0200;
const V_LOGV2BIT = 0x0400;
const V_SECTORBIT = 0x0800;
const V_EXTFLGBIT = 0x1000;
const V_DIRV2BIT = 0x2000;
const V_BORGBIT = 0x4000; // ascii-ci names: lookups only, the on-disk names are unchanged
const V_MOREBITSBIT = 0x8000;
const V_OKBITS =
  V_NUMBITS |
  V_ATTRBIT |
  V_NLINKBIT |
  V_QUOTABIT |
  V_ALIGNBIT |
  V_DALIGNBIT |
  V_SHAREDBIT |
  V_LOGV2BIT |
  V_SECTORBIT |
  V_EXTFLGBIT |
  V_DIRV2BIT |
  V_BORGBIT |
  V_MOREBITSBIT;

// sb_features2 bits (XFS_SB_VERSION2_*).
export const F2_LAZYSBCOUNT = 0x02;
export const F2_ATTR2 = 0x08;
export const F2_PARENT = 0x10; // reserved, never used by Linux
export const F2_PROJID32 = 0x80;
export const F2_CRC = 0x100;
export const F2_FTYPE = 0x200;
const F2_OKBITS = F2_LAZYSBCOUNT | F2_ATTR2 | F2_PARENT | F2_PROJID32 | F2_CRC | F2_FTYPE;

// v5 feature masks.
export const RO_FINOBT = 0x1;
export const RO_RMAPBT = 0x2;
export const RO_REFLINK = 0x4;
export const RO_INOBTCNT = 0x8;
export const INCOMPAT_FTYPE = 0x1;
export const INCOMPAT_SPINODES = 0x2;
export const INCOMPAT_META_UUID = 0x4;
export const INCOMPAT_BIGTIME = 0x8;
export const INCOMPAT_NEEDSREPAIR = 0x10;
export const INCOMPAT_NREXT64 = 0x20;
export const INCOMPAT_EXCHRANGE = 0x40;
export const INCOMPAT_PARENT = 0x80;
export const INCOMPAT_METADIR = 0x100;

/**
 * Incompat bits this reader understands. Each changes something a writer must know; for a reader:
 * ftype (dirent byte), spinodes (inode chunks may be partial: inodes are still addressed by number),
 * meta_uuid (metadata stamped with sb_meta_uuid), bigtime (64-bit ns timestamps), needsrepair (flag
 * only), nrext64 (di_big_nextents), exchrange (log only), parent (pointers live in xattrs), metadir
 * (metadata inodes move into a directory tree; user files are unchanged).
 */
const INCOMPAT_KNOWN: ReadonlyArray<[number, string]> = [
  [INCOMPAT_FTYPE, 'ftype'],
  [INCOMPAT_SPINODES, 'sparse-inodes'],
  [INCOMPAT_META_UUID, 'meta-uuid'],
  [INCOMPAT_BIGTIME, 'bigtime'],
  [INCOMPAT_NEEDSREPAIR, 'needsrepair'],
  [INCOMPAT_NREXT64, 'nrext64'],
  [INCOMPAT_EXCHRANGE, 'exchange-range'],
  [INCOMPAT_PARENT, 'parent-pointers'],
  [INCOMPAT_METADIR, 'metadir'],
];
const RO_KNOWN: ReadonlyArray<[number, string]> = [
  [RO_FINOBT, 'finobt'],
  [RO_RMAPBT, 'rmapbt'],
  [RO_REFLINK, 'reflink'],
  [RO_INOBTCNT, 'inobtcount'],
];

export interface XfsSuperblock {
  readonly version: 4 | 5;
  readonly blockSize: number;
  readonly blockLog: number;
  readonly dblocks: bigint;
  readonly uuid: string;
  /** UUID stamped into v5 metadata: sb_meta_uuid when META_UUID is set, else sb_uuid. */
  readonly metaUuid: Buffer;
  readonly rootIno: bigint;
  /** Internal log start (fs block, 0 for an external log) and length in blocks. */
  readonly logStart: bigint;
  readonly logBlocks: number;
  readonly agBlocks: number;
  readonly agCount: number;
  readonly agBlkLog: number;
  readonly sectSize: number;
  readonly inodeSize: number;
  readonly inodeLog: number;
  readonly inopBlock: number;
  readonly inopBlog: number;
  readonly dirBlkLog: number;
  readonly label: string;
  readonly versionNum: number;
  readonly features2: number;
  readonly roCompat: number;
  readonly incompat: number;
  readonly hasCrc: boolean;
  readonly hasFtype: boolean;
  readonly hasBigtime: boolean;
  readonly hasNrext64: boolean;
  /** Names of the feature bits set, for reports and tests. */
  readonly features: readonly string[];
}

function isPow2(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

function formatUuid(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** ceil(log2(n)) for n >= 1, as mkfs computes sb_agblklog (libxfs_highbit32(agblocks - 1) + 1). */
function log2Ceil(n: number): number {
  let l = 0;
  while (2 ** l < n) l++;
  return l;
}

/**
 * Decodes and validates the primary superblock. `buf` holds at least 512 bytes; for v5 it must
 * hold one full sector (sb_sectsize) for the CRC, or the CRC check is skipped when `verifyCrc` is false.
 */
export function decodeSuperblock(buf: Buffer, base: number | bigint = 0, verifyCrc = true): XfsSuperblock {
  const c = new Cursor(buf, { base, format: FORMAT, struct: 'superblock' });
  const magic = c.u32beAt(0, 'sb_magicnum');
  if (magic !== XFS_SB_MAGIC) {
    throw new FormatError(
      'bad-magic',
      c.loc('sb_magicnum', 0),
      `sb_magicnum 0x${magic.toString(16)} != 0x${XFS_SB_MAGIC.toString(16)}`,
    );
  }
  const corrupt = (field: string, at: number, actual: unknown, rel: string, expected: unknown) =>
    new CorruptError(c.loc(field, at), actual, rel, expected);

  const versionNum = c.u16beAt(0x64, 'sb_versionnum');
  const vnum = versionNum & V_NUMBITS;
  if (vnum !== 4 && vnum !== 5) {
    throw new UnsupportedError(`xfs-sb-version-${vnum}`, `xfs: superblock version ${vnum} (only 4 and 5)`);
  }
  const version = vnum as 4 | 5;

  const blockSize = c.u32beAt(0x04, 'sb_blocksize');
  const blockLog = c.u8At(0x78, 'sb_blocklog');
  if (!isPow2(blockSize) || blockSize < 512 || blockSize > 65536 || 2 ** blockLog !== blockSize) {
    throw corrupt('sb_blocksize', 0x04, blockSize, 'is not 2^sb_blocklog in', '[512, 65536]');
  }
  const sectSize = c.u16beAt(0x66, 'sb_sectsize');
  const sectLog = c.u8At(0x79, 'sb_sectlog');
  if (!isPow2(sectSize) || sectSize < 512 || sectSize > 32768 || 2 ** sectLog !== sectSize) {
    throw corrupt('sb_sectsize', 0x66, sectSize, 'is not 2^sb_sectlog in', '[512, 32768]');
  }
  if (sectSize > blockSize) throw corrupt('sb_sectsize', 0x66, sectSize, '>', `sb_blocksize ${blockSize}`);
  const inodeSize = c.u16beAt(0x68, 'sb_inodesize');
  const inodeLog = c.u8At(0x7a, 'sb_inodelog');
  const minInode = version === 5 ? 512 : 256;
  if (!isPow2(inodeSize) || inodeSize < minInode || inodeSize > 2048 || 2 ** inodeLog !== inodeSize) {
    throw corrupt('sb_inodesize', 0x68, inodeSize, 'is not 2^sb_inodelog in', `[${minInode}, 2048]`);
  }
  if (inodeSize > blockSize) throw corrupt('sb_inodesize', 0x68, inodeSize, '>', `blocksize ${blockSize}`);
  const inopBlock = c.u16beAt(0x6a, 'sb_inopblock');
  const inopBlog = c.u8At(0x7b, 'sb_inopblog');
  if (inopBlock !== blockSize / inodeSize || 2 ** inopBlog !== inopBlock) {
    throw corrupt('sb_inopblock', 0x6a, inopBlock, '!=', blockSize / inodeSize);
  }
  const agBlocks = c.u32beAt(0x54, 'sb_agblocks');
  const agCount = c.u32beAt(0x58, 'sb_agcount');
  const agBlkLog = c.u8At(0x7c, 'sb_agblklog');
  // XFS_MIN_AG_BLOCKS is 64; agblklog is ceil(log2(agblocks)).
  if (agBlocks < 64) throw corrupt('sb_agblocks', 0x54, agBlocks, '<', 64);
  if (agBlkLog !== log2Ceil(agBlocks)) throw corrupt('sb_agblklog', 0x7c, agBlkLog, '!=', log2Ceil(agBlocks));
  // An AG inode number (agino) is 32 bits: agblklog + inopblog must fit.
  if (agBlkLog + inopBlog > 32) throw corrupt('sb_agblklog', 0x7c, agBlkLog + inopBlog, '>', 32);
  if (agCount < 1) throw corrupt('sb_agcount', 0x58, agCount, '<', 1);
  const dblocks = c.u64beAt(0x08, 'sb_dblocks');
  const agb = BigInt(agBlocks);
  const agc = BigInt(agCount);
  // The last AG may be short: (agcount-1)*agblocks < dblocks <= agcount*agblocks.
  if (dblocks > agb * agc || dblocks <= agb * (agc - 1n)) {
    throw corrupt(
      'sb_dblocks',
      0x08,
      dblocks,
      'is inconsistent with',
      `agcount ${agCount} x agblocks ${agBlocks}`,
    );
  }
  const dirBlkLog = c.u8At(0xc0, 'sb_dirblklog');
  if (blockSize * 2 ** dirBlkLog > 65536) {
    throw corrupt('sb_dirblklog', 0xc0, dirBlkLog, 'gives a directory block >', 65536);
  }
  if (c.u8At(0x7e, 'sb_inprogress') !== 0) {
    throw corrupt('sb_inprogress', 0x7e, c.u8At(0x7e), '!=', 0);
  }

  const features: string[] = [];
  let features2 = 0;
  let roCompat = 0;
  let incompat = 0;
  if (version === 4) {
    if (!(versionNum & V_DIRV2BIT)) {
      throw new UnsupportedError('xfs-dir-v1', 'xfs: version 1 directories (no DIRV2BIT) are not supported');
    }
    const unknownV = versionNum & ~V_OKBITS & 0xffff;
    if (unknownV) {
      throw new UnsupportedError(
        `xfs-versionnum-0x${unknownV.toString(16)}`,
        `xfs: unknown sb_versionnum bits 0x${unknownV.toString(16)}`,
      );
    }
    if (versionNum & V_MOREBITSBIT) {
      // Old kernels wrote features2 into the wrong slot; the kernel ORs both (xfs_sb_has_mismatched_features2).
      features2 = (c.u32beAt(0xc8, 'sb_features2') | c.u32beAt(0xcc, 'sb_bad_features2')) >>> 0;
      const unknown2 = features2 & ~F2_OKBITS;
      if (unknown2) {
        throw new UnsupportedError(
          `xfs-features2-0x${unknown2.toString(16)}`,
          `xfs: unknown sb_features2 bits 0x${unknown2.toString(16)}`,
        );
      }
      if (features2 & F2_CRC) throw corrupt('sb_features2', 0xc8, 'CRC bit', 'on a', 'version 4 superblock');
    }
    if (versionNum & V_BORGBIT) features.push('ascii-ci');
    if (features2 & F2_FTYPE) features.push('ftype');
  } else {
    features2 = c.u32beAt(0xc8, 'sb_features2');
    roCompat = c.u32beAt(0xd4, 'sb_features_ro_compat');
    incompat = c.u32beAt(0xd8, 'sb_features_incompat');
    let unknownIncompat = incompat;
    for (const [bit, name] of INCOMPAT_KNOWN) {
      if (incompat & bit) features.push(name);
      unknownIncompat &= ~bit;
    }
    if (unknownIncompat) {
      throw new UnsupportedError(
        `xfs-incompat-0x${(unknownIncompat >>> 0).toString(16)}`,
        `xfs: unknown incompatible feature bits 0x${(unknownIncompat >>> 0).toString(16)} in sb_features_incompat`,
      );
    }
    // Unknown ro_compat bits are, by definition, safe to read: note them and go on.
    for (const [bit, name] of RO_KNOWN) if (roCompat & bit) features.push(name);
    const unknownRo = roCompat & ~0xf;
    if (unknownRo) features.push(`ro-compat-0x${(unknownRo >>> 0).toString(16)}`);
    if (verifyCrc) {
      if (buf.length < sectSize) {
        throw corrupt('sb_crc', SB_CRC_OFFSET, `buffer of ${buf.length} bytes`, '<', `sector ${sectSize}`);
      }
      const stored = c.u32leAt(SB_CRC_OFFSET, 'sb_crc');
      const computed = crcWithHole(buf.subarray(0, sectSize), SB_CRC_OFFSET);
      if (stored !== computed) {
        throw new FormatError(
          'checksum-mismatch',
          c.loc('sb_crc', SB_CRC_OFFSET),
          `sb_crc 0x${stored.toString(16)} != computed 0x${computed.toString(16)}`,
        );
      }
    }
  }
  if (versionNum & V_QUOTABIT) features.push('quota');

  const uuidBytes = Buffer.from(c.bytesAt(0x20, 16, 'sb_uuid'));
  const metaUuid =
    version === 5 && incompat & INCOMPAT_META_UUID
      ? Buffer.from(c.bytesAt(0xf8, 16, 'sb_meta_uuid'))
      : uuidBytes;
  const hasFtype = version === 5 ? (incompat & INCOMPAT_FTYPE) !== 0 : (features2 & F2_FTYPE) !== 0;

  const sb: XfsSuperblock = {
    version,
    blockSize,
    blockLog,
    dblocks,
    uuid: formatUuid(uuidBytes),
    metaUuid,
    rootIno: c.u64beAt(0x38, 'sb_rootino'),
    logStart: c.u64beAt(0x30, 'sb_logstart'),
    logBlocks: c.u32beAt(0x60, 'sb_logblocks'),
    agBlocks,
    agCount,
    agBlkLog,
    sectSize,
    inodeSize,
    inodeLog,
    inopBlock,
    inopBlog,
    dirBlkLog,
    label: c.cstringAt(0x6c, 12, 'sb_fname'),
    versionNum,
    features2,
    roCompat,
    incompat,
    hasCrc: version === 5,
    hasFtype,
    hasBigtime: version === 5 && (incompat & INCOMPAT_BIGTIME) !== 0,
    hasNrext64: version === 5 && (incompat & INCOMPAT_NREXT64) !== 0,
    features: Object.freeze(features),
  };
  return Object.freeze(sb);
}

/**
 * XFS metadata CRC: CRC32C (seed ~0, final inversion) over the buffer with the 4-byte checksum field
 * treated as zero, stored little-endian (xfs_cksum.h xfs_start_cksum_safe / xfs_end_cksum).
 */
export function crcWithHole(buf: Buffer, crcOffset: number): number {
  const zero = Buffer.alloc(4);
  let crc = crc32c(buf.subarray(0, crcOffset));
  crc = crc32c(zero, crc);
  crc = crc32c(buf.subarray(crcOffset + 4), crc);
  return crc;
}
