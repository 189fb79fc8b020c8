/**
 * A bounded zip reader for untrusted archives (jar, war, ear), over a RandomAccess: it reads the
 * end-of-central-directory record, the central directory, and then only the entries asked for.
 *
 * Spec: PKWARE APPNOTE.TXT 6.3.10 (https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT)
 *
 *   [prefix: launch script of a "fully executable" jar, or nothing]
 *   [local file header 1][data 1] … [local file header n][data n]
 *   [central directory: one 46-byte header + name + extra + comment per entry]
 *   [zip64 end of central directory record + locator]   (only when counts/offsets overflow 32 bits)
 *   [end of central directory record: 22 bytes + comment ≤ 65535]
 *
 *   EOCD (4.3.16)       0 sig 0x06054b50 · 4 disk u16 · 6 cd disk u16 · 8 entries on disk u16 ·
 *                       10 entries u16 · 12 cd size u32 · 16 cd offset u32 · 20 comment len u16
 *   zip64 locator       0 sig 0x07064b50 · 4 disk u32 · 8 zip64 EOCD offset u64 · 16 disks u32
 *   zip64 EOCD (4.3.14) 0 sig 0x06064b50 · 4 size u64 · … · 24 entries on disk u64 · 32 entries u64 ·
 *                       40 cd size u64 · 48 cd offset u64
 *   central header      0 sig 0x02014b50 · 8 flags u16 · 10 method u16 · 16 crc32 · 20 csize u32 ·
 *   (4.3.12)            24 usize u32 · 28 name len · 30 extra len · 32 comment len · 42 local offset u32
 *   local header        0 sig 0x04034b50 · 26 name len u16 · 28 extra len u16 · 30 name, extra, data
 *   zip64 extra (4.5.3) id 0x0001: usize, csize, local offset (u64 each, only those that are 0xffffffff)
 *
 * Trust: sizes come from the central directory only. The local header is read for its name and
 * extra lengths (needed to find the data) and nothing else: it may lie about sizes (streamed
 * entries write zeros there). Every count and size is checked against engine/limits.ts and the
 * file size before anything is allocated; inflation runs with zlib's maxOutputLength set to the
 * declared size, so an entry that inflates past what it declares stops there and is a ZipBombError,
 * as is a declared ratio above MAX_ZIP_COMPRESSION_RATIO. A budget shared by an archive and every
 * archive nested in it caps the inflated bytes of the whole file.
 */
import { inflateRawSync } from 'node:zlib';
import { CorruptError, LimitExceededError, UnsupportedError, ZipBombError } from '../../../engine/errors.js';
import type { Limits } from '../../../engine/limits.js';
import { crc32 } from '../../bytes/crc32.js';
import { Cursor, toSafeNumber } from '../../bytes/cursor.js';
import { type RandomAccess, sliceAccess } from '../../bytes/random-access.js';

const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;
const EOCD_BYTES = 22;
const MAX_COMMENT = 0xffff;
const CENTRAL_BYTES = 46;
const LOCAL_BYTES = 30;

export const METHOD_STORED = 0;
export const METHOD_DEFLATED = 8;

export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  /** Absolute offset of the local header (prefix included). */
  localOffset: number;
  /** Absolute offset of the central directory header, for errors. */
  centralOffset: number;
}

/** Inflated (and central-directory) bytes left for one top-level archive and everything nested in it. */
export interface ZipBudget {
  inflatedBytesLeft: number;
  archivesLeft: number;
}

export function newZipBudget(limits: Limits): ZipBudget {
  return { inflatedBytesLeft: limits.MAX_ZIP_INFLATED_BYTES, archivesLeft: limits.MAX_JARS_PER_FILE };
}

interface Directory {
  entries: number;
  cdSize: number;
  cdOffset: number;
  /** Where the central directory really starts (cdOffset + prefix). */
  cdStart: number;
  /** Bytes before the archive proper: offsets in the directory are relative to it. */
  prefix: number;
}

export class ZipArchive {
  private constructor(
    readonly source: RandomAccess,
    readonly entries: readonly ZipEntry[],
    private readonly limits: Limits,
    private readonly budget: ZipBudget,
  ) {}

