/**
 * Seeded mutation runs: flip bytes in the metadata an XFS read touches (superblock, inodes, directory
 * blocks, BMBT and symlink blocks) and read everything again. Each run must end with a result or a
 * ScanError — never another exception, and never a hang (each run has a time budget).
 *
 *   120 runs  mkfs v4 image (no CRCs: every flip reaches the structural checks)
 *    80 runs  mkfs v5 image with checksum verification off (the v5 header checks are reached)
 *   100 runs  crafted v5 image (BMBT file, holes, remote symlink), checksums on and off alternately
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScanError } from '../../../../engine/errors.js';
import { RawFileSource } from '../../../../readers/block/raw-file/index.js';
import type { BlockSource } from '../../../../readers/block/types.js';
import { PathFileSystem } from '../../../../readers/fs/path-fs.js';
import { openXfs } from '../../../../readers/fs/xfs/index.js';
import { mulberry32 as prng } from '../../../helpers/prng.js';
import { craftStandard } from './crafted.js';
import { buildImage, MKFS_VERSION, type Variant } from './image-builder.js';

const RUN_BUDGET_MS = 20_000;

/** A source whose bytes at some absolute offsets are replaced. */
class OverlaySource implements BlockSource {
  readonly id: string;
  readonly size: bigint;
  readonly blockSize: number;
  constructor(
    private readonly base: BlockSource,
    private readonly patch: Map<number, number>,
  ) {
    this.id = `${base.id}+mutated`;
    this.size = base.size;
    this.blockSize = base.blockSize;
  }
  async read(offset: bigint, length: number): Promise<Buffer> {
    const buf = Buffer.from(await this.base.read(offset, length));
    const o = Number(offset);
    for (const [at, v] of this.patch) if (at >= o && at < o + length) buf[at - o] = v;
    return buf;
  }
}

interface Region {
  start: number;
  length: number;
}

/** Byte ranges of the metadata a full read of the image touches. */
async function metadataRegions(src: BlockSource, verifyChecksums: boolean): Promise<Region[]> {
  const store = await openXfs(src, { verifyChecksums });
  const fs = new PathFileSystem(store);
  const regions: Region[] = [{ start: 0, length: 512 }];
  const bs = store.blockSize;
  for await (const e of fs.walk('/')) {
    regions.push({ start: Number(store.inodeOffset(e.ino)), length: store.sb.inodeSize });
    if (e.type === 'dir' || e.type === 'symlink') {
      const inode = await store.inode(e.ino);
      for (const x of await store.extents(inode)) {
        const agno = Math.floor(x.fsBlock / 2 ** store.sb.agBlkLog);
        const agbno = x.fsBlock - agno * 2 ** store.sb.agBlkLog;
        regions.push({ start: (agno * store.sb.agBlocks + agbno) * bs, length: x.count * bs });
      }
    }
  }
  regions.push({ start: Number(store.inodeOffset(store.rootIno)), length: store.sb.inodeSize });
  return regions;
}

function mutate(rand: () => number, regions: Region[], read: (at: number) => number): Map<number, number> {
  const patch = new Map<number, number>();
  const flips = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < flips; i++) {
    const r = regions[Math.floor(rand() * regions.length)]!;
    // Bias towards headers: half the flips land in the first 128 bytes of the structure.
    const span = rand() < 0.5 ? Math.min(128, r.length) : r.length;
    const at = r.start + Math.floor(rand() * span);
    const mode = rand();
    const old = patch.get(at) ?? read(at);
    patch.set(
      at,
      mode < 0.4 ? old ^ (1 << Math.floor(rand() * 8)) : mode < 0.7 ? 0xff : Math.floor(rand() * 256),
    );
  }
  return patch;
}

