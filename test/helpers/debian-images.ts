/**
 * Builds (once, cached under .cache/debian) the Debian bookworm minbase disk images of
 * test/fixtures/debian/build-images.sh and returns where they are. Needs root (debootstrap) and the
 * Debian mirror; when either is missing the caller skips with the reason returned.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, TEST_CACHE } from './paths.js';

export const DEBIAN_IMAGES = [
  'ext4-4k.img',
  'ext4-1k.img',
  'gpt-linux.img',
  'gpt-cloud.img',
  'mbr-zero.img',
  'mbr-boot.img',
] as const;

export interface DebianImages {
  dir: string;
  rootfs: string;
  /** dpkg-query oracle rows: name, version, arch, source name, source version. */
  oracle: string[][];
}

let cached: DebianImages | string | undefined;

export function debianImages(): DebianImages | string {
  cached ??= buildDebianImages();
  return cached;
}

function buildDebianImages(): DebianImages | string {
  const dir = join(TEST_CACHE, 'debian');
  const have = (b: string) =>
    spawnSync('sh', ['-c', `command -v ${b} || test -x /usr/sbin/${b}`]).status === 0;
  for (const tool of ['debootstrap', 'mkfs.ext4', 'sgdisk', 'sfdisk', 'mkfs.vfat', 'dpkg-query']) {
    if (!have(tool)) return `${tool} is not installed (see .ci/run): Debian image tests skipped`;
  }
  if (!existsSync(join(dir, 'rootfs.complete')) && process.getuid?.() !== 0) {
    return 'debootstrap needs root and no cached rootfs exists: Debian image tests skipped';
  }
  try {
    execFileSync('bash', [join(REPO_ROOT, 'test/fixtures/debian/build-images.sh'), dir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (err) {
    return `building the Debian images failed (no mirror?): ${(err as { stderr?: Buffer }).stderr?.toString().slice(-400)}`;
  }
  const oracle = readFileSync(join(dir, 'dpkg-query.tsv'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('\t'));
  return { dir, rootfs: join(dir, 'rootfs'), oracle };
}
