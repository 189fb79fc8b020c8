/**
 * Shared third-party ext images (/work/shared/fixtures/fs-images/ext4, see PROVENANCE.md): each
 * case asserts what its *.expected.json transcribes from the peer project's test.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { RawFileSource } from '../../../../readers/block/raw-file/index.js';
import { type Ext4Store, ext4 } from '../../../../readers/fs/ext4/index.js';
import { PathFileSystem } from '../../../../readers/fs/path-fs.js';
import { REPO_ROOT } from './mkfs-image.js';

const DIR = path.resolve(REPO_ROOT, '../shared/fixtures/fs-images/ext4');
const present = existsSync(DIR);
const tmp = present ? mkdtempSync(path.join(tmpdir(), 'snapscan-ext4-')) : '';
const opened: RawFileSource[] = [];

// biome-ignore lint/suspicious/noExplicitAny: expected files are free-form JSON
function expected(name: string): any {
  return JSON.parse(readFileSync(path.join(DIR, `${name}.expected.json`), 'utf8'));
}

/** Opens a fixture, gunzipping `.gz` files into the temp dir and checking rawSha256 when given. */
async function open(file: string, rawSha256?: string): Promise<{ store: Ext4Store; fs: PathFileSystem }> {
  let p = path.join(DIR, file);
  if (file.endsWith('.gz')) {
    const raw = gunzipSync(readFileSync(p));
    if (rawSha256) expect(createHash('sha256').update(raw).digest('hex')).toBe(rawSha256);
    p = path.join(tmp, file.slice(0, -3));
    writeFileSync(p, raw);
  }
  const src = await RawFileSource.open(p);
  opened.push(src);
  expect(await ext4.probe(src)).toBe(true);
  const store = (await ext4.open(src)) as Ext4Store;
  return { store, fs: new PathFileSystem(store) };
}

const digest = (alg: string, b: Buffer) => createHash(alg).update(b).digest('hex');

