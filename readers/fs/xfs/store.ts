/**
 * XfsInodeStore: the inode-level view of one XFS filesystem (readers/fs/types.ts InodeStore), read
 * lazily from a BlockSource. Opening reads one sector (the primary superblock); every other read is
 * driven by a lookup: the inode cluster holding an inode, the directory blocks of the directories
 * on the path, the BMBT blocks of a fragmented file, and the file's own extents.
 *
 * Inodes are read a cluster at a time (xfs_inode_buf.c reads "inode clusters" the same way): the
 * 64-inode chunk (at least one block) around the inode, clamped to its AG and the device, kept in a
 * byte-bounded LRU. A full walk that stats every file costs one read per chunk instead of one per
 * inode. Only the inode asked for is decoded (and CRC-checked): the rest of a sparse chunk may hold
 * anything.
 *
 * Inode numbers (xfs_format.h XFS_INO_TO_AGNO / XFS_INO_TO_AGBNO / XFS_INO_TO_OFFSET):
 *
 *   ino = agno << (agblklog + inopblog) | agbno << inopblog | offset-in-block
 *   byte = (agno * agblocks + agbno) * blocksize + offset * inodesize
 *
 * Every inode number from disk is checked against agcount and the AG's length and must be <= 2^53-1.
 */
import {
  CorruptError,
  checkAborted,
  type FormatLocation,
  LimitExceededError,
  ScanError,
  UnsupportedError,
} from '../../../engine/errors.js';
import { DEFAULT_LIMITS, type Limits } from '../../../engine/limits.js';
import { LruCache } from '../../block/lru-cache.js';
import type { BlockSource, ReadRange } from '../../block/types.js';
import { Cursor, toSafeNumber } from '../../bytes/cursor.js';
import type { DirEntry, InodeStore, Stat } from '../types.js';
import {
  agLength,
  decodeBmdrRoot,
  decodeExtentList,
  type Extent,
  fsbToByte,
  MAX_BMBT_LEVELS,
  MAX_EXTENTS_PER_FILE,
  validateExtents,
  walkBmbt,
} from './bmbt.js';
import {
  checkEntryCount,
  decodeDataBlock,
  decodeShortformDir,
  XFS_DA_NODE_MAGIC,
  XFS_DA3_NODE_MAGIC,
  XFS_DIR2_LEAF_OFFSET,
  XFS_DIR2_LEAF1_MAGIC,
  XFS_DIR3_LEAF1_MAGIC,
  type XfsDirEntry,
} from './dir2.js';
import { DIFLAG_REALTIME, decodeInode, FMT_BTREE, FMT_EXTENTS, FMT_LOCAL, type XfsInode } from './inode.js';
import { decodeSuperblock, FORMAT, type XfsSuperblock } from './superblock.js';
import { decodeRemoteSymlinkBlock, SYMLINK_HDR_BYTES, XFS_SYMLINK_MAXLEN } from './symlink.js';

/** Bytes of directory data blocks read for one directory: ~1M entries of 40-byte names need ~64 MiB. */
export const MAX_DIR_DATA_BYTES = 256 * 1024 * 1024;
/** Largest single read issued for file data; bigger ranges are split so no read buffer is huge. */
const MAX_READ_CHUNK = 4 * 1024 * 1024;
/** Directory data blocks read at once from one extent. */
const DIR_READ_BATCH = 256 * 1024;
const INODE_CACHE_ENTRIES = 4096;
/** XFS_INODES_PER_CHUNK: inodes are allocated 64 at a time, contiguous and chunk-aligned. */
const INODES_PER_CHUNK = 64;
/** Inode clusters kept: 16 MiB holds 512 chunks of 512-byte inodes (32,768 inodes). */
const CLUSTER_CACHE_ENTRIES = 1024;
const CLUSTER_CACHE_BYTES = 16 * 1024 * 1024;
/** Directories whose blocks one walk hint may prefetch, and hints in progress at once. */
const PREFETCH_DIRS_PER_HINT = 256;
const PREFETCH_HINTS_IN_FLIGHT = 8;
const EXTENT_CACHE_RECORDS = MAX_EXTENTS_PER_FILE;

