/**
 * A minimal ext4 volume built byte by byte (4 KiB blocks, one group, 64 inodes of 256 bytes), for
 * hostile-input tests: each test mutates one structure and expects one typed error.
 *
 *   block 0  superblock @1024      block 1  group descriptors     blocks 4-7  inode table
 *   block 10 root dir               block 11 /dir                  block 20-21 /file data
 *   block 30 /deep extent leaf      block 31 /deep data
 *
 *   inodes: 2 /  12 /file (2 blocks)  13 /dir (/dir/inner → 12)  14 /loop1 → loop2  15 /loop2 → loop1
 *           16 /deep (extent depth 1)  17 /slow (slow symlink → "file", data block 40)
 */
import { ByteBuilder } from '../../../helpers/byte-builder.js';
import { SparseBlockSource } from '../../../helpers/sparse-block-source.js';

export const BS = 4096;
export const INODE_SIZE = 256;
export const INODES = 64;
export const ITABLE = 4;

export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;
export const EXTENTS_FL = 0x80000;

export interface DirEnt {
  ino: number;
  name: string;
  type: number;
  recLen?: number;
}

export function extentHeader(entries: number, max: number, depth: number): Buffer {
  return new ByteBuilder(12).u16(0, 0xf30a).u16(2, entries).u16(4, max).u16(6, depth).buf;
}
export function extentLeaf(lblk: number, len: number, pblk: number): Buffer {
  return new ByteBuilder(12)
    .u32(0, lblk)
    .u16(4, len)
    .u16(6, Math.floor(pblk / 2 ** 32))
    .u32(8, pblk % 2 ** 32).buf;
}
export function extentIndex(lblk: number, leaf: number): Buffer {
  return new ByteBuilder(12)
    .u32(0, lblk)
    .u32(4, leaf % 2 ** 32)
    .u16(8, Math.floor(leaf / 2 ** 32)).buf;
}
/** An extent-tree node: header then entries (in i_block: 60 bytes, max 4). */
export function extentNode(size: number, depth: number, entries: Buffer[], max?: number): Buffer {
  const b = new ByteBuilder(size);
  b.bytes(0, extentHeader(entries.length, max ?? Math.floor((size - 12) / 12), depth));
  for (const [i, e] of entries.entries()) b.bytes(12 + i * 12, e);
  return b.buf;
}

/** A directory block; the last entry's rec_len runs to the end unless given. */
export function dirBlock(entries: DirEnt[], size = BS): Buffer {
  const b = new ByteBuilder(size);
  let pos = 0;
  entries.forEach((e, i) => {
    const name = Buffer.from(e.name);
    const natural = (8 + name.length + 3) & ~3;
    const rec = e.recLen ?? (i === entries.length - 1 ? size - pos : natural);
    b.u32(pos, e.ino)
      .u16(pos + 4, rec)
      .u8(pos + 6, name.length)
      .u8(pos + 7, e.type)
      .bytes(pos + 8, name);
    pos += e.recLen ?? natural;
  });
  return b.buf;
}

export interface InodeSpec {
  mode: number;
  size: number;
  flags?: number;
  iBlock?: Buffer;
  blocks?: number;
  links?: number;
}

export class Vol {
  readonly sb = new ByteBuilder(1024);
  readonly blocks = new Map<number, ByteBuilder>();
  blocksCount = 1024;
  /** Source size override (truncated images). */
  sourceSize?: bigint;

