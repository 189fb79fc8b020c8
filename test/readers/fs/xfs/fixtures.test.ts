/**
 * Third-party XFS images from /work/shared (see fixtures/PROVENANCE.md):
 *  - util-linux blkid test images (v4 and v5): superblock label, UUID, block/sector size, size figures
 *    against the expected blkid output;
 *  - DiscUtils sample disks (VHDX in a zip, v4 and v5, partitioned): unzipped with yauzl, converted
 *    to raw with `qemu-img convert -f vhdx -O raw` into .cache/, then listed and read as the
 *    expected files say (1000-entry and 999-entry directories, empty dir, md5 of two files).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { CountingSource } from '../../../../readers/block/counting.js';
import { RawFileSource } from '../../../../readers/block/raw-file/index.js';
import { PathFileSystem } from '../../../../readers/fs/path-fs.js';
import { openXfs, xfs } from '../../../../readers/fs/xfs/index.js';
import { listVolumes, readPartitions } from '../../../../readers/partition/probe.js';
import { CACHE_DIR, REPO_ROOT } from './image-builder.js';

const SHARED = resolve(REPO_ROOT, '../shared/fixtures/fs-images');
const UTIL_LINUX = ['util-linux-xfs', 'util-linux-xfs-v5'].map((name) => ({ name }));
const HAVE_UTIL_LINUX = existsSync(join(SHARED, 'xfs', 'util-linux-xfs.img.gz'));
const HAVE_QEMU_IMG = spawnSync('qemu-img', ['--version']).status === 0;
const HAVE_DISCUTILS = existsSync(join(SHARED, 'vhdx', 'discutils-xfs.zip'));

function unpackGz(name: string): string {
  mkdirSync(CACHE_DIR, { recursive: true });
  const out = join(CACHE_DIR, `${name}.img`);
  if (!existsSync(out)) {
    const tmp = `${out}.tmp-${process.pid}`;
    writeFileSync(tmp, gunzipSync(readFileSync(join(SHARED, 'xfs', `${name}.img.gz`))));
    renameSync(tmp, out);
  }
  return out;
}

describe.skipIf(!HAVE_UTIL_LINUX)('readers/fs/xfs (util-linux blkid images)', () => {
  it.each(UTIL_LINUX)('$name: superblock matches blkid', async ({ name }) => {
    const expected = JSON.parse(readFileSync(join(SHARED, 'xfs', `${name}.expected.json`), 'utf8'));
    const img = unpackGz(name);
    const sha = createHash('sha256').update(readFileSync(img)).digest('hex');
    expect(sha).toBe(expected.rawSha256);
    const src = await RawFileSource.open(img);
    try {
      expect(await xfs.probe(src)).toBe(true);
      const store = await openXfs(src);
      const b = expected.blkidLowProbe;
      expect(store.label).toBe(b.ID_FS_LABEL);
      expect(store.uuid).toBe(b.ID_FS_UUID);
      expect(String(store.blockSize)).toBe(b.ID_FS_FSBLOCKSIZE);
      expect(String(store.sb.sectSize)).toBe(b.ID_FS_BLOCK_SIZE);
      expect(String(store.sb.dblocks)).toBe(b.ID_FS_FSLASTBLOCK);
      // blkid: fssize = (dblocks - internal log blocks) * blocksize.
      const logBlocks = store.sb.logStart !== 0n ? BigInt(store.sb.logBlocks) : 0n;
      expect(String((store.sb.dblocks - logBlocks) * BigInt(store.blockSize))).toBe(b.ID_FS_FSSIZE);
      // The root directory reads (these images hold little or no content).
      const fs = new PathFileSystem(store);
      const entries: string[] = [];
      for await (const e of fs.walk('/')) entries.push(e.path);
      expect(Array.isArray(entries)).toBe(true);
      expect((await fs.stat('/')).type).toBe('dir');
    } finally {
      await src.close();
    }
  });
});

/** Extracts the zip's first file entry to `dest` (yauzl, streaming: the VHDX is ~650 MB). */
function unzipFirst(zip: string, dest: string): Promise<void> {
  return new Promise((done, fail) => {
    yauzl.open(zip, { lazyEntries: true, autoClose: true }, (err, zf) => {
      if (err || !zf) return fail(err ?? new Error(`${zip}: cannot open`));
      zf.on('error', fail);
      zf.on('end', () => fail(new Error(`${zip}: no file entry`)));
      zf.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName.endsWith('/')) return zf.readEntry();
        zf.openReadStream(entry, (e2, rs) => {
          if (e2 || !rs) return fail(e2 ?? new Error(`${zip}: cannot read ${entry.fileName}`));
          pipeline(rs, createWriteStream(dest)).then(() => {
            zf.close();
            done();
          }, fail);
        });
      });
      zf.readEntry();
    });
  });
}

