/**
 * Crafted v5 images: BMBT-format files, holes, unwritten extents, a block-form directory and a remote
 * symlink read end to end, then every rejection path with a typed error.
 */
import { describe, expect, it } from 'vitest';
import { ScanError } from '../../../../engine/errors.js';
import { PathFileSystem } from '../../../../readers/fs/path-fs.js';
import { openXfs, xfs } from '../../../../readers/fs/xfs/index.js';
import {
  BS,
  blockPattern,
  type Crafted,
  craftStandard,
  DIR_BLOCK,
  encodeExtent,
  FILE_BTREE,
  FILE_HOLES,
  ROOT,
  SYMLINK,
  SYMLINK_TARGET,
  shortformFork,
  u64,
} from './crafted.js';

function flip(b: Buffer, at: number, mask: number): void {
  b.writeUInt8(b.readUInt8(at) ^ mask, at);
}

async function open(c: Crafted, verifyChecksums = true) {
  const store = await openXfs(c.source(), { verifyChecksums });
  return { store, fs: new PathFileSystem(store) };
}

describe('readers/fs/xfs (crafted images)', () => {
  it('reads a BMBT-format file with a hole, an unwritten extent, a block dir and a remote symlink', async () => {
    const c = craftStandard();
    expect(await xfs.probe(c.source())).toBe(true);
    const { store, fs } = await open(c);
    expect(store.label).toBe('crafted');
    expect((await fs.readdir('/')).map((e) => [e.name, e.ino, e.type])).toEqual([
      ['btree', FILE_BTREE, 'file'],
      ['holes', FILE_HOLES, 'file'],
      ['dir', DIR_BLOCK, 'dir'],
      ['link', SYMLINK, 'symlink'],
    ]);
    const data = await fs.readFile('/btree');
    const zero = Buffer.alloc(BS);
    const want = Buffer.concat(
      [0, 1, 2]
        .map((fb) => blockPattern(FILE_BTREE, fb))
        .concat([zero, zero])
        .concat([5, 6].map((fb) => blockPattern(FILE_BTREE, fb))),
    );
    expect(data.equals(want)).toBe(true);
    // A read in the middle, across the hole boundary.
    const mid = await store.readData(FILE_BTREE, 3 * BS - 10, 20);
    expect(mid.equals(Buffer.concat([blockPattern(FILE_BTREE, 2).subarray(BS - 10), Buffer.alloc(10)]))).toBe(
      true,
    );
    const holes = await fs.readFile('/holes');
    expect(holes.length).toBe(4 * BS - 100);
    expect(holes.subarray(0, BS).equals(blockPattern(FILE_HOLES, 0))).toBe(true);
    expect(holes.subarray(BS, 3 * BS).equals(Buffer.alloc(2 * BS))).toBe(true);
    expect(holes.subarray(3 * BS).equals(blockPattern(FILE_HOLES, 3).subarray(0, BS - 100))).toBe(true);
    expect((await fs.readdir('/dir')).map((e) => e.name)).toEqual(['a', 'b', 'c']);
    expect(await store.dirForm(DIR_BLOCK)).toBe('block');
    expect(await fs.readlink('/link')).toBe(SYMLINK_TARGET);
    expect(await fs.readlink('/dir/c')).toBe(SYMLINK_TARGET);
  });

  it('walks a two-level BMBT', async () => {
    const c = craftStandard();
    // root (level 2) → node block 22 (level 1) → leaves 20, 21
    const root = Buffer.alloc(336);
    root.writeUInt16BE(2, 0);
    root.writeUInt16BE(1, 2);
    root.writeBigUInt64BE(22n, 4 + 20 * 8);
    c.writeInode(FILE_BTREE, {
      mode: 0o100644,
      format: 3,
      size: 7 * BS,
      nextents: 3,
      nblocks: 8,
      fork: root,
    });
    c.writeBmbtBlock(22, 1, FILE_BTREE, [u64(0), u64(5), u64(20), u64(21)]);
    const { fs } = await open(c);
    const data = await fs.readFile('/btree');
    expect(data.subarray(5 * BS, 6 * BS).equals(blockPattern(FILE_BTREE, 5))).toBe(true);
  });

  it('prefetchData passes the written extents to the source', async () => {
    const c = craftStandard();
    const seen: Array<{ offset: bigint; length: number }> = [];
    const src = {
      ...c.source(),
      prefetch: (r: readonly { offset: bigint; length: number }[]) => seen.push(...r),
    };
    src.read = c.source().read;
    const store = await openXfs(src);
    await store.prefetchData(FILE_HOLES, 1 << 20);
    expect(seen).toEqual([
      { offset: BigInt(34 * BS), length: BS },
      { offset: BigInt(36 * BS), length: BS - 100 },
    ]);
  });

  type Mutation = {
    name: string;
    mutate: (c: Crafted) => void;
    act: 'open' | 'readdir /' | 'read /btree' | 'read /holes' | 'readdir /dir' | 'readlink /link';
    code: string;
  };
  const sb = (f: (b: Buffer) => void) => (c: Crafted) => c.writeSuperblock(f);
  const inode = (ino: number, f: (b: Buffer) => void) => (c: Crafted) => {
    f(c.inodeBuf(ino));
    c.resealInode(ino);
  };
  /** Changes block `n` in place, then recomputes its CRC (stored at byte `crcAt`). */
  const blk = (n: number, crcAt: number, f: (b: Buffer) => void) => (c: Crafted) => {
    f(c.block(n));
    c.reseal(n, crcAt);
  };
  const sfRoot = (c: Crafted, entries: Array<[string, number, number]>) => {
    const fork = shortformFork(ROOT, entries);
    c.writeInode(ROOT, { mode: 0o040755, format: 1, size: fork.length, fork });
  };
  const btreeRoot =
    (level: number, ptrs: number[], nextents = 3) =>
    (c: Crafted) => {
      const root = Buffer.alloc(336);
      root.writeUInt16BE(level, 0);
      root.writeUInt16BE(ptrs.length, 2);
      for (let i = 0; i < ptrs.length; i++) root.writeBigUInt64BE(BigInt(ptrs[i]!), 4 + 20 * 8 + i * 8);
      c.writeInode(FILE_BTREE, {
        mode: 0o100644,
        format: 3,
        size: 7 * BS,
        nextents,
        nblocks: 16,
        fork: root,
      });
    };
  const CASES: Mutation[] = [
    {
      name: 'superblock bad magic',
      mutate: sb((b) => b.writeUInt32BE(0x58465343, 0)),
      act: 'open',
      code: 'bad-magic',
    },
    { name: 'agcount 0', mutate: sb((b) => b.writeUInt32BE(0, 0x58)), act: 'open', code: 'corrupt' },
    {
      name: 'agblocks too small',
      mutate: sb((b) => b.writeUInt32BE(10, 0x54)),
      act: 'open',
      code: 'corrupt',
    },
    { name: 'agblklog inconsistent', mutate: sb((b) => (b[0x7c] = 20)), act: 'open', code: 'corrupt' },
    {
      name: 'dblocks past agcount*agblocks',
      mutate: sb((b) => b.writeBigUInt64BE(10_000n, 8)),
      act: 'open',
      code: 'corrupt',
    },
    {
      name: 'blocksize not a power of two',
      mutate: sb((b) => b.writeUInt32BE(4000, 4)),
      act: 'open',
      code: 'corrupt',
    },
    {
      name: 'unknown incompat feature',
      mutate: sb((b) => b.writeUInt32BE(0x1 | 0x40000, 0xd8)),
      act: 'open',
      code: 'unsupported',
    },
    {
      name: 'superblock CRC mismatch',
      mutate: (c) => {
        c.writeSuperblock();
        flip(c.img, 0x6c, 1);
      },
      act: 'open',
      code: 'checksum-mismatch',
    },
    {
      name: 'root inode out of range',
      mutate: sb((b) => b.writeBigUInt64BE(BigInt((7 << 11) | 64), 0x38)),
      act: 'open',
      code: 'corrupt',
    },
    {
      name: 'dirent inode in a missing AG',
      mutate: (c) => sfRoot(c, [['x', (5 << 11) | 64, 1]]),
      act: 'readdir /',
      code: 'corrupt',
    },
    {
      name: 'dirent inode past the (short) last AG',
      mutate: (c) => {
        c.writeSuperblock((b) => b.writeBigUInt64BE(400n, 8)); // AG 1 is 144 blocks long
        sfRoot(c, [['x', (1 << 11) | (200 << 3), 1]]);
      },
      act: 'readdir /',
      code: 'corrupt',
    },
    {
      name: 'dirent inode number beyond 2^53 (8-byte shortform)',
      mutate: (c) => {
        const fork = Buffer.alloc(64);
        fork[0] = 1;
        fork[1] = 1;
        fork.writeBigUInt64BE(64n, 2);
        fork[10] = 1;
        fork.write('x', 13);
        fork[14] = 1;
        fork.writeBigUInt64BE(1n << 60n, 15);
        c.writeInode(ROOT, { mode: 0o040755, format: 1, size: 23, fork });
      },
      act: 'readdir /',
      code: 'corrupt',
    },
    {
      name: 'inode bad magic',
      mutate: inode(FILE_BTREE, (b) => b.writeUInt16BE(0x4e49, 0)),
      act: 'read /btree',
      code: 'bad-magic',
    },
    {
      name: 'inode di_ino mismatch',
      mutate: inode(FILE_BTREE, (b) => b.writeBigUInt64BE(99n, 0x98)),
      act: 'read /btree',
      code: 'corrupt',
    },
    {
      name: 'inode CRC mismatch',
      mutate: (c) => {
        flip(c.inodeBuf(FILE_BTREE), 0x200 - 1, 0xff);
      },
      act: 'read /btree',
      code: 'checksum-mismatch',
    },
    {
      name: 'inode forkoff past the literal area',
      mutate: inode(FILE_BTREE, (b) => (b[0x52] = 60)),
      act: 'read /btree',
      code: 'corrupt',
    },
    {
      name: 'inode v2 on a v5 filesystem',
      mutate: inode(FILE_BTREE, (b) => (b[4] = 2)),
      act: 'read /btree',
      code: 'corrupt',
    },
    {
      name: 'bmbt root level too deep',
      mutate: btreeRoot(50, [20]),
      act: 'read /btree',
      code: 'limit-exceeded',
    },
    { name: 'bmbt root level 0', mutate: btreeRoot(0, [20]), act: 'read /btree', code: 'corrupt' },
    {
      name: 'bmbt cycle (node visited twice)',
      mutate: (c) => {
        btreeRoot(2, [22, 22])(c);
        c.writeBmbtBlock(22, 1, FILE_BTREE, [u64(0), u64(20)]);
      },
      act: 'read /btree',
      code: 'corrupt',
    },
    {
      name: 'bmbt child points at itself',
      mutate: (c) => {
        btreeRoot(3, [22])(c);
        c.writeBmbtBlock(22, 2, FILE_BTREE, [u64(0), u64(22)]);
      },
      act: 'read /btree',
      code: 'corrupt',
    },
    { name: 'bmbt child level mismatch', mutate: btreeRoot(2, [20]), act: 'read /btree', code: 'corrupt' },
    {
      name: 'bmbt leaf bad magic',
      mutate: blk(20, 64, (b) => b.writeUInt32BE(0x424d4150, 0)),
      act: 'read /btree',
      code: 'bad-magic',
    },
    {
      name: 'bmbt leaf CRC mismatch',
      mutate: (c) => {
        flip(c.block(20), 100, 1);
      },
      act: 'read /btree',
      code: 'checksum-mismatch',
    },
    {
      name: 'bmbt leaf owner mismatch',
      mutate: blk(20, 64, (b) => b.writeBigUInt64BE(1234n, 56)),
      act: 'read /btree',
      code: 'corrupt',
    },
    {
      name: 'bmbt numrecs larger than the block holds',
      mutate: blk(20, 64, (b) => b.writeUInt16BE(1000, 6)),
      act: 'read /btree',
      code: 'corrupt',
    },
    {
      name: 'bmbt extent count huge',
      mutate: btreeRoot(1, [20, 21], 0xffffffff),
      act: 'read /btree',
      code: 'limit-exceeded',
    },
    {
      name: 'bmbt extent count disagrees with leaves',
      mutate: btreeRoot(1, [20, 21], 7),
      act: 'read /btree',
      code: 'corrupt',
    },
    {
      name: 'extents count larger than the fork',
      mutate: inode(FILE_HOLES, (b) => b.writeUInt32BE(0xffffffff, 0x4c)),
      act: 'read /holes',
      code: 'corrupt',
    },
    {
      name: 'nrext64 without the feature',
      mutate: inode(FILE_HOLES, (b) => b.writeBigUInt64BE(0x10n, 0x78)),
      act: 'read /holes',
      code: 'corrupt',
    },
    {
      name: 'extent beyond its AG',
      mutate: inode(FILE_HOLES, (b) => encodeExtent(0, 250, 10).copy(b, 176)),
      act: 'read /holes',
      code: 'corrupt',
    },
    {
      name: 'extent in a missing AG',
      mutate: inode(FILE_HOLES, (b) => encodeExtent(0, 9 << 8, 1).copy(b, 176)),
      act: 'read /holes',
      code: 'corrupt',
    },
    {
      name: 'overlapping extents',
      mutate: inode(FILE_HOLES, (b) => encodeExtent(0, 34, 2).copy(b, 176)),
      act: 'read /holes',
      code: 'corrupt',
    },
    {
      name: 'directory entry overflowing the block',
      // entries: '.' at 64 (16 bytes), '..' at 80 (16), 'a' at 96: namelen 250 runs past the leaf array
      mutate: blk(50, 4, (b) => (b[96 + 8] = 250)),
      act: 'readdir /dir',
      code: 'corrupt',
    },
    {
      name: 'directory unused entry overflowing the block',
      mutate: blk(50, 4, (b) => {
        b.writeUInt16BE(0xffff, 96);
        b.writeUInt16BE(0x7ff8, 98);
      }),
      act: 'readdir /dir',
      code: 'corrupt',
    },
    {
      name: 'directory block tail count too large',
      mutate: blk(50, 4, (b) => b.writeUInt32BE(100_000, BS - 8)),
      act: 'readdir /dir',
      code: 'corrupt',
    },
    {
      name: 'directory block bad magic',
      mutate: blk(50, 4, (b) => b.writeUInt32BE(0x58443242, 0)),
      act: 'readdir /dir',
      code: 'bad-magic',
    },
    {
      name: 'directory block CRC mismatch',
      mutate: (c) => {
        flip(c.block(50), 200, 1);
      },
      act: 'readdir /dir',
      code: 'checksum-mismatch',
    },
    {
      name: 'directory name with a slash',
      mutate: blk(50, 4, (b) => (b[96 + 9] = 0x2f)),
      act: 'readdir /dir',
      code: 'corrupt',
    },
    {
      name: 'directory data block unwritten',
      mutate: inode(DIR_BLOCK, (b) => encodeExtent(0, 50, 1, true).copy(b, 176)),
      act: 'readdir /dir',
      code: 'corrupt',
    },
    {
      name: 'symlink header bad magic',
      mutate: blk(60, 12, (b) => b.writeUInt32BE(0, 0)),
      act: 'readlink /link',
      code: 'bad-magic',
    },
    {
      name: 'symlink longer than XFS_SYMLINK_MAXLEN',
      mutate: inode(SYMLINK, (b) => b.writeBigUInt64BE(5000n, 0x38)),
      act: 'readlink /link',
      code: 'limit-exceeded',
    },
    {
      name: 'symlink chunk bytes beyond the block',
      mutate: blk(60, 12, (b) => b.writeUInt32BE(9000, 8)),
      act: 'readlink /link',
      code: 'corrupt',
    },
  ];

  it.each(CASES)('rejects: $name → $code', async ({ mutate, act, code }) => {
    const c = craftStandard();
    mutate(c);
    const run = async () => {
      const { fs } = await open(c);
      if (act === 'open') return;
      const [verb, path] = act.split(' ') as [string, string];
      if (verb === 'readdir') await fs.readdir(path);
      else if (verb === 'read') await fs.readFile(path);
      else await fs.readlink(path);
    };
    const err = await run().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ScanError);
    expect((err as ScanError).code).toBe(code);
  });

  it('a bad superblock magic makes probe answer false', async () => {
    const c = craftStandard();
    c.img.writeUInt32BE(0, 0);
    expect(await xfs.probe(c.source())).toBe(false);
  });

  it('names unknown incompat features', async () => {
    const c = craftStandard();
    c.writeSuperblock((b) => b.writeUInt32BE(0x1 | 0x4000, 0xd8));
    await expect(openXfs(c.source())).rejects.toMatchObject({
      code: 'unsupported',
      feature: 'xfs-incompat-0x4000',
    });
  });
});
