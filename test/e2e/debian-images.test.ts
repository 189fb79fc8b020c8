/**
 * End to end on real Debian disk images (debootstrap minbase bookworm → mkfs.ext4 -d, bare, GPT,
 * cloud GPT at 6 GiB, MBR): the inventory equals `dpkg-query -W` on the same root, and file
 * contents read through the readers equal the root's files and `debugfs -R 'cat PATH'`.
 */
import { execFileSync } from 'node:child_process';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { PackageURL } from 'packageurl-js';
import { describe, expect, it } from 'vitest';
import { scanBlockSource } from '../../engine/pipeline.js';
import { RawFileSource } from '../../readers/block/raw-file/index.js';
import { probeFileSystem } from '../../readers/fs/formats.js';
import { PathFileSystem } from '../../readers/fs/path-fs.js';
import { readPartitions } from '../../readers/partition/probe.js';
import { DEBIAN_IMAGES, debianImages } from '../helpers/debian-images.js';
import { REPO_ROOT } from '../helpers/paths.js';

const images = debianImages();
const skip = typeof images === 'string' ? images : undefined;
if (skip) console.warn(`[test/e2e/debian-images] skipped: ${skip}`);

/** Every regular file and symlink under the root, relative paths, sorted. */
function hostTree(
  root: string,
  rel = '',
): Array<{ path: string; type: 'file' | 'symlink' | 'dir' | 'other' }> {
  const out: Array<{ path: string; type: 'file' | 'symlink' | 'dir' | 'other' }> = [];
  for (const name of readdirSync(join(root, rel)).sort()) {
    const p = `${rel}/${name}`;
    const st = lstatSync(join(root, p));
    const type = st.isFile() ? 'file' : st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'dir' : 'other';
    out.push({ path: p, type });
    if (type === 'dir') out.push(...hostTree(root, p));
  }
  return out;
}

async function openRootFs(image: string): Promise<{ fs: PathFileSystem; source: RawFileSource }> {
  const source = await RawFileSource.open(image);
  const table = await readPartitions(source);
  for (const part of table.partitions) {
    const format = await probeFileSystem(part.source);
    if (format?.id === 'ext4') return { fs: new PathFileSystem(await format.open(part.source)), source };
  }
  throw new Error(`no ext4 filesystem in ${image}`);
}