describe.skipIf(!present)('readers/fs/ext4 (shared fixtures)', () => {
  afterAll(async () => {
    for (const s of opened) await s.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('dsoprea-tiny: superblock fields, root entries, file hashes', async () => {
    const exp = expected('dsoprea-tiny');
    const { store, fs } = await open('dsoprea-tiny.ext4');
    const sb = store.sb;
    expect(sb.inodesCount).toBe(exp.superblock.inodesCount);
    expect(sb.blocksCountLo).toBe(exp.superblock.blocksCountLo);
    expect(sb.logBlockSize).toBe(exp.superblock.logBlockSize);
    expect(sb.volumeName).toBe(exp.superblock.volumeName);
    expect(sb.uuid).toBe(exp.superblock.uuid);
    expect(sb.mkfsTime).toBe(exp.superblock.mkfsTime);
    expect(sb.hashSeed.map((v) => `0x${v.toString(16)}`)).toEqual(exp.superblock.hashSeed);
    const root = await fs.readdir('/');
    const want = exp.rootDirectoryEntries
      .filter((e: { name: string }) => e.name !== '.' && e.name !== '..')
      .map((e: { name: string; inode: number; type: string }) => ({
        name: e.name,
        ino: e.inode,
        type: e.type === 'regular' ? 'file' : 'dir',
      }));
    expect([...root].sort((a, b) => a.name.localeCompare(b.name))).toEqual(want);
    for (const f of exp.files) {
      const b = await fs.readFile(`/${f.path}`);
      expect(b.length).toBe(f.size);
      expect(digest('md5', b)).toBe(f.md5);
      expect(digest('sha256', b)).toBe(f.sha256);
      expect((await fs.stat(`/${f.path}`)).ino).toBe(f.inode);
    }
  });

  it('dsoprea-hierarchy_32: recursive walk and file hashes', async () => {
    const exp = expected('dsoprea-hierarchy_32');
    const { fs } = await open('dsoprea-hierarchy_32.ext4');
    const got: Array<{ path: string; inode: number; type: string }> = [];
    for await (const e of fs.walk('/')) got.push({ path: e.path.slice(1), inode: e.ino, type: e.type });
    const want = exp.walk.map((w: { path: string; inode: number; type: string }) => ({
      path: w.path,
      inode: w.inode,
      type: w.type === 'regular' ? 'file' : 'dir',
    }));
    const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : 1);
    expect(got.sort(byPath)).toEqual(want.sort(byPath));
    for (const f of exp.files) expect(digest('sha256', await fs.readFile(`/${f.path}`))).toBe(f.sha256);
  });

  it('dfvfs-ext2: entries, stat, extents, reads, symlink, xattr', async () => {
    const exp = expected('dfvfs-ext2');
    const { store, fs } = await open('dfvfs-ext2.raw.gz', exp.rawSha256);
    expect(store.variant).toBe('ext2');
    expect(store.label).toBe('ext2_test');
    expect((await fs.readdir('/')).map((e) => e.name).sort()).toEqual(exp.rootEntries);
    const byPath = new Map(exp.entries.map((e: { path: string }) => [e.path, e]));
    // biome-ignore lint/suspicious/noExplicitAny: free-form JSON
    const e = (p: string): any => byPath.get(p);
    const dir = e('/a_directory');
    expect((await fs.stat(dir.path)).ino).toBe(dir.inode);
    expect((await fs.readdir(dir.path)).length).toBe(dir.subEntryCount);

    const other = e('/a_directory/another_file');
    const st = await fs.stat(other.path);
    expect({
      ino: st.ino,
      mode: `0o${st.mode.toString(8)}`,
      uid: st.uid,
      gid: st.gid,
      nlink: st.nlink,
      size: st.size,
    }).toEqual({
      ino: other.inode,
      mode: other.mode,
      uid: other.uid,
      gid: other.gid,
      nlink: other.nlink,
      size: other.size,
    });
    const ranges = await store.dataRanges(st.ino);
    expect(ranges.map((r) => ({ offset: Number(r.offset), size: r.length }))).toEqual(other.extents);
    for (const c of other.readChecks) {
      const at = c.seek ?? st.size + c.seekFromEnd;
      expect((await store.readData(st.ino, at, c.read)).toString()).toBe(c.bytes);
    }

    const link = e('/a_link');
    expect((await fs.lstat(link.path)).ino).toBe(link.inode);
    // dfvfs compares the name of the linked file entry: the target is a_directory/another_file.
    const resolved = await fs.resolve(link.path);
    expect(path.posix.basename(resolved)).toBe(link.linkTargetName);
    expect((await fs.stat(link.path)).ino).toBe(other.inode);

    const aFile = e('/a_directory/a_file');
    const xattrs = await store.readXattrs((await fs.stat(aFile.path)).ino);
    for (const x of aFile.xattrs) {
      expect(xattrs.find((a) => a.name === x.name)?.value?.toString()).toBe(x.value);
    }

    const pw = e('/passwords.txt');
    const b = await fs.readFile(pw.path);
    expect(b.length).toBe(pw.size);
    expect(b.toString()).toBe(pw.content);
  });

  it.each(['ext2', 'ext3', 'ext4'])('util-linux-%s: what blkid -p reports', async (kind) => {
    const exp = expected(`util-linux-${kind}`);
    const { store } = await open(`util-linux-${kind}.img.gz`, exp.rawSha256);
    const p = exp.blkidLowProbe;
    const sb = store.sb;
    expect({
      ID_FS_TYPE: store.variant,
      ID_FS_LABEL: store.label,
      ID_FS_UUID: store.uuid,
      ID_FS_VERSION: `${sb.revLevel}.${sb.minorRevLevel}`,
      ID_FS_BLOCK_SIZE: String(sb.blockSize),
      ID_FS_FSBLOCKSIZE: String(sb.blockSize),
      ID_FS_FSSIZE: String(sb.blocksCount * sb.blockSize),
      ID_FS_FSLASTBLOCK: String(sb.blocksCount),
    }).toEqual({
      ID_FS_TYPE: p.ID_FS_TYPE,
      ID_FS_LABEL: p.ID_FS_LABEL,
      ID_FS_UUID: p.ID_FS_UUID,
      ID_FS_VERSION: p.ID_FS_VERSION,
      ID_FS_BLOCK_SIZE: p.ID_FS_BLOCK_SIZE,
      ID_FS_FSBLOCKSIZE: p.ID_FS_FSBLOCKSIZE,
      ID_FS_FSSIZE: p.ID_FS_FSSIZE,
      ID_FS_FSLASTBLOCK: p.ID_FS_FSLASTBLOCK,
    });
  });

  it('blsforme-ext4: label and uuid (metadata_csum, 64bit, orphan_file)', async () => {
    const exp = expected('blsforme-ext4');
    const { store, fs } = await open('blsforme-ext4.img.gz', exp.rawSha256);
    expect(store.label).toBe(exp.superblock.label);
    expect(store.uuid).toBe(exp.superblock.uuid);
    expect(store.sb.features).toEqual(expect.arrayContaining(['metadata_csum', '64bit', 'orphan_file']));
    expect((await fs.readdir('/')).map((e) => e.name)).toEqual(['lost+found']);
  });
});