async function vhdxToRaw(name: string): Promise<string> {
  mkdirSync(CACHE_DIR, { recursive: true });
  const raw = join(CACHE_DIR, `${name}.raw`);
  if (existsSync(raw)) return raw;
  const vhdx = join(CACHE_DIR, `${name}.vhdx.tmp-${process.pid}`);
  await unzipFirst(join(SHARED, 'vhdx', `${name}.zip`), vhdx);
  const tmp = `${raw}.tmp-${process.pid}`;
  const r = spawnSync('qemu-img', ['convert', '-f', 'vhdx', '-O', 'raw', vhdx, tmp], { encoding: 'utf8' });
  rmSync(vhdx, { force: true });
  if (r.status !== 0) throw new Error(`qemu-img convert failed: ${r.stderr}`);
  renameSync(tmp, raw);
  return raw;
}

const DISCUTILS = ['discutils-xfs', 'discutils-xfs5'].map((name) => ({ name }));

describe.skipIf(!HAVE_DISCUTILS || !HAVE_QEMU_IMG)(
  'readers/fs/xfs (DiscUtils VHDX samples; skipped without qemu-img)',
  () => {
    describe.each(DISCUTILS)('$name', ({ name }) => {
      let src: RawFileSource;
      let fs: PathFileSystem;
      let expected: {
        logicalVolumes: number;
        fileSystem: string;
        filesExist: string[];
        emptyDirectories: string[];
        md5: Record<string, string>;
      };

      beforeAll(async () => {
        expected = JSON.parse(readFileSync(join(SHARED, 'vhdx', `${name}.expected.json`), 'utf8')).expected;
        src = await RawFileSource.open(await vhdxToRaw(name));
        const volumes = listVolumes(await readPartitions(src));
        expect(volumes.length).toBe(expected.logicalVolumes);
        const vol = volumes[0]!;
        expect(await xfs.probe(vol.source)).toBe(true);
        fs = new PathFileSystem(await openXfs(vol.source));
      }, 600_000);
      afterAll(async () => {
        await src?.close();
      });

      it('lists the expected files (1000- and 999-entry directories) and the empty one', async () => {
        for (const p of expected.filesExist) expect(await fs.exists(`/${p}`), p).toBe(true);
        const folder = new Set((await fs.readdir('/folder')).map((e) => e.name));
        for (let i = 1; i <= 1000; i++) expect(folder.has(`file.${i}`), `folder/file.${i}`).toBe(true);
        const huge = new Set((await fs.readdir('/huge')).map((e) => e.name));
        for (let i = 1; i <= 999; i++) expect(huge.has(String(i)), `huge/${i}`).toBe(true);
        for (const d of expected.emptyDirectories) expect(await fs.readdir(`/${d}`)).toEqual([]);
        expect(expected.fileSystem).toBe('xfs');
      });

      it('reading one file from the partitioned 10 GiB disk touches few blocks (CountingSource)', async () => {
        const counting = new CountingSource(src);
        const vol = listVolumes(await readPartitions(counting))[0]!;
        const cfs = new PathFileSystem(await openXfs(vol.source));
        const data = await cfs.readFile('/folder/file.100');
        expect(createHash('md5').update(data).digest('hex')).toBe(expected.md5['folder/file.100']);
        const st = counting.stats();
        console.log(
          `${name} /folder/file.100 (partition table + fs): ${st.reads} reads, ${st.bytesRead} bytes, ${st.distinctBlocks} distinct 512 KiB blocks`,
        );
        expect(st.distinctBlocks).toBeLessThanOrEqual(16);
      });

      it('file contents match the expected md5', async () => {
        for (const [p, md5] of Object.entries(expected.md5)) {
          const data = await fs.readFile(`/${p}`);
          expect(createHash('md5').update(data).digest('hex'), p).toBe(md5);
        }
      });
    });
  },
);