export interface XfsOpenOptions {
  signal?: AbortSignal;
  /** Verify v5 metadata CRCs (superblock, inodes, directory/BMBT/symlink blocks). Default true. */
  verifyChecksums?: boolean;
  limits?: Partial<Limits>;
}

export type DirForm = 'shortform' | 'block' | 'leaf' | 'node';

export class XfsInodeStore implements InodeStore {
  readonly fsType = 'xfs';
  readonly rootIno: number;
  readonly blockSize: number;
  readonly label: string;
  readonly uuid: string;
  private readonly limits: Limits;
  private readonly verify: boolean;
  private readonly inodes = new Map<number, XfsInode>();
  private readonly clusters = new LruCache<string, Promise<Buffer>>({
    maxEntries: CLUSTER_CACHE_ENTRIES,
    maxBytes: CLUSTER_CACHE_BYTES,
  });
  private hintsInFlight = 0;
  private readonly extentCache = new Map<number, readonly Extent[]>();
  private extentCacheRecords = 0;

  constructor(
    readonly source: BlockSource,
    readonly sb: XfsSuperblock,
    opts: XfsOpenOptions = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.verify = opts.verifyChecksums ?? true;
    this.blockSize = sb.blockSize;
    this.label = sb.label;
    this.uuid = sb.uuid;
    this.rootIno = this.checkIno(sb.rootIno, {
      format: FORMAT,
      struct: 'superblock',
      offset: 0x38,
      field: 'sb_rootino',
    });
  }

  /** Validates an on-disk inode number and returns it as a number. */
  checkIno(ino: bigint, loc: FormatLocation): number {
    const sb = this.sb;
    toSafeNumber(ino, Number.MAX_SAFE_INTEGER, loc);
    const agShift = BigInt(sb.agBlkLog + sb.inopBlog);
    const agno = ino >> agShift;
    const agino = ino & ((1n << agShift) - 1n);
    const agbno = Number(agino >> BigInt(sb.inopBlog));
    if (ino === 0n) throw new CorruptError(loc, ino, '==', 'inode 0 (never used)');
    if (agno >= BigInt(sb.agCount))
      throw new CorruptError(loc, `inode ${ino} (AG ${agno})`, '>=', `agcount ${sb.agCount}`);
    const len = agLength(sb, Number(agno));
    if (agbno >= len)
      throw new CorruptError(loc, `inode ${ino} (AG block ${agbno})`, '>=', `AG length ${len}`);
    return Number(ino);
  }

  /** Byte offset of an inode on the data device. */
  inodeOffset(ino: number): bigint {
    const sb = this.sb;
    const i = BigInt(
      this.checkIno(BigInt(ino), { format: FORMAT, struct: 'inode number', offset: 0, field: 'ino' }),
    );
    const agShift = BigInt(sb.agBlkLog + sb.inopBlog);
    const agno = i >> agShift;
    const agino = i & ((1n << agShift) - 1n);
    const agbno = agino >> BigInt(sb.inopBlog);
    const slot = agino & BigInt(sb.inopBlock - 1);
    return (agno * BigInt(sb.agBlocks) + agbno) * BigInt(sb.blockSize) + slot * BigInt(sb.inodeSize);
  }

