/**
 * rpm's native "ndb" package database (rpm >= 4.15, lib/backend/ndb/rpmpkg.c), used by SUSE as
 * `/usr/lib/sysimage/rpm/Packages.db`. All integers are little-endian.
 *
 *   file  = slot pages (slotnpages × 4096 bytes) then blobs, addressed in 16-byte blocks
 *   0     header (32 bytes, occupies slots 0 and 1):
 *           0 magic 'RpmP' | 4 version (0) | 8 generation | 12 slotnpages | 16 nextpkgidx
 *   slot  (16 bytes, from byte 32 to slotnpages × 4096):
 *           0 magic 'Slot' | 4 pkgidx | 8 blkoff (blocks; 0 = free slot) | 12 blkcnt (blocks)
 *   blob  at blkoff × 16, blkcnt × 16 bytes:
 *           head: 0 magic 'BlbS' | 4 pkgidx | 8 generation | 12 bloblen
 *           16 bloblen bytes of header blob, zero padding,
 *           tail (last 12 bytes): adler32(head + blob + padding) | bloblen | magic 'BlbE'
 *
 * Checks follow rpmpkgReadSlots/rpmpkgReadBlob: slot magic, blob inside the file and after the
 * slot pages, blkcnt matching bloblen, head/tail magic and pkgidx. A bad slot or blob is a
 * per-record error; rpm's normal read path does not verify the adler32, we do and report a
 * mismatch without dropping the record.
 */
import {
  BadMagicError,
  CorruptError,
  checkAborted,
  LimitExceededError,
  ScanError,
  TruncatedError,
  UnsupportedError,
} from '../../../engine/errors.js';
import type { Limits } from '../../../engine/limits.js';
import { Cursor } from '../../bytes/cursor.js';
import type { RpmDbRead, RpmDbRecord } from './types.js';

export const FORMAT = 'rpm/ndb';
const PKGDB_MAGIC = 0x506d7052; // 'RpmP' little-endian
const SLOT_MAGIC = 0x746f6c53; // 'Slot'
const BLOBHEAD_MAGIC = 0x53626c42; // 'BlbS'
const BLOBTAIL_MAGIC = 0x45626c42; // 'BlbE'
const PAGE_SIZE = 4096;
const SLOT_SIZE = 16;
const BLK_SIZE = 16;
const HEADER_SIZE = 32;
const BLOBHEAD_SIZE = 16;
const BLOBTAIL_SIZE = 12;

export function probeNdb(bytes: Buffer): boolean {
  return bytes.length >= HEADER_SIZE && bytes.readUInt32LE(0) === PKGDB_MAGIC;
}

/** Adler-32 (RFC 1950), as rpmpkg.c computes it. */
export function adler32(buf: Buffer, start = 1): number {
  let s1 = start & 0xffff;
  let s2 = (start >>> 16) & 0xffff;
  let i = 0;
  while (i < buf.length) {
    // 5552 is the largest n with 255n(n+1)/2 + (n+1)(65520) < 2^32 (zlib's NMAX): no overflow.
    const end = Math.min(i + 5552, buf.length);
    for (; i < end; i++) {
      s1 += buf[i]!;
      s2 += s1;
    }
    s1 %= 65521;
    s2 %= 65521;
  }
  return ((s2 << 16) | s1) >>> 0;
}

