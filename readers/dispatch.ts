/**
 * Runs catalogers over one filesystem. OS catalogers name fixed paths (`dir/*` = the regular files
 * of a directory); each wanted file is read once, capped at the cataloger's byte limit, and the same
 * bytes are handed to every cataloger that names it. Per-file failures become issues; the other
 * files and catalogers still run.
 */

import { open } from 'node:fs/promises';
import { checkAborted, ScanError, type SerializedError, serializeError } from '../engine/errors.js';
import type { Package } from '../engine/model/package.js';
import type { CatalogContext, Cataloger, CatalogResult } from './cataloger.js';
import { spillFile } from './fs/spill.js';

/** Bytes of a spilled file's head given in `CatalogFile.bytes` (format detection). */
export const SPILL_HEAD_BYTES = 4096;

export interface DispatchResult {
  packages: Package[];
  errors: Array<{ cataloger: string; path: string; error: SerializedError }>;
  /** Paths each cataloger actually read. */
  filesRead: string[];
}

/**
 * Only a clean "no such entry" means the database is absent. A path component that is not a
 * directory (a directory inode turned into a file), a corrupt directory block or a read error on
 * the way is an issue: reporting it as "no database" would turn an unreadable disk into a clean one.
 */
function isAbsent(err: unknown): boolean {
  return err instanceof ScanError && err.code === 'not-found';
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

type ReadOnce = (path: string, maxBytes: number) => Promise<Buffer | undefined>;

async function catalogInMemory(
  cat: Cataloger,
  path: string,
  maxBytes: number,
  ctx: CatalogContext,
  read: ReadOnce,
): Promise<CatalogResult | undefined> {
  const bytes = await read(path, maxBytes);
  return bytes ? cat.catalog({ path, bytes }, ctx) : undefined;
}

/**
 * A file above the cataloger's spill threshold is copied to a private temporary file (memory: one
 * chunk) and handed over by path; the copy is removed when `catalog` returns, throws or is aborted.
 */
async function catalogSpilled(
  cat: Cataloger,
  path: string,
  maxBytes: number,
  ctx: CatalogContext,
  read: ReadOnce,
  filesRead: string[],
): Promise<CatalogResult | undefined> {
  let st: Awaited<ReturnType<typeof ctx.fs.stat>>;
  try {
    st = await ctx.fs.stat(path);
  } catch (err) {
    if (isAbsent(err)) return undefined;
    throw err;
  }
  if (st.type !== 'file') return undefined;
  if (st.size <= (cat.spillAboveBytes ?? 0)) return catalogInMemory(cat, path, maxBytes, ctx, read);
  filesRead.push(path);
  const spilled = await spillFile(ctx.fs, path, { maxBytes, signal: ctx.signal });
  try {
    const fh = await open(spilled.path, 'r');
    let bytes: Buffer;
    try {
      const head = Buffer.alloc(Math.min(SPILL_HEAD_BYTES, spilled.size));
      const { bytesRead } = await fh.read(head, 0, head.length, 0);
      bytes = head.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
    return await cat.catalog({ path, bytes, spill: { path: spilled.path, size: spilled.size } }, ctx);
  } finally {
    await spilled.dispose();
  }
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
        // A database path that names something other than a regular file (a directory, an inode
        // with no valid type) is damage on the way to the database, not a missing database.
        if (st.type !== 'file')
          throw new ScanError('corrupt', `${path}: expected a regular file, found ${st.type}`);
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
          const maxBytes =
            (cat.maxBytesLimit !== undefined ? ctx.limits[cat.maxBytesLimit] : cat.maxBytes) ??
            ctx.limits.MAX_PKGDB_BYTES;
          const res =
            cat.spillAboveBytes !== undefined
              ? await catalogSpilled(cat, canonical, maxBytes, ctx, read, out.filesRead)
              : await catalogInMemory(cat, canonical, maxBytes, ctx, read);
          if (!res) continue;
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
