/**
 * The decode functions on hand-built bytes: extent records, superblock feature handling (v4 and v5),
 * inode versions 1-3 and the large extent counter, shortform directories with 8-byte inode numbers,
 * data entry sizes and file type codes.
 */
import { describe, expect, it } from 'vitest';
import { ScanError } from '../../../../engine/errors.js';
import { Cursor } from '../../../../readers/bytes/cursor.js';
import { decodeBmdrRoot, decodeExtentRecord } from '../../../../readers/fs/xfs/bmbt.js';
import { dataEntrySize, decodeShortformDir, ftypeToType } from '../../../../readers/fs/xfs/dir2.js';
import { decodeInode } from '../../../../readers/fs/xfs/inode.js';
import { findExtent } from '../../../../readers/fs/xfs/store.js';
import { decodeSuperblock } from '../../../../readers/fs/xfs/superblock.js';
import { Crafted, crcAt, encodeExtent } from './crafted.js';

const cur = (b: Buffer) => new Cursor(b, { format: 'xfs', struct: 'test' });

describe('readers/fs/xfs/bmbt.ts', () => {
  it.each([
    { startoff: 0, startblock: 0, count: 1, unwritten: false },
    { startoff: 5, startblock: 12345, count: 2_097_151, unwritten: false },
    { startoff: 2 ** 40, startblock: 2 ** 51 + 7, count: 3, unwritten: true },
    { startoff: 2 ** 53 - 10, startblock: 1, count: 9, unwritten: false },
  ])('extent record round-trips startoff=$startoff startblock=$startblock count=$count', (e) => {
    const rec = decodeExtentRecord(cur(encodeExtent(e.startoff, e.startblock, e.count, e.unwritten)), 0);
    expect(rec).toEqual({
      fileBlock: e.startoff,
      fsBlock: e.startblock,
      count: e.count,
      unwritten: e.unwritten,
    });
  });

  it('rejects an extent that ends beyond 2^53 file blocks', () => {
    expect(() => decodeExtentRecord(cur(encodeExtent(2 ** 54 - 2, 1, 5)), 0)).toThrow(
      expect.objectContaining({ code: 'unsupported' }),
    );
  });

  it('reads BMBT root pointers after maxrecs keys, not numrecs', () => {
    const fork = Buffer.alloc(4 + 16 * 3); // maxrecs 3
    fork.writeUInt16BE(1, 0);
    fork.writeUInt16BE(2, 2);
    fork.writeBigUInt64BE(0n, 4);
    fork.writeBigUInt64BE(100n, 12);
    fork.writeBigUInt64BE(77n, 4 + 3 * 8);
    fork.writeBigUInt64BE(78n, 4 + 3 * 8 + 8);
    expect(decodeBmdrRoot(cur(fork))).toEqual({ level: 1, numrecs: 2, keys: [0, 100], ptrs: [77, 78] });
    fork.writeUInt16BE(4, 2);
    expect(() => decodeBmdrRoot(cur(fork))).toThrow(expect.objectContaining({ code: 'corrupt' }));
  });

  it('findExtent binary-searches sorted extents', () => {
    const ex = [
      { fileBlock: 0, fsBlock: 1, count: 2, unwritten: false },
      { fileBlock: 5, fsBlock: 9, count: 1, unwritten: false },
      { fileBlock: 10, fsBlock: 20, count: 4, unwritten: false },
    ];
    expect([0, 1, 2, 5, 6, 12, 14].map((fb) => findExtent(ex, fb))).toEqual([0, 0, 1, 1, 2, 2, 3]);
  });
});

/** A v4 superblock (no CRC) in 512 bytes. */
function v4Superblock(f: (b: Buffer) => void = () => {}): Buffer {
  const c = new Crafted();
  c.writeSuperblock((b) => {
    b.writeUInt16BE(4 | 0x2000 | 0x8000 | 0x0400 | 0x1000 | 0x0080 | 0x0010, 0x64);
    b.writeUInt16BE(256, 0x68);
    b.writeUInt16BE(16, 0x6a);
    b[0x7a] = 8;
    b[0x7b] = 4;
    b[0x7c] = 8;
    b.writeUInt32BE(0x8 | 0x200, 0xc8); // attr2, ftype
    b.writeUInt32BE(0, 0xcc);
    b.fill(0, 0xd0, 0x108);
    f(b);
  });
  return Buffer.from(c.img.subarray(0, 512));
}

