/**
 * Byte builders for crafted rpm structures: header blobs (with or without an immutable region)
 * and ndb Packages.db files. Written from the layouts in readers/pkgdb/rpm/*.ts headers.
 */
import { adler32 } from '../../../../readers/pkgdb/rpm/ndb.js';
import { RpmType } from '../../../../readers/pkgdb/rpm/tags.js';

export type EntryValue = string | string[] | number[] | bigint[] | Buffer;
export interface BuildEntry {
  tag: number;
  type: number;
  value: EntryValue;
}

const ALIGN: Record<number, number> = { [RpmType.INT16]: 2, [RpmType.INT32]: 4, [RpmType.INT64]: 8 };

function encode(e: BuildEntry): { bytes: Buffer; count: number } {
  const v = e.value;
  switch (e.type) {
    case RpmType.STRING:
      return { bytes: Buffer.from(`${v as string}\0`), count: 1 };
    case RpmType.STRING_ARRAY:
    case RpmType.I18NSTRING: {
      const a = v as string[];
      return { bytes: Buffer.from(a.map((s) => `${s}\0`).join('')), count: a.length };
    }
    case RpmType.BIN:
      return { bytes: v as Buffer, count: (v as Buffer).length };
    case RpmType.CHAR:
    case RpmType.INT8:
      return { bytes: Buffer.from(v as number[]), count: (v as number[]).length };
    case RpmType.INT16: {
      const a = v as number[];
      const b = Buffer.alloc(2 * a.length);
      a.forEach((n, i) => {
        b.writeUInt16BE(n, 2 * i);
      });
      return { bytes: b, count: a.length };
    }
    case RpmType.INT32: {
      const a = v as number[];
      const b = Buffer.alloc(4 * a.length);
      a.forEach((n, i) => {
        b.writeUInt32BE(n, 4 * i);
      });
      return { bytes: b, count: a.length };
    }
    case RpmType.INT64: {
      const a = v as bigint[];
      const b = Buffer.alloc(8 * a.length);
      a.forEach((n, i) => {
        b.writeBigUInt64BE(n, 8 * i);
      });
      return { bytes: b, count: a.length };
    }
    default:
      throw new Error(`builder: type ${e.type}`);
  }
}

/** A header blob as rpm stores it in a database; `region` adds a HEADERIMMUTABLE region over all entries. */
export function buildHeaderBlob(entries: BuildEntry[], opts: { region?: boolean } = {}): Buffer {
  const index: Array<[number, number, number, number]> = [];
  const chunks: Buffer[] = [];
  let dl = 0;
  for (const e of entries) {
    const { bytes, count } = encode(e);
    const a = ALIGN[e.type] ?? 1;
    const pad = (a - (dl % a)) % a;
    if (pad) {
      chunks.push(Buffer.alloc(pad));
      dl += pad;
    }
    index.push([e.tag, e.type, dl, count]);
    chunks.push(bytes);
    dl += bytes.length;
  }
  if (opts.region) {
    const il = index.length + 1;
    const trailer = Buffer.alloc(16);
    trailer.writeInt32BE(63, 0);
    trailer.writeUInt32BE(RpmType.BIN, 4);
    trailer.writeInt32BE(-(il * 16), 8);
    trailer.writeUInt32BE(16, 12);
    index.unshift([63, RpmType.BIN, dl, 16]);
    chunks.push(trailer);
    dl += 16;
  }
  const head = Buffer.alloc(8 + 16 * index.length);
  head.writeUInt32BE(index.length, 0);
  head.writeUInt32BE(dl, 4);
  index.forEach(([tag, type, off, count], i) => {
    head.writeInt32BE(tag, 8 + 16 * i);
    head.writeUInt32BE(type, 12 + 16 * i);
    head.writeInt32BE(off, 16 + 16 * i);
    head.writeUInt32BE(count, 20 + 16 * i);
  });
  return Buffer.concat([head, ...chunks]);
}

/** A minimal package header (NAME, VERSION, RELEASE, ARCH, …) for crafted databases. */
export function minimalPackage(name: string, extra: BuildEntry[] = []): Buffer {
  return buildHeaderBlob(
    [
      { tag: 1000, type: RpmType.STRING, value: name },
      { tag: 1001, type: RpmType.STRING, value: '1.0' },
      { tag: 1002, type: RpmType.STRING, value: '1.el9' },
      { tag: 1022, type: RpmType.STRING, value: 'x86_64' },
      { tag: 1044, type: RpmType.STRING, value: `${name}-1.0-1.el9.src.rpm` },
      ...extra,
    ],
    { region: true },
  );
}

/** An ndb Packages.db holding the given blobs (pkgidx = index + 1 unless given). */
export function buildNdb(blobs: Array<{ pkgidx: number; blob: Buffer }>, slotnpages = 1): Buffer {
  const slotBytes = slotnpages * 4096;
  const parts: Buffer[] = [];
  const slots = Buffer.alloc(slotBytes);
  for (let o = 0; o < slotBytes; o += 16) slots.write('Slot', o, 'latin1');
  slots.write('RpmP', 0, 'latin1');
  slots.writeUInt32LE(0, 4);
  slots.writeUInt32LE(1, 8);
  slots.writeUInt32LE(slotnpages, 12);
  slots.writeUInt32LE(blobs.length + 1, 16);
  slots.fill(0, 20, 32);
  let blk = slotBytes / 16;
  blobs.forEach(({ pkgidx, blob }, i) => {
    const blkcnt = Math.ceil((16 + blob.length + 12) / 16);
    const b = Buffer.alloc(blkcnt * 16);
    b.write('BlbS', 0, 'latin1');
    b.writeUInt32LE(pkgidx, 4);
    b.writeUInt32LE(1, 8);
    b.writeUInt32LE(blob.length, 12);
    blob.copy(b, 16);
    const tail = b.length - 12;
    b.writeUInt32LE(adler32(b.subarray(0, tail)), tail);
    b.writeUInt32LE(blob.length, tail + 4);
    b.write('BlbE', tail + 8, 'latin1');
    const s = 32 + 16 * i;
    slots.writeUInt32LE(pkgidx, s + 4);
    slots.writeUInt32LE(blk, s + 8);
    slots.writeUInt32LE(blkcnt, s + 12);
    parts.push(b);
    blk += blkcnt;
  });
  return Buffer.concat([slots, ...parts]);
}
