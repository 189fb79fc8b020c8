/**
 * lang/gem: installed Ruby gems from `…/specifications/<name>-<version>.gemspec` under any gem
 * home (/usr/lib/ruby/gems/X, /var/lib/gems/X, /usr/local/bundle, ~/.gem, vendor/bundle).
 * Output: `gem` packages, purl `pkg:gem/<name>@<version>`, location the gemspec.
 */
import type { CatalogContext, Cataloger, CatalogFile, CatalogResult } from '../../cataloger.js';
import { fileFailed, langPackage } from '../package.js';
import { parseGemspec } from './gemspec.js';
import { gemType } from './type.js';

export { type Gemspec, parseGemspec } from './gemspec.js';

export const id = 'lang/gem';
export const displayName = 'Ruby gems (specifications/*.gemspec)';
export const specUrls = ['https://guides.rubygems.org/specification-reference/'] as const;
export const version = 1;

export function isInstalledGemspec(path: string): boolean {
  return /\/specifications\/[^/]+\.gemspec$/.test(path);
}

async function catalog(file: CatalogFile, _ctx: CatalogContext): Promise<CatalogResult> {
  try {
    const g = parseGemspec(file.bytes);
    const pkg = langPackage(id, gemType, file.path, g.name, g.version);
    if (g.licenses.length > 0) pkg.licenses = g.licenses;
    return { packages: [pkg], errors: [] };
  } catch (err) {
    return fileFailed(file.path, err);
  }
}

export const gemCataloger: Cataloger = {
  id,
  displayName,
  kind: 'lang',
  version,
  specUrls,
  wants: (path, stat) => stat.type === 'file' && isInstalledGemspec(path),
  catalog,
};

export { gemType as packageType } from './type.js';
export const catalogers: readonly Cataloger[] = [gemCataloger];
