/**
 * ext4 superblock (kernel Documentation/filesystems/ext4/super.rst, `struct ext4_super_block`):
 * 1024 bytes at byte 1024 of the volume, whatever the block size. Only the fields a reader needs
 * are decoded; each carries its byte range.
 */
import { BadMagicError, CorruptError, UnsupportedError } from '../../../engine/errors.js';
import { Cursor, toSafeNumber } from '../../bytes/cursor.js';

export const FORMAT = 'ext4';
export const SUPERBLOCK_OFFSET = 1024;
export const SUPERBLOCK_BYTES = 1024;
export const EXT4_MAGIC = 0xef53;

/** s_feature_compat: informational for a reader. */
export const COMPAT = {
  dir_prealloc: 0x1,
  imagic_inodes: 0x2,
  has_journal: 0x4,
  ext_attr: 0x8,
  resize_inode: 0x10,
  dir_index: 0x20,
  lazy_bg: 0x40,
  exclude_inode: 0x80,
  exclude_bitmap: 0x100,
  sparse_super2: 0x200,
  fast_commit: 0x400,
  stable_inodes: 0x800,
  orphan_file: 0x1000,
} as const;

/** s_feature_incompat: a reader must understand every bit set here. */
export const INCOMPAT = {
  compression: 0x1,
  filetype: 0x2,
  recover: 0x4,
  journal_dev: 0x8,
  meta_bg: 0x10,
  extents: 0x40,
  '64bit': 0x80,
  mmp: 0x100,
  flex_bg: 0x200,
  ea_inode: 0x400,
  dirdata: 0x1000,
  csum_seed: 0x2000,
  largedir: 0x4000,
  inline_data: 0x8000,
  encrypt: 0x10000,
  casefold: 0x20000,
} as const;

/** s_feature_ro_compat: only matter for writers, except where noted. */
export const RO_COMPAT = {
  sparse_super: 0x1,
  large_file: 0x2,
  btree_dir: 0x4,
  huge_file: 0x8,
  gdt_csum: 0x10,
  dir_nlink: 0x20,
  extra_isize: 0x40,
  has_snapshot: 0x80,
  quota: 0x100,
  bigalloc: 0x200,
  metadata_csum: 0x400,
  replica: 0x800,
  readonly: 0x1000,
  project: 0x2000,
  shared_blocks: 0x4000,
  verity: 0x8000,
  orphan_present: 0x10000,
} as const;

/**
 * Incompat features this reader handles. `recover` (journal not checkpointed) is read through the
 * store's read-only journal replay (journal.ts). `encrypt`
 * only marks that some directories may be encrypted; those inodes are refused one by one.
 * `casefold` directories store names as written; lookups here stay byte-exact.
 */
const INCOMPAT_SUPPORTED =
  INCOMPAT.filetype |
  INCOMPAT.recover |
  INCOMPAT.meta_bg |
  INCOMPAT.extents |
  INCOMPAT['64bit'] |
  INCOMPAT.mmp |
  INCOMPAT.flex_bg |
  INCOMPAT.ea_inode |
  INCOMPAT.csum_seed |
  INCOMPAT.largedir |
  INCOMPAT.inline_data |
  INCOMPAT.encrypt |
  INCOMPAT.casefold;

