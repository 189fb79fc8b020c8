/**
 * Ext4Store: the InodeStore for ext2/ext3/ext4. Reads lazily through the BlockSource: the superblock
 * at open, then only the descriptor blocks, inode table chunks, tree nodes and data blocks a call
 * needs. Metadata blocks sit in a small LRU (entry and byte budgets); data blocks are not cached
 * (callers read a file once) but their ranges are handed to `source.prefetch` first.
 */
import {
  CorruptError,
  checkAborted,
  LimitExceededError,
  ScanError,
  TruncatedError,
  UnsupportedError,
} from '../../../engine/errors.js';
import { DEFAULT_LIMITS, type Limits, MiB } from '../../../engine/limits.js';
import { LruCache } from '../../block/lru-cache.js';
import type { BlockSource, ReadRange } from '../../block/types.js';
import { Cursor } from '../../bytes/cursor.js';
import { type DirEntry, type InodeStore, type Stat, typeFromMode } from '../types.js';
import { mapBlockMap } from './block-map.js';
import { decodeDirBlock, type RawDirEntry } from './dir.js';
import { mapExtents } from './extents.js';
import { decodeGroupDesc, descriptorBlock, descsPerBlock, type GroupDesc } from './group-desc.js';
import { decodeInode, I_BLOCK_BYTES, INODE_FLAGS, type Inode } from './inode.js';
import {
  decodeJournalSuperblock,
  JBD2_MAGIC,
  type JournalReader,
  type JournalReplay,
  replayJournal,
} from './journal.js';
import type { Run } from './runs.js';
import {
  COMPAT,
  decodeSuperblock,
  FORMAT,
  hasCompat,
  hasIncompat,
  hasRoCompat,
  INCOMPAT,
  RO_COMPAT,
  SUPERBLOCK_BYTES,
  SUPERBLOCK_OFFSET,
  type Superblock,
  variantOf,
} from './superblock.js';
import { decodeXattrs, type Xattr } from './xattr.js';

export const ROOT_INO = 2;
/** Metadata cache budgets: enough for a path lookup's working set, small enough to ignore. */
const META_CACHE_ENTRIES = 512;
const META_CACHE_BYTES = 8 * MiB;
const INODE_CACHE_ENTRIES = 2048;
/**
 * Inode tables are read in runs of up to this many bytes (256 inodes of 256 bytes), never past the
 * group's last used inode when the descriptors say where it is (bg_itable_unused, trusted only with
 * gdt_csum/metadata_csum, as the kernel does). A walk that stats every file costs a read per run,
 * not per 4 KiB; on EBS the run lies inside one 512 KiB block anyway.
 */
const INODE_RUN_BYTES = 64 * 1024;
const INODE_TABLE_CACHE_ENTRIES = 512;
const INODE_TABLE_CACHE_BYTES = 16 * MiB;
/** Directories whose blocks one walk hint may prefetch, and hints in progress at once. */
const PREFETCH_DIRS_PER_HINT = 256;
const PREFETCH_HINTS_IN_FLIGHT = 8;
/** One source read at most this large when copying a run of data blocks. */
const READ_CHUNK_BYTES = 4 * MiB;
export interface Ext4OpenOptions {
  signal?: AbortSignal;
  limits?: Partial<Limits>;
  /** Replay the jbd2 journal (as an in-memory overlay) when the volume needs recovery. Default true. */
  replayJournal?: boolean;
}

/** What happened to the journal at open. */
export interface JournalState {
  /**
   * clean: nothing to replay; replayed: committed transactions overlay the volume; skipped: replay
   * disabled; external: the journal is on another device; failed: the log was unreadable (volume
   * read at its last checkpoint, `error` says why).
   */
  status: 'clean' | 'replayed' | 'skipped' | 'external' | 'failed';
  transactions: number;
  blocks: number;
  error?: ScanError;
}

