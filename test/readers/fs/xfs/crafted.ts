/**
 * Crafted XFS v5 images in memory, for the structures mkfs.xfs -p cannot produce without mounting
 * (BMBT-format data forks, holes, unwritten extents) and for every rejection path. Geometry:
 * 4 KiB blocks, 512-byte sectors and inodes, 2 AGs of 256 blocks (agblklog 8, inopblog 3).
 *
 *   AG0 block 0   superblock          block 8  inode chunk: 64 root (shortform) · 65 btree file ·
 *                                               66 holes/unwritten file · 67 block-form dir · 68 remote symlink
 *   block 20      BMBT leaf A         block 21 BMBT leaf B        block 22 BMBT node (2-level variant)
 *   blocks 30..   file data           block 50 directory block    block 60 remote symlink block
 */

import type { BlockSource } from '../../../../readers/block/types.js';
import { crc32c } from '../../../../readers/bytes/crc32.js';

export const BS = 4096;
export const AGBLOCKS = 256;
export const AGCOUNT = 2;
export const INODE = 512;
export const UUID = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
export const ROOT = 64;
export const FILE_BTREE = 65;
export const FILE_HOLES = 66;
export const DIR_BLOCK = 67;
export const SYMLINK = 68;
export const SYMLINK_TARGET = `/${'x'.repeat(400)}/target`;

export function crcAt(buf: Buffer, off: number): void {
  buf.writeUInt32LE(0, off);
  let c = crc32c(buf.subarray(0, off));
  c = crc32c(Buffer.alloc(4), c);
  c = crc32c(buf.subarray(off + 4), c);
  buf.writeUInt32LE(c, off);
}

export function encodeExtent(startoff: number, startblock: number, count: number, unwritten = false): Buffer {
  const b = Buffer.alloc(16);
  const so = BigInt(startoff);
  const sbk = BigInt(startblock);
  const l0 = ((unwritten ? 1n : 0n) << 63n) | (so << 9n) | (sbk >> 43n);
  const l1 = ((sbk & ((1n << 43n) - 1n)) << 21n) | BigInt(count);
  b.writeBigUInt64BE(l0, 0);
  b.writeBigUInt64BE(l1, 8);
  return b;
}

/** The data written at file block `fb` of the btree file: recognisable per block. */
export function blockPattern(tag: number, fb: number): Buffer {
  const b = Buffer.alloc(BS, (tag * 31 + fb) & 0xff);
  b.write(`file ${tag} block ${fb}\n`, 0);
  return b;
}

export class Crafted {
  readonly img = Buffer.alloc(AGBLOCKS * AGCOUNT * BS);

  block(n: number): Buffer {
    return this.img.subarray(n * BS, (n + 1) * BS);
  }

  inodeBuf(ino: number): Buffer {
    const agbno = ino >> 3;
    const slot = ino & 7;
    const off = agbno * BS + slot * INODE;
    return this.img.subarray(off, off + INODE);
  }

  writeSuperblock(over: (sb: Buffer) => void = () => {}): void {
    const sb = this.img.subarray(0, 512);
    sb.fill(0);
    sb.writeUInt32BE(0x58465342, 0);
    sb.writeUInt32BE(BS, 4);
    sb.writeBigUInt64BE(BigInt(AGBLOCKS * AGCOUNT), 8);
    UUID.copy(sb, 0x20);
    sb.writeBigUInt64BE(BigInt(ROOT), 0x38);
    sb.writeUInt32BE(AGBLOCKS, 0x54);
    sb.writeUInt32BE(AGCOUNT, 0x58);
    sb.writeUInt16BE(5 | 0x2000 | 0x8000 | 0x0400 | 0x1000 | 0x0080, 0x64);
    sb.writeUInt16BE(512, 0x66);
    sb.writeUInt16BE(INODE, 0x68);
    sb.writeUInt16BE(BS / INODE, 0x6a);
    sb.write('crafted', 0x6c, 'latin1');
    sb[0x78] = 12;
    sb[0x79] = 9;
    sb[0x7a] = 9;
    sb[0x7b] = 3;
    sb[0x7c] = 8;
    sb.writeUInt32BE(0x18a, 0xc8);
    sb.writeUInt32BE(0x18a, 0xcc);
    sb.writeUInt32BE(0x1 | 0x8, 0xd8); // ftype, bigtime
    over(sb);
    crcAt(sb, 0xe0);
  }