export interface Superblock {
  readonly inodesCount: number; // 0x00 u32 s_inodes_count
  readonly blocksCount: number; // 0x04 u32 lo + 0x150 u32 hi (hi only with 64bit)
  readonly blocksCountLo: number;
  readonly firstDataBlock: number; // 0x14 u32
  readonly logBlockSize: number; // 0x18 u32: block size = 1024 << n
  readonly blockSize: number;
  readonly logClusterSize: number; // 0x1C u32 (equals logBlockSize unless bigalloc)
  readonly blocksPerGroup: number; // 0x20 u32
  readonly inodesPerGroup: number; // 0x28 u32
  readonly mtime: number; // 0x2C
  readonly wtime: number; // 0x30
  readonly magic: number; // 0x38 u16
  readonly state: number; // 0x3A u16
  readonly minorRevLevel: number; // 0x3E u16
  readonly revLevel: number; // 0x4C u32
  readonly firstIno: number; // 0x54 u32 (rev >= 1, else 11)
  readonly inodeSize: number; // 0x58 u16 (rev >= 1, else 128)
  readonly featureCompat: number; // 0x5C
  readonly featureIncompat: number; // 0x60
  readonly featureRoCompat: number; // 0x64
  readonly uuid: string; // 0x68 u8[16]
  readonly volumeName: string; // 0x78 char[16]
  readonly lastMounted: string; // 0x88 char[64]
  readonly reservedGdtBlocks: number; // 0xCE u16
  readonly journalInum: number; // 0xE0 u32
  readonly hashSeed: readonly number[]; // 0xEC u32[4]
  readonly defHashVersion: number; // 0xFC u8
  readonly descSize: number; // 0xFE u16 (64bit only; 32 otherwise)
  readonly firstMetaBg: number; // 0x104 u32
  readonly mkfsTime: number; // 0x108 u32
  readonly logGroupsPerFlex: number; // 0x174 u8
  readonly backupBgs: readonly [number, number]; // 0x24C u32[2] (sparse_super2)
  readonly encoding: number; // 0x27C u16 (casefold)
  readonly groupCount: number; // derived
  /** Journal needs recovery (the store replays it as an overlay unless told not to). */
  readonly needsRecovery: boolean;
  /** Names of the features set, for reports. */
  readonly features: readonly string[];
}

function names(table: Record<string, number>, bits: number): string[] {
  const out: string[] = [];
  let known = 0;
  for (const [name, bit] of Object.entries(table)) {
    known |= bit;
    if (bits & bit) out.push(name);
  }
  const unknown = (bits & ~known) >>> 0;
  for (let b = 0; b < 32; b++) if (unknown & (2 ** b)) out.push(`0x${(2 ** b).toString(16)}`);
  return out;
}