export class Ext4Store implements InodeStore {
  readonly fsType = 'ext4';
  readonly rootIno = ROOT_INO;
  readonly blockSize: number;
  readonly label: string;
  readonly uuid: string;
  /** ext2, ext3 or ext4, as blkid names it. */
  readonly variant: 'ext2' | 'ext3' | 'ext4';
  private readonly limits: Limits;
  private readonly meta = new LruCache<string, Promise<Buffer>>({
    maxEntries: META_CACHE_ENTRIES,
    maxBytes: META_CACHE_BYTES,
  });
  private readonly inodes = new LruCache<string, Inode>({
    maxEntries: INODE_CACHE_ENTRIES,
    maxBytes: Number.POSITIVE_INFINITY,
  });
  private readonly tables = new LruCache<string, Promise<Buffer>>({
    maxEntries: INODE_TABLE_CACHE_ENTRIES,
    maxBytes: INODE_TABLE_CACHE_BYTES,
  });
  private hintsInFlight = 0;
  private readonly inodeChunk: number;
  private readonly hasFiletype: boolean;
  journal: JournalState = { status: 'clean', transactions: 0, blocks: 0 };
  private overlay?: { blocks: JournalReplay['blocks']; readLog: JournalReader };

  private constructor(
    readonly source: BlockSource,
    readonly sb: Superblock,
    limits: Limits,
  ) {
    this.blockSize = sb.blockSize;
    this.label = sb.volumeName;
    this.uuid = sb.uuid;
    this.variant = variantOf(sb);
    this.limits = limits;
    // Inode-table runs end on 4 KiB chunk boundaries (a whole block when smaller); a chunk always
    // holds whole inodes (sizes are powers of two).
    this.inodeChunk = Math.min(sb.blockSize, Math.max(4096, sb.inodeSize));
    this.hasFiletype = hasIncompat(sb, INCOMPAT.filetype);
  }

  static async open(source: BlockSource, opts: Ext4OpenOptions = {}): Promise<Ext4Store> {
    checkAborted(opts.signal);
    const end = BigInt(SUPERBLOCK_OFFSET + SUPERBLOCK_BYTES);
    if (source.size < end) {
      throw new TruncatedError(
        { format: FORMAT, struct: 'superblock', offset: SUPERBLOCK_OFFSET },
        SUPERBLOCK_BYTES,
        source.size > BigInt(SUPERBLOCK_OFFSET) ? source.size - BigInt(SUPERBLOCK_OFFSET) : 0n,
      );
    }
    const sb = decodeSuperblock(await source.read(BigInt(SUPERBLOCK_OFFSET), SUPERBLOCK_BYTES, opts.signal));
    const store = new Ext4Store(source, sb, { ...DEFAULT_LIMITS, ...opts.limits });
    if (sb.needsRecovery) {
      if (opts.replayJournal === false) store.journal = { status: 'skipped', transactions: 0, blocks: 0 };
      else await store.loadJournal();
    }
    // The root must be a directory (ext4_fill_super checks the same): catches most garbage early.
    const root = await store.inode(ROOT_INO);
    if (typeFromMode(root.mode) !== 'dir') {
      throw new CorruptError(
        { format: FORMAT, struct: 'inode 2', offset: root.offset, field: 'i_mode' },
        `0o${root.mode.toString(8)}`,
        'is not',
        'a directory',
      );
    }
    return store;
  }

  // ---- raw reads ----

  /** Positional read with an ext4-flavoured TruncatedError when the volume is shorter than claimed. */
  private async readAbs(
    offset: number,
    length: number,
    struct: string,
    signal?: AbortSignal,
    raw = false,
  ): Promise<Buffer> {
    checkAborted(signal);
    const off = BigInt(offset);
    if (off + BigInt(length) > this.source.size) {
      throw new TruncatedError(
        { format: FORMAT, struct, offset, field: 'block' },
        length,
        off < this.source.size ? this.source.size - off : 0n,
      );
    }
    const buf = await this.source.read(off, length, signal);
    if (raw || !this.overlay || this.overlay.blocks.size === 0 || length === 0) return buf;
    return this.applyOverlay(offset, buf);
  }