  writeInode(
    ino: number,
    f: {
      mode: number;
      format: number;
      size: number;
      nextents?: number;
      nblocks?: number;
      fork: Buffer;
      flags2?: bigint;
    },
  ): void {
    const b = this.inodeBuf(ino);
    b.fill(0);
    b.writeUInt16BE(0x494e, 0);
    b.writeUInt16BE(f.mode, 2);
    b[4] = 3;
    b[5] = f.format;
    b.writeUInt32BE(1, 0x10);
    b.writeBigUInt64BE(BigInt(f.size), 0x38);
    b.writeBigUInt64BE(BigInt(f.nblocks ?? 0), 0x40);
    b.writeUInt32BE(f.nextents ?? 0, 0x4c);
    b.writeBigUInt64BE(f.flags2 ?? 0n, 0x78);
    b.writeBigUInt64BE(BigInt(ino), 0x98);
    UUID.copy(b, 0xa0);
    f.fork.copy(b, 176, 0, Math.min(f.fork.length, INODE - 176));
    crcAt(b, 0x64);
  }

  /** Re-stamps an inode's CRC after a test edits it. */
  resealInode(ino: number): void {
    crcAt(this.inodeBuf(ino), 0x64);
  }

  writeBmbtBlock(
    blockNo: number,
    level: number,
    owner: number,
    body: Buffer[],
    maxrecsForNode?: number,
  ): void {
    const b = this.block(blockNo);
    b.fill(0);
    b.writeUInt32BE(0x424d4133, 0);
    b.writeUInt16BE(level, 4);
    b.writeUInt16BE(level === 0 ? body.length : (body.length / 2) | 0, 6);
    b.writeBigInt64BE(-1n, 8);
    b.writeBigInt64BE(-1n, 16);
    b.writeBigUInt64BE(BigInt((blockNo * BS) / 512), 24);
    UUID.copy(b, 40);
    b.writeBigUInt64BE(BigInt(owner), 56);
    if (level === 0) {
      for (let i = 0; i < body.length; i++) body[i]!.copy(b, 72 + i * 16);
    } else {
      // body = [key0, key1, …, ptr0, ptr1, …] as 8-byte buffers
      const n = body.length / 2;
      const maxrecs = maxrecsForNode ?? Math.floor((BS - 72) / 16);
      for (let i = 0; i < n; i++) {
        body[i]!.copy(b, 72 + i * 8);
        body[n + i]!.copy(b, 72 + maxrecs * 8 + i * 8);
      }
    }
    crcAt(b, 64);
  }

  reseal(blockNo: number, crcOff: number): void {
    crcAt(this.block(blockNo), crcOff);
  }

  source(): BlockSource {
    const img = this.img;
    return {
      id: 'crafted-xfs',
      size: BigInt(img.length),
      blockSize: 512,
      async read(offset: bigint, length: number): Promise<Buffer> {
        const o = Number(offset);
        if (o < 0 || o + length > img.length) throw new RangeError(`read past end ${o}+${length}`);
        return Buffer.from(img.subarray(o, o + length));
      },
    };
  }
}

export function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

/** Shortform directory fork: 4-byte inode numbers, ftype bytes. */
export function shortformFork(parent: number, entries: Array<[string, number, number]>): Buffer {
  const parts: Buffer[] = [Buffer.from([entries.length, 0]), Buffer.alloc(4)];
  parts[1]!.writeUInt32BE(parent);
  let off = 0x60;
  for (const [name, ino, ftype] of entries) {
    const nb = Buffer.from(name);
    const e = Buffer.alloc(3 + nb.length + 1 + 4);
    e[0] = nb.length;
    e.writeUInt16BE(off, 1);
    nb.copy(e, 3);
    e[3 + nb.length] = ftype;
    e.writeUInt32BE(ino, 4 + nb.length);
    parts.push(e);
    off += 8;
  }
  return Buffer.concat(parts);
}

/** A v5 single-block directory ('XDB3') holding `entries`, with '.' and '..'. */
export function dirBlock(blockNo: number, owner: number, entries: Array<[string, number, number]>): Buffer {
  const b = Buffer.alloc(BS);
  b.writeUInt32BE(0x58444233, 0);
  b.writeBigUInt64BE(BigInt((blockNo * BS) / 512), 8);
  UUID.copy(b, 24);
  b.writeBigUInt64BE(BigInt(owner), 40);
  let pos = 64;
  const all: Array<[string, number, number]> = [['.', owner, 2], ['..', ROOT, 2], ...entries];
  for (const [name, ino, ft] of all) {
    const nb = Buffer.from(name);
    const size = (8 + 1 + nb.length + 1 + 2 + 7) & ~7;
    b.writeBigUInt64BE(BigInt(ino), pos);
    b[pos + 8] = nb.length;
    nb.copy(b, pos + 9);
    b[pos + 9 + nb.length] = ft;
    b.writeUInt16BE(pos, pos + size - 2);
    pos += size;
  }
  const count = all.length;
  const leafStart = BS - 8 - count * 8;
  // One free region from the last entry to the leaf array.
  b.writeUInt16BE(0xffff, pos);
  b.writeUInt16BE(leafStart - pos, pos + 2);
  b.writeUInt16BE(pos, leafStart - 2);
  b.writeUInt32BE(count, BS - 8);
  return b;
}

