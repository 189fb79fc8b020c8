/**
 * Berkeley DB hash database, as rpm < 4.16 keeps `/var/lib/rpm/Packages` (Berkeley DB 4.x/5.x,
 * hash version 8/9). Layout from libdb's dbinc/db_page.h (DB 4.8/5.3):
 *
 *   page 0  hash metadata (HMETA), in the byte order of the machine that created the file:
 *             0 lsn(8) | 8 pgno | 12 magic 0x061561 | 16 version | 20 pagesize | 24 encrypt_alg(u8)
 *            25 type(u8)=8 | 26 metaflags(u8, 0x01 = page checksums) | 28 free | 32 last_pgno | …
 *            72 max_bucket | 76 high_mask | 80 low_mask | 84 ffactor | 88 nelem | 92 h_charkey
 *            96 spares[32]
 *   page n  generic header (26 bytes, +6 when checksummed):
 *             0 lsn(8) | 8 pgno | 12 prev_pgno | 16 next_pgno | 20 entries(u16) | 22 hf_offset(u16)
 *            24 level(u8) | 25 type(u8): 2 P_HASH_UNSORTED, 7 P_OVERFLOW, 13 P_HASH
 *           hash page: u16 inp[entries] (item offsets; pairs key, data), items grow down from the end.
 *             item length = (i == 0 ? pagesize : inp[i-1]) - inp[i] (LEN_HITEM)
 *             H_KEYDATA(1): type(u8) bytes…   H_OFFPAGE(3): type(u8) pad(3) pgno(u32) tlen(u32)
 *           overflow page: OV_LEN = hf_offset bytes of data after the header; next_pgno chains,
 *             0 ends the chain.
 *
 * rpm stores one record per package: key = header instance number (u32, host order), data = the
 * header blob, almost always off-page. Key 0 holds rpm's instance counter, not a package.
 * Every page is visited once in file order (as libdb's verify does), so a broken bucket chain
 * cannot loop; overflow chains share one visited ("claimed") set, so each overflow page serves at
 * most one item and all chains together spend at most a hop budget of the file's page count.
 */
import {
  BadMagicError,
  CorruptError,
  checkAborted,
  FormatError,
  LimitExceededError,
  ScanError,
  TruncatedError,
  UnsupportedError,
} from '../../../engine/errors.js';
import type { Limits } from '../../../engine/limits.js';
import { Cursor } from '../../bytes/cursor.js';
import type { RpmDbRead, RpmDbRecord } from './types.js';

export const FORMAT = 'rpm/bdb';
export const HASH_MAGIC = 0x061561;
const BTREE_MAGIC = 0x053162;
/** Free (never used or freed) page: zeroed. */
const P_INVALID = 0;
const P_HASH_UNSORTED = 2;
const P_OVERFLOW = 7;
const P_HASHMETA = 8;
const P_HASH = 13;
const H_KEYDATA = 1;
const H_DUPLICATE = 2;
const H_OFFPAGE = 3;
const H_OFFDUP = 4;
const SIZEOF_PAGE = 26;
/** PG_CHKSUM adds 2 alignment bytes and a 4-byte checksum after the header. */
const CHKSUM_OVERHEAD = 6;
const DBMETA_CHKSUM = 0x01;
/** Stray pages listed one by one in `errors`; more are counted in one summary error. */
const MAX_STRAY_PAGES_REPORTED = 16;

export interface BdbMeta {
  littleEndian: boolean;
  version: number;
  pageSize: number;
  lastPgno: number;
  /** Pages present in the file (min of last_pgno + 1 and what the bytes hold). */
  pageCount: number;
  /** Bytes before a page's index array / overflow data. */
  overhead: number;
  checksummed: boolean;
}

/** True when the bytes start with a BDB hash metadata page in either byte order. */
export function probeBdb(bytes: Buffer): boolean {
  if (bytes.length < 512) return false;
  return bytes.readUInt32LE(12) === HASH_MAGIC || bytes.readUInt32BE(12) === HASH_MAGIC;
}

