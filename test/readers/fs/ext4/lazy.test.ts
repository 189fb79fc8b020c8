/**
 * Laziness: what one path lookup + readFile costs in source reads on a ~3000-file image, counted
 * with CountingSource (distinct 512 KiB units = predicted EBS GetSnapshotBlock calls).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CountingSource } from '../../../../readers/block/counting.js';
import { RawFileSource } from '../../../../readers/block/raw-file/index.js';
import { Ext4Store } from '../../../../readers/fs/ext4/index.js';
import { PathFileSystem } from '../../../../readers/fs/path-fs.js';
import { buildImage, hasMke2fs } from './mkfs-image.js';

const DEEP = `/deep/a/b/c/d/e/f/g/h/${'x'.repeat(80)}.txt`;
const opened: RawFileSource[] = [];

describe.skipIf(!hasMke2fs())('readers/fs/ext4 (lazy reads)', () => {
  afterAll(async () => {
    for (const s of opened) await s.close();
  });

  it.each([
    {
      name: 'ext4-4k',
      args: ['-t', 'ext4', '-b', '4096'],
      fsckD: true,
      path: DEEP,
      maxReads: 30,
      // Inode tables are read in runs of up to 64 KiB (one request per run, not per 4 KiB chunk):
      // a lookup pays a run per group it touches in bytes, never in 512 KiB blocks or requests.
      maxBytes: 192 * 1024,
    },
    {
      name: 'ext4-1k',
      args: ['-t', 'ext4', '-b', '1024'],
      fsckD: true,
      path: DEEP,
      maxReads: 30,
      maxBytes: 128 * 1024,
    },
    // A file in the 3001-entry htree directory: the directory is read linearly (all its blocks).
    {
      name: 'ext4-4k',
      args: ['-t', 'ext4', '-b', '4096'],
      fsckD: true,
      path: '/big/with-data.txt',
      maxReads: 30,
      maxBytes: 320 * 1024,
    },
  ])('$name: readFile($path) reads only what it needs', async (c) => {
    const img = buildImage({ name: c.name, args: c.args, fsckD: c.fsckD });
    const raw = await RawFileSource.open(img);
    opened.push(raw);
    const src = new CountingSource(raw);
    const fs = new PathFileSystem(await Ext4Store.open(src));
    const afterOpen = src.stats();
    const data = await fs.readFile(c.path);
    expect(data.length).toBeGreaterThan(0);
    const s = src.stats();
    console.log(
      `[ext4 lazy] ${c.name} ${c.path.length > 40 ? `${c.path.slice(0, 24)}…` : c.path}: image ${raw.size} B; open ${afterOpen.reads} reads/${afterOpen.bytesRead} B; ` +
        `total ${s.reads} reads, ${s.bytesRead} B, ${s.distinctBlocks} distinct 512 KiB blocks`,
    );
    expect(s.reads).toBeLessThanOrEqual(c.maxReads);
    expect(s.bytesRead).toBeLessThanOrEqual(c.maxBytes);
    expect(s.bytesRead).toBeLessThan(Number(raw.size) / 100);
  });
});