  /** Replaces the blocks of `buf` (read at `offset`) that the journal holds newer copies of. */
  private async applyOverlay(offset: number, buf: Buffer): Promise<Buffer> {
    const { blocks, readLog } = this.overlay!;
    const bs = this.blockSize;
    const first = Math.floor(offset / bs);
    const last = Math.floor((offset + buf.length - 1) / bs);
    const hits: number[] = [];
    if (last - first + 1 <= blocks.size) {
      for (let b = first; b <= last; b++) if (blocks.has(b)) hits.push(b);
    } else {
      for (const b of blocks.keys()) if (b >= first && b <= last) hits.push(b);
    }
    if (hits.length === 0) return buf;
    // Copy: the source may hand out buffers it caches itself.
    const out = Buffer.from(buf);
    for (const b of hits) {
      const e = blocks.get(b)!;
      let src = (await readLog(e.log)).buf;
      if (e.escaped) {
        // The logged copy had its first 4 bytes zeroed because they looked like the jbd2 magic.
        src = Buffer.from(src);
        src.writeUInt32BE(JBD2_MAGIC, 0);
      }
      const start = b * bs;
      const from = Math.max(start, offset);
      const to = Math.min(start + bs, offset + buf.length);
      src.copy(out, from - offset, from - start, to - start);
    }
    return out;
  }

  /**
   * Builds the journal overlay (journal.ts). A volume whose log cannot be read is still read, at its
   * last checkpoint; `journal.status` records what happened.
   */
  private async loadJournal(): Promise<void> {
    const sb = this.sb;
    if (!hasCompat(sb, COMPAT.has_journal) || sb.journalInum === 0) {
      this.journal = { status: 'external', transactions: 0, blocks: 0 };
      return;
    }
    try {
      const ji = await this.inode(sb.journalInum);
      const bs = this.blockSize;
      const len = Math.floor(ji.size / bs);
      const runs = await this.mapBlocks(ji, 0, len);
      const readLog: JournalReader = async (log) => {
        const r = runs.find((x) => log >= x.lblk && log < x.lblk + x.len);
        if (!r || r.uninit) {
          throw new CorruptError(
            { format: FORMAT, struct: 'journal inode', offset: ji.offset, field: 'log block' },
            log,
            'is',
            'not mapped',
          );
        }
        const offset = (r.pblk + (log - r.lblk)) * bs;
        return { buf: await this.readAbs(offset, bs, 'journal block', undefined, true), offset };
      };
      const head = await readLog(0);
      const jsb = decodeJournalSuperblock(head.buf, head.offset, bs);
      if (jsb.maxLen > len) {
        throw new CorruptError(
          { format: FORMAT, struct: 'journal superblock', offset: head.offset, field: 's_maxlen' },
          jsb.maxLen,
          '>',
          `journal inode blocks (${len})`,
        );
      }
      const replay = await replayJournal(jsb, readLog, sb.blocksCount);
      this.overlay = { blocks: replay.blocks, readLog };
      this.journal = {
        status: replay.blocks.size > 0 ? 'replayed' : 'clean',
        transactions: replay.transactions,
        blocks: replay.blocks.size,
      };
    } catch (err) {
      if (!(err instanceof ScanError)) throw err;
      this.journal = { status: 'failed', transactions: 0, blocks: 0, error: err };
    } finally {
      // Metadata read while locating the journal predates the overlay.
      this.meta.clear();
      this.inodes.clear();
      this.tables.clear();
    }
  }

  private cached(key: string, offset: number, length: number, struct: string): Promise<Buffer> {
    const hit = this.meta.get(key);
    if (hit) return hit;
    const p = this.readAbs(offset, length, struct);
    this.meta.set(key, p, length);
    p.catch(() => this.meta.delete(key));
    return p;
  }

  /** A metadata block (descriptor block, extent node, indirect block, xattr block), cached. */
  readonly metaBlock = async (block: number, struct: string): Promise<{ buf: Buffer; offset: number }> => {
    if (!Number.isSafeInteger(block) || block < 0 || block >= this.sb.blocksCount) {
      throw new CorruptError(
        { format: FORMAT, struct, offset: 0, field: 'block' },
        block,
        'outside',
        `[0, ${this.sb.blocksCount})`,
      );
    }
    const offset = block * this.blockSize;
    return { buf: await this.cached(`b${block}`, offset, this.blockSize, struct), offset };
  };