export function decodeBdbMeta(bytes: Buffer): BdbMeta {
  const c = new Cursor(bytes, { format: FORMAT, struct: 'hash metadata page' });
  c.need(0, 512, 'metadata page');
  let le: boolean;
  if (c.u32leAt(12) === HASH_MAGIC) le = true;
  else if (c.u32beAt(12) === HASH_MAGIC) le = false;
  else {
    const m = c.u32leAt(12);
    if (m === BTREE_MAGIC || c.u32beAt(12) === BTREE_MAGIC) {
      throw new UnsupportedError('bdb-btree', `${FORMAT}: Packages is a btree database; rpm uses hash`);
    }
    throw new BadMagicError(c.loc('magic', 12), `0x${m.toString(16)}`, `0x${HASH_MAGIC.toString(16)}`);
  }
  const u32 = (at: number, field: string) => (le ? c.u32leAt(at, field) : c.u32beAt(at, field));
  const version = u32(16, 'version');
  // Hash version 8 (DB 4.2-4.5, P_HASH_UNSORTED pages) and 9 (DB 4.6-5.3, sorted P_HASH pages).
  if (version < 8 || version > 10) {
    throw new UnsupportedError(
      'bdb-hash-version',
      `${FORMAT}: hash metadata version ${version} (supported: 8-10)`,
    );
  }
  const pageSize = u32(20, 'pagesize');
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) {
    throw new CorruptError(c.loc('pagesize', 20), pageSize, 'is not', 'a power of 2 in [512, 65536]');
  }
  const encrypt = c.u8At(24, 'encrypt_alg');
  if (encrypt !== 0)
    throw new UnsupportedError('bdb-encryption', `${FORMAT}: encrypted database (alg ${encrypt})`);
  const type = c.u8At(25, 'type');
  if (type !== P_HASHMETA) throw new CorruptError(c.loc('type', 25), type, '!=', P_HASHMETA);
  const checksummed = (c.u8At(26, 'metaflags') & DBMETA_CHKSUM) !== 0;
  const lastPgno = u32(32, 'last_pgno');
  const inFile = Math.floor(bytes.length / pageSize);
  if (inFile < 1) throw new TruncatedError(c.loc('metadata page', 0), pageSize, bytes.length);
  const pageCount = Math.min(lastPgno + 1, inFile);
  return Object.freeze({
    littleEndian: le,
    version,
    pageSize,
    lastPgno,
    pageCount,
    overhead: SIZEOF_PAGE + (checksummed ? CHKSUM_OVERHEAD : 0),
    checksummed,
  });
}

interface PageHeader {
  pgno: number;
  nextPgno: number;
  entries: number;
  hfOffset: number;
  type: number;
}

class BdbFile {
  readonly c: Cursor;
  /** Overflow pages already walked by some chain (see readOverflow). */
  readonly claimed = new Set<number>();
  constructor(
    readonly bytes: Buffer,
    readonly meta: BdbMeta,
    readonly limits: Pick<Limits, 'MAX_RPM_HEADER_BYTES' | 'MAX_RPM_HEADER_ENTRIES' | 'MAX_PACKAGES_PER_DB'>,
  ) {
    this.c = new Cursor(bytes, { format: FORMAT, struct: 'page' });
  }

  u32(at: number, field: string): number {
    return this.meta.littleEndian ? this.c.u32leAt(at, field) : this.c.u32beAt(at, field);
  }
  u16(at: number, field: string): number {
    return this.meta.littleEndian ? this.c.u16leAt(at, field) : this.c.u16beAt(at, field);
  }

  page(pgno: number): PageHeader {
    const off = pgno * this.meta.pageSize;
    return {
      pgno: this.u32(off + 8, 'pgno'),
      nextPgno: this.u32(off + 16, 'next_pgno'),
      entries: this.u16(off + 20, 'entries'),
      hfOffset: this.u16(off + 22, 'hf_offset'),
      type: this.c.u8At(off + 25, 'type'),
    };
  }

  loc(pgno: number, rel: number, struct: string, field: string) {
    return { format: FORMAT, struct: `${struct} ${pgno}`, offset: pgno * this.meta.pageSize + rel, field };
  }