  static async open(source: RandomAccess, limits: Limits, budget: ZipBudget): Promise<ZipArchive> {
    if (--budget.archivesLeft < 0) {
      throw new LimitExceededError(
        { format: 'zip', struct: `archive ${source.name}`, offset: 0 },
        'MAX_JARS_PER_FILE',
        limits.MAX_JARS_PER_FILE + 1,
        limits.MAX_JARS_PER_FILE,
      );
    }
    const dir = await readDirectory(source, limits);
    // Directory bytes count against the same budget as inflated bytes: archives whose entries
    // overlap (many entries naming one nested archive) cannot multiply the bytes read.
    if (dir.cdSize > budget.inflatedBytesLeft) {
      throw new LimitExceededError(
        { format: 'zip', struct: `central directory of ${source.name}`, offset: dir.cdStart },
        'MAX_ZIP_INFLATED_BYTES',
        limits.MAX_ZIP_INFLATED_BYTES - budget.inflatedBytesLeft + dir.cdSize,
        limits.MAX_ZIP_INFLATED_BYTES,
      );
    }
    budget.inflatedBytesLeft -= dir.cdSize;
    const cd = await source.read(dir.cdStart, dir.cdSize, 'central directory');
    const entries = decodeCentralDirectory(cd, dir, source);
    return new ZipArchive(source, entries, limits, budget);
  }

  /** Absolute offset of an entry's data: after its local header's name and extra field. */
  private async dataOffset(e: ZipEntry): Promise<number> {
    const hdr = new Cursor(await this.source.read(e.localOffset, LOCAL_BYTES, 'local file header'), {
      base: e.localOffset,
      format: 'zip',
      struct: `local file header of ${e.name}`,
    });
    const sig = hdr.u32leAt(0, 'signature');
    if (sig !== SIG_LOCAL) throw new CorruptError(hdr.loc('signature', 0), hex(sig), '!=', hex(SIG_LOCAL));
    const start =
      e.localOffset + LOCAL_BYTES + hdr.u16leAt(26, 'name length') + hdr.u16leAt(28, 'extra length');
    if (start + e.compressedSize > this.source.size) {
      throw new CorruptError(
        hdr.loc('compressed size', 0),
        start + e.compressedSize,
        '> file size',
        this.source.size,
      );
    }
    return start;
  }

  /**
   * A stored (uncompressed) entry as a window of this archive: a nested jar in a Spring Boot fat
   * jar (BOOT-INF/lib, stored by spec) is then read in place, nothing copied or inflated.
   */
  async storedAccess(e: ZipEntry, name: string): Promise<RandomAccess | undefined> {
    if (e.method !== METHOD_STORED || e.flags & 1) return undefined;
    if (e.compressedSize !== e.uncompressedSize) {
      throw new CorruptError(
        { format: 'zip', struct: `central directory header of ${e.name}`, offset: e.centralOffset },
        e.uncompressedSize,
        '!= stored compressed size',
        e.compressedSize,
      );
    }
    return sliceAccess(this.source, await this.dataOffset(e), e.compressedSize, name);
  }