  // ---- group descriptors and inodes ----

  async groupDesc(group: number): Promise<GroupDesc> {
    const n = Math.floor(group / descsPerBlock(this.sb));
    const block = descriptorBlock(this.sb, n);
    if (block >= this.sb.blocksCount) {
      throw new CorruptError(
        {
          format: FORMAT,
          struct: `group descriptor ${group}`,
          offset: SUPERBLOCK_OFFSET,
          field: 'descriptor block',
        },
        block,
        '>=',
        `s_blocks_count ${this.sb.blocksCount}`,
      );
    }
    const { buf, offset } = await this.metaBlock(block, 'group descriptor block');
    return decodeGroupDesc(this.sb, group, buf, offset);
  }

  /** Decoded inode `ino` (1-based), validated against s_inodes_count. */
  async inode(ino: number): Promise<Inode> {
    const sb = this.sb;
    if (!Number.isSafeInteger(ino) || ino < 1 || ino > sb.inodesCount) {
      throw new CorruptError(
        { format: FORMAT, struct: 'inode number', offset: SUPERBLOCK_OFFSET, field: 'ino' },
        ino,
        'outside',
        `[1, ${sb.inodesCount}]`,
      );
    }
    const hit = this.inodes.get(String(ino));
    if (hit) return hit;
    const run = await this.inodeRun(ino);
    const rel = run.at - run.offset;
    const chunk = await this.tableRun(run);
    const inode = decodeInode(sb, ino, chunk.subarray(rel, rel + sb.inodeSize), run.at);
    this.inodes.set(String(ino), inode, 1);
    return inode;
  }

  /** Where inode `ino` is (`at`) and the inode-table run read with it ([offset, offset+length)). */
  private async inodeRun(ino: number): Promise<{ at: number; offset: number; length: number }> {
    const sb = this.sb;
    const group = Math.floor((ino - 1) / sb.inodesPerGroup);
    const index = (ino - 1) % sb.inodesPerGroup;
    const gd = await this.groupDesc(group);
    const table = gd.inodeTable * sb.blockSize;
    const at = table + index * sb.inodeSize;
    const csum = hasRoCompat(sb, RO_COMPAT.gdt_csum) || hasRoCompat(sb, RO_COMPAT.metadata_csum);
    const used =
      csum && gd.itableUnused <= sb.inodesPerGroup ? sb.inodesPerGroup - gd.itableUnused : sb.inodesPerGroup;
    const chunk = this.inodeChunk;
    const usedEnd = table + Math.ceil((Math.max(used, index + 1) * sb.inodeSize) / chunk) * chunk;
    const runBytes = Math.max(INODE_RUN_BYTES, chunk);
    const offset = at - ((at - table) % runBytes);
    const length = Math.min(offset + runBytes, usedEnd) - offset;
    return { at, offset, length };
  }

  private tableRun(run: { offset: number; length: number }): Promise<Buffer> {
    const key = `${run.offset}+${run.length}`;
    const hit = this.tables.get(key);
    if (hit) return hit;
    const p = this.readAbs(run.offset, run.length, 'inode table');
    this.tables.set(key, p, run.length);
    p.catch(() => this.tables.delete(key));
    return p;
  }

  prefetchInodes(inos: readonly number[]): void {
    if (!this.source.prefetch || this.hintsInFlight >= PREFETCH_HINTS_IN_FLIGHT) return;
    this.hintsInFlight++;
    void (async () => {
      const ranges = new Map<string, ReadRange>();
      for (const ino of inos) {
        if (!Number.isSafeInteger(ino) || ino < 1 || ino > this.sb.inodesCount) continue;
        const r = await this.inodeRun(ino);
        const key = `${r.offset}+${r.length}`;
        if (!ranges.has(key) && !this.tables.get(key))
          ranges.set(key, { offset: BigInt(r.offset), length: r.length });
      }
      if (ranges.size > 0) this.source.prefetch?.([...ranges.values()]);
    })()
      .catch(() => {})
      .finally(() => {
        this.hintsInFlight--;
      });
  }