  /** Reassembles an off-page item: follows next_pgno from `start` until `tlen` bytes are read. */
  readOverflow(start: number, tlen: number, from: { pgno: number; rel: number }): Buffer {
    const { pageSize, pageCount, overhead } = this.meta;
    const max = this.limits.MAX_RPM_HEADER_BYTES + 8 + 16 * this.limits.MAX_RPM_HEADER_ENTRIES;
    if (tlen > max) {
      throw new LimitExceededError(
        this.loc(from.pgno, from.rel + 8, 'hash page', 'tlen'),
        'MAX_RPM_HEADER_BYTES',
        tlen,
        max,
      );
    }
    // The item cannot be larger than every page of the file put together.
    if (tlen > pageCount * (pageSize - overhead)) {
      throw new CorruptError(
        this.loc(from.pgno, from.rel + 8, 'hash page', 'tlen'),
        tlen,
        '>',
        pageCount * (pageSize - overhead),
      );
    }
    // Pass 1 walks and checks the chain without copying; pass 2 allocates once and copies.
    // Pages are claimed as they are walked, even when the chain turns out bad: every overflow
    // page serves at most one item, so all chains together walk at most pageCount pages and
    // reassemble at most the file's size (no item can make another re-read or re-copy a chain).
    const chain: Array<{ src: number; len: number }> = [];
    let filled = 0;
    let pg = start;
    let prev = from.pgno;
    while (filled < tlen) {
      const at = this.loc(prev, 16, 'overflow page', 'next_pgno');
      if (pg === 0) throw new TruncatedError(at, tlen, filled);
      if (pg >= pageCount) throw new CorruptError(at, pg, '>=', pageCount);
      if (this.claimed.has(pg))
        throw new CorruptError(at, pg, 'revisits', 'a page of this or an earlier chain');
      this.claimed.add(pg);
      // claimed makes this unreachable; kept as the explicit hop budget all chains may spend.
      if (this.claimed.size > pageCount) {
        throw new LimitExceededError(
          this.loc(pg, 16, 'overflow page', 'hops'),
          'page count',
          this.claimed.size,
          pageCount,
        );
      }
      const h = this.page(pg);
      if (h.type !== P_OVERFLOW)
        throw new CorruptError(this.loc(pg, 25, 'overflow page', 'type'), h.type, '!=', P_OVERFLOW);
      if (h.pgno !== pg) throw new CorruptError(this.loc(pg, 8, 'overflow page', 'pgno'), h.pgno, '!=', pg);
      const len = h.hfOffset;
      if (len < 1 || len > pageSize - overhead) {
        throw new CorruptError(
          this.loc(pg, 22, 'overflow page', 'OV_LEN'),
          len,
          'outside',
          `[1, ${pageSize - overhead}]`,
        );
      }
      if (filled + len > tlen)
        throw new CorruptError(this.loc(pg, 22, 'overflow page', 'OV_LEN'), filled + len, '>', tlen);
      chain.push({ src: pg * pageSize + overhead, len });
      filled += len;
      prev = pg;
      pg = h.nextPgno;
    }
    if (pg !== 0) {
      throw new CorruptError(
        this.loc(prev, 16, 'overflow page', 'next_pgno'),
        pg,
        '!=',
        '0 after the last byte',
      );
    }
    const out = Buffer.allocUnsafe(tlen);
    let o = 0;
    for (const part of chain) {
      this.c.bytesAt(part.src, part.len, 'overflow data').copy(out, o);
      o += part.len;
    }
    return out;
  }
}

/**
 * Lists every key/data pair of the hash database as rpm header records. Structural problems of the
 * file (metadata) throw; a bad page or item is reported in `errors` and the rest is still read.
 */
