/**
 * Which installed Debian package owns a file: dpkg's per-package file lists,
 * `/var/lib/dpkg/info/<pkg>[:<arch>].list` (one absolute path per line, directories included; the
 * list `dpkg -S` searches). Used to attribute language packages that a deb installed (Debian's
 * python3-* egg-info, /usr/share/nodejs/*) to that deb, so they are matched against the distro's
 * advisories once rather than against OSV as well.
 *
 * Only the lists are read, in parallel and each bounded by MAX_PKG_INFO_FILE_BYTES; the number of
 * lists by MAX_PACKAGES_PER_DB. dpkg never installs below /usr/local, /home, /root or /srv (FHS;
 * Debian Policy §9.1), so when every candidate path lies there no list is read at all.
 */
import { basename } from 'node:path';
import {
  LimitExceededError,
  ScanError,
  type SerializedError,
  serializeError,
} from '../../../engine/errors.js';
import type { Package } from '../../../engine/model/package.js';
import type { CatalogContext } from '../../cataloger.js';

const INFO_DIR = '/var/lib/dpkg/info';
const NEVER_DPKG = /^\/(?:usr\/local|home|root|srv)\//;
const CONCURRENCY = 16;

export async function dpkgOwners(
  paths: ReadonlySet<string>,
  packages: readonly Package[],
  ctx: CatalogContext,
): Promise<{ owners: Map<string, Package>; errors: Array<{ path: string; error: SerializedError }> }> {
  const owners = new Map<string, Package>();
  const errors: Array<{ path: string; error: SerializedError }> = [];
  const wanted = new Set([...paths].filter((p) => !NEVER_DPKG.test(p)));
  if (wanted.size === 0 || packages.length === 0) return { owners, errors };
  const byName = new Map<string, Package[]>();
  for (const p of packages) byName.set(p.name, [...(byName.get(p.name) ?? []), p]);
  let lists: string[];
  try {
    lists = (await ctx.fs.readdir(INFO_DIR, ctx.signal))
      .filter((e) => e.name.endsWith('.list'))
      .map((e) => `${INFO_DIR}/${e.name}`)
      .sort();
  } catch (err) {
    if (err instanceof ScanError && err.code === 'aborted') throw err;
    errors.push({ path: INFO_DIR, error: serializeError(err) });
    return { owners, errors };
  }
  if (lists.length > ctx.limits.MAX_PACKAGES_PER_DB) {
    const err = new LimitExceededError(
      { format: 'dpkg/info', struct: 'directory', offset: 0 },
      'MAX_PACKAGES_PER_DB',
      lists.length,
      ctx.limits.MAX_PACKAGES_PER_DB,
    );
    errors.push({ path: INFO_DIR, error: serializeError(err) });
    lists = lists.slice(0, ctx.limits.MAX_PACKAGES_PER_DB);
  }
  const found: Array<Array<[string, Package]>> = new Array(lists.length);
  let next = 0;
  const worker = async () => {
    while (next < lists.length) {
      const i = next++;
      const path = lists[i]!;
      // <pkg>.list or <pkg>:<arch>.list
      const [name, arch] = basename(path, '.list').split(':');
      const candidates = byName.get(name!) ?? [];
      const pkg = candidates.find((p) => !arch || p.arch === arch) ?? candidates[0];
      if (!pkg) continue; // a list left by a removed (config-files) package
      let text: string;
      try {
        text = (
          await ctx.fs.readFile(path, { maxBytes: ctx.limits.MAX_PKG_INFO_FILE_BYTES, signal: ctx.signal })
        ).toString('utf8');
      } catch (err) {
        if (err instanceof ScanError && err.code === 'aborted') throw err;
        errors.push({ path, error: serializeError(err) });
        continue;
      }
      const hits: Array<[string, Package]> = [];
      for (const line of text.split('\n')) if (wanted.has(line)) hits.push([line, pkg]);
      found[i] = hits;
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, lists.length) }, worker));
  for (const hits of found) for (const [p, pkg] of hits ?? []) if (!owners.has(p)) owners.set(p, pkg);
  return { owners, errors };
}
