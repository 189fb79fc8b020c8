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
import { npmType } from './type.js';

export { type PackageJson, parsePackageJson, validNpmName } from './package-json.js';

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

export { npmType as packageType } from './type.js';
export const catalogers: readonly Cataloger[] = [npmCataloger];