  /** The entry's bytes, inflated within `maxBytes`, the ratio limit and the shared budget. */
  async read(e: ZipEntry, maxBytes: number): Promise<Buffer> {
    const loc = { format: 'zip', struct: `entry ${e.name}`, offset: e.centralOffset };
    if (e.flags & 1) throw new UnsupportedError('zip-encryption', `zip: entry ${e.name} is encrypted`);
    if (e.method !== METHOD_STORED && e.method !== METHOD_DEFLATED) {
      throw new UnsupportedError('zip-method', `zip: entry ${e.name} uses compression method ${e.method}`);
    }
    checkRatio(e, loc, this.limits);
    const cap = Math.min(maxBytes, this.limits.MAX_ZIP_ENTRY_BYTES);
    if (e.uncompressedSize > cap) {
      throw new LimitExceededError(
        { ...loc, field: 'uncompressed size' },
        'maxBytes',
        e.uncompressedSize,
        cap,
      );
    }
    if (e.uncompressedSize > this.budget.inflatedBytesLeft) {
      throw new LimitExceededError(
        { ...loc, field: 'uncompressed size' },
        'MAX_ZIP_INFLATED_BYTES',
        this.limits.MAX_ZIP_INFLATED_BYTES - this.budget.inflatedBytesLeft + e.uncompressedSize,
        this.limits.MAX_ZIP_INFLATED_BYTES,
      );
    }
    const raw = await this.source.read(await this.dataOffset(e), e.compressedSize, `data of ${e.name}`);
    let out: Buffer;
    if (e.method === METHOD_STORED) {
      if (e.compressedSize !== e.uncompressedSize) {
        throw new CorruptError(loc, e.uncompressedSize, '!= stored compressed size', e.compressedSize);
      }
      out = raw;
    } else {
      out = inflateBounded(raw, e, loc);
    }
    this.budget.inflatedBytesLeft -= out.length;
    if (out.length !== e.uncompressedSize) {
      throw new CorruptError({ ...loc, field: 'inflated size' }, out.length, '!=', e.uncompressedSize);
    }
    const sum = crc32(out) >>> 0;
    if (sum !== e.crc32 >>> 0)
      throw new CorruptError({ ...loc, field: 'crc32' }, hex(sum), '!=', hex(e.crc32));
    return out;
  }
}

function checkRatio(
  e: ZipEntry,
  loc: { format: string; struct: string; offset: number },
  limits: Limits,
): void {
  if (e.method !== METHOD_DEFLATED || e.uncompressedSize < limits.ZIP_RATIO_CHECK_MIN_BYTES) return;
  const max = limits.MAX_ZIP_COMPRESSION_RATIO;
  if (e.uncompressedSize > Math.max(1, e.compressedSize) * max) {
    throw new ZipBombError(
      loc,
      e.compressedSize,
      e.uncompressedSize,
      `declare ${e.uncompressedSize} inflated bytes: ratio > MAX_ZIP_COMPRESSION_RATIO (${max})`,
    );
  }
}

/** inflateRaw capped at the declared size: output past it is a bomb, never allocated. */
function inflateBounded(
  raw: Buffer,
  e: ZipEntry,
  loc: { format: string; struct: string; offset: number },
): Buffer {
  try {
    // maxOutputLength must be >= 1; one byte more than declared reveals a lying size.
    return inflateRawSync(raw, { maxOutputLength: e.uncompressedSize + 1 });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      throw new ZipBombError(
        loc,
        e.compressedSize,
        e.uncompressedSize + 1,
        `inflate past the declared ${e.uncompressedSize} bytes`,
      );
    }
    throw new CorruptError(
      { ...loc, field: 'deflate stream' },
      (err as Error).message,
      'in',
      'raw deflate data',
    );
  }
}

function hex(v: number): string {
  return `0x${(v >>> 0).toString(16)}`;
}