  prefetchDirs(inos: readonly number[]): void {
    if (!this.source.prefetch || this.hintsInFlight >= PREFETCH_HINTS_IN_FLIGHT) return;
    this.hintsInFlight++;
    void Promise.all(
      inos
        .slice(0, PREFETCH_DIRS_PER_HINT)
        .map((ino) => this.dataRanges(ino, this.limits.MAX_DIR_BYTES).catch(() => [] as ReadRange[])),
    )
      .then((all) => {
        const ranges = all.flat();
        if (ranges.length > 0) this.source.prefetch?.(ranges);
      })
      .finally(() => {
        this.hintsInFlight--;
      });
  }

  // ---- block mapping ----

  /** Mapped runs of logical blocks [first, end) of an inode (extent tree or block map). */
  async mapBlocks(inode: Inode, first: number, end: number): Promise<Run[]> {
    const out: Run[] = [];
    const root = new Cursor(inode.iBlock, {
      base: inode.iBlockOffset,
      format: FORMAT,
      struct: `inode ${inode.ino} i_block`,
    });
    if (inode.flags & INODE_FLAGS.extents) {
      await mapExtents(this.sb, this.metaBlock, root, first, end, out, this.limits.MAX_EXTENT_DEPTH);
    } else {
      await mapBlockMap(this.sb, this.metaBlock, root, first, end, out);
    }
    return out;
  }

  private refuseEncrypted(inode: Inode): void {
    if (inode.flags & INODE_FLAGS.encrypt) {
      throw new UnsupportedError('ext4:encrypt', `ext4: inode ${inode.ino} is encrypted (fscrypt)`);
    }
    if (inode.flags & INODE_FLAGS.compr) {
      throw new UnsupportedError('ext4:compression', `ext4: inode ${inode.ino} is compressed (e2compr)`);
    }
  }

  /** Inline data: the 60 bytes of i_block followed by the "system.data" attribute value. */
  private inlineData(inode: Inode): Buffer {
    const attrs = decodeXattrs(inode.ibodyXattr, inode.ibodyXattrOffset, 'ibody');
    const data = attrs.find((a) => a.name === 'system.data');
    const tail = data?.value ?? Buffer.alloc(0);
    return Buffer.concat([inode.iBlock, tail]);
  }

  // ---- InodeStore ----

  async stat(ino: number): Promise<Stat> {
    const i = await this.inode(ino);
    return {
      ino,
      type: typeFromMode(i.mode),
      mode: i.mode,
      size: i.size,
      uid: i.uid,
      gid: i.gid,
      nlink: i.nlink,
      mtime: i.mtime,
    };
  }

