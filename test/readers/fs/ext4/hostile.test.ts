/**
 * Hostile input: a crafted minimal volume (craft.ts) with one structure broken per case; each
 * must end in the right typed error, never a hang or an untyped exception.
 */
import { describe, expect, it } from 'vitest';
import { FormatError, ScanError } from '../../../../engine/errors.js';
import { Ext4Store, ext4 } from '../../../../readers/fs/ext4/index.js';
import { PathFileSystem } from '../../../../readers/fs/path-fs.js';
import { ByteBuilder } from '../../../helpers/byte-builder.js';
import { SparseBlockSource } from '../../../helpers/sparse-block-source.js';
import {
  BS,
  dirBlock,
  EXTENTS_FL,
  extentIndex,
  extentLeaf,
  extentNode,
  S_IFLNK,
  S_IFREG,
  Vol,
} from './craft.js';

async function openFs(v: Vol, limits = {}): Promise<{ store: Ext4Store; fs: PathFileSystem }> {
  const store = await Ext4Store.open(v.source(), { limits });
  return { store, fs: new PathFileSystem(store) };
}

const rootEntries = [
  { ino: 2, name: '.', type: 2 },
  { ino: 2, name: '..', type: 2 },
];

interface Case {
  name: string;
  mutate: (v: Vol) => void;
  act: (fs: PathFileSystem, store: Ext4Store) => Promise<unknown>;
  code: string;
  /** Error happens in open(). */
  atOpen?: boolean;
  limits?: Record<string, number>;
}

const readDeep = (fs: PathFileSystem) => fs.readFile('/deep');
const listRoot = (fs: PathFileSystem) => fs.readdir('/');

