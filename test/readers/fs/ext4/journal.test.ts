/**
 * jbd2 replay: an image whose journal holds committed transactions that were never checkpointed
 * (written with `debugfs -w` journal_open / journal_write / journal_close, no mount), read with and
 * without replay, compared with the same image after `e2fsck -fy` replayed it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawFileSource } from '../../../../readers/block/raw-file/index.js';
import { Ext4Store } from '../../../../readers/fs/ext4/index.js';
import { PathFileSystem } from '../../../../readers/fs/path-fs.js';
import { debugfsCat, hasMke2fs, REPO_ROOT } from './mkfs-image.js';

const CACHE_ROOT = path.join(REPO_ROOT, '.cache', 'ext4', 'journal-v2');
const BS = 4096;
const block = (s: string) => Buffer.concat([Buffer.from(s), Buffer.alloc(BS - s.length)]);
const opened: RawFileSource[] = [];

async function open(img: string, replayJournal = true) {
  const raw = await RawFileSource.open(img);
  opened.push(raw);
  const store = await Ext4Store.open(raw, { replayJournal });
  return { store, fs: new PathFileSystem(store) };
}

/** Builds the base image, then logs 4 transactions: root dir block (f.txt renamed g.txt), f's data, h's data, a revoke of h's block. */
interface JCase {
  name: string;
  /** mke2fs -O argument. */
  features: string;
  /** debugfs journal_open arguments (checksum version). */
  jo: string;
}

const CASES: JCase[] = [
  { name: '64-bit tags', features: '^metadata_csum', jo: 'jo' },
  { name: '32-bit tags', features: '^metadata_csum,^64bit', jo: 'jo' },
  { name: 'csum v2 tags', features: 'metadata_csum', jo: 'jo -c -v 2' },
  { name: 'csum v3 tags', features: 'metadata_csum', jo: 'jo -c -v 3' },
];

async function build(c: JCase): Promise<{ img: string; replayed: string }> {
  const CACHE = path.join(CACHE_ROOT, c.name.replace(/[^a-z0-9]+/g, '-'));
  const img = path.join(CACHE, 'journaled.img');
  const replayed = path.join(CACHE, 'replayed.img');
  if (existsSync(replayed)) return { img, replayed };
  rmSync(CACHE, { recursive: true, force: true });
  const tree = path.join(CACHE, 'tree');
  mkdirSync(path.join(tree, 'dir'), { recursive: true });
  writeFileSync(path.join(tree, 'f.txt'), 'original f\n');
  writeFileSync(path.join(tree, 'h.txt'), 'original h\n');
  writeFileSync(path.join(tree, 'dir/a.txt'), 'a\n');
  const tmp = `${img}.tmp`;
  const env = { ...process.env, E2FSPROGS_FAKE_TIME: '1700000000' };
  execFileSync(
    'mke2fs',
    [
      '-q',
      '-F',
      '-t',
      'ext4',
      '-b',
      String(BS),
      '-O',
      c.features,
      '-N',
      '64',
      '-E',
      'root_owner=0:0',
      '-d',
      tree,
      tmp,
      '16M',
    ],
    {
      env,
      stdio: 'ignore',
    },
  );
  const { store, fs } = await open(tmp);
  const blk = async (p: string) => Number((await store.dataRanges((await fs.stat(p)).ino))[0]!.offset) / BS;
  const fBlk = await blk('/f.txt');
  const hBlk = await blk('/h.txt');
  const rootBlk = Number((await store.dataRanges(2))[0]!.offset) / BS;
  const root = await store.readData(2, 0, BS);
  const at = root.indexOf('f.txt');
  expect(at).toBeGreaterThan(0);
  root.write('g', at);
  writeFileSync(path.join(CACHE, 'root.bin'), root);
  writeFileSync(path.join(CACHE, 'f.bin'), block('JOURNALED f\n'));
  writeFileSync(path.join(CACHE, 'h.bin'), block('JOURNALED h\n'));
  const script = [
    c.jo,
    `jw -b ${rootBlk} ${path.join(CACHE, 'root.bin')}`,
    `jw -b ${fBlk} ${path.join(CACHE, 'f.bin')}`,
    `jw -b ${hBlk} ${path.join(CACHE, 'h.bin')}`,
    `jw -r ${hBlk}`,
    'jc',
  ].join('\n');
  execFileSync('debugfs', ['-w', '-f', '-', tmp], {
    input: script,
    env,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  renameSync(tmp, img);
  copyFileSync(img, `${replayed}.tmp`);
  const r = spawnSync('e2fsck', ['-fy', `${replayed}.tmp`], { env, stdio: 'ignore' });
  if (r.status === null || r.status > 2) throw new Error(`e2fsck exited ${r.status}`);
  renameSync(`${replayed}.tmp`, replayed);
  return { img, replayed };
}

describe.skipIf(!hasMke2fs()).each(CASES)('readers/fs/ext4/journal ($name)', (c) => {
  let img: string;
  let replayed: string;
  beforeAll(async () => {
    ({ img, replayed } = await build(c));
  });
  afterAll(async () => {
    for (const s of opened) await s.close();
  });

  it('replays committed transactions and honours revokes, like e2fsck', async () => {
    const { store, fs } = await open(img);
    expect(store.sb.needsRecovery).toBe(true);
    expect(store.journal).toEqual({ status: 'replayed', transactions: 4, blocks: 2 });
    const names = (await fs.readdir('/')).map((e) => e.name).sort();
    expect(names).toEqual(['dir', 'g.txt', 'h.txt', 'lost+found']);

    // The oracle: the same image after e2fsck replayed its journal, read by debugfs and by us.
    const ref = await open(replayed);
    expect(ref.store.sb.needsRecovery).toBe(false);
    expect((await ref.fs.readdir('/')).map((e) => e.name).sort()).toEqual(names);
    for (const p of ['/g.txt', '/h.txt', '/dir/a.txt']) {
      const got = await fs.readFile(p);
      expect(got.equals(await ref.fs.readFile(p)), p).toBe(true);
      expect(got.equals(debugfsCat(replayed, p)), p).toBe(true);
    }
    // f's data came from the journal (size is still the old inode's 11 bytes); h's write was revoked.
    expect((await fs.readFile('/g.txt')).toString()).toBe('JOURNALED f');
    expect((await fs.readFile('/h.txt')).toString()).toBe('original h\n');
  });

  it('without replay reads the last checkpoint', async () => {
    const { store, fs } = await open(img, false);
    expect(store.journal.status).toBe('skipped');
    expect((await fs.readdir('/')).map((e) => e.name).sort()).toEqual([
      'dir',
      'f.txt',
      'h.txt',
      'lost+found',
    ]);
    expect((await fs.readFile('/f.txt')).toString()).toBe('original f\n');
  });
});
