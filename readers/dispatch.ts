/**
 * Runs catalogers over one filesystem. OS catalogers name fixed paths (`dir/*` = the regular files
 * of a directory); each wanted file is read once, capped at the cataloger's byte limit, and the same
 * bytes are handed to every cataloger that names it. Per-file failures become issues; the other
 * files and catalogers still run.
 */
import { checkAborted, ScanError, type SerializedError, serializeError } from '../engine/errors.js';
import type { Package } from '../engine/model/package.js';
import type { CatalogContext, Cataloger } from './cataloger.js';

export interface DispatchResult {
  packages: Package[];
  errors: Array<{ cataloger: string; path: string; error: SerializedError }>;
  /** Paths each cataloger actually read. */
  filesRead: string[];
}

function isAbsent(err: unknown): boolean {
  return err instanceof ScanError && (err.code === 'not-found' || err.code === 'not-a-directory');
}

async function expandPaths(pattern: string, ctx: CatalogContext): Promise<string[]> {
  if (!pattern.endsWith('/*')) return [pattern];
  const dir = pattern.slice(0, -2);
  let entries: Awaited<ReturnType<typeof ctx.fs.readdir>>;
  try {
    entries = await ctx.fs.readdir(dir, ctx.signal);
  } catch (err) {
    if (isAbsent(err)) return [];
    throw err;
  }
  return entries.map((e) => `${dir}/${e.name}`).sort();
}

export async function runOsCatalogers(
  catalogers: readonly Cataloger[],
  ctx: CatalogContext,
): Promise<DispatchResult> {
  const out: DispatchResult = { packages: [], errors: [], filesRead: [] };
  // path -> bytes promise, so a file two catalogers want is read once.
  const cache = new Map<string, Promise<Buffer | undefined>>();
  const read = (path: string, maxBytes: number): Promise<Buffer | undefined> => {
    let p = cache.get(path);
    if (!p) {
      p = (async () => {
        let st: Awaited<ReturnType<typeof ctx.fs.stat>>;
        try {
          st = await ctx.fs.stat(path);
        } catch (err) {
          if (isAbsent(err)) return undefined;
          throw err;
        }
        if (st.type !== 'file') return undefined;
        out.filesRead.push(path);
        return ctx.fs.readFile(path, { maxBytes, signal: ctx.signal });
      })();
      cache.set(path, p);
    }
    return p;
  };
  for (const cat of catalogers) {
    if (cat.kind !== 'os' || !cat.paths) continue;
    // /var/lib/rpm → /usr/lib/sysimage/rpm and friends: one database seen under two names is
    // catalogued once, under its canonical path.
    const done = new Set<string>();
    for (const pattern of cat.paths) {
      checkAborted(ctx.signal);
      let paths: string[];
      try {
        paths = await expandPaths(pattern, ctx);
      } catch (err) {
        out.errors.push({ cataloger: cat.id, path: pattern, error: serializeError(err) });
        continue;
      }
      for (const path of paths) {
        try {
          // A directory pattern offers every file in it; the cataloger's cheap check keeps the
          // side files (status.d/*.md5sums) from being read at all.
          if (pattern.endsWith('/*') && cat.wants) {
            const st = await ctx.fs.stat(path);
            if (!cat.wants(path, { type: st.type, size: st.size })) continue;
          }
          let canonical: string;
          try {
            canonical = await ctx.fs.resolve(path);
          } catch (err) {
            if (isAbsent(err)) continue;
            throw err;
          }
          if (done.has(canonical)) continue;
          done.add(canonical);
          const bytes = await read(canonical, cat.maxBytes ?? ctx.limits.MAX_PKGDB_BYTES);
          if (!bytes) continue;
          const res = await cat.catalog({ path: canonical, bytes }, ctx);
          out.packages.push(...res.packages);
          for (const e of res.errors) out.errors.push({ cataloger: cat.id, path: e.path, error: e.error });
        } catch (err) {
          if (err instanceof ScanError && err.code === 'aborted') throw err;
          out.errors.push({ cataloger: cat.id, path, error: serializeError(err) });
        }
      }
    }
  }
  return out;
}
