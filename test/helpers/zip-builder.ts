/**
 * buildZip: writes a zip archive (PKWARE APPNOTE 4.3) from a list of entries, for jar tests — valid
 * archives, and hostile ones through the per-entry overrides (a declared size that lies, a bad
 * CRC, an entry count that overflows). Deflate via node:zlib; zip64 on request.
 */
import { deflateRawSync } from 'node:zlib';
import { crc32 } from '../../readers/bytes/crc32.js';

export interface ZipInput {
  name: string;
  data: Buffer | string;
  /** 'deflate' (default) or 'store'. */
  method?: 'deflate' | 'store';
  /** Lie in the central directory: these replace the true values. */
  declaredSize?: number;
  declaredCompressedSize?: number;
  declaredCrc?: number;
  flags?: number;
  methodId?: number;
}

export interface ZipOptions {
  /** Bytes before the archive (a launch script). Offsets stay relative to the archive start. */
  prefix?: Buffer | string;
  comment?: string;
  /** Write zip64 EOCD + locator and 0xffffffff/0xffff in the classic record. */
  zip64?: boolean;
  /** Override the entry count in the EOCD. */
  declaredEntries?: number;
  /** Override the central directory size in the EOCD. */
  declaredCdSize?: number;
}

export function buildZip(entries: ZipInput[], opts: ZipOptions = {}): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const raw = typeof e.data === 'string' ? Buffer.from(e.data) : e.data;
    const store = e.method === 'store';
    const body = store ? raw : deflateRawSync(raw);
    const method = e.methodId ?? (store ? 0 : 8);
    const crc = e.declaredCrc ?? crc32(raw) >>> 0;
    const csize = e.declaredCompressedSize ?? body.length;
    const usize = e.declaredSize ?? raw.length;
    const name = Buffer.from(e.name);
    const flags = e.flags ?? 0x800;
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt16LE(flags, 6);
    lh.writeUInt16LE(method, 8);
    // Local header sizes written as zero (as a streaming writer does): the reader must not use them.
    lh.writeUInt32LE(0, 14);
    lh.writeUInt32LE(0, 18);
    lh.writeUInt32LE(0, 22);
    lh.writeUInt16LE(name.length, 26);
    lh.writeUInt16LE(0, 28);
    locals.push(lh, name, body);
    const extra = opts.zip64 ? Buffer.alloc(4 + 24) : Buffer.alloc(0);
    if (opts.zip64) {
      extra.writeUInt16LE(1, 0);
      extra.writeUInt16LE(24, 2);
      extra.writeBigUInt64LE(BigInt(usize), 4);
      extra.writeBigUInt64LE(BigInt(csize), 12);
      extra.writeBigUInt64LE(BigInt(offset), 20);
    }
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(0x031e, 4);
    ch.writeUInt16LE(opts.zip64 ? 45 : 20, 6);
    ch.writeUInt16LE(flags, 8);
    ch.writeUInt16LE(method, 10);
    ch.writeUInt32LE(crc >>> 0, 16);
    ch.writeUInt32LE(opts.zip64 ? 0xffffffff : csize, 20);
    ch.writeUInt32LE(opts.zip64 ? 0xffffffff : usize, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt16LE(extra.length, 30);
    ch.writeUInt32LE(opts.zip64 ? 0xffffffff : offset, 42);
    centrals.push(ch, name, extra);
    offset += lh.length + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const cdOffset = offset;
  const tail: Buffer[] = [];
  const count = opts.declaredEntries ?? entries.length;
  if (opts.zip64) {
    const rec = Buffer.alloc(56);
    rec.writeUInt32LE(0x06064b50, 0);
    rec.writeBigUInt64LE(44n, 4);
    rec.writeUInt16LE(45, 12);
    rec.writeUInt16LE(45, 14);
    rec.writeBigUInt64LE(BigInt(count), 24);
    rec.writeBigUInt64LE(BigInt(count), 32);
    rec.writeBigUInt64LE(BigInt(opts.declaredCdSize ?? cd.length), 40);
    rec.writeBigUInt64LE(BigInt(cdOffset), 48);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(0x07064b50, 0);
    loc.writeBigUInt64LE(BigInt(cdOffset + cd.length), 8);
    loc.writeUInt32LE(1, 16);
    tail.push(rec, loc);
  }
  const comment = Buffer.from(opts.comment ?? '');
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(opts.zip64 ? 0xffff : count, 8);
  eocd.writeUInt16LE(opts.zip64 ? 0xffff : count, 10);
  eocd.writeUInt32LE(opts.zip64 ? 0xffffffff : (opts.declaredCdSize ?? cd.length), 12);
  eocd.writeUInt32LE(opts.zip64 ? 0xffffffff : cdOffset, 16);
  eocd.writeUInt16LE(comment.length, 20);
  const prefix =
    typeof opts.prefix === 'string' ? Buffer.from(opts.prefix) : (opts.prefix ?? Buffer.alloc(0));
  return Buffer.concat([prefix, ...locals, cd, ...tail, eocd, comment]);
}

/** pom.properties as maven-archiver writes it. */
export function pomProperties(groupId: string, artifactId: string, version: string): string {
  return `#Created by Apache Maven 3.9.6\nartifactId=${artifactId}\ngroupId=${groupId}\nversion=${version}\n`;
}
