/**
 * Shared by the language catalogers that parse one file whole (composer, gem, nuget): the fields
 * every package they find carries the same way, and the result of a file that failed as a whole.
 */
import { serializeError } from '../../engine/errors.js';
import type { Package } from '../../engine/model/package.js';
import type { PackageTypeInfo } from '../../engine/model/package-type.js';
import type { CatalogResult } from '../cataloger.js';

/** A package of `type` named `name`@`version`, found by cataloger `foundBy` in the file at `path`. */
export function langPackage(
  foundBy: string,
  type: PackageTypeInfo,
  path: string,
  name: string,
  version: string,
): Package {
  return { foundBy, type: type.id, name, version, purl: type.purl({ name, version }), locations: [{ path }] };
}

/** The file at `path` could not be read as a whole: no package, one error naming the file. */
export function fileFailed(path: string, err: unknown): CatalogResult {
  return { packages: [], errors: [{ path, error: serializeError(err) }] };
}