describe.skipIf(skip !== undefined)('engine/pipeline on Debian images', () => {
  const img = images as Exclude<typeof images, string>;

  it.each(DEBIAN_IMAGES.map((name) => ({ name })))(
    '$name: inventory equals dpkg-query -W',
    async ({ name }) => {
      const source = await RawFileSource.open(join(img.dir, name));
      try {
        const inv = await scanBlockSource(source, {
          resource: { type: 'image', id: name },
          packages: ['os'],
        });
        expect(inv.status.issues.filter((i) => i.error.code !== 'warning')).toEqual([]);
        expect(inv.os).toMatchObject({ family: 'debian', versionId: '12' });
        const got = inv.packages
          .map((p) => [p.name, p.version, p.arch ?? '', p.sourceName ?? p.name, p.sourceVersion ?? p.version])
          .sort((a, b) => (a.join('\t') < b.join('\t') ? -1 : 1));
        expect(got).toEqual(img.oracle);
        // Lazy reading: an OS inventory touches a handful of 512 KiB blocks, not the disk.
        expect(inv.stats.distinctBlocks).toBeLessThan(64);
        for (const p of inv.packages) {
          const purl = PackageURL.fromString(p.purl);
          expect([purl.type, purl.namespace, purl.name, purl.version]).toEqual([
            'deb',
            'debian',
            p.name,
            p.version,
          ]);
        }
      } finally {
        await source.close();
      }
    },
  );

  it('gpt-cloud: the root partition named "root" sits at 6 GiB, behind BIOS-boot and ESP', async () => {
    const source = await RawFileSource.open(join(img.dir, 'gpt-cloud.img'));
    try {
      const table = await readPartitions(source);
      expect(table.scheme).toBe('gpt');
      const names = table.partitions.map((p) => [p.number, p.name, p.start]);
      expect(names).toEqual([
        [1, 'root', 6n * 1024n ** 3n],
        [14, 'bios', 2048n * 512n],
        [15, 'esp', 4096n * 512n],
      ]);
    } finally {
      await source.close();
    }
  });

  it('gpt-cloud: a full walk lists exactly the root filesystem tree', async () => {
    const { fs, source } = await openRootFs(join(img.dir, 'gpt-cloud.img'));
    try {
      const want = hostTree(img.rootfs).map((e) => `${e.path} ${e.type === 'other' ? '' : e.type}`);
      const got: string[] = [];
      for await (const e of fs.walk('/')) {
        if (e.path === '/lost+found') continue;
        const t = e.type === 'file' || e.type === 'symlink' || e.type === 'dir' ? e.type : '';
        got.push(`${e.path} ${t}`);
      }
      expect(got.sort()).toEqual(want.sort());
    } finally {
      await source.close();
    }
  });

  /** A deterministic sample: fixed interesting files plus every 61st regular file. */
  function sampleFiles(): string[] {
    const tree = hostTree(img.rootfs).filter((e) => e.type === 'file');
    const fixed = [
      '/etc/os-release',
      '/var/lib/dpkg/status',
      '/usr/bin/bash',
      '/usr/lib/x86_64-linux-gnu/libc.so.6',
    ];
    const every = tree.filter((_, i) => i % 61 === 0).map((e) => e.path);
    return [...new Set([...fixed, ...every])];
  }

  it.each(['ext4-4k.img', 'ext4-1k.img'].map((name) => ({ name })))(
    '$name: file contents equal the root files and debugfs cat',
    async ({ name }) => {
      const image = join(img.dir, name);
      const { fs, source } = await openRootFs(image);
      try {
        const files = sampleFiles();
        expect(files.length).toBeGreaterThan(50);
        for (const [i, path] of files.entries()) {
          const ours = await fs.readFile(path, { maxBytes: 64 * 1024 * 1024 });
          expect(ours.equals(readFileSync(join(img.rootfs, path))), path).toBe(true);
          if (i % 4 === 0) {
            // debugfs does not follow symlinks: give it the resolved path.
            const real = await fs.resolve(path);
            const debugfs = execFileSync('debugfs', ['-R', `cat ${real}`, image], {
              maxBuffer: 64 * 1024 * 1024,
              stdio: ['ignore', 'pipe', 'ignore'],
            });
            expect(ours.equals(debugfs), `${path} vs debugfs`).toBe(true);
          }
        }
      } finally {
        await source.close();
      }
    },
  );

  it.each(DEBIAN_IMAGES.filter((n) => n !== 'ext4-4k.img').map((name) => ({ name })))(
    '$name: sampled files and symlinks read like the root',
    async ({ name }) => {
      const { fs, source } = await openRootFs(join(img.dir, name));
      try {
        for (const path of sampleFiles().slice(0, 12)) {
          expect((await fs.readFile(path)).equals(readFileSync(join(img.rootfs, path))), path).toBe(true);
        }
        const links = hostTree(img.rootfs)
          .filter((e) => e.type === 'symlink')
          .slice(0, 40);
        for (const l of links) expect(await fs.readlink(l.path)).toBe(readlinkSync(join(img.rootfs, l.path)));
        expect(await fs.resolve('/bin/sh')).toBe('/usr/bin/dash');
      } finally {
        await source.close();
      }
    },
  );

  it('snapscan inventory CLI prints the dpkg-query list (JSON) and the figures with --stats', () => {
    const res = execFileSync(
      process.execPath,
      [
        join(REPO_ROOT, 'bin/snapscan.js'),
        'inventory',
        '--image',
        join(img.dir, 'mbr-boot.img'),
        '--format',
        'json',
        '--packages',
        'os',
        '--stats',
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 },
    );
    const inv = JSON.parse(res) as {
      packages: Array<{ name: string; version: string; arch: string }>;
      stats: { distinctBlocks: number };
    };
    expect(inv.packages.map((p) => `${p.name} ${p.version} ${p.arch}`).sort()).toEqual(
      img.oracle.map((r) => `${r[0]} ${r[1]} ${r[2]}`).sort(),
    );
    expect(inv.stats.distinctBlocks).toBeGreaterThan(0);
  });
});