function uuidString(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * Decodes and validates the superblock. `bytes` are the 1024 bytes at `absOffset` (normally 1024).
 * Throws BadMagicError, CorruptError for contradictory geometry, UnsupportedError for incompat
 * features this reader does not implement.
 */
export function decodeSuperblock(bytes: Buffer, absOffset: number | bigint = SUPERBLOCK_OFFSET): Superblock {
  const c = new Cursor(bytes, { base: absOffset, format: FORMAT, struct: 'superblock' });
  const magic = c.u16leAt(0x38, 's_magic');
  if (magic !== EXT4_MAGIC) {
    throw new BadMagicError(c.loc('s_magic', 0x38), `0x${magic.toString(16)}`, '0xef53');
  }
  const revLevel = c.u32leAt(0x4c, 's_rev_level');
  const dynamic = revLevel >= 1;
  const featureCompat = dynamic ? c.u32leAt(0x5c) : 0;
  const featureIncompat = dynamic ? c.u32leAt(0x60) : 0;
  const featureRoCompat = dynamic ? c.u32leAt(0x64) : 0;

  const bad = (featureIncompat & ~INCOMPAT_SUPPORTED) >>> 0;
  if (bad !== 0) {
    const which = names(INCOMPAT, bad);
    throw new UnsupportedError(
      `ext4:${which[0]}`,
      `ext4: superblock at 0x${absOffset.toString(16)}: unsupported incompat feature(s) ${which.join(', ')}`,
    );
  }

  const logBlockSize = c.u32leAt(0x18, 's_log_block_size');
  // The kernel's EXT4_MAX_BLOCK_LOG_SIZE is 16 (64 KiB blocks): 1024 << 6.
  if (logBlockSize > 6) throw new CorruptError(c.loc('s_log_block_size', 0x18), logBlockSize, '>', 6);
  const blockSize = 1024 << logBlockSize;
  const logClusterSize = c.u32leAt(0x1c, 's_log_cluster_size');

  const is64 = (featureIncompat & INCOMPAT['64bit']) !== 0;
  const blocksCountLo = c.u32leAt(0x04, 's_blocks_count_lo');
  const blocksCountHi = is64 ? c.u32leAt(0x150, 's_blocks_count_hi') : 0;
  // Byte addresses must stay exact in a double: blocks × block size <= 2^53.
  const blocksCount = toSafeNumber(
    (BigInt(blocksCountHi) << 32n) | BigInt(blocksCountLo),
    Math.floor(Number.MAX_SAFE_INTEGER / blockSize),
    c.loc('s_blocks_count', 0x04),
  );
  const firstDataBlock = c.u32leAt(0x14, 's_first_data_block');
  // 1 KiB blocks: block 0 is the boot block and the superblock is block 1 (0 with bigalloc);
  // larger blocks: the superblock lives inside block 0.
  const maxFirst = blockSize === 1024 ? 1 : 0;
  if (firstDataBlock > maxFirst) {
    throw new CorruptError(c.loc('s_first_data_block', 0x14), firstDataBlock, '>', maxFirst);
  }
  if (blocksCount <= firstDataBlock) {
    throw new CorruptError(c.loc('s_blocks_count', 0x04), blocksCount, '<=', firstDataBlock);
  }

  const blocksPerGroup = c.u32leAt(0x20, 's_blocks_per_group');
  const inodesPerGroup = c.u32leAt(0x28, 's_inodes_per_group');
  const inodesCount = c.u32leAt(0x00, 's_inodes_count');
  const inodeSize = dynamic ? c.u16leAt(0x58, 's_inode_size') : 128;
  const firstIno = dynamic ? c.u32leAt(0x54, 's_first_ino') : 11;

  // Geometry checks mirror ext4_fill_super: a bitmap block has 8 × block size bits.
  // bigalloc: a cluster is 2^(s_log_cluster_size - s_log_block_size) blocks (kernel:
  // s_log_cluster_size <= EXT4_MAX_CLUSTER_LOG_SIZE - 10 = 20); otherwise clusters are blocks.
  const bigalloc = (featureRoCompat & RO_COMPAT.bigalloc) !== 0;
  if (bigalloc && (logClusterSize < logBlockSize || logClusterSize > 20)) {
    throw new CorruptError(
      c.loc('s_log_cluster_size', 0x1c),
      logClusterSize,
      'not in',
      `[${logBlockSize}, 20]`,
    );
  }
  const clusterRatio = bigalloc ? 2 ** (logClusterSize - logBlockSize) : 1;
  const maxPerGroup = blockSize * 8 * clusterRatio;
  if (blocksPerGroup < 8 || blocksPerGroup > maxPerGroup) {
    throw new CorruptError(
      c.loc('s_blocks_per_group', 0x20),
      blocksPerGroup,
      'not in',
      `[8, ${maxPerGroup}]`,
    );
  }
  if (inodeSize < 128 || inodeSize > blockSize || (inodeSize & (inodeSize - 1)) !== 0) {
    throw new CorruptError(
      c.loc('s_inode_size', 0x58),
      inodeSize,
      'not a power of 2 in',
      `[128, ${blockSize}]`,
    );
  }
  const inodesPerBlock = blockSize / inodeSize;
  if (inodesPerGroup < inodesPerBlock || inodesPerGroup > blockSize * 8) {
    throw new CorruptError(
      c.loc('s_inodes_per_group', 0x28),
      inodesPerGroup,
      'not in',
      `[${inodesPerBlock}, ${blockSize * 8}]`,
    );
  }
  const groupCount = Math.ceil((blocksCount - firstDataBlock) / blocksPerGroup);
  // s_inodes_count is a u32 and must equal groups × inodes per group: this bounds the group count
  // (a huge s_blocks_count with a small inode count is a corrupt or hostile superblock).
  if (groupCount * inodesPerGroup !== inodesCount) {
    throw new CorruptError(
      c.loc('s_inodes_count', 0x00),
      inodesCount,
      '!=',
      `groups (${groupCount}) × s_inodes_per_group (${inodesPerGroup})`,
    );
  }
  if (firstIno < 11 || firstIno > inodesCount) {
    throw new CorruptError(c.loc('s_first_ino', 0x54), firstIno, 'not in', `[11, ${inodesCount}]`);
  }

  let descSize = 32;
  if (is64) {
    descSize = c.u16leAt(0xfe, 's_desc_size');
    // ext4_fill_super: 64 <= desc_size <= 1024 and a power of two.
    if (descSize < 64 || descSize > 1024 || (descSize & (descSize - 1)) !== 0 || descSize > blockSize) {
      throw new CorruptError(c.loc('s_desc_size', 0xfe), descSize, 'not a power of 2 in', '[64, 1024]');
    }
  }

  const hashSeed = [0, 1, 2, 3].map((i) => c.u32leAt(0xec + 4 * i, 's_hash_seed'));
  const sb: Superblock = {
    inodesCount,
    blocksCount,
    blocksCountLo,
    firstDataBlock,
    logBlockSize,
    blockSize,
    logClusterSize: bigalloc ? logClusterSize : logBlockSize,
    blocksPerGroup,
    inodesPerGroup,
    mtime: c.u32leAt(0x2c),
    wtime: c.u32leAt(0x30),
    magic,
    state: c.u16leAt(0x3a),
    minorRevLevel: c.u16leAt(0x3e),
    revLevel,
    firstIno,
    inodeSize,
    featureCompat,
    featureIncompat,
    featureRoCompat,
    uuid: uuidString(c.bytesAt(0x68, 16, 's_uuid')),
    volumeName: c.cstringAt(0x78, 16, 's_volume_name'),
    lastMounted: c.cstringAt(0x88, 64, 's_last_mounted'),
    reservedGdtBlocks: c.u16leAt(0xce),
    journalInum: c.u32leAt(0xe0),
    hashSeed: Object.freeze(hashSeed),
    defHashVersion: c.u8At(0xfc),
    descSize,
    firstMetaBg: c.u32leAt(0x104),
    mkfsTime: c.u32leAt(0x108),
    logGroupsPerFlex: c.u8At(0x174),
    backupBgs: [c.u32leAt(0x24c), c.u32leAt(0x250)],
    encoding: c.u16leAt(0x27c),
    groupCount,
    needsRecovery: (featureIncompat & INCOMPAT.recover) !== 0,
    features: Object.freeze([
      ...names(COMPAT, featureCompat),
      ...names(INCOMPAT, featureIncompat),
      ...names(RO_COMPAT, featureRoCompat),
    ]),
  };
  return Object.freeze(sb);
}

export function hasIncompat(sb: Superblock, bit: number): boolean {
  return (sb.featureIncompat & bit) !== 0;
}
export function hasCompat(sb: Superblock, bit: number): boolean {
  return (sb.featureCompat & bit) !== 0;
}
export function hasRoCompat(sb: Superblock, bit: number): boolean {
  return (sb.featureRoCompat & bit) !== 0;
}

/**
 * The name blkid would report (libblkid superblocks/ext.c): ext4 when any feature beyond what
 * ext3 understands is set, ext3 with a journal, else ext2.
 */
export function variantOf(sb: Superblock): 'ext2' | 'ext3' | 'ext4' {
  const ext3Incompat = INCOMPAT.filetype | INCOMPAT.recover | INCOMPAT.meta_bg;
  const ext3RoCompat = RO_COMPAT.sparse_super | RO_COMPAT.large_file | RO_COMPAT.btree_dir;
  const beyond3 = (sb.featureIncompat & ~ext3Incompat) !== 0 || (sb.featureRoCompat & ~ext3RoCompat) !== 0;
  if (beyond3) return 'ext4';
  return hasCompat(sb, COMPAT.has_journal) ? 'ext3' : 'ext2';
}
