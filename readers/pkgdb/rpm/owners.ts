/**
 * Which installed rpm owns a file: the header's file list (BASENAMES/DIRNAMES/DIRINDEXES), kept in
 * each package's `metadata.files` by package.ts — what `rpm -qf` answers. No extra read.
 */
import type { SerializedError } from '../../../engine/errors.js';
import type { Package } from '../../../engine/model/package.js';
import type { CatalogContext } from '../../cataloger.js';

export async function rpmOwners(
  paths: ReadonlySet<string>,
  packages: readonly Package[],
  _ctx: CatalogContext,
): Promise<{ owners: Map<string, Package>; errors: Array<{ path: string; error: SerializedError }> }> {
  const owners = new Map<string, Package>();
  for (const pkg of packages) {
    const files = pkg.metadata?.files;
    if (!Array.isArray(files)) continue;
    for (const f of files) if (typeof f === 'string' && paths.has(f) && !owners.has(f)) owners.set(f, pkg);
  }
  return { owners, errors: [] };
}