/** Reads everything reachable; returns how many operations ended in a ScanError. */
async function readAll(src: BlockSource, verifyChecksums: boolean): Promise<number> {
  let scanErrors = 0;
  const guard = async (f: () => Promise<unknown>) => {
    try {
      await f();
    } catch (err) {
      if (!(err instanceof ScanError)) throw err;
      scanErrors++;
    }
  };
  let fs: PathFileSystem | undefined;
  await guard(async () => {
    fs = new PathFileSystem(await openXfs(src, { verifyChecksums }));
  });
  if (!fs) return scanErrors;
  const entries: Array<{ path: string; type: string }> = [];
  await guard(async () => {
    for await (const e of fs!.walk('/', { onError: () => scanErrors++, maxEntries: 20_000 })) entries.push(e);
  });
  for (const [i, e] of entries.entries()) {
    // /big holds 600 mostly empty files: reading one in 20 keeps a run short.
    if (e.path.startsWith('/big/') && i % 20 !== 0) continue;
    if (e.type === 'file') await guard(() => fs!.readFile(e.path, { maxBytes: 8 << 20 }));
    else if (e.type === 'symlink') await guard(() => fs!.readlink(e.path));
    else if (e.type === 'unknown') await guard(() => fs!.lstat(e.path));
  }
  return scanErrors;
}

async function withBudget<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, fail) => {
    timer = setTimeout(
      () => fail(new Error(`${what}: no result within ${RUN_BUDGET_MS} ms (hang?)`)),
      RUN_BUDGET_MS,
    );
  });
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

const MKFS_CASES: Array<{ variant: Variant; runs: number; seed: number; verify: boolean }> = [
  {
    variant: { name: 'mut-v4', mkfsArgs: ['-m', 'crc=0', '-n', 'ftype=1'], tree: 'small' },
    runs: 120,
    seed: 4,
    verify: true,
  },
  { variant: { name: 'mut-v5', mkfsArgs: ['-m', 'crc=1'], tree: 'small' }, runs: 80, seed: 5, verify: false },
];

describe.skipIf(!MKFS_VERSION)('readers/fs/xfs (seeded metadata mutations)', () => {
  describe.each(MKFS_CASES)('$variant.name: $runs runs', ({ variant, runs, seed, verify }) => {
    let raw: RawFileSource;
    let regions: Region[];
    const bytes = new Map<number, number>();
    beforeAll(async () => {
      const { img } = await buildImage(variant);
      raw = await RawFileSource.open(img);
      regions = await metadataRegions(raw, verify);
      // Cache the original bytes of every region so mutations can XOR them without I/O.
      for (const r of regions) {
        const b = await raw.read(BigInt(r.start), r.length);
        for (let i = 0; i < r.length; i++) bytes.set(r.start + i, b[i]!);
      }
    });
    afterAll(async () => {
      await raw?.close();
    });

    it('every run ends in a result or a ScanError', async () => {
      // The clean image reads without error, except the v5 remote symlink mkfs -p writes without its
      // header (see images.test.ts): that one is rejected, as the kernel does.
      const baseline = await readAll(raw, verify);
      expect(baseline).toBe(variant.name === 'mut-v5' ? 1 : 0);
      const rand = prng(seed);
      let failedRuns = 0;
      for (let run = 0; run < runs; run++) {
        const patch = mutate(rand, regions, (at) => bytes.get(at) ?? 0);
        const n = await withBudget(
          readAll(new OverlaySource(raw, patch), verify),
          `${variant.name} run ${run}`,
        );
        if (n > baseline) failedRuns++;
      }
      // Most flips in metadata are noticed somewhere; the point is that none escaped as a crash.
      expect(failedRuns).toBeGreaterThan(runs / 10);
    });
  });

  it('crafted v5 image: 100 runs, checksums on and off', async () => {
    const clean = craftStandard();
    const regions: Region[] = [
      { start: 0, length: 512 },
      { start: 8 * 4096, length: 4096 },
      { start: 20 * 4096, length: 2 * 4096 },
      { start: 50 * 4096, length: 4096 },
      { start: 60 * 4096, length: 4096 },
    ];
    const rand = prng(0xc0ffee);
    expect(await readAll(clean.source(), true)).toBe(0);
    let detected = 0;
    for (let run = 0; run < 100; run++) {
      const patch = mutate(rand, regions, (at) => clean.img[at]!);
      const n = await withBudget(
        readAll(new OverlaySource(clean.source(), patch), run % 2 === 0),
        `crafted run ${run}`,
      );
      if (n > 0) detected++;
    }
    expect(detected).toBeGreaterThan(20);
  });
});