export function readNdbRpmdb(
  bytes: Buffer,
  limits: Pick<Limits, 'MAX_RPM_HEADER_BYTES' | 'MAX_RPM_HEADER_ENTRIES' | 'MAX_PACKAGES_PER_DB'>,
  signal?: AbortSignal,
): RpmDbRead {
  const c = new Cursor(bytes, { format: FORMAT, struct: 'header' });
  const magic = c.u32leAt(0, 'magic');
  if (magic !== PKGDB_MAGIC) throw new BadMagicError(c.loc('magic', 0), `0x${magic.toString(16)}`, "'RpmP'");
  const version = c.u32leAt(4, 'version');
  if (version !== 0)
    throw new UnsupportedError('ndb-version', `${FORMAT}: header version ${version} (supported: 0)`);
  const slotnpages = c.u32leAt(12, 'slotnpages');
  if (slotnpages < 1) throw new CorruptError(c.loc('slotnpages', 12), slotnpages, '<', 1);
  const slotBytes = slotnpages * PAGE_SIZE;
  if (slotBytes > bytes.length) throw new TruncatedError(c.loc('slot pages', 0), slotBytes, bytes.length);
  const fileBlks = Math.floor(bytes.length / BLK_SIZE);
  const minBlkoff = slotBytes / BLK_SIZE;
  const maxBlob = limits.MAX_RPM_HEADER_BYTES + 8 + 16 * limits.MAX_RPM_HEADER_ENTRIES;

  const records: RpmDbRecord[] = [];
  const errors: ScanError[] = [];
  const seen = new Set<number>();
  const slots = new Cursor(bytes, { format: FORMAT, struct: 'slot' });
  const keep = (err: unknown) => {
    if (err instanceof LimitExceededError && err.limit === 'MAX_PACKAGES_PER_DB') throw err;
    if (!(err instanceof ScanError) || err.code === 'aborted') throw err;
    errors.push(err);
  };

  // Pass 1: the slots. Used slots are checked on their own, then in block order against each
  // other: overlapping blobs (rpm refuses them too, "slots overlap") would let many slots make us
  // decode the same bytes again and again.
  const used: Array<{ at: number; pkgidx: number; blkoff: number; blkcnt: number }> = [];
  for (let at = HEADER_SIZE; at < slotBytes; at += SLOT_SIZE) {
    checkAborted(signal);
    try {
      const sm = slots.u32leAt(at, 'slot magic');
      if (sm !== SLOT_MAGIC)
        throw new BadMagicError(slots.loc('slot magic', at), `0x${sm.toString(16)}`, "'Slot'");
      const blkoff = slots.u32leAt(at + 8, 'blkoff');
      if (blkoff === 0) continue; // free slot
      const pkgidx = slots.u32leAt(at + 4, 'pkgidx');
      const blkcnt = slots.u32leAt(at + 12, 'blkcnt');
      if (pkgidx === 0) throw new CorruptError(slots.loc('pkgidx', at + 4), pkgidx, '==', 0);
      if (blkoff < minBlkoff) throw new CorruptError(slots.loc('blkoff', at + 8), blkoff, '<', minBlkoff);
      if (blkcnt < Math.ceil((BLOBHEAD_SIZE + BLOBTAIL_SIZE) / BLK_SIZE) || blkoff + blkcnt > fileBlks) {
        throw new CorruptError(
          slots.loc('blkcnt', at + 12),
          `[${blkoff}, ${blkoff + blkcnt})`,
          'outside',
          `[${minBlkoff}, ${fileBlks}) blocks`,
        );
      }
      if (used.length >= limits.MAX_PACKAGES_PER_DB) {
        throw new LimitExceededError(
          slots.loc('slots', at),
          'MAX_PACKAGES_PER_DB',
          used.length + 1,
          limits.MAX_PACKAGES_PER_DB,
        );
      }
      used.push({ at, pkgidx, blkoff, blkcnt });
    } catch (err) {
      keep(err);
    }
  }
  used.sort((x, y) => x.blkoff - y.blkoff || x.at - y.at);
  let end = minBlkoff;
  const blobs: typeof used = [];
  for (const u of used) {
    if (u.blkoff < end) {
      errors.push(
        new CorruptError(slots.loc('blkoff', u.at + 8), u.blkoff, 'overlaps the blob ending at block', end),
      );
      continue;
    }
    end = u.blkoff + u.blkcnt;
    blobs.push(u);
  }

  // Pass 2: the blobs, each read once.
  for (const { at, pkgidx, blkoff, blkcnt } of blobs) {
    checkAborted(signal);
    try {
      const start = blkoff * BLK_SIZE;
      const blob = new Cursor(bytes, { format: FORMAT, struct: `blob ${pkgidx}` }).sub(
        start,
        blkcnt * BLK_SIZE,
      );
      const bm = blob.u32leAt(0, 'head magic');
      if (bm !== BLOBHEAD_MAGIC)
        throw new BadMagicError(blob.loc('head magic', 0), `0x${bm.toString(16)}`, "'BlbS'");
      const hidx = blob.u32leAt(4, 'pkgidx');
      if (hidx !== pkgidx) throw new CorruptError(blob.loc('pkgidx', 4), hidx, '!=', pkgidx);
      const bloblen = blob.u32leAt(12, 'bloblen');
      if (bloblen > maxBlob)
        throw new LimitExceededError(blob.loc('bloblen', 12), 'MAX_RPM_HEADER_BYTES', bloblen, maxBlob);
      const want = Math.ceil((BLOBHEAD_SIZE + bloblen + BLOBTAIL_SIZE) / BLK_SIZE);
      if (want !== blkcnt)
        throw new CorruptError(blob.loc('bloblen', 12), `${want} blocks`, '!=', `slot blkcnt ${blkcnt}`);
      const tail = blob.length - BLOBTAIL_SIZE;
      const tm = blob.u32leAt(tail + 8, 'tail magic');
      if (tm !== BLOBTAIL_MAGIC)
        throw new BadMagicError(blob.loc('tail magic', tail + 8), `0x${tm.toString(16)}`, "'BlbE'");
      const tlen = blob.u32leAt(tail + 4, 'tail bloblen');
      if (tlen !== bloblen) throw new CorruptError(blob.loc('tail bloblen', tail + 4), tlen, '!=', bloblen);
      if (seen.has(pkgidx)) throw new CorruptError(slots.loc('pkgidx', at + 4), pkgidx, 'is', 'a duplicate');
      seen.add(pkgidx);
      const sum = adler32(blob.bytesAt(0, tail));
      const stored = blob.u32leAt(tail, 'adler32');
      if (sum !== stored) {
        errors.push(
          new CorruptError(
            blob.loc('adler32', tail),
            `0x${stored.toString(16)}`,
            '!=',
            `0x${sum.toString(16)} (record kept)`,
          ),
        );
      }
      // A view, not a copy: blobs do not overlap, so all records together hold at most the file.
      records.push({
        key: pkgidx,
        blob: blob.bytesAt(BLOBHEAD_SIZE, bloblen, 'blob data'),
        offset: start + BLOBHEAD_SIZE,
      });
    } catch (err) {
      keep(err);
    }
  }
  records.sort((a, b) => a.key - b.key);
  return { records, errors };
}