  async readDir(ino: number, signal?: AbortSignal): Promise<DirEntry[]> {
    const inode = await this.inode(ino);
    if (typeFromMode(inode.mode) !== 'dir')
      throw new ScanError('not-a-directory', `ext4: inode ${ino} is not a directory`);
    this.refuseEncrypted(inode);
    const out: RawDirEntry[] = [];
    const max = this.limits.MAX_DIR_ENTRIES;
    const onEntry = () => {
      if (out.length + 1 > max) {
        throw new LimitExceededError(
          { format: FORMAT, struct: `directory inode ${ino}`, offset: inode.offset },
          'MAX_DIR_ENTRIES',
          out.length + 1,
          max,
        );
      }
    };
    if (inode.flags & INODE_FLAGS.inline_data) {
      // Inline directory: u32 parent inode, then entries tiling the rest of i_block, then entries
      // tiling the system.data value (each region on its own).
      const data = this.inlineData(inode);
      decodeDirBlock(
        data.subarray(4, I_BLOCK_BYTES),
        inode.iBlockOffset + 4,
        4096,
        this.hasFiletype,
        out,
        onEntry,
      );
      if (data.length > I_BLOCK_BYTES) {
        decodeDirBlock(
          data.subarray(I_BLOCK_BYTES),
          inode.ibodyXattrOffset,
          4096,
          this.hasFiletype,
          out,
          onEntry,
        );
      }
      return this.checkEntries(out, inode);
    }
    if (inode.size > this.limits.MAX_DIR_BYTES) {
      throw new LimitExceededError(
        { format: FORMAT, struct: `directory inode ${ino}`, offset: inode.offset, field: 'i_size' },
        'MAX_DIR_BYTES',
        inode.size,
        this.limits.MAX_DIR_BYTES,
      );
    }
    const bs = this.blockSize;
    const blocks = Math.ceil(inode.size / bs);
    const runs = await this.mapBlocks(inode, 0, blocks);
    // A directory has no holes (e2fsck pass 2: "directory has an unallocated block"; the kernel's
    // ext4_read_dirblock refuses htree holes): a block that became a hole hides its entries, and a
    // lookup would answer "not found" for a file that is there. Corrupt, not absent.
    let next = 0;
    for (const r of [...runs].sort((a, b) => a.lblk - b.lblk)) {
      if (r.lblk > next) break;
      next = Math.max(next, r.lblk + r.len);
    }
    if (next < blocks) {
      throw new CorruptError(
        { format: FORMAT, struct: `directory inode ${ino}`, offset: inode.offset, field: 'block map' },
        `logical block ${next} unmapped`,
        'below i_size of',
        `${blocks} blocks (a directory has no holes)`,
      );
    }
    const live = runs.filter((r) => !r.uninit);
    this.source.prefetch?.(live.map((r) => ({ offset: BigInt(r.pblk * bs), length: r.len * bs })));
    for (const r of live) {
      for (let b = 0; b < r.len; ) {
        const n = Math.min(r.len - b, Math.max(1, Math.floor(READ_CHUNK_BYTES / bs)));
        const offset = (r.pblk + b) * bs;
        const buf = await this.readAbs(offset, n * bs, 'directory block', signal);
        for (let k = 0; k < n; k++) {
          checkAborted(signal);
          decodeDirBlock(
            buf.subarray(k * bs, (k + 1) * bs),
            offset + k * bs,
            bs,
            this.hasFiletype,
            out,
            onEntry,
          );
        }
        b += n;
      }
    }
    return this.checkEntries(out, inode);
  }

  private checkEntries(out: RawDirEntry[], dir: Inode): DirEntry[] {
    for (const e of out) {
      if (e.ino > this.sb.inodesCount) {
        throw new CorruptError(
          {
            format: FORMAT,
            struct: `directory inode ${dir.ino}`,
            offset: dir.offset,
            field: `entry ${JSON.stringify(e.name)} inode`,
          },
          e.ino,
          '>',
          `s_inodes_count ${this.sb.inodesCount}`,
        );
      }
    }
    return out;
  }