/**
 * Builds the standard crafted image:
 *   /btree    (65) BMBT-format file, 1 level: root → leaves A (block 20), B (block 21);
 *             extents: fb 0..1 → blocks 30..31, fb 2 → 33, fb 5..6 → 40..41 (3..4 a hole), size 7 blocks
 *   /holes    (66) extents file: fb 0 → 34, fb 1 unwritten → 35, hole fb 2, fb 3 → 36; size 4 blocks - 100
 *   /dir      (67) block-form dir (block 50) with a, b, c → 65, 66, 68
 *   /link     (68) remote symlink (block 60) with the v5 'XSLM' header
 */
export function craftStandard(): Crafted {
  const c = new Crafted();
  c.writeSuperblock();
  const rootFork = shortformFork(ROOT, [
    ['btree', FILE_BTREE, 1],
    ['holes', FILE_HOLES, 1],
    ['dir', DIR_BLOCK, 2],
    ['link', SYMLINK, 7],
  ]);
  c.writeInode(ROOT, { mode: 0o040755, format: 1, size: rootFork.length, fork: rootFork });
  // Root fork size is 512-176 = 336: maxrecs = (336-4)/16 = 20
  const root = Buffer.alloc(336);
  root.writeUInt16BE(1, 0);
  root.writeUInt16BE(2, 2);
  root.writeBigUInt64BE(0n, 4);
  root.writeBigUInt64BE(5n, 12);
  root.writeBigUInt64BE(20n, 4 + 20 * 8);
  root.writeBigUInt64BE(21n, 4 + 20 * 8 + 8);
  c.writeInode(FILE_BTREE, { mode: 0o100644, format: 3, size: 7 * BS, nextents: 3, nblocks: 7, fork: root });
  c.writeBmbtBlock(20, 0, FILE_BTREE, [encodeExtent(0, 30, 2), encodeExtent(2, 33, 1)]);
  c.writeBmbtBlock(21, 0, FILE_BTREE, [encodeExtent(5, 40, 2)]);
  for (const [fb, blk] of [
    [0, 30],
    [1, 31],
    [2, 33],
    [5, 40],
    [6, 41],
  ] as const) {
    blockPattern(FILE_BTREE, fb).copy(c.block(blk));
  }
  c.writeInode(FILE_HOLES, {
    mode: 0o100644,
    format: 2,
    size: 4 * BS - 100,
    nextents: 3,
    nblocks: 3,
    fork: Buffer.concat([encodeExtent(0, 34, 1), encodeExtent(1, 35, 1, true), encodeExtent(3, 36, 1)]),
  });
  blockPattern(FILE_HOLES, 0).copy(c.block(34));
  c.block(35).fill(0xee); // unwritten: must read as zeros
  blockPattern(FILE_HOLES, 3).copy(c.block(36));
  dirBlock(50, DIR_BLOCK, [
    ['a', FILE_BTREE, 1],
    ['b', FILE_HOLES, 1],
    ['c', SYMLINK, 7],
  ]).copy(c.block(50));
  c.reseal(50, 4);
  c.writeInode(DIR_BLOCK, {
    mode: 0o040755,
    format: 2,
    size: BS,
    nextents: 1,
    nblocks: 1,
    fork: encodeExtent(0, 50, 1),
  });
  const sl = c.block(60);
  sl.writeUInt32BE(0x58534c4d, 0);
  sl.writeUInt32BE(0, 4);
  sl.writeUInt32BE(SYMLINK_TARGET.length, 8);
  UUID.copy(sl, 16);
  sl.writeBigUInt64BE(BigInt(SYMLINK), 32);
  sl.writeBigUInt64BE(BigInt((60 * BS) / 512), 40);
  sl.write(SYMLINK_TARGET, 56);
  c.reseal(60, 12);
  c.writeInode(SYMLINK, {
    mode: 0o120777,
    format: 2,
    size: SYMLINK_TARGET.length,
    nextents: 1,
    nblocks: 1,
    fork: encodeExtent(0, 60, 1),
  });
  return c;
}
