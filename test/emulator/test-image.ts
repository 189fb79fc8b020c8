/**
 * The small disk image the EBS tests serve: an ext4 filesystem made with `mkfs.ext4 -d` from a tree of
 * seeded pseudo-random files (64 MiB, mostly empty, so ListSnapshotBlocks is sparse), followed by a
 * tail with a few planted patterns between holes and a size that is not a multiple of 512 KiB (the
 * last block is partial). Cached under .cache/ keyed by the inputs; no root, no mount.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 as prng } from '../helpers/prng.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MiB = 1024 * 1024;

export interface TestImageSpec {
  seed: number;
  fsMiB: number;
  files: number;
  maxFileKiB: number;
  /** [offset, length] of pattern bytes planted after the filesystem. */
  tail: [number, number][];
  totalBytes: number;
}

export const DEFAULT_IMAGE: TestImageSpec = {
  seed: 7,
  fsMiB: 64,
  files: 40,
  maxFileKiB: 900,
  tail: [
    [66 * MiB + 123, 4000],
    [67 * MiB - 10, 20],
    [69 * MiB + 100 * 1024, 600 * 1024],
  ],
  totalBytes: 70 * MiB + 12345,
};

/** Path of the image for `spec`, built on first use. */
export function buildTestImage(spec: TestImageSpec = DEFAULT_IMAGE): string {
  const key = createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 16);
  const dir = path.join(REPO_ROOT, '.cache', 'ebs-test');
  const out = path.join(dir, `ext4-${key}.img`);
  if (existsSync(out)) return out;
  mkdirSync(dir, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  const tree = `${tmp}.d`;
  rmSync(tree, { recursive: true, force: true });
  const rand = prng(spec.seed);
  for (let i = 0; i < spec.files; i++) {
    const sub = path.join(tree, `d${i % 5}`, i % 2 ? 'deep/er' : '');
    mkdirSync(sub, { recursive: true });
    const size = Math.floor(rand() * spec.maxFileKiB * 1024);
    const buf = Buffer.allocUnsafe(size);
    for (let j = 0; j < size; j++) buf[j] = (rand() * 256) | 0;
    writeFileSync(path.join(sub, `f${i}.bin`), buf);
  }
  writeFileSync(path.join(tree, 'etc-os-release'), 'ID=debian\nVERSION_ID="12"\n');
  const fd = openSync(tmp, 'w');
  ftruncateSync(fd, spec.fsMiB * MiB);
  closeSync(fd);
  execFileSync(
    'mkfs.ext4',
    [
      '-q',
      '-F',
      '-b',
      '4096',
      '-U',
      '4b2c7f0e-8c1d-4d7e-9a55-0123456789ab',
      '-E',
      'root_owner=0:0',
      '-d',
      tree,
      tmp,
    ],
    { stdio: 'pipe', env: { ...process.env, E2FSPROGS_FAKE_TIME: '1700000000' } },
  );
  const fd2 = openSync(tmp, 'r+');
  ftruncateSync(fd2, spec.totalBytes);
  for (const [offset, length] of spec.tail) {
    const pat = Buffer.alloc(length);
    for (let j = 0; j < length; j++) pat[j] = ((j * 31 + offset) % 251) + 1;
    writeSync(fd2, pat, 0, length, offset);
  }
  closeSync(fd2);
  rmSync(tree, { recursive: true, force: true });
  renameSync(tmp, out);
  return out;
}