/** Finds the EOCD (and zip64 EOCD) and checks the directory's place, count and size. */
async function readDirectory(src: RandomAccess, limits: Limits): Promise<Directory> {
  if (src.size < EOCD_BYTES) {
    throw new CorruptError(
      { format: 'zip', struct: 'end of central directory', offset: 0 },
      src.size,
      '<',
      EOCD_BYTES,
    );
  }
  const tailLen = Math.min(src.size, EOCD_BYTES + MAX_COMMENT);
  const tailStart = src.size - tailLen;
  const tail = await src.read(tailStart, tailLen, 'end of central directory');
  // Scan backwards: the record whose comment length reaches exactly the end of the file wins; a
  // signature inside a comment cannot satisfy that.
  let at = -1;
  for (let i = tail.length - EOCD_BYTES; i >= 0; i--) {
    if (tail.readUInt32LE(i) === SIG_EOCD && i + EOCD_BYTES + tail.readUInt16LE(i + 20) === tail.length) {
      at = i;
      break;
    }
  }
  if (at < 0) {
    // Fall back to the last signature with a comment that fits (trailing garbage after the comment).
    for (let i = tail.length - EOCD_BYTES; i >= 0; i--) {
      if (tail.readUInt32LE(i) === SIG_EOCD && i + EOCD_BYTES + tail.readUInt16LE(i + 20) <= tail.length) {
        at = i;
        break;
      }
    }
  }
  if (at < 0) {
    throw new CorruptError(
      { format: 'zip', struct: 'end of central directory', offset: tailStart, field: 'signature' },
      'none',
      'found; expected',
      hex(SIG_EOCD),
    );
  }
  const eocdPos = tailStart + at;
  const c = new Cursor(tail, { base: tailStart, format: 'zip', struct: 'end of central directory' });
  const disk = c.u16leAt(at + 4, 'disk');
  const cdDisk = c.u16leAt(at + 6, 'central directory disk');
  let entries = c.u16leAt(at + 10, 'entries');
  let cdSize = c.u32leAt(at + 12, 'central directory size');
  let cdOffset = c.u32leAt(at + 16, 'central directory offset');
  let cdEnd = eocdPos;
  if (entries === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const z = await readZip64(src, eocdPos, limits);
    if (z) {
      ({ entries, cdSize, cdOffset } = z);
      cdEnd = z.recordPos;
    }
  }
  if (disk !== 0 || cdDisk !== 0) {
    throw new UnsupportedError(
      'zip-multi-disk',
      `zip: ${src.name} is a split/spanned archive (disk ${disk})`,
    );
  }
  const loc = { format: 'zip', struct: 'end of central directory', offset: eocdPos };
  if (entries > limits.MAX_ZIP_ENTRIES) {
    throw new LimitExceededError(
      { ...loc, field: 'entries' },
      'MAX_ZIP_ENTRIES',
      entries,
      limits.MAX_ZIP_ENTRIES,
    );
  }
  if (cdSize > limits.MAX_ZIP_CENTRAL_DIR_BYTES) {
    throw new LimitExceededError(
      { ...loc, field: 'central directory size' },
      'MAX_ZIP_CENTRAL_DIR_BYTES',
      cdSize,
      limits.MAX_ZIP_CENTRAL_DIR_BYTES,
    );
  }
  if (entries * CENTRAL_BYTES > cdSize) {
    throw new CorruptError(
      { ...loc, field: 'entries' },
      `${entries} × ${CENTRAL_BYTES} B`,
      '> directory size',
      cdSize,
    );
  }
  // The directory ends where the EOCD (or zip64 record) starts; bytes before the archive (a launch
  // script) shift every offset by the same amount, as java.util.zip computes it.
  const cdStart = cdEnd - cdSize;
  if (cdStart < 0 || cdStart < cdOffset) {
    throw new CorruptError(
      { ...loc, field: 'central directory offset' },
      cdOffset,
      '> directory start',
      cdStart,
    );
  }
  return { entries, cdSize, cdOffset, cdStart, prefix: cdStart - cdOffset };
}

async function readZip64(
  src: RandomAccess,
  eocdPos: number,
  limits: Limits,
): Promise<{ entries: number; cdSize: number; cdOffset: number; recordPos: number } | undefined> {
  if (eocdPos < 20) return undefined;
  const l = new Cursor(await src.read(eocdPos - 20, 20, 'zip64 locator'), {
    base: eocdPos - 20,
    format: 'zip',
    struct: 'zip64 end of central directory locator',
  });
  if (l.u32leAt(0) !== SIG_ZIP64_LOCATOR) return undefined;
  // The locator's offset is relative to the archive start; with a prefix, the record sits right
  // before the locator (56 bytes, no extensible data in archives Java or zip tools write).
  let recordPos = toSafeNumber(l.u64leAt(8, 'zip64 EOCD offset'), src.size, l.loc('zip64 EOCD offset', 8));
  const expected = eocdPos - 20 - 56;
  if (expected >= 0 && recordPos !== expected) recordPos = expected;
  const r = new Cursor(await src.read(recordPos, 56, 'zip64 end of central directory'), {
    base: recordPos,
    format: 'zip',
    struct: 'zip64 end of central directory',
  });
  const sig = r.u32leAt(0, 'signature');
  if (sig !== SIG_ZIP64_EOCD)
    throw new CorruptError(r.loc('signature', 0), hex(sig), '!=', hex(SIG_ZIP64_EOCD));
  const entriesBig = r.u64leAt(32, 'entries');
  if (entriesBig > BigInt(limits.MAX_ZIP_ENTRIES)) {
    throw new LimitExceededError(r.loc('entries', 32), 'MAX_ZIP_ENTRIES', entriesBig, limits.MAX_ZIP_ENTRIES);
  }
  return {
    entries: Number(entriesBig),
    cdSize: toSafeNumber(r.u64leAt(40), src.size, r.loc('central directory size', 40)),
    cdOffset: toSafeNumber(r.u64leAt(48), src.size, r.loc('central directory offset', 48)),
    recordPos,
  };
}