  /**
   * The cluster holding inode `ino`: byte offset and length of its 64-inode chunk (one block when
   * a block holds more), clamped to the inode's AG and to the device.
   */
  inodeCluster(ino: number): { offset: bigint; length: number } {
    const sb = this.sb;
    const i = BigInt(
      this.checkIno(BigInt(ino), { format: FORMAT, struct: 'inode number', offset: 0, field: 'ino' }),
    );
    const agShift = BigInt(sb.agBlkLog + sb.inopBlog);
    const agno = i >> agShift;
    const agino = i & ((1n << agShift) - 1n);
    const perCluster = BigInt(Math.max(INODES_PER_CHUNK, sb.inopBlock));
    const first = agino - (agino % perCluster);
    const agbno = first >> BigInt(sb.inopBlog);
    const slot = first & BigInt(sb.inopBlock - 1);
    const bs = BigInt(sb.blockSize);
    const offset = (agno * BigInt(sb.agBlocks) + agbno) * bs + slot * BigInt(sb.inodeSize);
    const agEnd = (agno * BigInt(sb.agBlocks) + BigInt(agLength(sb, Number(agno)))) * bs;
    const end = [offset + perCluster * BigInt(sb.inodeSize), agEnd, this.source.size].reduce((a, b) =>
      a < b ? a : b,
    );
    return { offset, length: Number(end - offset) };
  }

  private cluster(c: { offset: bigint; length: number }): Promise<Buffer> {
    const key = c.offset.toString();
    const hit = this.clusters.get(key);
    if (hit) return hit;
    const p = this.source.read(c.offset, c.length);
    this.clusters.set(key, p, c.length);
    p.catch(() => this.clusters.delete(key));
    return p;
  }

  async inode(ino: number): Promise<XfsInode> {
    const hit = this.inodes.get(ino);
    if (hit) return hit;
    const at = this.inodeOffset(ino);
    const c = this.inodeCluster(ino);
    const rel = Number(at - c.offset);
    let buf: Buffer;
    if (rel >= 0 && rel + this.sb.inodeSize <= c.length) {
      buf = (await this.cluster(c)).subarray(rel, rel + this.sb.inodeSize);
    } else {
      buf = await this.source.read(at, this.sb.inodeSize);
    }
    const inode = decodeInode(buf, ino, this.sb, at, this.verify);
    if (this.inodes.size >= INODE_CACHE_ENTRIES) this.inodes.clear();
    this.inodes.set(ino, inode);
    return inode;
  }

  /** The data fork's extent map, in file order, validated (sorted, inside the filesystem). */
  async extents(inode: XfsInode, signal?: AbortSignal): Promise<readonly Extent[]> {
    const hit = this.extentCache.get(inode.ino);
    if (hit) return hit;
    const fork = new Cursor(inode.dataFork, {
      base: inode.dataForkOffset,
      format: FORMAT,
      struct: `inode ${inode.ino} data fork`,
    });
    let list: Extent[];
    if (inode.nextents > BigInt(MAX_EXTENTS_PER_FILE)) {
      throw new LimitExceededError(
        fork.loc('nextents', 0),
        'MAX_EXTENTS_PER_FILE',
        inode.nextents,
        MAX_EXTENTS_PER_FILE,
      );
    }
    const n = Number(inode.nextents);
    if (inode.format === FMT_EXTENTS) {
      list = decodeExtentList(fork, 0, n);
    } else if (inode.format === FMT_BTREE) {
      const root = decodeBmdrRoot(fork);
      // A tree is never larger than the blocks its inode owns (di_nblocks counts BMBT blocks too),
      // nor than one leaf per extent plus as many nodes.
      const owned = Number(inode.nblocks < 1n << 31n ? inode.nblocks : 1n << 31n);
      const budget = Math.min(owned, 2 * n + MAX_BMBT_LEVELS);
      list = await walkBmbt(root, fork, this.sb, inode.ino, (o, l) => this.source.read(o, l), budget, {
        verifyCrc: this.verify,
        maxExtents: Math.min(MAX_EXTENTS_PER_FILE, n),
        signal,
      });
      if (list.length !== n)
        throw new CorruptError(fork.loc('nextents', 0), list.length, '!= di_nextents', n);
    } else if (inode.format === FMT_LOCAL) {
      list = [];
    } else {
      throw new CorruptError(fork.loc('di_format', 0), inode.format, 'has no', 'extent map');
    }
    validateExtents(this.sb, list, fork, 'extent');
    Object.freeze(list);
    if (this.extentCacheRecords + list.length > EXTENT_CACHE_RECORDS) {
      this.extentCache.clear();
      this.extentCacheRecords = 0;
    }
    this.extentCache.set(inode.ino, list);
    this.extentCacheRecords += list.length;
    return list;
  }

