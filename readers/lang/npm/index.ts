/**
 * lang/npm: installed Node.js packages, one per package directory:
 *
 *   …/node_modules/<name>/package.json              npm, yarn, pnpm's virtual store links resolved by path
 *   …/node_modules/@<scope>/<name>/package.json
 *   …/node_modules/a/node_modules/b/package.json    a nested copy: its own package, its own version
 *   /usr/share/nodejs/<name>/package.json           Debian's node-* packages (owned by dpkg)
 *   /usr/lib/nodejs/<name>/package.json
 *
 * A package.json deeper inside a package (`lib/package.json` with only `"type": "module"`) is not a
 * package and is not read. A package.json without a name or a version is not an installed package
 * (npm refuses to publish one) and yields nothing; one that is not JSON or has an invalid name is
 * an error on that file. Output: `npm` packages, purl `pkg:npm/%40scope/name@version`, location
 * the package.json.
 */
import { serializeError } from '../../../engine/errors.js';
import type { Package } from '../../../engine/model/package.js';
import type { CatalogContext, Cataloger, CatalogFile, CatalogResult } from '../../cataloger.js';
import { parsePackageJson } from './package-json.js';
import { parsePackageLock } from './package-lock.js';
import { npmType } from './type.js';

export { type PackageJson, parsePackageJson, validNpmName } from './package-json.js';
export { type LockEntry, lockKeyChain, type PackageLock, parsePackageLock } from './package-lock.js';

export const id = 'lang/npm';
export const displayName = 'Node.js packages (node_modules)';
export const specUrls = [
  'https://docs.npmjs.com/cli/v10/configuring-npm/package-json',
  'https://docs.npmjs.com/cli/v10/configuring-npm/folders',
] as const;
export const version = 1;

/** `<dir>/<name>/package.json` or `<dir>/@scope/<name>/package.json` right under a package folder. */
const INSTALLED =
  /(?:\/node_modules|^\/usr\/share\/nodejs|^\/usr\/lib\/nodejs)\/(?:@[^/@]+\/)?[^/@.][^/]*\/package\.json$/;

export function isInstalledPackageJson(path: string): boolean {
  return INSTALLED.test(path);
}

async function catalog(file: CatalogFile, _ctx: CatalogContext): Promise<CatalogResult> {
  try {
    const pj = parsePackageJson(file.bytes);
    if (!pj.name || !pj.version) return { packages: [], errors: [] };
    const pkg: Package = {
      foundBy: id,
      type: npmType.id,
      name: pj.name,
      version: pj.version,
      purl: npmType.purl({ name: pj.name, version: pj.version }),
      locations: [{ path: file.path }],
    };
    if (pj.licenses.length > 0) pkg.licenses = pj.licenses;
    const deps = Object.keys(pj.dependencies);
    if (deps.length > 0) pkg.metadata = { dependencies: pj.dependencies };
    return { packages: [pkg], errors: [] };
  } catch (err) {
    return { packages: [], errors: [{ path: file.path, error: serializeError(err) }] };
  }
}

export const npmCataloger: Cataloger = {
  id,
  displayName,
  kind: 'lang',
  version,
  specUrls,
  wants: (path, stat) => stat.type === 'file' && isInstalledPackageJson(path),
  catalog,
};

const lockId = 'lang/npm-lock';
/**
 * An app's lockfile. Not one inside a package directory (node_modules, Debian's /usr/share/nodejs):
 * npm publishes npm-shrinkwrap.json with a package, and a distro that unbundles the package's
 * dependencies leaves its shrinkwrap listing dozens it never installs — not an app's evidence.
 * The hidden lockfile node_modules/.package-lock.json is not read either.
 */
const LOCKFILE = /\/(?:package-lock|npm-shrinkwrap)\.json$/;
const PACKAGE_TREE = /\/node_modules\/|^\/usr\/(?:share|lib)\/nodejs\//;

export function isPackageLock(path: string): boolean {
  return LOCKFILE.test(path) && !PACKAGE_TREE.test(path);
}

/**
 * package-lock.json → one declared package per node_modules entry (`declaredOnly`, located at the
 * lockfile, `metadata.installPath` = where its package.json would be). `settle` then merges each
 * into the installed package found there (a second location, `metadata.lockfile` evidence:
 * resolved URL, integrity, dev/optional) and keeps the rest as declared-only packages.
 */
async function catalogLock(file: CatalogFile, ctx: CatalogContext): Promise<CatalogResult> {
  try {
    const lock = parsePackageLock(file.bytes, file.path, ctx.limits);
    const packages = lock.entries.map(
      (e): Package => ({
        foundBy: lockId,
        type: npmType.id,
        name: e.name,
        version: e.version,
        purl: npmType.purl({ name: e.name, version: e.version }),
        locations: [{ path: file.path }],
        declaredOnly: true,
        metadata: {
          installPath: `${e.installPath}/package.json`,
          lockfileVersion: lock.lockfileVersion,
          ...(e.resolved ? { resolved: e.resolved } : {}),
          ...(e.integrity ? { integrity: e.integrity } : {}),
          ...(e.dev ? { dev: true } : {}),
          ...(e.optional ? { optional: true } : {}),
        },
      }),
    );
    return { packages, errors: lock.problems.map((p) => ({ path: file.path, error: serializeError(p) })) };
  } catch (err) {
    return { packages: [], errors: [{ path: file.path, error: serializeError(err) }] };
  }
}

/** Lock evidence about an installed package (Package.metadata.lockfile[]). */
export interface LockEvidence {
  path: string;
  lockfileVersion: number;
  /** The version the lock records, when it differs from the installed one (a stale lock). */
  version?: string;
  resolved?: string;
  integrity?: string;
  dev?: boolean;
  optional?: boolean;
}

function settleLocks(packages: Package[]): Package[] {
  const installed = new Map<string, Package>();
  for (const p of packages) if (p.foundBy === id && p.locations[0]) installed.set(p.locations[0].path, p);
  return packages.filter((p) => {
    if (p.foundBy !== lockId) return true;
    const m = p.metadata ?? {};
    const inst = installed.get(String(m.installPath));
    if (!inst || inst.name !== p.name) return true; // declared only: kept, marked
    const lockPath = p.locations[0]!.path;
    const ev: LockEvidence = { path: lockPath, lockfileVersion: Number(m.lockfileVersion) };
    if (p.version !== inst.version) ev.version = p.version;
    for (const k of ['resolved', 'integrity'] as const) if (typeof m[k] === 'string') ev[k] = m[k];
    for (const k of ['dev', 'optional'] as const) if (m[k] === true) ev[k] = true;
    if (!inst.locations.some((l) => l.path === lockPath)) inst.locations.push({ path: lockPath });
    const prior = (inst.metadata?.lockfile as LockEvidence[] | undefined) ?? [];
    inst.metadata = { ...inst.metadata, lockfile: [...prior, ev] };
    return false;
  });
}

export const npmLockCataloger: Cataloger = {
  id: lockId,
  displayName: 'Node.js lockfiles (package-lock.json, npm-shrinkwrap.json) as evidence',
  kind: 'lang',
  version: 1,
  specUrls: ['https://docs.npmjs.com/cli/v10/configuring-npm/package-lock-json'],
  wants: (path, stat) => stat.type === 'file' && isPackageLock(path),
  catalog: catalogLock,
  settle: settleLocks,
};

export { npmType as packageType } from './type.js';
export const catalogers: readonly Cataloger[] = [npmCataloger, npmLockCataloger];
