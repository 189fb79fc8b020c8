/**
 * XFS block mapping: extent records (xfs_bmbt_rec) and the block-map B+tree (BMBT) a data fork uses
 * once its extents no longer fit in the inode (xfs_format.h, Documentation/filesystems/xfs/ on-disk
 * format "Data Extents" / "B+tree Extent List").
 *
 * Extent record, 128 bits big-endian:
 *   bit 127      unwritten flag (reads as zeros)
 *   bits 73..126 startoff   (54 bits, file block)
 *   bits 21..72  startblock (52 bits, fs block = agno << agblklog | agbno)
 *   bits 0..20   blockcount (21 bits)
 *
 * Root in the inode (xfs_bmdr_block):  level u16 | numrecs u16 | keys[maxrecs] u64 | ptrs[maxrecs] u64
 *   maxrecs = (fork size - 4) / 16: the pointer array starts after *maxrecs* keys, not numrecs.
 * Child block (long-format btree block):
 *   v4 'BMAP': magic u32 | level u16 | numrecs u16 | leftsib u64 | rightsib u64          (24 bytes)
 *   v5 'BMA3': … | blkno u64 | lsn u64 | uuid[16] | owner u64 | crc __le32 | pad u32       (72 bytes)
 *   then leaf records[numrecs] (16 bytes), or node keys[maxrecs] u64 + ptrs[maxrecs] u64.
 */
import {
  CorruptError,
  checkAborted,
  FormatError,
  type FormatLocation,
  LimitExceededError,
  UnsupportedError,
} from '../../../engine/errors.js';
import { Cursor, toSafeNumber } from '../../bytes/cursor.js';
import { crcWithHole, FORMAT, type XfsSuperblock } from './superblock.js';

export const XFS_BMAP_MAGIC = 0x424d4150; // 'BMAP'
export const XFS_BMAP_CRC_MAGIC = 0x424d4133; // 'BMA3'
const BMBT_CRC_OFFSET = 64;

/**
 * The kernel computes the data fork's max height from the extent count limit (xfs_bmap_compute_maxlevels):
 * 9 with 2^48 extents (nrext64) and 1 KiB blocks is the worst case; 10 leaves a margin.
 */
export const MAX_BMBT_LEVELS = 10;
/** Extents mapped for one file: 1M records is ~48 MiB of heap at worst; real files have far fewer. */
export const MAX_EXTENTS_PER_FILE = 1 << 20;

export interface Extent {
  /** First file block. */
  readonly fileBlock: number;
  /** First filesystem block (agno << agblklog | agbno). */
  readonly fsBlock: number;
  readonly count: number;
  readonly unwritten: boolean;
}

const M21 = (1n << 21n) - 1n;
const M54 = (1n << 54n) - 1n;

/** Decodes one 16-byte extent record at cursor position `at`. */
export function decodeExtentRecord(c: Cursor, at: number): Extent {
  const l0 = c.u64beAt(at, 'bmbt_rec l0');
  const l1 = c.u64beAt(at + 8, 'bmbt_rec l1');
  const unwritten = l0 >> 63n === 1n;
  const startoff = (l0 >> 9n) & M54;
  const startblock = ((l0 & 0x1ffn) << 43n) | (l1 >> 21n);
  const count = Number(l1 & M21);
  if (startoff + BigInt(count) > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new UnsupportedError('xfs-huge-offset', `xfs: extent at file block ${startoff} is beyond 2^53`);
  }
  return Object.freeze({ fileBlock: Number(startoff), fsBlock: Number(startblock), count, unwritten });
}

/** Blocks in AG `agno` (the last one may be short). */
export function agLength(sb: XfsSuperblock, agno: number): number {
  if (agno < sb.agCount - 1) return sb.agBlocks;
  return Number(sb.dblocks - BigInt(sb.agBlocks) * BigInt(sb.agCount - 1));
}

/**
 * Byte offset on the data device of fs block `fsb` (agno << agblklog | agbno), checking the AG
 * number and that [agbno, agbno+count) lies inside that AG.
 */
export function fsbToByte(sb: XfsSuperblock, fsb: number, count: number, l: FormatLocation): bigint {
  const agno = Math.floor(fsb / 2 ** sb.agBlkLog);
  const agbno = fsb - agno * 2 ** sb.agBlkLog;
  if (agno >= sb.agCount)
    throw new CorruptError(l, `fs block ${fsb} (AG ${agno})`, '>=', `agcount ${sb.agCount}`);
  const len = agLength(sb, agno);
  if (count < 1 || agbno + count > len) {
    throw new CorruptError(
      l,
      `AG ${agno} blocks [${agbno}, ${agbno + count})`,
      'outside AG of',
      `${len} blocks`,
    );
  }
  return (BigInt(agno) * BigInt(sb.agBlocks) + BigInt(agbno)) * BigInt(sb.blockSize);
}