  async stat(ino: number): Promise<Stat> {
    const i = await this.inode(ino);
    return {
      ino,
      type: i.type,
      mode: i.mode,
      size: i.size,
      uid: i.uid,
      gid: i.gid,
      nlink: i.nlink,
      mtime: i.mtime,
    };
  }

  private async dirInode(ino: number): Promise<XfsInode> {
    const inode = await this.inode(ino);
    if (inode.type !== 'dir') throw new ScanError('not-a-directory', `xfs: inode ${ino} is not a directory`);
    return inode;
  }

  /** Reads `nblocks` fs blocks from file block `fileBlock`, all of which must be mapped and written. */
  private async readMapped(
    inode: XfsInode,
    extents: readonly Extent[],
    fileBlock: number,
    nblocks: number,
  ): Promise<{ buf: Buffer; base: bigint }> {
    const bs = this.sb.blockSize;
    const out = Buffer.alloc(nblocks * bs);
    let base = -1n;
    let fb = fileBlock;
    let i = findExtent(extents, fb);
    while (fb < fileBlock + nblocks) {
      const e = extents[i];
      if (!e || e.fileBlock > fb || e.unwritten) {
        throw new CorruptError(
          {
            format: FORMAT,
            struct: `inode ${inode.ino} data fork`,
            offset: inode.dataForkOffset,
            field: 'extent',
          },
          `file block ${fb}`,
          'is',
          'a hole in a directory or symlink',
        );
      }
      const take = Math.min(e.fileBlock + e.count, fileBlock + nblocks) - fb;
      const at = fsbToByte(this.sb, e.fsBlock + (fb - e.fileBlock), take, {
        format: FORMAT,
        struct: `inode ${inode.ino} data fork`,
        offset: inode.dataForkOffset,
        field: 'extent',
      });
      if (base < 0n) base = at;
      (await this.source.read(at, take * bs)).copy(out, (fb - fileBlock) * bs);
      fb += take;
      i++;
    }
    return { buf: out, base };
  }