/** Decodes every central directory header; counts and sizes checked against the file. */
export function decodeCentralDirectory(cd: Buffer, dir: Directory, src: RandomAccess): ZipEntry[] {
  const c = new Cursor(cd, { base: dir.cdStart, format: 'zip', struct: 'central directory header' });
  const out: ZipEntry[] = [];
  for (let i = 0; i < dir.entries; i++) {
    const at = c.pos;
    const sig = c.u32leAt(at, 'signature');
    if (sig !== SIG_CENTRAL) throw new CorruptError(c.loc('signature', at), hex(sig), '!=', hex(SIG_CENTRAL));
    c.need(at, CENTRAL_BYTES, 'header');
    const flags = c.u16leAt(at + 8);
    const method = c.u16leAt(at + 10);
    const crc = c.u32leAt(at + 16);
    let csize = c.u32leAt(at + 20);
    let usize = c.u32leAt(at + 24);
    const nameLen = c.u16leAt(at + 28);
    const extraLen = c.u16leAt(at + 30);
    const commentLen = c.u16leAt(at + 32);
    let local = c.u32leAt(at + 42);
    const nameBytes = c.bytesAt(at + CENTRAL_BYTES, nameLen, 'file name');
    const extra = c.sub(at + CENTRAL_BYTES + nameLen, extraLen, 'extra field');
    c.seek(at + CENTRAL_BYTES + nameLen + extraLen, 'extra field');
    c.skip(commentLen, 'file comment');
    if (csize === 0xffffffff || usize === 0xffffffff || local === 0xffffffff) {
      ({ csize, usize, local } = zip64Extra(extra, { csize, usize, local }, src.size));
    }
    // Bit 11: UTF-8 names; otherwise CP437, read as latin1 (jar tools always set bit 11 or use ASCII).
    const name = nameBytes.toString(flags & 0x800 ? 'utf8' : 'latin1');
    const localOffset = local + dir.prefix;
    if (localOffset + LOCAL_BYTES + csize > dir.cdStart) {
      throw new CorruptError(
        c.loc('local header offset', at),
        `${localOffset} + ${csize}`,
        '> directory start',
        dir.cdStart,
      );
    }
    out.push({
      name,
      method,
      flags,
      crc32: crc,
      compressedSize: csize,
      uncompressedSize: usize,
      localOffset,
      centralOffset: dir.cdStart + at,
    });
  }
  return out;
}

function zip64Extra(
  extra: Cursor,
  v: { csize: number; usize: number; local: number },
  fileSize: number,
): { csize: number; usize: number; local: number } {
  let p = 0;
  while (p + 4 <= extra.length) {
    const id = extra.u16leAt(p, 'extra id');
    const len = extra.u16leAt(p + 2, 'extra length');
    extra.need(p + 4, len, 'extra data');
    if (id === 0x0001) {
      const f = extra.sub(p + 4, len, 'zip64 extra');
      let q = 0;
      const next = (field: string, max: number): number => {
        const n = toSafeNumber(f.u64leAt(q, field), max, f.loc(field, q));
        q += 8;
        return n;
      };
      // The uncompressed size is not bounded by the file: the entry's own checks cap it later.
      const usize = v.usize === 0xffffffff ? next('uncompressed size', Number.MAX_SAFE_INTEGER) : v.usize;
      const csize = v.csize === 0xffffffff ? next('compressed size', fileSize) : v.csize;
      const local = v.local === 0xffffffff ? next('local header offset', fileSize) : v.local;
      return { csize, usize, local };
    }
    p += 4 + len;
  }
  throw new CorruptError(extra.loc('zip64 extra', 0), 'absent', 'but sizes are', '0xffffffff');
}
