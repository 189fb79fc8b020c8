/**
 * lang/composer: PHP packages installed by Composer, from `<project>/vendor/composer/installed.json`.
 * Output: `composer` packages, purl `pkg:composer/<vendor>/<name>@<version>`, location the file.
 */
import { serializeError } from '../../../engine/errors.js';
import type { Package } from '../../../engine/model/package.js';
import type { CatalogContext, Cataloger, CatalogFile, CatalogResult } from '../../cataloger.js';
import { fileFailed, langPackage } from '../package.js';
import { parseInstalledJson } from './installed-json.js';
import { composerType } from './type.js';

export { type ComposerPackage, parseInstalledJson } from './installed-json.js';

export const id = 'lang/composer';
export const displayName = 'PHP Composer packages (vendor/composer/installed.json)';
export const specUrls = [
  'https://getcomposer.org/doc/07-runtime.md#installed-versions',
  'https://getcomposer.org/doc/04-schema.md',
] as const;
export const version = 1;

async function catalog(file: CatalogFile, _ctx: CatalogContext): Promise<CatalogResult> {
  try {
    const { packages, errors } = parseInstalledJson(file.bytes);
    return {
      packages: packages.map((c): Package => {
        const pkg = langPackage(id, composerType, file.path, c.name, c.version);
        pkg.metadata = {
          dev: c.dev,
          ...(c.versionNormalized ? { versionNormalized: c.versionNormalized } : {}),
        };
        if (c.licenses.length > 0) pkg.licenses = c.licenses;
        return pkg;
      }),
      errors: errors.map((e) => ({ path: file.path, error: serializeError(e) })),
    };
  } catch (err) {
    return fileFailed(file.path, err);
  }
}

export const composerCataloger: Cataloger = {
  id,
  displayName,
  kind: 'lang',
  version,
  specUrls,
  wants: (path, stat) => stat.type === 'file' && path.endsWith('/vendor/composer/installed.json'),
  catalog,
};

export { composerType as packageType } from './type.js';
export const catalogers: readonly Cataloger[] = [composerCataloger];