  constructor() {
    this.sb
      .u32(0x00, INODES)
      .u32(0x04, this.blocksCount)
      .u32(0x14, 0)
      .u32(0x18, 2)
      .u32(0x1c, 2)
      .u32(0x20, 32768)
      .u32(0x24, 32768)
      .u32(0x28, INODES)
      .u16(0x38, 0xef53)
      .u32(0x4c, 1)
      .u32(0x54, 11)
      .u16(0x58, INODE_SIZE)
      .u32(0x60, 0x2 | 0x40) // filetype | extents
      .bytes(0x68, Buffer.from('00112233445566778899aabbccddeeff', 'hex'))
      .bytes(0x78, 'crafted');
    this.block(1).u32(0x00, 2).u32(0x04, 3).u32(0x08, ITABLE);
    // Root.
    this.inode(2, {
      mode: S_IFDIR | 0o755,
      size: BS,
      flags: EXTENTS_FL,
      iBlock: extentNode(60, 0, [extentLeaf(0, 1, 10)], 4),
      links: 3,
    });
    this.setBlock(
      10,
      dirBlock([
        { ino: 2, name: '.', type: 2 },
        { ino: 2, name: '..', type: 2 },
        { ino: 12, name: 'file', type: 1 },
        { ino: 13, name: 'dir', type: 2 },
        { ino: 14, name: 'loop1', type: 7 },
        { ino: 15, name: 'loop2', type: 7 },
        { ino: 16, name: 'deep', type: 1 },
        { ino: 17, name: 'slow', type: 7 },
      ]),
    );
    this.inode(12, {
      mode: S_IFREG | 0o644,
      size: 2 * BS,
      flags: EXTENTS_FL,
      iBlock: extentNode(60, 0, [extentLeaf(0, 2, 20)], 4),
    });
    this.block(20).fill(0, BS, 0x41);
    this.block(21).fill(0, BS, 0x42);
    this.inode(13, {
      mode: S_IFDIR | 0o755,
      size: BS,
      flags: EXTENTS_FL,
      iBlock: extentNode(60, 0, [extentLeaf(0, 1, 11)], 4),
      links: 2,
    });
    this.setBlock(
      11,
      dirBlock([
        { ino: 13, name: '.', type: 2 },
        { ino: 2, name: '..', type: 2 },
        { ino: 12, name: 'inner', type: 1 },
      ]),
    );
    this.inode(14, { mode: S_IFLNK | 0o777, size: 5, iBlock: Buffer.from('loop2') });
    this.inode(15, { mode: S_IFLNK | 0o777, size: 5, iBlock: Buffer.from('loop1') });
    this.inode(16, {
      mode: S_IFREG | 0o644,
      size: 100,
      flags: EXTENTS_FL,
      iBlock: extentNode(60, 1, [extentIndex(0, 30)], 4),
    });
    this.setBlock(30, extentNode(BS, 0, [extentLeaf(0, 1, 31)]));
    this.block(31).bytes(0, 'deep data');
    this.inode(17, {
      mode: S_IFLNK | 0o777,
      size: 4,
      flags: EXTENTS_FL,
      blocks: 8,
      iBlock: extentNode(60, 0, [extentLeaf(0, 1, 40)], 4),
    });
    this.block(40).bytes(0, 'file');
  }

  block(n: number): ByteBuilder {
    let b = this.blocks.get(n);
    if (!b) {
      b = new ByteBuilder(BS);
      this.blocks.set(n, b);
    }
    return b;
  }

  setBlock(n: number, bytes: Buffer): this {
    this.blocks.set(n, new ByteBuilder(BS).bytes(0, bytes));
    return this;
  }

  /** Absolute offset of an inode record. */
  inodeOffset(ino: number): number {
    return ITABLE * BS + (ino - 1) * INODE_SIZE;
  }

  inode(ino: number, s: InodeSpec): this {
    const rel = (ino - 1) * INODE_SIZE;
    const b = this.block(ITABLE + Math.floor(rel / BS));
    const at = rel % BS;
    b.fill(at, INODE_SIZE, 0)
      .u16(at + 0x00, s.mode)
      .u32(at + 0x04, s.size % 2 ** 32)
      .u32(at + 0x6c, Math.floor(s.size / 2 ** 32))
      .u16(at + 0x1a, s.links ?? 1)
      .u32(at + 0x1c, s.blocks ?? (s.flags && s.flags & EXTENTS_FL ? Math.ceil(s.size / 512) : 0))
      .u32(at + 0x20, s.flags ?? 0)
      .u16(at + 0x80, 32);
    if (s.iBlock) b.bytes(at + 0x28, s.iBlock.subarray(0, 60));
    return this;
  }

  /** Patches bytes of inode `ino` at `field` (offset inside the inode record). */
  patchInode(ino: number, field: number, bytes: Buffer): this {
    const rel = (ino - 1) * INODE_SIZE;
    this.block(ITABLE + Math.floor(rel / BS)).bytes((rel % BS) + field, bytes);
    return this;
  }

  source(): SparseBlockSource {
    const size = this.sourceSize ?? BigInt(this.blocksCount) * BigInt(BS);
    const src = new SparseBlockSource(size, 'crafted');
    if (size >= 2048n) src.plant(1024, this.sb.buf);
    for (const [n, b] of this.blocks) {
      const off = BigInt(n) * BigInt(BS);
      if (off + BigInt(BS) <= size) src.plant(off, b.buf);
    }
    return src;
  }
}
