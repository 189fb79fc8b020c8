/**
 * Small host trees for cataloger and OS-detection tests: `tempTrees(prefix)` makes one temp folder
 * (removed after the calling file's or describe's tests) and returns a function that writes each
 * spec into a fresh numbered folder inside it and returns that folder.
 *
 *   const tree = tempTrees('dpkg-cat-');
 *   const root = tree({ 'var/lib/dpkg/status': STATUS, 'etc/os-release': { symlink: '../usr/lib/os-release' } });
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { type TreeSpec, writeTree } from './disk-builder.js';

export function tempTrees(prefix: string): (spec: TreeSpec) => string {
  const tmp = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  let n = 0;
  return (spec) => {
    const root = join(tmp, String(n++));
    mkdirSync(root, { recursive: true });
    writeTree(root, spec);
    return root;
  };
}