export function readBdbRpmdb(
  bytes: Buffer,
  limits: Pick<Limits, 'MAX_RPM_HEADER_BYTES' | 'MAX_RPM_HEADER_ENTRIES' | 'MAX_PACKAGES_PER_DB'>,
  signal?: AbortSignal,
  /** When given, each record goes here as it is read (in file order) instead of into `records`. */
  emit?: (r: RpmDbRecord) => void,
): RpmDbRead {
  const declared = decodeBdbMeta(bytes);
  const errors: ScanError[] = [];
  // last_pgno below the file's last page (a damaged metadata page) would hide the pages after
  // it: they are still read, and the mismatch is reported (found by test/fuzz: last_pgno zeroed
  // gave 0 packages and no error).
  const inFile = Math.floor(bytes.length / declared.pageSize);
  const meta = inFile > declared.pageCount ? { ...declared, pageCount: inFile } : declared;
  if (inFile > declared.lastPgno + 1) {
    errors.push(
      new CorruptError(
        { format: FORMAT, struct: 'hash metadata page', offset: 32, field: 'last_pgno' },
        declared.lastPgno,
        '<',
        `${inFile - 1} (the last page in the file)`,
      ),
    );
  }
  const f = new BdbFile(bytes, meta, limits);
  const { pageSize, pageCount, overhead } = meta;
  const records: RpmDbRecord[] = [];
  const seen = new Set<number>();
  if (meta.lastPgno + 1 > pageCount) {
    errors.push(
      new TruncatedError(
        { format: FORMAT, struct: 'file', offset: 0, field: 'pages' },
        (meta.lastPgno + 1) * pageSize,
        bytes.length,
      ),
    );
  }
  // A file that is not whole pages was cut or had bytes inserted: every page after the damage
  // is misaligned, so it is reported rather than read as "no packages".
  if (bytes.length % pageSize !== 0) {
    errors.push(
      new CorruptError(
        { format: FORMAT, struct: 'file', offset: bytes.length, field: 'size' },
        bytes.length,
        'is not a multiple of the page size',
        pageSize,
      ),
    );
  }
  let strayPages = 0;
  for (let pgno = 1; pgno < pageCount; pgno++) {
    checkAborted(signal);
    const base = pgno * pageSize;
    const type = bytes[base + 25]!;
    if (type !== P_HASH && type !== P_HASH_UNSORTED) {
      // Free pages (P_INVALID, zeroed) and overflow pages belong in a hash file; anything else
      // (btree, queue, a second metadata page, garbage) means the page is not what rpm wrote.
      if (type !== P_INVALID && type !== P_OVERFLOW && ++strayPages <= MAX_STRAY_PAGES_REPORTED) {
        errors.push(
          new CorruptError(f.loc(pgno, 25, 'page', 'type'), type, 'is not', 'a hash, overflow or free page'),
        );
      }
      continue;
    }
    try {
      const h = f.page(pgno);
      if (h.pgno !== pgno) throw new CorruptError(f.loc(pgno, 8, 'hash page', 'pgno'), h.pgno, '!=', pgno);
      const maxEntries = Math.floor((pageSize - overhead) / 2);
      if (h.entries > maxEntries || h.entries % 2 !== 0) {
        throw new CorruptError(
          f.loc(pgno, 20, 'hash page', 'entries'),
          h.entries,
          'is not',
          `an even count <= ${maxEntries}`,
        );
      }
      const firstItem = overhead + 2 * h.entries;
      const itemAt = (i: number): { off: number; len: number } => {
        const off = f.u16(base + overhead + 2 * i, 'inp');
        const end = i === 0 ? pageSize : f.u16(base + overhead + 2 * (i - 1), 'inp');
        if (off < firstItem || off >= end || end > pageSize) {
          throw new CorruptError(
            f.loc(pgno, overhead + 2 * i, 'hash page', `inp[${i}]`),
            off,
            'outside',
            `[${firstItem}, ${end})`,
          );
        }
        return { off, len: end - off };
      };
      for (let i = 0; i < h.entries; i += 2) {
        try {
          const k = itemAt(i);
          const d = itemAt(i + 1);
          const kType = bytes[base + k.off]!;
          if (kType !== H_KEYDATA) {
            throw new UnsupportedError(
              'bdb-offpage-key',
              `${FORMAT}: hash page ${pgno} item ${i}: key item type ${kType}`,
            );
          }
          // rpm's keys are a u32 instance number in the creator's byte order.
          if (k.len - 1 !== 4)
            throw new CorruptError(f.loc(pgno, k.off, 'hash page', `key ${i} length`), k.len - 1, '!=', 4);
          const key = f.u32(base + k.off + 1, 'key');
          const dType = bytes[base + d.off]!;
          let blob: Buffer;
          let offset = 0;
          if (dType === H_KEYDATA) {
            blob = Buffer.from(bytes.subarray(base + d.off + 1, base + d.off + d.len));
            offset = base + d.off + 1;
          } else if (dType === H_OFFPAGE) {
            if (d.len < 12)
              throw new CorruptError(f.loc(pgno, d.off, 'hash page', 'HOFFPAGE length'), d.len, '<', 12);
            const start = f.u32(base + d.off + 4, 'HOFFPAGE pgno');
            const tlen = f.u32(base + d.off + 8, 'HOFFPAGE tlen');
            blob = f.readOverflow(start, tlen, { pgno, rel: d.off });
          } else if (dType === H_DUPLICATE || dType === H_OFFDUP) {
            throw new UnsupportedError(
              'bdb-duplicates',
              `${FORMAT}: hash page ${pgno} item ${i + 1}: duplicate data items`,
            );
          } else {
            throw new CorruptError(
              f.loc(pgno, d.off, 'hash page', `item ${i + 1} type`),
              dType,
              'is not',
              'H_KEYDATA/H_OFFPAGE',
            );
          }
          if (key === 0) continue; // rpm's header instance counter
          if (seen.has(key)) {
            throw new CorruptError(f.loc(pgno, k.off, 'hash page', 'key'), key, 'is', 'a duplicate');
          }
          seen.add(key);
          if (seen.size > limits.MAX_PACKAGES_PER_DB) {
            throw new LimitExceededError(
              f.loc(pgno, k.off, 'hash page', 'records'),
              'MAX_PACKAGES_PER_DB',
              seen.size,
              limits.MAX_PACKAGES_PER_DB,
            );
          }
          if (emit) emit({ key, blob, offset });
          else records.push({ key, blob, offset });
        } catch (err) {
          if (err instanceof LimitExceededError && err.limit === 'MAX_PACKAGES_PER_DB') throw err;
          if (!(err instanceof ScanError) || err.code === 'aborted') throw err;
          errors.push(err);
        }
      }
    } catch (err) {
      if (err instanceof LimitExceededError && err.limit === 'MAX_PACKAGES_PER_DB') throw err;
      if (!(err instanceof FormatError)) throw err;
      errors.push(err);
    }
  }
  if (strayPages > MAX_STRAY_PAGES_REPORTED) {
    errors.push(
      new CorruptError(
        { format: FORMAT, struct: 'file', offset: 0, field: 'pages of unexpected type' },
        strayPages,
        'in all; the first',
        `${MAX_STRAY_PAGES_REPORTED} are listed`,
      ),
    );
  }
  records.sort((a, b) => a.key - b.key);
  return { records, errors };
}