describe('readers/fs/xfs/superblock.ts', () => {
  it('decodes a v4 superblock with ftype in features2 (bad_features2 ORed in)', () => {
    const sb = decodeSuperblock(v4Superblock((b) => b.writeUInt32BE(0x2, 0xcc)));
    expect(sb.version).toBe(4);
    expect(sb.hasCrc).toBe(false);
    expect(sb.hasFtype).toBe(true);
    expect(sb.features2 & 0x2).toBe(0x2);
    expect(sb.inodeSize).toBe(256);
  });

  it.each([
    {
      name: 'version 1 directories',
      f: (b: Buffer) => b.writeUInt16BE(4 | 0x8000, 0x64),
      feature: 'xfs-dir-v1',
    },
    {
      name: 'unknown features2 bit',
      f: (b: Buffer) => b.writeUInt32BE(0x200 | 0x4000, 0xc8),
      feature: 'xfs-features2-0x4000',
    },
    {
      name: 'superblock version 3',
      f: (b: Buffer) => b.writeUInt16BE(3 | 0x2000, 0x64),
      feature: 'xfs-sb-version-3',
    },
  ])('v4: $name → UnsupportedError', ({ f, feature }) => {
    expect(() => decodeSuperblock(v4Superblock(f))).toThrow(
      expect.objectContaining({ code: 'unsupported', feature }),
    );
  });

  it.each([
    { name: 'CRC bit on v4', f: (b: Buffer) => b.writeUInt32BE(0x100, 0xc8) },
    { name: 'mkfs in progress', f: (b: Buffer) => (b[0x7e] = 1) },
    { name: 'inodes per block mismatch', f: (b: Buffer) => b.writeUInt16BE(8, 0x6a) },
    { name: 'agblklog + inopblog > 32', f: (b: Buffer) => (b[0x7c] = 30) },
    { name: 'directory block > 64 KiB', f: (b: Buffer) => (b[0xc0] = 5) },
  ])('v4: $name → corrupt', ({ f }) => {
    expect(() => decodeSuperblock(v4Superblock(f))).toThrow(expect.objectContaining({ code: 'corrupt' }));
  });

  it('v5: names each feature and keeps meta_uuid separate from uuid', () => {
    const c = new Crafted();
    c.writeSuperblock((b) => {
      b.writeUInt32BE(0x1 | 0x2 | 0x4 | 0x8 | 0x20, 0xd8);
      b.writeUInt32BE(0x1 | 0x2 | 0x4 | 0x8 | 0x100, 0xd4);
      b.fill(0xab, 0xf8, 0x108);
    });
    const sb = decodeSuperblock(Buffer.from(c.img.subarray(0, 512)));
    expect(sb.features).toEqual(
      expect.arrayContaining([
        'ftype',
        'sparse-inodes',
        'meta-uuid',
        'bigtime',
        'nrext64',
        'finobt',
        'rmapbt',
        'reflink',
        'inobtcount',
        'ro-compat-0x100',
      ]),
    );
    expect(sb.metaUuid.equals(Buffer.alloc(16, 0xab))).toBe(true);
    expect(sb.uuid).toBe('00112233-4455-6677-8899-aabbccddeeff');
    expect(sb.hasNrext64).toBe(true);
  });

  it('v5: the CRC covers the whole sector', () => {
    const c = new Crafted();
    c.writeSuperblock((b) => b.writeUInt16BE(4096, 0x66));
    // sectsize 4096 but sectlog still 9 → corrupt first; fix sectlog and reseal over 4096 bytes.
    const buf = Buffer.from(c.img.subarray(0, 4096));
    buf[0x79] = 12;
    crcAt(buf.subarray(0, 4096), 0xe0);
    expect(decodeSuperblock(buf).sectSize).toBe(4096);
    buf.writeUInt8(buf.readUInt8(3000) ^ 1, 3000); // beyond the first 512 bytes, still inside the sector
    expect(() => decodeSuperblock(buf)).toThrow(expect.objectContaining({ code: 'checksum-mismatch' }));
  });
});