  async readDir(ino: number, signal?: AbortSignal): Promise<DirEntry[]> {
    const inode = await this.dirInode(ino);
    const max = this.limits.MAX_DIR_ENTRIES;
    let raw: readonly XfsDirEntry[];
    if (inode.format === FMT_LOCAL) {
      const fork = new Cursor(inode.dataFork, {
        base: inode.dataForkOffset,
        format: FORMAT,
        struct: `inode ${ino} data fork`,
      });
      raw = decodeShortformDir(fork, inode.size, this.sb.hasFtype).entries;
      checkEntryCount(raw.length, max, inode.dataForkOffset, ino);
    } else {
      const extents = await this.extents(inode, signal);
      const dirFsbs = 2 ** this.sb.dirBlkLog;
      const dirBytes = dirFsbs * this.sb.blockSize;
      const leafBlock = XFS_DIR2_LEAF_OFFSET / this.sb.blockSize;
      const all: XfsDirEntry[] = [];
      let dataBytes = 0;
      for (const e of extents) {
        if (e.fileBlock >= leafBlock) break;
        const last = Math.min(e.fileBlock + e.count, leafBlock);
        // Directory blocks start on multiples of dirFsbs; one may span two extents (readMapped joins
        // them). Whole blocks inside one written extent are read in batches of up to DIR_READ_BATCH
        // bytes: a large directory costs a few reads, not one per block.
        let db = Math.ceil(e.fileBlock / dirFsbs) * dirFsbs;
        while (db < last) {
          checkAborted(signal);
          const whole = e.unwritten ? 0 : Math.floor((last - db) / dirFsbs);
          const n = Math.max(1, Math.min(whole, Math.floor(DIR_READ_BATCH / dirBytes)));
          dataBytes += n * dirBytes;
          if (dataBytes > MAX_DIR_DATA_BYTES) {
            throw new LimitExceededError(
              { format: FORMAT, struct: `directory (inode ${ino})`, offset: inode.dataForkOffset },
              'MAX_DIR_DATA_BYTES',
              dataBytes,
              MAX_DIR_DATA_BYTES,
            );
          }
          let buf: Buffer;
          let base: bigint;
          if (whole >= 1) {
            base = fsbToByte(this.sb, e.fsBlock + (db - e.fileBlock), n * dirFsbs, {
              format: FORMAT,
              struct: `inode ${ino} data fork`,
              offset: inode.dataForkOffset,
              field: 'extent',
            });
            buf = await this.source.read(base, n * dirBytes);
          } else {
            ({ buf, base } = await this.readMapped(inode, extents, db, dirFsbs));
          }
          for (let k = 0; k < n; k++) {
            const at = base + BigInt(k * dirBytes);
            const block = decodeDataBlock(
              buf.subarray(k * dirBytes, (k + 1) * dirBytes),
              this.sb,
              at,
              ino,
              this.verify,
            );
            for (const d of block.entries) all.push(d);
            checkEntryCount(all.length, max, at, ino);
          }
          db += n * dirFsbs;
        }
      }
      raw = all;
    }
    const out: DirEntry[] = new Array(raw.length);
    const loc = {
      format: FORMAT,
      struct: `directory (inode ${ino})`,
      offset: inode.dataForkOffset,
      field: 'inumber',
    };
    for (let k = 0; k < raw.length; k++) {
      const d = raw[k]!;
      out[k] = { name: d.name, ino: this.checkIno(d.ino, loc), type: d.type };
    }
    return out;
  }

  /** Which of the four directory forms a directory uses (tests and diagnostics). */
  async dirForm(ino: number): Promise<DirForm> {
    const inode = await this.dirInode(ino);
    if (inode.format === FMT_LOCAL) return 'shortform';
    const extents = await this.extents(inode);
    const leafBlock = XFS_DIR2_LEAF_OFFSET / this.sb.blockSize;
    const i = findExtent(extents, leafBlock);
    const e = extents[i];
    if (!e || e.fileBlock > leafBlock) return 'block';
    const { buf } = await this.readMapped(inode, extents, leafBlock, 1);
    // xfs_da_blkinfo / xfs_da3_blkinfo: forw u32 | back u32 | magic u16.
    const magic = buf.readUInt16BE(8);
    if (magic === XFS_DIR2_LEAF1_MAGIC || magic === XFS_DIR3_LEAF1_MAGIC) return 'leaf';
    if (magic === XFS_DA_NODE_MAGIC || magic === XFS_DA3_NODE_MAGIC) return 'node';
    throw new CorruptError(
      { format: FORMAT, struct: `directory (inode ${ino}) leaf block`, offset: 0, field: 'magic' },
      `0x${magic.toString(16)}`,
      'is not',
      'a leaf1 or node magic',
    );
  }

