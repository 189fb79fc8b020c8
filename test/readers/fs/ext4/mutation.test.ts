/**
 * Mutation test: flip random bytes in the metadata of small mke2fs images (seeded PRNG) and check
 * that a bounded walk + a few reads ends with a result or a ScanError: never another exception
 * (RangeError, TypeError…), never a hang.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ScanError, TruncatedError } from '../../../../engine/errors.js';
import type { BlockSource } from '../../../../readers/block/types.js';
import { Ext4Store } from '../../../../readers/fs/ext4/index.js';
import { PathFileSystem } from '../../../../readers/fs/path-fs.js';
import { mulberry32 as prng } from '../../../helpers/prng.js';
import { buildImage, hasMke2fs, type Variant } from './mkfs-image.js';

/** An in-memory image with a sparse overlay of mutated bytes. */
class PatchedSource implements BlockSource {
  readonly id = 'mutated';
  readonly blockSize = 4096;
  readonly size: bigint;
  constructor(
    private readonly base: Buffer,
    private readonly patches: Map<number, number>,
  ) {
    this.size = BigInt(base.length);
  }
  async read(offset: bigint, length: number): Promise<Buffer> {
    if (offset < 0n || offset + BigInt(length) > this.size) {
      throw new TruncatedError({ format: 'block', struct: this.id, offset, field: 'read' }, length, 0);
    }
    const o = Number(offset);
    const out = Buffer.from(this.base.subarray(o, o + length));
    for (const [at, v] of this.patches) if (at >= o && at < o + length) out[at - o] = v;
    return out;
  }
}

const IMAGES: Variant[] = [
  { name: 'mut-ext4', tree: 'small', args: ['-t', 'ext4', '-b', '1024'], sizeMiB: 2, inodes: 128 },
  { name: 'mut-ext2', tree: 'small', args: ['-t', 'ext2', '-b', '1024'], sizeMiB: 2, inodes: 128 },
  {
    name: 'mut-inline',
    tree: 'small',
    args: ['-t', 'ext4', '-b', '1024', '-O', 'inline_data'],
    sizeMiB: 2,
    inodes: 128,
  },
  // needs_recovery with a csum-v3 journal holding a write and a revoke: mutations reach the log too.
  {
    name: 'mut-journal',
    tree: 'small',
    args: ['-t', 'ext4', '-b', '1024', '-J', 'size=1'],
    sizeMiB: 4,
    inodes: 128,
    journalFile: '/f3',
  },
];
/** 4 × 75 runs by default (a few seconds); EXT4_MUTATION_RUNS raises it for a soak run. */
const RUNS_PER_IMAGE = Number(process.env.EXT4_MUTATION_RUNS ?? 75);
const RUN_TIMEOUT_MS = 5000;

/** Metadata byte ranges of a pristine image: superblock, descriptors, inode tables, directory and tree blocks. */
async function metadataRanges(img: Buffer): Promise<Array<[number, number]>> {
  const store = await Ext4Store.open(new PatchedSource(img, new Map()));
  const fs = new PathFileSystem(store);
  const bs = store.blockSize;
  const ranges: Array<[number, number]> = [[1024, 2048]];
  const gdBlock = store.sb.firstDataBlock + 1;
  ranges.push([gdBlock * bs, (gdBlock + 1) * bs]);
  for (let g = 0; g < store.sb.groupCount; g++) {
    const gd = await store.groupDesc(g);
    // The used part of the inode table (small images: the first few blocks).
    ranges.push([
      gd.inodeTable * bs,
      gd.inodeTable * bs + Math.min(store.sb.inodesPerGroup * store.sb.inodeSize, 8 * bs),
    ]);
  }
  for await (const e of fs.walk('/')) {
    if (e.type !== 'dir') continue;
    for (const r of await store.dataRanges(e.ino))
      ranges.push([Number(r.offset), Number(r.offset) + r.length]);
  }
  for (const r of await store.dataRanges(2)) ranges.push([Number(r.offset), Number(r.offset) + r.length]);
  if (store.sb.journalInum !== 0) {
    // The head of the log: journal superblock, descriptor, data, revoke and commit blocks.
    const first = (await store.dataRanges(store.sb.journalInum, 8 * bs))[0];
    if (first) ranges.push([Number(first.offset), Number(first.offset) + first.length]);
  }
  return ranges;
}

/** Bounded walk + a few reads; returns how many ScanErrors were absorbed along the way. */
async function exercise(src: BlockSource): Promise<number> {
  const store = await Ext4Store.open(src);
  const fs = new PathFileSystem(store);
  const files: string[] = [];
  let absorbed = 0;
  const onError = (_p: string, err: unknown) => {
    // Anything but a ScanError is a reader bug: let it end the run.
    if (!(err instanceof ScanError)) throw err;
    absorbed++;
  };
  for await (const e of fs.walk('/', { maxEntries: 2000, maxDepth: 16, onError })) {
    if ((e.type === 'file' || e.type === 'symlink') && files.length < 6) files.push(e.path);
  }
  for (const p of files) {
    try {
      await fs.readFile(p, { maxBytes: 1024 * 1024 });
    } catch (err) {
      onError(p, err);
    }
  }
  return absorbed;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`run exceeded ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

describe.skipIf(!hasMke2fs())('readers/fs/ext4 (metadata mutation)', () => {
  it.each(IMAGES)('$name: random byte flips end in a result or a ScanError', async (v) => {
    const img = readFileSync(buildImage(v));
    const ranges = await metadataRanges(img);
    const total = ranges.reduce((a, [s, e]) => a + (e - s), 0);
    const rand = prng(Number(process.env.EXT4_MUTATION_SEED ?? 0x5eed) + v.name.length);
    const outcomes = { ok: 0, scanError: 0 };
    const failures: string[] = [];
    for (let run = 0; run < RUNS_PER_IMAGE; run++) {
      const patches = new Map<number, number>();
      const flips = 1 + Math.floor(rand() * 8);
      for (let k = 0; k < flips; k++) {
        // Pick a byte uniformly over all metadata bytes.
        let at = Math.floor(rand() * total);
        for (const [s, e] of ranges) {
          if (at < e - s) {
            at += s;
            break;
          }
          at -= e - s;
        }
        const mode = rand();
        const old = patches.get(at) ?? img[at]!;
        patches.set(
          at,
          mode < 0.5 ? old ^ (1 << Math.floor(rand() * 8)) : mode < 0.75 ? Math.floor(rand() * 256) : 0xff,
        );
      }
      try {
        const absorbed = await withTimeout(exercise(new PatchedSource(img, patches)), RUN_TIMEOUT_MS);
        if (absorbed > 0) outcomes.scanError++;
        else outcomes.ok++;
      } catch (err) {
        if (err instanceof ScanError) outcomes.scanError++;
        else
          failures.push(
            `run ${run} [${[...patches].map(([a, b]) => `${a}=${b}`).join(',')}]: ${(err as Error).stack}`,
          );
      }
    }
    if (process.env.EXT4_MUTATION_RUNS) console.log(v.name, outcomes);
    expect(failures).toEqual([]);
    expect(outcomes.ok + outcomes.scanError).toBe(RUNS_PER_IMAGE);
    // Some runs must actually break something, or the mutations are not reaching the parser.
    expect(outcomes.scanError).toBeGreaterThan(0);
  });
});
