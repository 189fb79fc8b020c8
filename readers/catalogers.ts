/**
 * The explicit list of catalogers, in the order they run. No import side effects register
 * anything: adding a cataloger means adding it here (test/contract checks every folder is listed).
 */
import type { Cataloger } from './cataloger.js';
import { apkCataloger } from './pkgdb/apk/index.js';
import { dpkgCataloger } from './pkgdb/dpkg/index.js';
import { rpmCataloger, rpmManifestCataloger } from './pkgdb/rpm/index.js';

export const OS_CATALOGERS: readonly Cataloger[] = [
  dpkgCataloger,
  rpmCataloger,
  rpmManifestCataloger,
  apkCataloger,
];

export const ALL_CATALOGERS: readonly Cataloger[] = [...OS_CATALOGERS];
