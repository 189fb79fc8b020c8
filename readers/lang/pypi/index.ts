/**
 * lang/pypi: installed Python distributions, wherever the walk finds them — system
 * `dist-packages`/`site-packages`, `/usr/local`, virtualenvs, user site directories.
 *
 *   <site>/<name>-<version>.dist-info/METADATA     wheels, pip (PEP 376 / PEP 627)
 *   <site>/<name>-<version>[-pyX.Y].egg-info/PKG-INFO   setuptools "develop"/sdist installs, Debian
 *   <site>/<name>-<version>[-pyX.Y].egg-info        distutils: a single metadata file
 *
 * Output: one `pypi` package per metadata file, purl `pkg:pypi/<normalised name>@<version>`,
 * location the metadata file. Spec:
 * https://packaging.python.org/en/latest/specifications/recording-installed-packages/
 */
import { basename, dirname } from 'node:path';
import { serializeError } from '../../../engine/errors.js';
import type { Package } from '../../../engine/model/package.js';
import type { CatalogContext, Cataloger, CatalogFile, CatalogResult } from '../../cataloger.js';
import { parsePythonMetadata } from './metadata.js';
import { pypiType } from './type.js';

export { type PythonMetadata, parsePythonMetadata } from './metadata.js';

export const id = 'lang/pypi';
export const displayName = 'Python distributions (dist-info, egg-info)';
export const specUrls = [
  'https://packaging.python.org/en/latest/specifications/core-metadata/',
  'https://packaging.python.org/en/latest/specifications/recording-installed-packages/',
] as const;
export const version = 1;

/** Is this a Python metadata file? Path only, no I/O. */
export function isPythonMetadata(path: string): boolean {
  const name = basename(path);
  if (name === 'METADATA') return dirname(path).endsWith('.dist-info');
  if (name === 'PKG-INFO') return dirname(path).endsWith('.egg-info');
  return name.endsWith('.egg-info');
}

async function catalog(file: CatalogFile, ctx: CatalogContext): Promise<CatalogResult> {
  try {
    const md = parsePythonMetadata(file.bytes, { path: file.path, maxLineBytes: ctx.limits.MAX_LINE_BYTES });
    const pkg: Package = {
      foundBy: id,
      type: pypiType.id,
      name: md.name,
      version: md.version,
      purl: pypiType.purl({ name: md.name, version: md.version }),
      locations: [{ path: file.path }],
      metadata: {
        ...(md.summary ? { summary: md.summary } : {}),
        ...(md.author ? { author: md.author } : {}),
        ...(md.homePage ? { homePage: md.homePage } : {}),
        ...(md.metadataVersion ? { metadataVersion: md.metadataVersion } : {}),
      },
    };
    if (md.licenses.length > 0) pkg.licenses = md.licenses;
    return { packages: [pkg], errors: [] };
  } catch (err) {
    return { packages: [], errors: [{ path: file.path, error: serializeError(err) }] };
  }
}

export const pypiCataloger: Cataloger = {
  id,
  displayName,
  kind: 'lang',
  version,
  specUrls,
  wants: (path, stat) => stat.type === 'file' && isPythonMetadata(path),
  catalog,
};

export { pypiType as packageType } from './type.js';
export const catalogers: readonly Cataloger[] = [pypiCataloger];
