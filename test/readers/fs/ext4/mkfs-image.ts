/**
 * Builds ext2/3/4 test images with `mke2fs -d <tree>` (no root, no mount) from a generated source
 * tree, cached under .cache/ext4/ keyed by the generator version and the mke2fs arguments.
 * Deterministic: fixed UUID, hash seed, E2FSPROGS_FAKE_TIME and a private mke2fs.conf.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 as prng } from '../../../helpers/prng.js';

// fileURLToPath rather than import.meta.dirname: the latter needs Node >= 20.11.
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const CACHE = path.join(REPO_ROOT, '.cache', 'ext4');
/** Bump when the tree generator changes: it keys the cached tree and images. */
const TREE_VERSION = 4;

const MKE2FS_CONF = `[defaults]
	base_features = sparse_super,large_file,filetype,resize_inode,dir_index,ext_attr
	default_mntopts = acl,user_xattr
	enable_periodic_fsck = 0
	blocksize = 4096
	inode_size = 256
	inode_ratio = 16384
[fs_types]
	ext3 = {
		features = has_journal
	}
	ext4 = {
		features = has_journal,extent,huge_file,flex_bg,metadata_csum,64bit,dir_nlink,extra_isize
	}
`;

export function hasMke2fs(): boolean {
  return (
    spawnSync('mke2fs', ['-V'], { stdio: 'ignore' }).status === 0 &&
    spawnSync('debugfs', ['-V'], { stdio: 'ignore' }).status === 0
  );
}

function bytes(rand: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  let i = 0;
  for (; i + 4 <= n; i += 4) b.writeUInt32LE((rand() * 2 ** 32) >>> 0, i);
  for (; i < n; i++) b[i] = (rand() * 256) | 0;
  return b;
}

export const BIG_DIR_ENTRIES = 3000;
export const SPARSE_SIZE = 80 * 1024 * 1024;
/** Data chunks of the sparse file: offset → length (the rest is holes). 70 MiB is past 1 KiB triple-indirect start. */
export const SPARSE_CHUNKS: ReadonlyArray<[number, number]> = [
  [0, 5000],
  [10 * 1024 * 1024, 8192],
  [70 * 1024 * 1024 + 123, 4000],
];
export const LONG_TARGET = `../deep/a/b/c/d/e/f/g/h/${'x'.repeat(80)}.txt`;

/** The generated source tree (created once per TREE_VERSION). */
export function sourceTree(): string {
  const dir = path.join(CACHE, `tree-v${TREE_VERSION}`);
  const done = `${dir}.done`;
  if (existsSync(done)) return dir;
  rmSync(dir, { recursive: true, force: true });
  const rand = prng(42);
  const w = (rel: string, data: Buffer | string) => {
    const p = path.join(dir, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, data);
  };
  for (const [i, n] of [
    0, 1, 59, 60, 61, 100, 150, 1023, 1024, 1025, 2048, 4095, 4096, 4097, 5000, 65536, 70000,
  ].entries()) {
    w(`small/f${String(i).padStart(2, '0')}-${n}.bin`, bytes(rand, n));
  }
  w('small/hello.txt', 'hello, ext4\n');
  w('large.bin', bytes(rand, 3 * 1024 * 1024 + 777));
  // Sparse: write only the chunks; mke2fs -d skips holes (and all-zero blocks).
  const sp = path.join(dir, 'sparse.bin');
  const fd = openSync(sp, 'w');
  for (const [off, len] of SPARSE_CHUNKS) writeSync(fd, bytes(rand, len), 0, len, off);
  ftruncateSync(fd, SPARSE_SIZE);
  closeSync(fd);
  for (let i = 0; i < BIG_DIR_ENTRIES; i++)
    w(`big/entry-${String(i).padStart(5, '0')}-${'n'.repeat(i % 40)}`, '');
  w('big/with-data.txt', 'some data in the big directory\n');
  w(`deep/a/b/c/d/e/f/g/h/${'x'.repeat(80)}.txt`, 'deep file\n');
  w('deep/a/b/c/readme', bytes(rand, 3000));
  w('names/café ☕.txt', 'unicode name\n');
  w('names/with space', 'space\n');
  mkdirSync(path.join(dir, 'emptydir'), { recursive: true });
  mkdirSync(path.join(dir, 'links'), { recursive: true });
  symlinkSync('../small/hello.txt', path.join(dir, 'links/fast'));
  symlinkSync(LONG_TARGET, path.join(dir, 'links/slow'));
  symlinkSync('/large.bin', path.join(dir, 'links/abs'));
  symlinkSync('dangling-target', path.join(dir, 'links/dangling'));
  symlinkSync('.', path.join(dir, 'links/self-dir'));
  writeFileSync(done, '');
  return dir;
}

