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
 *
 * Merged /usr (Debian 12's default, https://wiki.debian.org/UsrMerge): /bin, /sbin, /lib, /lib32,
 * /lib64 and /libx32 are symlinks into /usr, while packages still list `/bin/bash` and
 * `/lib/x86_64-linux-gnu/libc.so.6`. The walk sees `/usr/bin/bash`, so a listed path under an
 * aliased directory also answers for its /usr twin (`dpkg -S /usr/bin/bash` does not: dpkg 1.21
 * knows no aliases).
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
const MERGED_DIRS = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'] as const;

/** The top-level directories that are symlinks to their /usr twin (`/bin` → `usr/bin`). */
async function usrMerged(ctx: CatalogContext): Promise<Set<string>> {
  const out = new Set<string>();
  let root: Array<{ name: string; type: string }>;
  try {
    root = await ctx.fs.readdir('/', ctx.signal);
  } catch {
    return out; // the root was read by the walk already: an error here is reported there
  }
  for (const e of root) {
    if (e.type !== 'symlink' && e.type !== 'unknown') continue;
    if (!(MERGED_DIRS as readonly string[]).includes(e.name)) continue;
    try {
      const target = (await ctx.fs.readlink(`/${e.name}`)).replace(/\/+$/, '');
      if (target === `usr/${e.name}` || target === `/usr/${e.name}`) out.add(e.name);
    } catch {
      // not a symlink (type unknown): not merged
    }
  }
  return out;
}
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
  const merged = await usrMerged(ctx);
  /** A listed path, and its /usr twin when it lies under a merged directory. */
  const aliases = (line: string): string[] => {
    const top = line.slice(1, line.indexOf('/', 1));
    return merged.has(top) ? [line, `/usr${line}`] : [line];
  };
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
      for (const line of text.split('\n'))
        for (const p of merged.size > 0 ? aliases(line) : [line]) if (wanted.has(p)) hits.push([p, pkg]);
      found[i] = hits;
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, lists.length) }, worker));
  for (const hits of found) for (const [p, pkg] of hits ?? []) if (!owners.has(p)) owners.set(p, pkg);
  return { owners, errors };
}
