/**
 * Builds XFS test images with `mkfs.xfs -p PROTOFILE` from a generated directory tree, without root,
 * loop devices or mounts. The tree is generated from a seeded PRNG; the tree and each image are cached
 * under .cache/xfs/ keyed by a hash of the generator version, the variant's mkfs arguments and the
 * mkfs version, so a second run reuses them.
 *
 * Protofile grammar (mkfs.xfs(8) "-p"): a boot-image line, a "blocks inodes" line, the root's
 * "mode uid gid", then per entry "name mode uid gid [source file | symlink target | major minor]";
 * a directory's entries end with "$". mode = type [-dlpcb] + setuid [-u] + setgid [-g] + 3 octal digits.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 as prng } from '../../../helpers/prng.js';

export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../..');
export const CACHE_DIR = join(REPO_ROOT, '.cache', 'xfs');
const GENERATOR_VERSION = 3;

export const BIG_DIR_ENTRIES = 3000;
export const DEEP_FILE = '/nested/a/b/c/d/e/f/deep.txt';

function mkfsVersion(): string | undefined {
  const r = spawnSync('mkfs.xfs', ['-V'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}
export const MKFS_VERSION = mkfsVersion();
export const HAVE_XFS_DB = spawnSync('xfs_db', ['-V'], { encoding: 'utf8' }).status === 0;

function randomBytes(rand: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

/** 'full' for the feature variants; 'small' (600-entry big dir, no large file) for the mutation runs. */
export type TreeKind = 'full' | 'small';

/** Writes the source tree once and returns its path. */
export function buildTree(kind: TreeKind = 'full'): string {
  const key = createHash('sha256').update(`tree-v${GENERATOR_VERSION}-${kind}`).digest('hex').slice(0, 12);
  const dir = join(CACHE_DIR, `tree-${kind}-${key}`);
  if (existsSync(join(dir, '.done'))) return dir;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const rand = prng(0x5eed);
  const w = (p: string, data: Buffer | string) => {
    const full = join(tmp, p);
    mkdirSync(join(full, '..'), { recursive: true });
    writeFileSync(full, data);
  };
  w('README.txt', 'snapscan xfs fixture\n');
  w('empty.txt', '');
  if (kind === 'full') w('large.bin', randomBytes(rand, 2 * 1024 * 1024 + 123));
  w('medium.bin', randomBytes(rand, 70_001));
  w('naïve-café.txt', 'utf-8 name\n');
  w(DEEP_FILE.slice(1), `deep file ${'d'.repeat(5000)}\n`);
  const bigEntries = kind === 'full' ? BIG_DIR_ENTRIES : 600;
  for (let i = 0; i < bigEntries; i++) {
    const name = `big/entry-${String(i).padStart(5, '0')}-${randomBytes(rand, 4).toString('hex')}`;
    w(name, i % 10 === 0 ? `content of ${i}\n` : '');
  }
  for (let i = 0; i < 20; i++) w(`blockdir/file-with-a-longer-name-${i}`, '');
  for (let i = 0; i < 300; i++) w(`leafdir/leaf-entry-${String(i).padStart(4, '0')}`, '');
  mkdirSync(join(tmp, 'emptydir'), { recursive: true });
  mkdirSync(join(tmp, 'links'), { recursive: true });
  const symlinks: Record<string, string> = {
    short: '../README.txt',
    long: `../${'./'.repeat(40)}nested/a/b/c/d/e/f/deep.txt`,
    verylong: `../${'./'.repeat(480)}nested/a/b/c/d/e/f/deep.txt`,
    abs: DEEP_FILE,
    dangling: 'does/not/exist',
  };
  for (const [name, target] of Object.entries(symlinks)) {
    symlinkSync(target, join(tmp, 'links', name));
  }
  writeFileSync(join(tmp, '.done'), '');
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return dir;
}

export interface TreeEntry {
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'fifo' | 'chardev';
}

/** Extra entries the protofile adds that a plain directory tree cannot hold without root. */
export const PROTO_EXTRAS: readonly TreeEntry[] = [
  { path: '/dev-null', type: 'chardev' },
  { path: '/fifo', type: 'fifo' },
];

