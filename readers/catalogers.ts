/**
 * The explicit list of catalogers, in the order they run. No import side effects register
 * anything: adding a cataloger means adding it here (test/contract checks every folder is listed).
 */
import type { Cataloger } from './cataloger.js';
import { apkCataloger } from './pkgdb/apk/index.js';
import { createDpkgCataloger, dpkgCataloger } from './pkgdb/dpkg/index.js';
import { rpmCataloger, rpmManifestCataloger } from './pkgdb/rpm/index.js';

export const OS_CATALOGERS: readonly Cataloger[] = [
  dpkgCataloger,
  rpmCataloger,
  rpmManifestCataloger,
  apkCataloger,
];

export const ALL_CATALOGERS: readonly Cataloger[] = [...OS_CATALOGERS];

/**
 * Lean dpkg: the status database and `available` only. The installed-file lists (info/*.md5sums)
 * and copyright licenses are one small file per package — scattered blocks that cost an EBS fetch
 * each — so they are read only when details are asked for.
 */
const leanDpkgCataloger = createDpkgCataloger({ installedFiles: false, licenses: false });

/** The OS catalogers for a scan; `details` adds per-package file lists and licenses. */
export function osCatalogers(opts: { details: boolean }): readonly Cataloger[] {
  return opts.details
    ? OS_CATALOGERS
    : OS_CATALOGERS.map((c) => (c === dpkgCataloger ? leanDpkgCataloger : c));
}
