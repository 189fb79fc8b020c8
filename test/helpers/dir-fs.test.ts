import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileSystem } from '../../readers/fs/types.js';
import { dirFileSystem } from './dir-fs.js';

describe('test/helpers/dir-fs.ts', () => {
  let outside: string;
  let root: string;
  let fs: FileSystem;

  beforeAll(() => {
    outside = mkdtempSync(join(tmpdir(), 'dirfs-'));
    root = join(outside, 'root');
    mkdirSync(join(root, 'etc'), { recursive: true });
    mkdirSync(join(root, 'usr/lib'), { recursive: true });
    writeFileSync(join(outside, 'secret'), 'host secret');
    writeFileSync(join(root, 'secret'), 'image secret');
    writeFileSync(join(root, 'usr/lib/os-release'), 'ID=debian\n');
    symlinkSync('../usr/lib/os-release', join(root, 'etc/os-release'));
    symlinkSync('/secret', join(root, 'etc/abs'));
    symlinkSync('../../../secret', join(root, 'etc/dotdot'));
    symlinkSync('loop2', join(root, 'etc/loop1'));
    symlinkSync('loop1', join(root, 'etc/loop2'));
    writeFileSync(join(root, 'big'), Buffer.alloc(100, 0x61));
  });
  afterAll(() => rmSync(outside, { recursive: true, force: true }));

  it('builds', () => {
    fs = dirFileSystem(root);
    expect(fs.type).toBe('dir');
  });

  it.each([
    { path: '/etc/os-release', want: 'ID=debian\n' },
    { path: '/etc/abs', want: 'image secret' },
    { path: '/etc/dotdot', want: 'image secret' },
  ])('readFile $path stays inside the root', async ({ path, want }) => {
    expect((await fs.readFile(path)).toString()).toBe(want);
  });

  it('resolve, readlink, lstat, stat, exists', async () => {
    expect(await fs.resolve('/etc/os-release')).toBe('/usr/lib/os-release');
    expect(await fs.readlink('/etc/os-release')).toBe('../usr/lib/os-release');
    expect((await fs.lstat('/etc/os-release')).type).toBe('symlink');
    expect((await fs.stat('/etc/os-release')).type).toBe('file');
    expect(await fs.exists('/etc/nope')).toBe(false);
    expect(await fs.exists('/etc')).toBe(true);
  });

  it('rejects a symlink loop and an oversized read with typed errors', async () => {
    await expect(fs.readFile('/etc/loop1')).rejects.toMatchObject({ code: 'symlink-loop' });
    await expect(fs.readFile('/big', { maxBytes: 10 })).rejects.toMatchObject({ code: 'limit-exceeded' });
    await expect(fs.readFile('/nope')).rejects.toMatchObject({ code: 'not-found' });
  });

  it('readdir and walk list entries in order', async () => {
    expect((await fs.readdir('/etc')).map((e) => e.name).sort()).toEqual([
      'abs',
      'dotdot',
      'loop1',
      'loop2',
      'os-release',
    ]);
    const paths: string[] = [];
    for await (const e of fs.walk('/')) paths.push(`${e.path}:${e.type}`);
    // PathFileSystem.walk yields a directory's entries before descending into its subdirectories.
    expect(paths.sort()).toEqual(
      [
        '/big:file',
        '/etc:dir',
        '/etc/abs:symlink',
        '/etc/dotdot:symlink',
        '/etc/loop1:symlink',
        '/etc/loop2:symlink',
        '/etc/os-release:symlink',
        '/secret:file',
        '/usr:dir',
        '/usr/lib:dir',
        '/usr/lib/os-release:file',
      ].sort(),
    );
  });
});