  async readData(ino: number, offset: number, length: number, signal?: AbortSignal): Promise<Buffer> {
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
      throw new ScanError('invalid-argument', `ext4: bad read range offset=${offset} length=${length}`);
    }
    const inode = await this.inode(ino);
    this.refuseEncrypted(inode);
    if (offset >= inode.size) return Buffer.alloc(0);
    const n = Math.min(length, inode.size - offset);
    if (n > this.limits.MAX_READ_DATA_BYTES) {
      throw new LimitExceededError(
        { format: FORMAT, struct: `inode ${ino}`, offset: inode.offset, field: 'read length' },
        'MAX_READ_DATA_BYTES',
        n,
        this.limits.MAX_READ_DATA_BYTES,
      );
    }
    if (inode.flags & INODE_FLAGS.inline_data) {
      const data = this.inlineData(inode);
      const out = Buffer.alloc(n);
      data.copy(out, 0, Math.min(offset, data.length), Math.min(offset + n, data.length));
      return out;
    }
    const bs = this.blockSize;
    const out = Buffer.alloc(n);
    const runs = await this.mapBlocks(inode, Math.floor(offset / bs), Math.ceil((offset + n) / bs));
    const maxChunkBlocks = Math.max(1, Math.floor(READ_CHUNK_BYTES / bs));
    for (const r of runs) {
      if (r.uninit) continue; // preallocated: zeros, already in `out`
      for (let b = 0; b < r.len; ) {
        const cnt = Math.min(r.len - b, maxChunkBlocks);
        // File bytes covered by these blocks, clipped to the requested window.
        const fileStart = Math.max((r.lblk + b) * bs, offset);
        const fileEnd = Math.min((r.lblk + b + cnt) * bs, offset + n);
        if (fileStart < fileEnd) {
          const phys = (r.pblk + b) * bs + (fileStart - (r.lblk + b) * bs);
          const buf = await this.readAbs(phys, fileEnd - fileStart, 'file data', signal);
          buf.copy(out, fileStart - offset);
        }
        b += cnt;
      }
    }
    return out;
  }

  async readLink(ino: number): Promise<string> {
    const inode = await this.inode(ino);
    if (typeFromMode(inode.mode) !== 'symlink') {
      throw new ScanError('invalid-argument', `ext4: inode ${ino} is not a symbolic link`);
    }
    this.refuseEncrypted(inode);
    const max = this.limits.MAX_SYMLINK_BYTES;
    if (inode.size > max) {
      throw new LimitExceededError(
        { format: FORMAT, struct: `inode ${ino}`, offset: inode.offset, field: 'i_size' },
        'MAX_SYMLINK_BYTES',
        inode.size,
        max,
      );
    }
    let bytes: Buffer;
    // ext4_inode_is_fast_symlink: no data blocks besides an xattr block means the target is in i_block.
    const eaBlocks =
      inode.fileAcl !== 0
        ? (this.blockSize << Math.max(0, this.sb.logClusterSize - this.sb.logBlockSize)) / 512
        : 0;
    if (inode.flags & INODE_FLAGS.inline_data) {
      bytes = this.inlineData(inode).subarray(0, inode.size);
    } else if (inode.size < I_BLOCK_BYTES && inode.blocks - eaBlocks === 0) {
      bytes = inode.iBlock.subarray(0, inode.size);
    } else {
      bytes = await this.readData(ino, 0, inode.size);
    }
    const nul = bytes.indexOf(0);
    return (nul < 0 ? bytes : bytes.subarray(0, nul)).toString('utf8');
  }

  /** Physical byte ranges of a file's first `maxBytes` (holes and preallocated extents excluded). */
  async dataRanges(ino: number, maxBytes = Number.MAX_SAFE_INTEGER, from = 0): Promise<ReadRange[]> {
    const inode = await this.inode(ino);
    if (inode.flags & INODE_FLAGS.inline_data) return [];
    const type = typeFromMode(inode.mode);
    if (type !== 'file' && type !== 'dir' && type !== 'symlink') return [];
    const bs = this.blockSize;
    const bytes = Math.min(inode.size, maxBytes);
    const first = Math.min(Math.floor(Math.max(0, from) / bs), Math.ceil(bytes / bs));
    const runs = await this.mapBlocks(inode, first, Math.ceil(bytes / bs));
    return runs.filter((r) => !r.uninit).map((r) => ({ offset: BigInt(r.pblk * bs), length: r.len * bs }));
  }

  async prefetchData(ino: number, maxBytes: number, from = 0): Promise<void> {
    if (!this.source.prefetch) return;
    try {
      const ranges = await this.dataRanges(ino, maxBytes, from);
      if (ranges.length > 0) this.source.prefetch(ranges);
    } catch (err) {
      // A hint only: readData reports the same problem with its own error.
      if (!(err instanceof ScanError)) throw err;
    }
  }

  /** Extended attributes: in-inode area then the external block (i_file_acl). */
  async readXattrs(ino: number): Promise<Xattr[]> {
    const inode = await this.inode(ino);
    const out = decodeXattrs(inode.ibodyXattr, inode.ibodyXattrOffset, 'ibody');
    if (inode.fileAcl !== 0) {
      const { buf, offset } = await this.metaBlock(inode.fileAcl, 'xattr block');
      out.push(...decodeXattrs(buf, offset, 'block'));
    }
    return out;
  }
}