  async readData(ino: number, offset: number, length: number, signal?: AbortSignal): Promise<Buffer> {
    const inode = await this.inode(ino);
    if (inode.type === 'dir') throw new ScanError('is-a-directory', `xfs: inode ${ino} is a directory`);
    if (inode.flags & DIFLAG_REALTIME) {
      throw new UnsupportedError('xfs-realtime', `xfs: inode ${ino} keeps its data on the realtime device`);
    }
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
      throw new ScanError('invalid-argument', `xfs: bad range ${offset}+${length}`);
    }
    const end = Math.min(offset + length, inode.size);
    if (end <= offset) return Buffer.alloc(0);
    const out = Buffer.alloc(end - offset);
    if (inode.format === FMT_LOCAL) {
      const fork = new Cursor(inode.dataFork, {
        base: inode.dataForkOffset,
        format: FORMAT,
        struct: `inode ${ino} data fork`,
      });
      fork.bytesAt(offset, end - offset, 'local data').copy(out);
      return out;
    }
    const extents = await this.extents(inode, signal);
    const bs = this.sb.blockSize;
    for (let i = findExtent(extents, Math.floor(offset / bs)); i < extents.length; i++) {
      const e = extents[i]!;
      const eStart = e.fileBlock * bs;
      if (eStart >= end) break;
      const eEnd = eStart + e.count * bs;
      const from = Math.max(offset, eStart);
      const to = Math.min(end, eEnd);
      if (to <= from || e.unwritten) continue; // unwritten extents read as zeros
      const disk = fsbToByte(this.sb, e.fsBlock, e.count, {
        format: FORMAT,
        struct: `inode ${ino} data fork`,
        offset: inode.dataForkOffset,
        field: 'extent',
      });
      for (let p = from; p < to; p += MAX_READ_CHUNK) {
        checkAborted(signal);
        const n = Math.min(MAX_READ_CHUNK, to - p);
        (await this.source.read(disk + BigInt(p - eStart), n)).copy(out, p - offset);
      }
    }
    return out;
  }

  async prefetchData(ino: number, maxBytes: number, from = 0): Promise<void> {
    if (!this.source.prefetch) return;
    const inode = await this.inode(ino);
    if (inode.format !== FMT_EXTENTS && inode.format !== FMT_BTREE) return;
    if (inode.flags & DIFLAG_REALTIME) return;
    const end = Math.min(inode.size, Math.max(0, maxBytes));
    const bs = this.sb.blockSize;
    const start = Math.max(0, from) - (Math.max(0, from) % bs);
    const ranges: ReadRange[] = [];
    for (const e of await this.extents(inode)) {
      const eStart = e.fileBlock * bs;
      if (eStart >= end) break;
      if (e.unwritten || eStart + e.count * bs <= start) continue;
      const skip = Math.max(0, start - eStart);
      const len = Math.min(e.count * bs - skip, end - eStart - skip);
      const disk = fsbToByte(this.sb, e.fsBlock, e.count, {
        format: FORMAT,
        struct: `inode ${ino} data fork`,
        offset: 0,
      });
      ranges.push({ offset: disk + BigInt(skip), length: len });
    }
    if (ranges.length > 0) this.source.prefetch(ranges);
  }

  prefetchInodes(inos: readonly number[]): void {
    if (!this.source.prefetch) return;
    const ranges = new Map<string, ReadRange>();
    for (const ino of inos) {
      try {
        const c = this.inodeCluster(ino);
        const key = c.offset.toString();
        if (!ranges.has(key) && !this.clusters.get(key)) ranges.set(key, c);
      } catch {
        // A bad inode number: the read that follows reports it.
      }
    }
    if (ranges.size > 0) this.source.prefetch([...ranges.values()]);
  }

  prefetchDirs(inos: readonly number[]): void {
    if (!this.source.prefetch || this.hintsInFlight >= PREFETCH_HINTS_IN_FLIGHT) return;
    this.hintsInFlight++;
    const some = inos.slice(0, PREFETCH_DIRS_PER_HINT);
    void Promise.all(
      some
        .map(async (ino) => {
          const inode = await this.inode(ino);
          if (inode.type !== 'dir' || (inode.format !== FMT_EXTENTS && inode.format !== FMT_BTREE)) return [];
          const leafBlock = XFS_DIR2_LEAF_OFFSET / this.sb.blockSize;
          const out: ReadRange[] = [];
          let bytes = 0;
          for (const e of await this.extents(inode)) {
            if (e.fileBlock >= leafBlock || e.unwritten) continue;
            const n = Math.min(e.count, leafBlock - e.fileBlock);
            bytes += n * this.sb.blockSize;
            if (bytes > MAX_DIR_DATA_BYTES) break;
            out.push({
              offset: fsbToByte(this.sb, e.fsBlock, n, { format: FORMAT, struct: 'dir', offset: 0 }),
              length: n * this.sb.blockSize,
            });
          }
          return out;
        })
        .map((p) => p.catch(() => [] as ReadRange[])),
    )
      .then((all) => {
        const ranges = all.flat();
        if (ranges.length > 0) this.source.prefetch?.(ranges);
      })
      .finally(() => {
        this.hintsInFlight--;
      });
  }

  async readLink(ino: number): Promise<string> {
    const inode = await this.inode(ino);
    if (inode.type !== 'symlink')
      throw new ScanError('invalid-argument', `xfs: inode ${ino} is not a symlink`);
    const loc = {
      format: FORMAT,
      struct: `symlink (inode ${ino})`,
      offset: inode.dataForkOffset,
      field: 'di_size',
    };
    const max = Math.min(this.limits.MAX_SYMLINK_BYTES, XFS_SYMLINK_MAXLEN);
    if (inode.size === 0) throw new CorruptError(loc, 0, '==', 'an empty symlink');
    if (inode.size > max) throw new LimitExceededError(loc, 'MAX_SYMLINK_BYTES', inode.size, max);
    let target: Buffer;
    if (inode.format === FMT_LOCAL) {
      const fork = new Cursor(inode.dataFork, {
        base: inode.dataForkOffset,
        format: FORMAT,
        struct: `inode ${ino} data fork`,
      });
      target = Buffer.from(fork.bytesAt(0, inode.size, 'symlink target'));
    } else {
      const extents = await this.extents(inode);
      const parts: Buffer[] = [];
      let got = 0;
      let nextBlock = 0;
      const bs = this.sb.blockSize;
      for (const e of extents) {
        if (got >= inode.size) break;
        // Targets are at most 1024 bytes: one or two blocks. A longer extent is corruption.
        if (
          e.fileBlock !== nextBlock ||
          e.unwritten ||
          e.count * bs > XFS_SYMLINK_MAXLEN + SYMLINK_HDR_BYTES + bs
        ) {
          throw new CorruptError(
            loc,
            `extent at file block ${e.fileBlock} of ${e.count} blocks`,
            'is not',
            'a symlink extent',
          );
        }
        const { buf, base } = await this.readMapped(inode, extents, e.fileBlock, e.count);
        const chunk = decodeRemoteSymlinkBlock(buf, this.sb, base, ino, got, inode.size - got, this.verify);
        parts.push(chunk.data);
        got += chunk.data.length;
        nextBlock = e.fileBlock + e.count;
      }
      if (got !== inode.size) throw new CorruptError(loc, got, '!= di_size', inode.size);
      target = Buffer.concat(parts);
    }
    if (target.includes(0)) throw new CorruptError(loc, 'target', 'contains', 'NUL');
    return target.toString('utf8');
  }
}

/** Index of the first extent ending after file block `fb` (binary search; extents are sorted). */
export function findExtent(extents: readonly Extent[], fb: number): number {
  let lo = 0;
  let hi = extents.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const e = extents[mid]!;
    if (e.fileBlock + e.count <= fb) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Reads and validates the primary superblock, then returns the store. */
export async function openXfs(source: BlockSource, opts: XfsOpenOptions = {}): Promise<XfsInodeStore> {
  checkAborted(opts.signal);
  if (source.size < 512n) {
    throw new CorruptError(
      { format: FORMAT, struct: 'superblock', offset: 0 },
      `source of ${source.size} bytes`,
      '<',
      512,
    );
  }
  let buf = await source.read(0n, 512);
  // sb_sectsize tells how much the v5 CRC covers; read the whole sector when it is larger than 512.
  const sectSize = buf.readUInt16BE(0x66);
  if (
    sectSize > 512 &&
    sectSize <= 32768 &&
    (sectSize & (sectSize - 1)) === 0 &&
    BigInt(sectSize) <= source.size
  ) {
    buf = await source.read(0n, sectSize);
  }
  const sb = decodeSuperblock(buf, 0, opts.verifyChecksums ?? true);
  return new XfsInodeStore(source, sb, opts);
}
