/**
 * The explicit registry of package types, one line each. No import side effects register
 * anything: a package type is its folder (index.ts exporting id, displayName, specUrls, version,
 * `packageType` and `catalogers`) plus one line in PACKAGE_MODULES; test/contract checks that every
 * folder is listed and that matching, findings and purls need nothing else.
 */
import type { PackageTypeInfo } from '../engine/model/package-type.js';
import type { Cataloger, PackageModule } from './cataloger.js';
import * as cargo from './lang/cargo/index.js';
import * as composer from './lang/composer/index.js';
import * as gem from './lang/gem/index.js';
import * as golang from './lang/golang/index.js';
import * as jar from './lang/jar/index.js';
import * as npm from './lang/npm/index.js';
import * as nuget from './lang/nuget/index.js';
import * as pypi from './lang/pypi/index.js';
import * as apk from './pkgdb/apk/index.js';
import * as dpkg from './pkgdb/dpkg/index.js';
import * as rpm from './pkgdb/rpm/index.js';

/** Every package type, in the order its catalogers run. */
export const PACKAGE_MODULES: readonly PackageModule[] = [
  dpkg,
  rpm,
  apk,
  pypi,
  npm,
  gem,
  composer,
  nuget,
  jar,
  golang,
  cargo,
];

export const ALL_CATALOGERS: readonly Cataloger[] = PACKAGE_MODULES.flatMap((m) => m.catalogers);
export const OS_CATALOGERS: readonly Cataloger[] = ALL_CATALOGERS.filter((c) => c.kind === 'os');
export const LANG_CATALOGERS: readonly Cataloger[] = ALL_CATALOGERS.filter((c) => c.kind === 'lang');

/** purl type → package type. */
export const PACKAGE_TYPES: ReadonlyMap<string, PackageTypeInfo> = new Map(
  PACKAGE_MODULES.map((m) => [m.packageType.id, m.packageType]),
);

/**
 * The registered type of a package. A `generic` package (no cataloger of its own) takes the type
 * its purl names, so `pkg:composer/a/b@1` is still matched against Packagist.
 */
export function packageTypeOf(pkg: { type: string; purl: string }): PackageTypeInfo | undefined {
  const byType = PACKAGE_TYPES.get(pkg.type);
  if (byType) return byType;
  if (pkg.type !== 'generic') return undefined;
  const purlType = /^pkg:([a-z0-9.+-]+)\//i.exec(pkg.purl)?.[1]?.toLowerCase();
  return purlType ? PACKAGE_TYPES.get(purlType) : undefined;
}

/**
 * Lean dpkg: the status database and `available` only. The installed-file lists (info/*.md5sums)
 * and copyright licenses are one small file per package — scattered blocks that cost an EBS fetch
 * each — so they are read only when details are asked for.
 */
const leanDpkgCataloger = dpkg.createDpkgCataloger({ installedFiles: false, licenses: false });

/** The OS catalogers for a scan; `details` adds per-package file lists and licenses. */
export function osCatalogers(opts: { details: boolean }): readonly Cataloger[] {
  return opts.details
    ? OS_CATALOGERS
    : OS_CATALOGERS.map((c) => (c === dpkg.dpkgCataloger ? leanDpkgCataloger : c));
}