/** A small tree for the mutation test: every walk of it stays cheap. */
export function smallTree(): string {
  const dir = path.join(CACHE, `small-tree-v${TREE_VERSION}`);
  const done = `${dir}.done`;
  if (existsSync(done)) return dir;
  rmSync(dir, { recursive: true, force: true });
  const rand = prng(7);
  const w = (rel: string, data: Buffer | string) => {
    const p = path.join(dir, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, data);
  };
  for (const [i, n] of [0, 10, 100, 1000, 5000, 13 * 1024, 40 * 1024, 300 * 1024].entries())
    w(`f${i}`, bytes(rand, n));
  for (let i = 0; i < 60; i++) w(`many/entry-with-a-longish-name-${i}`, `${i}\n`);
  w('a/b/c/d/file', 'deep\n');
  mkdirSync(path.join(dir, 'links'), { recursive: true });
  symlinkSync('../f1', path.join(dir, 'links/fast'));
  symlinkSync(`../a/b/c/d/${'.'.repeat(1)}/file${'/.'.repeat(40)}`, path.join(dir, 'links/slow'));
  writeFileSync(done, '');
  return dir;
}

export interface Variant {
  name: string;
  /** Source tree: the full generated tree (default) or the small mutation-test tree. */
  tree?: 'full' | 'small';
  args: string[];
  /** Run `e2fsck -fyD` afterwards: re-indexes large directories as htrees. */
  fsckD?: boolean;
  sizeMiB?: number;
  /** mke2fs -N (default 4096). */
  inodes?: number;
  /**
   * Leave committed, un-checkpointed journal transactions behind (debugfs journal_write, csum v3):
   * the block of this file's first data block rewritten, then a second block revoked.
   */
  journalFile?: string;
}

export const UUID = '5e1f3c2a-7b4d-4c8e-9f10-112233445566';

/** Builds (or reuses) the image for a variant; returns its path. */
export function buildImage(v: Variant): string {
  const tree = v.tree === 'small' ? smallTree() : sourceTree();
  const size = v.sizeMiB ?? 48;
  const key = createHash('sha256')
    .update(
      JSON.stringify([
        TREE_VERSION,
        v.tree ?? 'full',
        v.inodes ?? 4096,
        v.journalFile ?? '',
        v.args,
        v.fsckD ?? false,
        size,
        MKE2FS_CONF,
      ]),
    )
    .digest('hex')
    .slice(0, 16);
  const img = path.join(CACHE, `${v.name}-${key}.img`);
  if (existsSync(img)) return img;
  mkdirSync(CACHE, { recursive: true });
  const conf = path.join(CACHE, 'mke2fs.conf');
  writeFileSync(conf, MKE2FS_CONF);
  const tmp = `${img}.tmp`;
  rmSync(tmp, { force: true });
  const env = { ...process.env, MKE2FS_CONFIG: conf, E2FSPROGS_FAKE_TIME: '1700000000', LC_ALL: 'C' };
  execFileSync(
    'mke2fs',
    [
      '-q',
      '-F',
      '-N',
      String(v.inodes ?? 4096),
      '-U',
      UUID,
      '-E',
      `root_owner=0:0,hash_seed=${UUID}`,
      '-L',
      v.name,
      ...v.args,
      '-d',
      tree,
      tmp,
      `${size}M`,
    ],
    { env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  if (v.fsckD) {
    // Exit status 1 = "errors corrected" (the re-index counts): anything above 2 is a failure.
    const r = spawnSync('e2fsck', ['-fyD', tmp], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status === null || r.status > 2) throw new Error(`e2fsck -fyD failed: ${r.stderr?.toString()}`);
  }
  if (v.journalFile) {
    const bmap = (p: string) =>
      execFileSync('debugfs', ['-R', `bmap ${p} 0`, tmp], { stdio: ['ignore', 'pipe', 'ignore'] })
        .toString()
        .trim();
    const blk = bmap(v.journalFile);
    const data = path.join(CACHE, `${v.name}-jblock.bin`);
    const bs = Number(
      /Block size:\s+(\d+)/.exec(
        execFileSync('dumpe2fs', ['-h', tmp], { stdio: ['ignore', 'pipe', 'ignore'] }).toString(),
      )![1],
    );
    writeFileSync(data, Buffer.alloc(bs, 0x4a));
    execFileSync('debugfs', ['-w', '-f', '-', tmp], {
      input: `jo -c -v 3\njw -b ${blk} ${data}\njw -r ${Number(blk) + 1}\njc\n`,
      env,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
  }
  renameSync(tmp, img);
  return img;
}

/**
 * `debugfs -R 'cat PATH' IMG`: the reference content of a file. debugfs 1.47 prints the whole
 * 60-byte inline buffer for inline-data files, so callers cut the output to i_size.
 */
export function debugfsCat(img: string, p: string): Buffer {
  return execFileSync('debugfs', ['-R', `cat "${p}"`, img], {
    stdio: ['ignore', 'pipe', 'ignore'],
    maxBuffer: 256 * 1024 * 1024,
  });
}

/** `debugfs -R 'stat PATH' IMG` output (for checking which features a file uses). */
export function debugfsStat(img: string, p: string): string {
  return execFileSync('debugfs', ['-R', `stat "${p}"`, img], {
    stdio: ['ignore', 'pipe', 'ignore'],
  }).toString();
}

/** i_size as debugfs reports it. */
export function debugfsSize(img: string, p: string): number {
  const m = /Size: (\d+)/.exec(debugfsStat(img, p));
  if (!m) throw new Error(`debugfs stat ${p}: no size`);
  return Number(m[1]);
}
