/**
 * Rebuilds the committed binary and extracted seeds of the fuzz corpus from the project's own
 * images, with the project's own readers (deterministic: same images in, same bytes out):
 *
 *   dpkg-status          first 8 stanzas of /var/lib/dpkg/status of test/fixtures/demo/debian-12-cloud.img.gz
 *   os-release.debian    /etc/os-release of the same disk
 *   os-release.alma      /etc/os-release of test/fixtures/demo/almalinux-9-cloud.img.gz
 *   rpmdb-small.sqlite   an rpm sqlite database holding the first 4 headers of the Alma disk's rpmdb
 *   bdb-512.Packages.gz  the same 4 headers as a Berkeley DB hash file, 512-byte pages (many
 *                        buckets and overflow chains), made by db5.3_load (test/fixtures/rpmdb/gen-bdb.ts)
 *
 * Hand-written seeds beside them (apk-installed, osv.json, debian-tracker.json, alas-updateinfo.xml)
 * are not generated. The disk images themselves are not copied: the harness reads the demo images
 * and small images it builds (readers/partition, ext4 via mkfs, crafted XFS) directly.
 *
 * usage: npx tsx test/fuzz/corpus/gen.ts
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { rawImagePath } from '../../../engine/cli/image.js';
import { RawFileSource } from '../../../readers/block/raw-file/index.js';
import { probeFileSystem } from '../../../readers/fs/formats.js';
import { PathFileSystem } from '../../../readers/fs/path-fs.js';
import type { FileSystem } from '../../../readers/fs/types.js';
import { listVolumes, readPartitions } from '../../../readers/partition/probe.js';
import { genBdb, sqliteBlobs } from '../../fixtures/rpmdb/gen-bdb.js';
import { REPO_ROOT } from '../../helpers/paths.js';

const OUT = join(REPO_ROOT, 'test/fuzz/corpus');

async function withRoot<T>(gz: string, wants: string, fn: (fs: FileSystem) => Promise<T>): Promise<T> {
  const src = await RawFileSource.open(await rawImagePath(join(REPO_ROOT, 'test/fixtures/demo', gz)));
  try {
    for (const vol of listVolumes(await readPartitions(src))) {
      const f = await probeFileSystem(vol.source);
      if (!f) continue;
      const fs = new PathFileSystem(await f.open(vol.source));
      if (await fs.exists(wants)) return await fn(fs);
    }
    throw new Error(`${gz}: no volume holds ${wants}`);
  } finally {
    await src.close();
  }
}

async function main(): Promise<void> {
  await withRoot('debian-12-cloud.img.gz', '/var/lib/dpkg/status', async (fs) => {
    const status = (await fs.readFile('/var/lib/dpkg/status')).toString('utf8');
    writeFileSync(join(OUT, 'dpkg-status'), `${status.split(/\n\n/).slice(0, 8).join('\n\n')}\n`);
    writeFileSync(join(OUT, 'os-release.debian'), await fs.readFile('/etc/os-release'));
  });
  await withRoot('almalinux-9-cloud.img.gz', '/etc/os-release', async (fs) => {
    writeFileSync(join(OUT, 'os-release.alma'), await fs.readFile('/etc/os-release'));
    const path = (await fs.exists('/var/lib/rpm/rpmdb.sqlite'))
      ? '/var/lib/rpm/rpmdb.sqlite'
      : '/usr/lib/sysimage/rpm/rpmdb.sqlite';
    const tmp = mkdtempSync(join(tmpdir(), 'snapscan-fuzzgen-'));
    try {
      const full = join(tmp, 'full.sqlite');
      writeFileSync(full, await fs.readFile(path, { maxBytes: 512 * 1024 * 1024 }));
      const small = join(tmp, 'small.sqlite');
      const db = new Database(small);
      db.pragma('page_size = 1024');
      db.exec('CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)');
      const ins = db.prepare('INSERT INTO Packages (hnum, blob) VALUES (?, ?)');
      for (const { hnum, blob } of sqliteBlobs(full, 4)) ins.run(hnum, blob);
      db.exec('VACUUM');
      db.close();
      copyFileSync(small, join(OUT, 'rpmdb-small.sqlite'));
      const bdb = genBdb({ sqlite: small, pageSize: 512 });
      writeFileSync(join(OUT, 'bdb-512.Packages.gz'), gzipSync(readFileSync(bdb), { level: 9 }));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
  console.log(`corpus written to ${OUT}`);
}

await main();