describe('readers/fs/xfs/inode.ts', () => {
  const sb4 = decodeSuperblock(v4Superblock());
  const v4Inode = (version: number) => {
    const b = Buffer.alloc(256);
    b.writeUInt16BE(0x494e, 0);
    b.writeUInt16BE(0o100600, 2);
    b[4] = version;
    b[5] = 2;
    b.writeUInt16BE(7, 6); // di_onlink
    b.writeUInt32BE(1000, 8);
    b.writeUInt32BE(1001, 12);
    b.writeUInt32BE(3, 0x10); // di_nlink
    b.writeInt32BE(-1, 0x28); // mtime before 1970
    b.writeBigUInt64BE(4096n, 0x38);
    b.writeUInt32BE(1, 0x4c);
    encodeExtent(0, 40, 1).copy(b, 100);
    return b;
  };

  it.each([
    { version: 1, nlink: 7 },
    { version: 2, nlink: 3 },
  ])('v4 inode version $version takes nlink from the right field', ({ version, nlink }) => {
    const i = decodeInode(v4Inode(version), 200, sb4, 0n);
    expect(i.nlink).toBe(nlink);
    expect(i.mtime).toBe(-1);
    expect([i.uid, i.gid, i.size, i.type]).toEqual([1000, 1001, 4096, 'file']);
    expect(i.dataFork.length).toBe(156);
  });

  it('rejects a v3 inode on a v4 filesystem', () => {
    expect(() => decodeInode(v4Inode(3), 200, sb4, 0n)).toThrow(expect.objectContaining({ code: 'corrupt' }));
  });

  it('reads di_big_nextents and bigtime timestamps on v5 (NREXT64, BIGTIME)', () => {
    const c = new Crafted();
    c.writeSuperblock((b) => b.writeUInt32BE(0x1 | 0x8 | 0x20, 0xd8));
    const sb = decodeSuperblock(Buffer.from(c.img.subarray(0, 512)));
    const fork = Buffer.alloc(16);
    c.writeInode(65, { mode: 0o100644, format: 3, size: 0, fork, flags2: 0x10n | 0x8n });
    const b = c.inodeBuf(65);
    b.writeBigUInt64BE(5_000_000_000n, 0x18);
    // 2^31 s after the bigtime epoch is the Unix epoch; add 1.7e9 s and 5 ns.
    b.writeBigUInt64BE((2n ** 31n + 1_700_000_000n) * 1_000_000_000n + 5n, 0x28);
    crcAt(b, 0x64);
    const i = decodeInode(Buffer.from(b), 65, sb, 0n);
    expect(i.nextents).toBe(5_000_000_000n);
    expect(i.mtime).toBe(1_700_000_000);
  });
});

describe('readers/fs/xfs/dir2.ts', () => {
  it('decodes a shortform directory with 8-byte inode numbers and ftype', () => {
    const parts = [Buffer.from([2, 2]), Buffer.alloc(8)];
    parts[1]!.writeBigUInt64BE(1n << 40n);
    for (const [name, ino, ft] of [
      ['alpha', (1n << 40n) + 1n, 1],
      ['β', (1n << 40n) + 2n, 7],
    ] as const) {
      const nb = Buffer.from(name);
      const e = Buffer.alloc(3 + nb.length + 1 + 8);
      e[0] = nb.length;
      nb.copy(e, 3);
      e[3 + nb.length] = ft;
      e.writeBigUInt64BE(ino, 4 + nb.length);
      parts.push(e);
    }
    const fork = Buffer.concat(parts);
    const d = decodeShortformDir(cur(fork), fork.length, true);
    expect(d.parent).toBe(1n << 40n);
    expect(d.entries).toEqual([
      { name: 'alpha', ino: (1n << 40n) + 1n, type: 'file' },
      { name: 'β', ino: (1n << 40n) + 2n, type: 'symlink' },
    ]);
    // Without ftype the same bytes mis-align: the count runs the decoder past the end.
    expect(() => decodeShortformDir(cur(fork), fork.length - 2, true)).toThrow(ScanError);
  });

  it.each([
    { namelen: 1, ftype: false, size: 16 },
    { namelen: 3, ftype: true, size: 16 },
    { namelen: 4, ftype: true, size: 16 },
    { namelen: 5, ftype: true, size: 24 },
    { namelen: 255, ftype: true, size: 272 },
  ])('data entry of namelen $namelen (ftype $ftype) takes $size bytes', ({ namelen, ftype, size }) => {
    expect(dataEntrySize(namelen, ftype)).toBe(size);
  });

  it.each([
    [0, 'unknown'],
    [1, 'file'],
    [2, 'dir'],
    [3, 'chardev'],
    [4, 'blockdev'],
    [5, 'fifo'],
    [6, 'socket'],
    [7, 'symlink'],
    [8, 'unknown'],
  ] as const)('ftype %i → %s', (ft, type) => {
    expect(ftypeToType(ft)).toBe(type);
  });
});