/** Lists the source tree (sorted paths), plus the protofile extras. */
export async function listTree(root: string): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [...PROTO_EXTRAS];
  const visit = async (rel: string) => {
    for (const name of await readdir(join(root, rel))) {
      if (rel === '' && name === '.done') continue;
      const p = `${rel}/${name}`;
      const st = await lstat(join(root, p));
      const type = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'file';
      out.push({ path: p, type });
      if (type === 'dir') await visit(p);
    }
  };
  await visit('');
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function protofile(root: string): Promise<string> {
  const lines = ['/dev/null', '0 0', 'd--755 0 0'];
  const visit = async (rel: string, indent: string) => {
    for (const name of (await readdir(join(root, rel))).sort()) {
      if (rel === '' && name === '.done') continue;
      const p = join(root, rel, name);
      const st = await lstat(p);
      if (st.isDirectory()) {
        lines.push(`${indent}${name} d--755 0 0`);
        await visit(join(rel, name), `${indent} `);
        lines.push(`${indent}$`);
      } else if (st.isSymbolicLink()) {
        lines.push(`${indent}${name} l--777 0 0 ${await readlink(p)}`);
      } else {
        lines.push(`${indent}${name} ---644 0 0 ${p}`);
      }
    }
  };
  await visit('', '');
  lines.push('dev-null c--666 0 0 1 3');
  lines.push('fifo p--644 0 0');
  lines.push('$');
  return `${lines.join('\n')}\n`;
}

export interface Variant {
  name: string;
  mkfsArgs: string[];
  /** Run after mkfs (e.g. xfs_admin -U to set a metadata UUID). */
  post?: string[][];
  sizeMiB?: number;
  tree?: TreeKind;
}

export const FIXED_UUID = '5a5a5a5a-1234-4cde-8f00-0123456789ab';

/** Builds (or reuses) the image for a variant; returns the image path and the tree it was built from. */
export async function buildImage(v: Variant): Promise<{ img: string; tree: string }> {
  const tree = buildTree(v.tree ?? 'full');
  const sizeMiB = v.sizeMiB ?? 64;
  const key = createHash('sha256')
    .update(JSON.stringify([GENERATOR_VERSION, tree, v.mkfsArgs, v.post ?? [], sizeMiB, MKFS_VERSION]))
    .digest('hex')
    .slice(0, 12);
  const img = join(CACHE_DIR, `${v.name}-${key}.img`);
  if (existsSync(img)) return { img, tree };
  const tmp = `${img}.tmp-${process.pid}`;
  const proto = `${tmp}.proto`;
  writeFileSync(proto, await protofile(tree));
  rmSync(tmp, { force: true });
  // mkfs.xfs refuses filesystems under 300 MiB unless it runs under fstests (these variables);
  // the images are sparse either way.
  const env = { ...process.env, TEST_DIR: '1', TEST_DEV: '1', QA_CHECK_FS: '1' };
  execFileSync(
    'mkfs.xfs',
    [
      '-q',
      '-f',
      '-m',
      `uuid=${FIXED_UUID}`,
      ...v.mkfsArgs,
      '-p',
      proto,
      '-d',
      `file,name=${tmp},size=${sizeMiB}m`,
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  for (const cmd of v.post ?? []) {
    execFileSync(cmd[0]!, [...cmd.slice(1), tmp], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  }
  rmSync(proto, { force: true });
  renameSync(tmp, img);
  // Drop stale images of this variant from older generator inputs.
  for (const f of readdirSync(CACHE_DIR)) {
    if (f.startsWith(`${v.name}-`) && f.endsWith('.img') && join(CACHE_DIR, f) !== img) {
      rmSync(join(CACHE_DIR, f), { force: true });
    }
  }
  return { img, tree };
}

/** `xfs_db -r -c 'ls PATH'`: name → inode number, '.' and '..' dropped. */
export function xfsDbLs(img: string, path: string): Map<string, number> {
  const out = execFileSync('xfs_db', ['-r', '-c', `ls ${path}`, img], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const m = new Map<string, number>();
  for (const line of out.split('\n')) {
    // "12         32896              directory      0x001cfae2   3 sub (good)"
    const r = /^\s*\d+\s+(\d+)\s+\S+\s+0x[0-9a-f]+\s+(\d+)\s(.*)\s\((good|corrupt)\)\s*$/.exec(line);
    if (!r) continue;
    const name = r[3]!;
    if (name === '.' || name === '..') continue;
    m.set(name, Number(r[1]));
  }
  return m;
}