const CASES: Case[] = [
  {
    name: 'bad superblock magic',
    mutate: (v) => v.sb.u16(0x38, 0x1234),
    act: async () => 0,
    code: 'bad-magic',
    atOpen: true,
  },
  {
    name: 'incompat compression',
    mutate: (v) => v.sb.u32(0x60, 0x42 | 0x1),
    act: async () => 0,
    code: 'unsupported',
    atOpen: true,
  },
  {
    name: 'incompat dirdata',
    mutate: (v) => v.sb.u32(0x60, 0x42 | 0x1000),
    act: async () => 0,
    code: 'unsupported',
    atOpen: true,
  },
  {
    name: 'incompat journal_dev',
    mutate: (v) => v.sb.u32(0x60, 0x42 | 0x8),
    act: async () => 0,
    code: 'unsupported',
    atOpen: true,
  },
  {
    name: 'unknown incompat bit',
    mutate: (v) => v.sb.u32(0x60, 0x42 | 0x400000),
    act: async () => 0,
    code: 'unsupported',
    atOpen: true,
  },
  {
    name: 'huge group count (64bit s_blocks_count_hi)',
    mutate: (v) =>
      v.sb
        .u32(0x60, 0x42 | 0x80)
        .u16(0xfe, 64)
        .u32(0x150, 0x10),
    act: async () => 0,
    code: 'corrupt',
    atOpen: true,
  },
  {
    name: 'huge group count (tiny blocks per group)',
    mutate: (v) => v.sb.u32(0x04, 0xffffffff).u32(0x20, 8),
    act: async () => 0,
    code: 'corrupt',
    atOpen: true,
  },
  {
    name: 's_log_block_size 20',
    mutate: (v) => v.sb.u32(0x18, 20),
    act: async () => 0,
    code: 'corrupt',
    atOpen: true,
  },
  {
    name: 'bigalloc cluster size 2^40',
    mutate: (v) => v.sb.u32(0x64, 0x200).u32(0x1c, 30),
    act: async () => 0,
    code: 'corrupt',
    atOpen: true,
  },
  {
    name: 's_inode_size 100',
    mutate: (v) => v.sb.u16(0x58, 100),
    act: async () => 0,
    code: 'corrupt',
    atOpen: true,
  },
  {
    name: 's_inodes_per_group 0',
    mutate: (v) => v.sb.u32(0x28, 0),
    act: async () => 0,
    code: 'corrupt',
    atOpen: true,
  },
  {
    name: 'bad s_desc_size',
    mutate: (v) => v.sb.u32(0x60, 0x42 | 0x80).u16(0xfe, 48),
    act: async () => 0,
    code: 'corrupt',
    atOpen: true,
  },
  {
    name: 'inode table outside the volume',
    mutate: (v) => v.block(1).u32(0x08, 5000),
    act: async () => 0,
    code: 'corrupt',
    atOpen: true,
  },
  {
    name: 'root inode is not a directory',
    mutate: (v) => v.patchInode(2, 0, Buffer.from([0xa4, 0x81])),
    act: async () => 0,
    code: 'corrupt',
    atOpen: true,
  },
  {
    name: 'truncated image: shorter than the superblock',
    mutate: (v) => {
      v.sourceSize = 1500n;
    },
    act: async () => 0,
    code: 'truncated',
    atOpen: true,
  },
  {
    name: 'truncated image: file data past the end of the source',
    mutate: (v) => {
      v.sourceSize = BigInt(16 * BS);
    },
    act: (fs) => fs.readFile('/file'),
    code: 'truncated',
  },
  {
    name: 'extent depth mismatch (child depth != parent - 1)',
    mutate: (v) => v.setBlock(30, extentNode(BS, 1, [extentIndex(0, 31)])),
    act: readDeep,
    code: 'corrupt',
  },
  {
    name: 'extent depth > MAX_EXTENT_DEPTH',
    mutate: (v) => v.patchInode(16, 0x28, extentNode(60, 6, [extentIndex(0, 30)], 4)),
    act: readDeep,
    code: 'limit-exceeded',
  },
  {
    name: 'extent entries > max',
    mutate: (v) =>
      v.patchInode(16, 0x28, new ByteBuilder(12).u16(0, 0xf30a).u16(2, 5).u16(4, 4).u16(6, 0).buf),
    act: readDeep,
    code: 'corrupt',
  },
  {
    name: 'extent max > what fits in i_block',
    mutate: (v) =>
      v.patchInode(16, 0x28, new ByteBuilder(12).u16(0, 0xf30a).u16(2, 1).u16(4, 5).u16(6, 1).buf),
    act: readDeep,
    code: 'corrupt',
  },
  {
    name: 'extent header bad magic',
    mutate: (v) => v.setBlock(30, Buffer.alloc(16, 0x55)),
    act: readDeep,
    code: 'bad-magic',
  },
  {
    name: 'extent tree cycle (node points to itself)',
    mutate: (v) => {
      v.patchInode(16, 0x28, extentNode(60, 2, [extentIndex(0, 30)], 4));
      v.setBlock(30, extentNode(BS, 1, [extentIndex(0, 30)]));
    },
    act: readDeep,
    code: 'corrupt',
  },
  {
    name: 'extent tree cycle (two index entries share a node)',
    mutate: (v) => {
      v.inode(16, {
        mode: S_IFREG | 0o644,
        size: 2 * BS,
        flags: EXTENTS_FL,
        iBlock: extentNode(60, 1, [extentIndex(0, 30), extentIndex(1, 30)], 4),
      });
    },
    act: readDeep,
    code: 'corrupt',
  },
  {
    name: 'extent beyond the volume',
    mutate: (v) => v.setBlock(30, extentNode(BS, 0, [extentLeaf(0, 1, 5000)])),
    act: readDeep,
    code: 'corrupt',
  },
  {
    // Was "ee_block 0 outside [0, -32392]": the bound was computed as range end - ee_len.
    name: 'extent longer than its index range',
    mutate: (v) => {
      v.inode(16, {
        mode: S_IFREG | 0o644,
        size: 100,
        flags: EXTENTS_FL,
        iBlock: extentNode(60, 1, [extentIndex(0, 30), extentIndex(376, 30)], 4),
      });
      v.setBlock(30, extentNode(BS, 0, [extentLeaf(0, 32768, 31)]));
    },
    act: readDeep,
    code: 'corrupt',
  },
  {
    name: 'directory entry with a zero-length name',
    mutate: (v) => v.block(10).u8(12 + 12 + 6, 0), // name_len of 'file', after '.' and '..' (12 bytes each)
    act: listRoot,
    code: 'corrupt',
  },
  {
    name: 'directory with a hole below i_size',
    mutate: (v) =>
      v.inode(2, {
        mode: 0o040755,
        size: 2 * BS,
        flags: EXTENTS_FL,
        iBlock: extentNode(60, 0, [extentLeaf(1, 1, 10)], 4),
        links: 3,
      }),
    act: listRoot,
    code: 'corrupt',
  },
  {
    name: 'zero-length extent',
    mutate: (v) => v.setBlock(30, extentNode(BS, 0, [extentLeaf(0, 0, 31)])),
    act: readDeep,
    code: 'corrupt',
  },
  {
    name: 'overlapping extents',
    mutate: (v) => v.setBlock(30, extentNode(BS, 0, [extentLeaf(0, 2, 31), extentLeaf(1, 1, 33)])),
    act: readDeep,
    code: 'corrupt',
  },
  {
    name: 'block map pointer beyond the volume',
    mutate: (v) =>
      v.inode(12, {
        mode: S_IFREG | 0o644,
        size: 100,
        blocks: 8,
        iBlock: new ByteBuilder(60).u32(0, 999999).buf,
      }),
    act: (fs) => fs.readFile('/file'),
    code: 'corrupt',
  },
  {
    name: 'directory rec_len 0',
    mutate: (v) => v.setBlock(10, dirBlock([{ ino: 2, name: '.', type: 2, recLen: 0 }])),
    act: listRoot,
    code: 'corrupt',
  },
  {
    name: 'directory rec_len overflowing the block',
    mutate: (v) => v.setBlock(10, dirBlock([...rootEntries, { ino: 12, name: 'file', type: 1, recLen: BS }])),
    act: listRoot,
    code: 'corrupt',
  },
  {
    name: 'directory rec_len not 4-aligned',
    mutate: (v) =>
      v.setBlock(
        10,
        dirBlock([
          { ino: 2, name: '.', type: 2, recLen: 13 },
          { ino: 2, name: '..', type: 2 },
        ]),
      ),
    act: listRoot,
    code: 'corrupt',
  },
  {
    name: 'directory name_len > rec_len - 8',
    // name_len (byte 6 of the third entry, at 24) claims 200 bytes in a 12-byte record.
    mutate: (v) =>
      v.setBlock(
        10,
        new ByteBuilder(BS)
          .bytes(
            0,
            dirBlock([
              ...rootEntries,
              { ino: 12, name: 'file', type: 1, recLen: 12 },
              { ino: 13, name: 'dir', type: 2 },
            ]),
          )
          .u8(24 + 6, 200).buf,
      ),
    act: listRoot,
    code: 'corrupt',
  },
  {
    name: "directory name containing '/'",
    mutate: (v) => v.setBlock(10, dirBlock([...rootEntries, { ino: 12, name: 'a/b', type: 1 }])),
    act: listRoot,
    code: 'corrupt',
  },
  {
    name: 'directory entry inode out of range',
    mutate: (v) => v.setBlock(10, dirBlock([...rootEntries, { ino: 99999, name: 'ghost', type: 1 }])),
    act: listRoot,
    code: 'corrupt',
  },
  { name: 'inode number 0', mutate: () => {}, act: (_fs, s) => s.stat(0), code: 'corrupt' },
  { name: 'inode number > s_inodes_count', mutate: () => {}, act: (_fs, s) => s.stat(65), code: 'corrupt' },
  { name: 'symlink loop', mutate: () => {}, act: (fs) => fs.readFile('/loop1'), code: 'symlink-loop' },
  {
    name: 'symlink longer than MAX_SYMLINK_BYTES',
    mutate: (v) =>
      v.inode(14, {
        mode: S_IFLNK | 0o777,
        size: 5000,
        flags: EXTENTS_FL,
        iBlock: extentNode(60, 0, [extentLeaf(0, 2, 20)], 4),
      }),
    act: (fs) => fs.readlink('/loop1'),
    code: 'limit-exceeded',
  },
  {
    name: 'encrypted inode',
    mutate: (v) => v.patchInode(12, 0x20, new ByteBuilder(4).u32(0, EXTENTS_FL | 0x800).buf),
    act: (fs) => fs.readFile('/file'),
    code: 'unsupported',
  },
  {
    name: 'i_extra_isize too large',
    mutate: (v) => v.patchInode(12, 0x80, Buffer.from([200, 0])),
    act: (fs) => fs.stat('/file'),
    code: 'corrupt',
  },
  {
    name: 'directory i_size of 1 TiB (largedir)',
    mutate: (v) => {
      v.sb.u32(0x60, 0x42 | 0x4000);
      v.patchInode(13, 0x6c, new ByteBuilder(4).u32(0, 256).buf);
    },
    act: (fs) => fs.readdir('/dir'),
    code: 'limit-exceeded',
  },
  {
    name: 'more entries than MAX_DIR_ENTRIES',
    mutate: () => {},
    act: listRoot,
    code: 'limit-exceeded',
    limits: { MAX_DIR_ENTRIES: 3 },
  },
];