/** Decodes `n` packed extent records (an extents-format data fork, or a BMBT leaf). */
export function decodeExtentList(c: Cursor, at: number, n: number): Extent[] {
  c.need(at, n * 16, 'extent records');
  const out: Extent[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = decodeExtentRecord(c, at + i * 16);
  return out;
}

/**
 * Checks an extent list is sorted, non-overlapping and inside the filesystem; drops zero-length
 * records' effect by rejecting them (a count of 0 is never written by the kernel).
 */
export function validateExtents(
  sb: XfsSuperblock,
  extents: readonly Extent[],
  c: Cursor,
  field: string,
): void {
  let next = 0;
  for (const e of extents) {
    if (e.count === 0) throw new CorruptError(c.loc(field), 'blockcount 0', 'in', 'extent record');
    if (e.fileBlock < next) {
      throw new CorruptError(
        c.loc(field),
        `extent at file block ${e.fileBlock}`,
        'overlaps or precedes',
        next,
      );
    }
    fsbToByte(sb, e.fsBlock, e.count, c.loc(field));
    next = e.fileBlock + e.count;
  }
}

export interface BmbtRoot {
  readonly level: number;
  readonly numrecs: number;
  readonly keys: readonly number[];
  readonly ptrs: readonly number[];
}

/** Decodes the BMBT root held in an inode's data fork (xfs_bmdr_block). */
export function decodeBmdrRoot(c: Cursor): BmbtRoot {
  const level = c.u16beAt(0, 'bb_level');
  const numrecs = c.u16beAt(2, 'bb_numrecs');
  const maxrecs = Math.floor((c.length - 4) / 16);
  if (level < 1 || level > MAX_BMBT_LEVELS) {
    if (level > MAX_BMBT_LEVELS) {
      throw new LimitExceededError(c.loc('bb_level', 0), 'MAX_BMBT_LEVELS', level, MAX_BMBT_LEVELS);
    }
    throw new CorruptError(c.loc('bb_level', 0), level, '<', 1);
  }
  if (numrecs < 1 || numrecs > maxrecs) {
    throw new CorruptError(c.loc('bb_numrecs', 2), numrecs, 'outside', `[1, ${maxrecs}]`);
  }
  const keys: number[] = [];
  const ptrs: number[] = [];
  for (let i = 0; i < numrecs; i++) {
    keys.push(safe(c, 4 + i * 8, 'bmdr key'));
    ptrs.push(safe(c, 4 + maxrecs * 8 + i * 8, 'bmdr ptr'));
  }
  return Object.freeze({ level, numrecs, keys, ptrs });
}

function safe(c: Cursor, at: number, field: string): number {
  return toSafeNumber(c.u64beAt(at, field), Number.MAX_SAFE_INTEGER, c.loc(field, at));
}

export interface BmbtBlock {
  readonly level: number;
  readonly numrecs: number;
  /** Node: child keys and pointers. */
  readonly keys: readonly number[];
  readonly ptrs: readonly number[];
  /** Leaf: extent records. */
  readonly extents: readonly Extent[];
}

/**
 * Decodes one BMBT block of sb.blockSize bytes read at absolute byte `daddrBytes`, checking the
 * magic for the superblock version, and on v5 the CRC, blkno, uuid and owner inode.
 */
export function decodeBmbtBlock(
  buf: Buffer,
  sb: XfsSuperblock,
  base: bigint,
  owner: number,
  verifyCrc = true,
): BmbtBlock {
  const c = new Cursor(buf, { base, format: FORMAT, struct: `bmbt block (inode ${owner})` });
  c.need(0, sb.blockSize, 'block');
  const magic = c.u32beAt(0, 'bb_magic');
  const want = sb.hasCrc ? XFS_BMAP_CRC_MAGIC : XFS_BMAP_MAGIC;
  if (magic !== want) {
    throw new FormatError(
      'bad-magic',
      c.loc('bb_magic', 0),
      `bb_magic 0x${magic.toString(16)} != 0x${want.toString(16)}`,
    );
  }
  const hdr = sb.hasCrc ? 72 : 24;
  if (sb.hasCrc) {
    if (verifyCrc) {
      const stored = c.u32leAt(BMBT_CRC_OFFSET, 'bb_crc');
      const computed = crcWithHole(buf.subarray(0, sb.blockSize), BMBT_CRC_OFFSET);
      if (stored !== computed) {
        throw new FormatError(
          'checksum-mismatch',
          c.loc('bb_crc', BMBT_CRC_OFFSET),
          `bb_crc 0x${stored.toString(16)} != computed 0x${computed.toString(16)}`,
        );
      }
    }
    const blkno = c.u64beAt(24, 'bb_blkno');
    if (blkno !== base / 512n) throw new CorruptError(c.loc('bb_blkno', 24), blkno, '!=', base / 512n);
    if (!c.bytesAt(40, 16, 'bb_uuid').equals(sb.metaUuid)) {
      throw new CorruptError(c.loc('bb_uuid', 40), 'uuid', '!=', 'superblock meta uuid');
    }
    const own = c.u64beAt(56, 'bb_owner');
    if (own !== BigInt(owner)) throw new CorruptError(c.loc('bb_owner', 56), own, '!=', owner);
  }
  const level = c.u16beAt(4, 'bb_level');
  const numrecs = c.u16beAt(6, 'bb_numrecs');
  if (level >= MAX_BMBT_LEVELS) {
    throw new LimitExceededError(c.loc('bb_level', 4), 'MAX_BMBT_LEVELS', level, MAX_BMBT_LEVELS);
  }
  const maxrecs = Math.floor((sb.blockSize - hdr) / 16);
  if (numrecs < 1 || numrecs > maxrecs) {
    throw new CorruptError(c.loc('bb_numrecs', 6), numrecs, 'outside', `[1, ${maxrecs}]`);
  }
  if (level === 0) {
    return Object.freeze({ level, numrecs, keys: [], ptrs: [], extents: decodeExtentList(c, hdr, numrecs) });
  }
  const keys: number[] = [];
  const ptrs: number[] = [];
  for (let i = 0; i < numrecs; i++) {
    keys.push(safe(c, hdr + i * 8, 'bmbt key'));
    ptrs.push(safe(c, hdr + maxrecs * 8 + i * 8, 'bmbt ptr'));
  }
  return Object.freeze({ level, numrecs, keys, ptrs, extents: [] });
}

export type ReadBlock = (byteOffset: bigint, length: number) => Promise<Buffer>;

/**
 * Walks a BMBT from its in-inode root and returns the extents in file order. Each child must sit
 * exactly one level below its parent, every block is visited at most once, and the number of blocks
 * read is bounded by `blockBudget` (the inode's di_nblocks: a tree cannot be larger than the blocks
 * the inode owns) and the extent total by MAX_EXTENTS_PER_FILE.
 */
export async function walkBmbt(
  root: BmbtRoot,
  rootCursor: Cursor,
  sb: XfsSuperblock,
  owner: number,
  read: ReadBlock,
  blockBudget: number,
  opts: { verifyCrc?: boolean; maxExtents?: number; signal?: AbortSignal } = {},
): Promise<Extent[]> {
  const maxExtents = opts.maxExtents ?? MAX_EXTENTS_PER_FILE;
  const visited = new Set<number>();
  const out: Extent[] = [];
  let reads = 0;
  const visit = async (fsb: number, expectLevel: number): Promise<void> => {
    checkAborted(opts.signal);
    if (visited.has(fsb)) {
      throw new CorruptError(
        rootCursor.loc('bmbt ptr'),
        `fs block ${fsb}`,
        'visited twice in',
        'block map (cycle)',
      );
    }
    visited.add(fsb);
    if (++reads > blockBudget) {
      throw new LimitExceededError(rootCursor.loc('bmbt'), 'bmbt blocks (di_nblocks)', reads, blockBudget);
    }
    const at = fsbToByte(sb, fsb, 1, rootCursor.loc('bmbt ptr'));
    const block = decodeBmbtBlock(await read(at, sb.blockSize), sb, at, owner, opts.verifyCrc ?? true);
    if (block.level !== expectLevel) {
      throw new CorruptError(
        { format: FORMAT, struct: `bmbt block (inode ${owner})`, offset: at, field: 'bb_level' },
        block.level,
        '!=',
        expectLevel,
      );
    }
    if (block.level === 0) {
      if (out.length + block.extents.length > maxExtents) {
        throw new LimitExceededError(
          rootCursor.loc('bmbt'),
          'MAX_EXTENTS_PER_FILE',
          out.length + block.extents.length,
          maxExtents,
        );
      }
      for (const e of block.extents) out.push(e);
      return;
    }
    for (const p of block.ptrs) await visit(p, expectLevel - 1);
  };
  for (const p of root.ptrs) await visit(p, root.level - 1);
  return out;
}
