/**
 * lang/nuget: NuGet packages a .NET application was built with, from its `*.deps.json`.
 * Output: `nuget` packages, purl `pkg:nuget/<name>@<version>`, location the deps.json.
 */
import { serializeError } from '../../../engine/errors.js';
import type { Package } from '../../../engine/model/package.js';
import type { CatalogContext, Cataloger, CatalogFile, CatalogResult } from '../../cataloger.js';
import { fileFailed, langPackage } from '../package.js';
import { parseDepsJson } from './deps-json.js';
import { nugetType } from './type.js';

export { type DepsJsonLibrary, parseDepsJson } from './deps-json.js';

export const id = 'lang/nuget';
export const displayName = '.NET dependencies (*.deps.json)';
export const specUrls = [
  'https://github.com/dotnet/sdk/blob/main/documentation/specs/runtime-configuration-file.md',
] as const;
export const version = 1;

async function catalog(file: CatalogFile, _ctx: CatalogContext): Promise<CatalogResult> {
  try {
    const { libraries, errors } = parseDepsJson(file.bytes);
    return {
      packages: libraries.map(
        (l): Package => ({
          ...langPackage(id, nugetType, file.path, l.name, l.version),
          ...(l.sha512 ? { metadata: { sha512: l.sha512 } } : {}),
        }),
      ),
      errors: errors.map((e) => ({ path: file.path, error: serializeError(e) })),
    };
  } catch (err) {
    return fileFailed(file.path, err);
  }
}

export const nugetCataloger: Cataloger = {
  id,
  displayName,
  kind: 'lang',
  version,
  specUrls,
  wants: (path, stat) => stat.type === 'file' && path.endsWith('.deps.json'),
  catalog,
};

export { nugetType as packageType } from './type.js';
export const catalogers: readonly Cataloger[] = [nugetCataloger];