describe('readers/fs/ext4 (hostile input)', () => {
  it('the unmodified crafted volume reads correctly', async () => {
    const { store, fs } = await openFs(new Vol());
    expect(store.label).toBe('crafted');
    expect((await fs.readdir('/')).map((e) => e.name).sort()).toEqual([
      'deep',
      'dir',
      'file',
      'loop1',
      'loop2',
      'slow',
    ]);
    const file = await fs.readFile('/file');
    expect(file.equals(Buffer.concat([Buffer.alloc(BS, 0x41), Buffer.alloc(BS, 0x42)]))).toBe(true);
    expect((await fs.readFile('/dir/inner')).length).toBe(2 * BS);
    const deep = await fs.readFile('/deep');
    expect(deep.subarray(0, 9).toString()).toBe('deep data');
    expect(deep.length).toBe(100);
    expect(await fs.readlink('/slow')).toBe('file');
    expect((await fs.readFile('/slow')).length).toBe(2 * BS);
  });

  it.each(CASES)('$name → $code', async (c) => {
    const v = new Vol();
    c.mutate(v);
    let err: unknown;
    try {
      const { store, fs } = await openFs(v, c.limits);
      if (c.atOpen) throw new Error('open succeeded');
      await c.act(fs, store);
    } catch (e) {
      err = e;
    }
    if (process.env.EXT4_SHOW_ERRORS) console.log(c.name, '→', (err as Error).message);
    expect(err).toBeInstanceOf(ScanError);
    expect((err as ScanError).code).toBe(c.code);
    if (err instanceof FormatError) expect(err.format).toBe('ext4');
    // Figures in a message are ones that can exist: no negative sizes, offsets or bounds.
    expect((err as Error).message).not.toMatch(/(^|[\s[(,])-\d/);
  });

  it('inline data: directory entries in i_block and in system.data, file bytes 60+ in system.data', async () => {
    const v = new Vol();
    const INLINE = 0x10000000;
    v.setBlock(
      10,
      dirBlock([...rootEntries, { ino: 18, name: 'inl', type: 2 }, { ino: 19, name: 'tiny', type: 1 }]),
    );
    // In-inode xattr area at 128 + i_extra_isize (32): magic, one entry "system.data" (index 7),
    // values addressed from the first entry (inode offset 164).
    const ibody = (value: Buffer) => {
      const at = 256 - value.length;
      return new ByteBuilder(96)
        .u32(0, 0xea020000)
        .u8(4, 4)
        .u8(5, 7)
        .u16(6, at - 164)
        .u32(12, value.length)
        .bytes(20, 'data')
        .bytes(at - 160, value).buf;
    };
    const iBlock = new ByteBuilder(60)
      .u32(0, 2) // parent
      .bytes(
        4,
        dirBlock(
          [
            { ino: 12, name: 'alpha', type: 1 },
            { ino: 13, name: 'beta', type: 2 },
          ],
          56,
        ),
      ).buf;
    v.inode(18, { mode: 0o040755, size: 60 + 16, flags: INLINE, iBlock, links: 2 });
    v.patchInode(18, 160, ibody(dirBlock([{ ino: 14, name: 'gamma', type: 7 }], 16)));
    v.inode(19, { mode: S_IFREG | 0o644, size: 70, flags: INLINE, iBlock: Buffer.alloc(60, 0x49) });
    v.patchInode(19, 160, ibody(Buffer.alloc(10, 0x4a)));
    const { store, fs } = await openFs(v);
    expect(await fs.readdir('/inl')).toEqual([
      { ino: 12, name: 'alpha', type: 'file' },
      { ino: 13, name: 'beta', type: 'dir' },
      { ino: 14, name: 'gamma', type: 'symlink' },
    ]);
    expect((await fs.readFile('/inl/alpha')).length).toBe(2 * BS);
    const tiny = await fs.readFile('/tiny');
    expect(tiny.toString()).toBe('I'.repeat(60) + 'J'.repeat(10));
    expect((await store.readData(19, 55, 10)).toString()).toBe('IIIIIJJJJJ');
    expect((await store.readXattrs(19)).map((x) => [x.name, x.value?.length])).toEqual([['system.data', 10]]);
  });

  it("a directory's i_size_high is ignored without largedir (it was ext2's i_dir_acl)", async () => {
    const v = new Vol();
    v.patchInode(13, 0x6c, new ByteBuilder(4).u32(0, 256).buf);
    const { fs } = await openFs(v);
    expect((await fs.stat('/dir')).size).toBe(BS);
    expect((await fs.readdir('/dir')).map((e) => e.name)).toEqual(['inner']);
  });

  it('needs_recovery with an unreadable journal: status failed, volume still read at its checkpoint', async () => {
    const v = new Vol();
    // has_journal, recover, journal inode 8 (left empty: size 0, nothing mapped).
    v.sb
      .u32(0x5c, 0x4)
      .u32(0x60, 0x42 | 0x4)
      .u32(0xe0, 8);
    const { store, fs } = await openFs(v);
    expect(store.journal.status).toBe('failed');
    expect(store.journal.error).toBeInstanceOf(ScanError);
    expect((await fs.readFile('/deep')).subarray(0, 9).toString()).toBe('deep data');
  });

  it('needs_recovery with a log claiming more blocks than it has ends at the hop budget', async () => {
    const v = new Vol();
    v.sb
      .u32(0x5c, 0x4)
      .u32(0x60, 0x42 | 0x4)
      .u32(0xe0, 8);
    // Journal of 4 blocks (50-53): superblock, then descriptor blocks whose tags (no LAST_TAG flag)
    // claim more data blocks than the circular log holds: without a hop budget the scan would wrap.
    v.inode(8, {
      mode: S_IFREG | 0o600,
      size: 4 * BS,
      flags: EXTENTS_FL,
      iBlock: extentNode(60, 0, [extentLeaf(0, 4, 50)], 4),
    });
    v.block(50)
      .u32be(0, 0xc03b3998)
      .u32be(4, 4)
      .u32be(0xc, BS)
      .u32be(0x10, 4)
      .u32be(0x14, 1)
      .u32be(0x18, 1)
      .u32be(0x1c, 1);
    for (const b of [51, 52, 53])
      v.block(b).u32be(0, 0xc03b3998).u32be(4, 1).u32be(8, 1).u32be(12, 20).u16be(18, 0x2);
    const { store, fs } = await openFs(v);
    expect(store.journal.status).toBe('failed');
    expect(store.journal.error?.code).toBe('limit-exceeded');
    expect((await fs.readdir('/')).length).toBe(6);
  });

  it('uninitialized extents and holes read as zeros', async () => {
    const v = new Vol();
    // 4 blocks: [0] written (block 20 = 'A'), [1-2] preallocated over block 21 ('B' on disk), [3] a hole.
    v.inode(12, {
      mode: S_IFREG | 0o644,
      size: 4 * BS,
      flags: EXTENTS_FL,
      iBlock: extentNode(60, 0, [extentLeaf(0, 1, 20), extentLeaf(1, 32768 + 2, 21)], 4),
    });
    const { store, fs } = await openFs(v);
    const data = await fs.readFile('/file');
    expect(data.subarray(0, BS).equals(Buffer.alloc(BS, 0x41))).toBe(true);
    expect(data.subarray(BS).equals(Buffer.alloc(3 * BS))).toBe(true);
    // Preallocated blocks are not data to fetch.
    expect(await store.dataRanges(12)).toEqual([{ offset: 20n * BigInt(BS), length: BS }]);
  });

  it('probe says no (and does not throw) for foreign or short volumes', async () => {
    const v = new Vol();
    v.sb.u16(0x38, 0);
    expect(await ext4.probe(v.source())).toBe(false);
    expect(await ext4.probe(new SparseBlockSource(100n))).toBe(false);
    expect(await ext4.probe(new Vol().source())).toBe(true);
  });

  it('64bit volume: data above 4 GiB through a sparse source, read lazily and prefetched', async () => {
    const v = new Vol();
    // 8 GiB: 64 groups of 32768 blocks, 64 inodes each; 64-byte descriptors (all in block 1).
    v.blocksCount = 2 ** 21;
    v.sb
      .u32(0x00, 64 * 64)
      .u32(0x04, 2 ** 21)
      .u32(0x60, 0x42 | 0x80)
      .u16(0xfe, 64);
    v.setBlock(1, new ByteBuilder(BS).u32(0x00, 2).u32(0x04, 3).u32(0x08, 4).buf);
    const high = 2 ** 20 + 5; // byte offset 4 GiB + 20 KiB
    v.inode(12, {
      mode: S_IFREG | 0o644,
      size: 3 * BS,
      flags: EXTENTS_FL,
      iBlock: extentNode(60, 0, [extentLeaf(0, 3, high)], 4),
    });
    v.block(high).bytes(0, 'above 4 GiB');
    v.block(high + 2).bytes(BS - 3, 'end');
    const src = v.source();
    const store = await Ext4Store.open(src);
    const fs = new PathFileSystem(store);
    const data = await fs.readFile('/file');
    expect(data.subarray(0, 11).toString()).toBe('above 4 GiB');
    expect(data.subarray(3 * BS - 3).toString()).toBe('end');
    // readDir prefetches the root directory block, readFile the file's run.
    expect(src.prefetched).toEqual([
      { offset: 10n * BigInt(BS), length: BS },
      { offset: BigInt(high) * BigInt(BS), length: 3 * BS },
    ]);
    // superblock, descriptor block, the inode-table run (the used part of the table, up to
    // 64 KiB: here the whole small table), root directory block, the data run.
    expect(src.reads.length).toBeLessThanOrEqual(6);
    expect(src.reads.reduce((a, r) => a + r.length, 0)).toBeLessThanOrEqual(1024 + 6 * BS + 3 * BS);
  });
});
