/**
 * One bounded walk of a filesystem shared by every language cataloger (trivy's walker, scalibr's
 * FileRequired): each cataloger's `wants(path, {type})` is asked about every regular file the walk
 * meets (no I/O), then each wanted file is read once — capped at the largest `maxBytes` of the
 * catalogers that want it — and the same bytes go to each of them.
 *
 * Bounds (engine/limits.ts): MAX_LANG_WALK_DEPTH, MAX_LANG_WALK_ENTRIES, MAX_LANG_FILES,
 * MAX_LANG_FILE_BYTES (per file, unless a cataloger sets its own maxBytes) and
 * MAX_LANG_TOTAL_BYTES (all files together). Hitting a bound is an issue on the scan, and what was
 * gathered before it is kept: nothing is dropped silently. Pseudo and volatile trees are skipped
 * by default (DEFAULT_LANG_SKIP); the list is configurable.
 *
 * Executables (Go, Rust binaries; catalogers with `executables`) are found by file mode, anywhere:
 *   1. the walk offers each regular file by path and type (no I/O); executable catalogers take
 *      every name without a script/data extension as "maybe" — these count against MAX_LANG_FILES
 *      like every wanted file;
 *   2. the wanted files' inodes are read (size and mode) and catalogers asked again: an executable
 *      cataloger keeps a file with an execute bit and a size within its cap;
 *   3. when the OS packages are given, which wanted files an OS package owns is answered once
 *      (dpkg's info/*.list, rpm file lists) BEFORE any file is read: an owned executable is not read
 *      at all (its OS package's advisories cover it; `readOwnedExecutables` reads it anyway), and
 *      the same answer attributes every language package to its OS package (`ownedBy`);
 *   4. the first EXEC_MAGIC_BYTES of each remaining candidate are read and only an ELF, PE or
 *      Mach-O header is handed to the executable catalogers (a shell script with an execute bit
 *      costs that one read).
 * Over EBS each small read of a scattered file can cost a 512 KiB block fetch: that is why
 * ownership comes before the first byte is read.
 */
import {
  checkAborted,
  LimitExceededError,
  ScanError,
  type SerializedError,
  serializeError,
} from '../engine/errors.js';
import type { Package } from '../engine/model/package.js';
import { type RandomAccess, storeAccess } from './bytes/random-access.js';
import type { CatalogContext, Cataloger } from './cataloger.js';
import { PACKAGE_MODULES } from './catalogers.js';
import type { DirEntry, FileType } from './fs/types.js';
import { EXEC_MAGIC_BYTES } from './lang/executable.js';
import { DEFAULT_LANG_SKIP } from './lang-skip.js';

export { DEFAULT_LANG_SKIP, langSkipList } from './lang-skip.js';

export interface LangWalkOptions {
  /** Directories not entered (`*` = one component). Default DEFAULT_LANG_SKIP. */
  skip?: readonly string[];
  /** Where the walk starts (default `/`). */
  root?: string;
  /** Files read in parallel (hides EBS latency; each read is bounded). */
  concurrency?: number;
  /**
   * Read executables an OS package owns as well (default false: their OS package's advisories
   * cover what they contain, and on a distro root they are most of the executables).
   */
  readOwnedExecutables?: boolean;
}

export interface LangWalkResult {
  packages: Package[];
  errors: Array<{ cataloger: string; path: string; error: SerializedError }>;
  filesRead: string[];
  walk: {
    entries: number;
    wanted: number;
    bytesRead: number;
    /** Regular files with an execute bit the executable catalogers kept after the stat. */
    executables: number;
    /** …of which an OS package owns: not read. */
    executablesOwned: number;
    /** …whose first bytes were read (the magic check). */
    executablesProbed: number;
    /** …that were ELF, PE or Mach-O and went to the executable catalogers. */
    executablesOpened: number;
  };
}

function skipMatcher(patterns: readonly string[]): (path: string) => boolean {
  const exact = new Set<string>();
  const globs: string[][] = [];
  for (const p of patterns) {
    const norm = `/${p.split('/').filter(Boolean).join('/')}`;
    if (norm.includes('*')) globs.push(norm.split('/').slice(1));
    else exact.add(norm);
  }
  return (path) => {
    if (exact.has(path)) return true;
    if (globs.length === 0) return false;
    const parts = path.split('/').slice(1);
    return globs.some((g) => g.length === parts.length && g.every((c, i) => c === '*' || c === parts[i]));
  };
}

const EMPTY = Buffer.alloc(0);

/**
 * The walk and the catalogers it feeds. With `osPackages` (the OS packages found on the same
 * filesystem), ownership is resolved before any file is read (see the header) and each language
 * package found gets `ownedBy`.
 */
export async function runLangCatalogers(
  catalogers: readonly Cataloger[],
  ctx: CatalogContext,
  opts: LangWalkOptions = {},
  osPackages?: readonly Package[],
): Promise<LangWalkResult> {
  const out: LangWalkResult = {
    packages: [],
    errors: [],
    filesRead: [],
    walk: {
      entries: 0,
      wanted: 0,
      bytesRead: 0,
      executables: 0,
      executablesOwned: 0,
      executablesProbed: 0,
      executablesOpened: 0,
    },
  };
  const lang = catalogers.filter((c) => c.kind === 'lang' && c.wants);
  if (lang.length === 0) return out;
  const { limits } = ctx;
  const skip = skipMatcher(opts.skip ?? DEFAULT_LANG_SKIP);
  const wanted: Array<{ path: string; ino: number; cats: Cataloger[] }> = [];
  const walkError = (path: string, error: unknown) =>
    out.errors.push({ cataloger: 'lang/walk', path, error: serializeError(error) });

  const concurrency = Math.max(1, opts.concurrency ?? 32);
  try {
    await parallelWalk(
      ctx,
      opts.root ?? '/',
      { concurrency, skip, onError: walkError },
      (path, ino, type) => {
        out.walk.entries++;
        if (type !== 'file') return;
        const cats = lang.filter((c) => c.wants!(path, { type: 'file' }));
        if (cats.length === 0) return;
        if (wanted.length >= limits.MAX_LANG_FILES) {
          throw new LimitExceededError(
            { format: 'lang', struct: 'walk', offset: 0 },
            'MAX_LANG_FILES',
            wanted.length + 1,
            limits.MAX_LANG_FILES,
          );
        }
        wanted.push({ path, ino, cats });
      },
    );
  } catch (err) {
    if (err instanceof ScanError && err.code === 'aborted') throw err;
    // The walk stopped (a bound, an unreadable root): what it found so far is still catalogued.
    walkError(opts.root ?? '/', err);
  }
  // Directories are read in parallel: sorted, the output never depends on I/O timing.
  wanted.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  out.walk.wanted = wanted.length;

  type Sink = Pick<LangWalkResult, 'packages' | 'errors' | 'filesRead'>;
  const perFile: Sink[] = wanted.map(() => ({ packages: [], errors: [], filesRead: [] }));
  const capOf = (c: Cataloger) => c.maxBytes ?? limits.MAX_LANG_FILE_BYTES;

  // I/O in inode order (inode tables and, mostly, data lie in that order on disk: cached blocks
  // are reused before they are evicted); results stay in path order.
  const byIno = wanted.map((_, i) => i).sort((x, y) => wanted[x]!.ino - wanted[y]!.ino);

  // 1. Sizes and modes (inode reads, in parallel).
  const sizes: Array<number | undefined> = new Array(wanted.length);
  const modes: number[] = new Array(wanted.length).fill(0);
  await pool(concurrency, wanted.length, async (k) => {
    const i = byIno[k]!;
    checkAborted(ctx.signal);
    const { path, ino, cats } = wanted[i]!;
    try {
      // By the inode number the walk gave: no second path lookup.
      const st = await ctx.fs.store.stat(ino);
      sizes[i] = st.size;
      modes[i] = st.mode;
    } catch (err) {
      if (err instanceof ScanError && err.code === 'aborted') throw err;
      for (const c of cats) perFile[i]!.errors.push({ cataloger: c.id, path, error: serializeError(err) });
    }
  });

  // 1b. Asked again with size and mode: executable catalogers keep files with an execute bit.
  for (const [i, w] of wanted.entries()) {
    const size = sizes[i];
    if (size === undefined) continue;
    w.cats = w.cats.filter((c) => c.wants!(w.path, { type: 'file', size, mode: modes[i] }));
    if (w.cats.some((c) => c.executables)) out.walk.executables++;
  }

  // 1c. Ownership, before any file is read: one answer for every file still wanted.
  const owners = new Map<string, Package>();
  const asked = new Set<string>();
  if (osPackages && osPackages.length > 0) {
    for (const [i, w] of wanted.entries()) if (sizes[i] !== undefined && w.cats.length > 0) asked.add(w.path);
    await resolveOwners(asked, osPackages, ctx, owners, out.errors);
    if (!opts.readOwnedExecutables) {
      for (const w of wanted) {
        if (!owners.has(w.path) || !w.cats.some((c) => c.executables)) continue;
        w.cats = w.cats.filter((c) => !c.executables);
        out.walk.executablesOwned++;
      }
    }
  }

  // 2. Which catalogers take each file, and the total-bytes budget, decided in walk order so the
  //    outcome never depends on I/O timing. Ranged catalogers (`randomAccess`: archives,
  //    executables) read only what their parser asks for, bounded by their own limits: they take
  //    no share of the whole-file budget.
  let budget = limits.MAX_LANG_TOTAL_BYTES;
  const ranged: Cataloger[][] = wanted.map(() => []);
  const takers: Cataloger[][] = wanted.map(({ path, cats }, i) => {
    const size = sizes[i];
    if (size === undefined) return [];
    const sink = perFile[i]!;
    const fits = cats.filter((c) => size <= capOf(c));
    for (const c of cats) {
      if (size <= capOf(c)) continue;
      const err = new LimitExceededError(
        { format: c.id, struct: 'file', offset: 0 },
        c.maxBytes ? 'maxBytes' : 'MAX_LANG_FILE_BYTES',
        size,
        capOf(c),
      );
      sink.errors.push({ cataloger: c.id, path, error: serializeError(err) });
    }
    ranged[i] = fits.filter((c) => c.randomAccess);
    const whole = fits.filter((c) => !c.randomAccess);
    if (whole.length === 0) return [];
    if (size > budget) {
      const err = new LimitExceededError(
        { format: 'lang', struct: 'walk', offset: 0 },
        'MAX_LANG_TOTAL_BYTES',
        limits.MAX_LANG_TOTAL_BYTES - budget + size,
        limits.MAX_LANG_TOTAL_BYTES,
      );
      for (const c of whole) sink.errors.push({ cataloger: c.id, path, error: serializeError(err) });
      return [];
    }
    budget -= size;
    return whole;
  });

  // 3. Ranged catalogers get the file as a RandomAccess over its inode (in parallel).
  await pool(concurrency, wanted.length, async (k) => {
    const i = byIno[k]!;
    const cats = ranged[i]!;
    if (cats.length === 0) return;
    checkAborted(ctx.signal);
    const { path, ino } = wanted[i]!;
    const sink = perFile[i]!;
    const inner = storeAccess(ctx.fs.store, ino, sizes[i]!, path, ctx.signal);
    let read = 0;
    if (cats.some((c) => c.executables)) {
      // The magic check: only an executable header goes to the executable catalogers.
      let head: Buffer | undefined;
      try {
        head = await inner.read(0, Math.min(EXEC_MAGIC_BYTES, inner.size), 'executable magic');
      } catch (err) {
        if (err instanceof ScanError && err.code === 'aborted') throw err;
        for (const c of cats) sink.errors.push({ cataloger: c.id, path, error: serializeError(err) });
        return;
      }
      out.walk.executablesProbed++;
      out.walk.bytesRead += head.length;
      for (let k = cats.length - 1; k >= 0; k--) {
        const c = cats[k]!;
        if (c.executables && !(c.magic?.(head) ?? true)) cats.splice(k, 1);
      }
      if (cats.some((c) => c.executables)) out.walk.executablesOpened++;
      if (cats.length === 0) return;
    }
    const source: RandomAccess = {
      name: path,
      size: inner.size,
      read: (offset, length, struct) => {
        read += length;
        return inner.read(offset, length, struct);
      },
      prefetch: (offset, length) => inner.prefetch?.(offset, length),
    };
    for (const c of cats) {
      try {
        const res = await c.catalog({ path, bytes: EMPTY, source }, ctx);
        sink.packages.push(...res.packages);
        for (const e of res.errors) sink.errors.push({ cataloger: c.id, path: e.path, error: e.error });
      } catch (err) {
        if (err instanceof ScanError && err.code === 'aborted') throw err;
        sink.errors.push({ cataloger: c.id, path, error: serializeError(err) });
      }
    }
    out.walk.bytesRead += read;
    if (read > 0) sink.filesRead.push(path);
  });

  // 4. Each file read once (in parallel), the same bytes to every cataloger that takes it; the
  //    reads in flight hold at most MAX_LANG_INFLIGHT_BYTES (16 × MAX_LANG_FILE_BYTES otherwise).
  const gate = new ByteGate(limits.MAX_LANG_INFLIGHT_BYTES);
  await pool(concurrency, wanted.length, async (k) => {
    const i = byIno[k]!;
    const fits = takers[i]!;
    if (fits.length === 0) return;
    checkAborted(ctx.signal);
    const { path, ino } = wanted[i]!;
    const sink = perFile[i]!;
    // The bytes stay held until every cataloger is done with them: the gate is released last.
    const size = sizes[i]!;
    await gate.acquire(size);
    try {
      let bytes: Buffer;
      try {
        // The size was checked against every taker's cap above; read by inode, its blocks prefetched.
        await ctx.fs.store.prefetchData?.(ino, size);
        bytes = await ctx.fs.store.readData(ino, 0, size, ctx.signal);
      } catch (err) {
        if (err instanceof ScanError && err.code === 'aborted') throw err;
        for (const c of fits) sink.errors.push({ cataloger: c.id, path, error: serializeError(err) });
        return;
      }
      sink.filesRead.push(path);
      out.walk.bytesRead += bytes.length;
      for (const c of fits) {
        try {
          const res = await c.catalog({ path, bytes }, ctx);
          sink.packages.push(...res.packages);
          for (const e of res.errors) sink.errors.push({ cataloger: c.id, path: e.path, error: e.error });
        } catch (err) {
          if (err instanceof ScanError && err.code === 'aborted') throw err;
          sink.errors.push({ cataloger: c.id, path, error: serializeError(err) });
        }
      }
    } finally {
      gate.release(size);
    }
  });

  // Results in walk order: deterministic output.
  for (const r of perFile) {
    if (!r) continue;
    out.packages.push(...r.packages);
    out.errors.push(...r.errors);
    out.filesRead.push(...r.filesRead);
  }
  // Evidence files (lockfiles) merged into the packages they are about.
  for (const c of lang) if (c.settle) out.packages = c.settle(out.packages);
  if (osPackages && osPackages.length > 0) {
    // A package inside an archive (`app.jar!/BOOT-INF/lib/x.jar`) belongs to whoever owns the
    // archive; one located somewhere else than the file read (rare) is asked about now.
    const fileOf = (loc: string) => {
      const nested = loc.indexOf('!/');
      return nested > 0 && asked.has(loc.slice(0, nested)) ? loc.slice(0, nested) : loc;
    };
    const late = new Set<string>();
    for (const p of out.packages) {
      const loc = p.locations[0]?.path;
      if (loc && !asked.has(fileOf(loc))) late.add(loc);
    }
    if (late.size > 0) await resolveOwners(late, osPackages, ctx, owners, out.errors);
    for (const p of out.packages) {
      const owner = p.ownedBy ? undefined : owners.get(fileOf(p.locations[0]?.path ?? ''));
      if (owner) p.ownedBy = owner.purl;
    }
  }
  return out;
}

/** Which OS package owns each of `paths` (first module that answers wins), added to `owners`. */
async function resolveOwners(
  paths: ReadonlySet<string>,
  osPackages: readonly Package[],
  ctx: CatalogContext,
  owners: Map<string, Package>,
  errors: LangWalkResult['errors'],
): Promise<void> {
  if (paths.size === 0) return;
  for (const m of PACKAGE_MODULES) {
    if (!m.owners) continue;
    const mine = osPackages.filter((p) => p.type === m.packageType.id);
    if (mine.length === 0) continue;
    const res = await m.owners(paths, mine, ctx);
    for (const e of res.errors) errors.push({ cataloger: m.id, path: e.path, error: e.error });
    for (const [path, pkg] of res.owners) if (!owners.has(path)) owners.set(path, pkg);
  }
}

/**
 * Attributes each language package whose file an OS package lists (dpkg info/*.list, rpm file
 * lists) to that OS package (`ownedBy`). The type modules that know file ownership answer
 * (PackageModule.owners); nothing is read when no OS package of theirs is installed.
 * runLangCatalogers does this itself when given the OS packages (and uses the answer to skip
 * owned executables); this is for packages found some other way.
 */
export async function attributeOwners(
  langPackages: readonly Package[],
  osPackages: readonly Package[],
  ctx: CatalogContext,
): Promise<Array<{ cataloger: string; path: string; error: SerializedError }>> {
  const errors: LangWalkResult['errors'] = [];
  const paths = new Set<string>();
  for (const p of langPackages) if (p.locations[0]) paths.add(p.locations[0].path);
  const owners = new Map<string, Package>();
  await resolveOwners(paths, osPackages, ctx, owners, errors);
  for (const p of langPackages) {
    const owner = p.ownedBy ? undefined : owners.get(p.locations[0]?.path ?? '');
    if (owner) p.ownedBy = owner.purl;
  }
  return errors;
}

/** Runs fn(0..count-1) with at most `n` in flight. */
async function pool(n: number, count: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(n, count) }, worker));
}

/**
 * Admits parallel reads while the bytes they hold stay within `max`; one read larger than `max`
 * runs alone. Waiters are woken on every release and re-check (each read ends, so none starves).
 */
class ByteGate {
  private used = 0;
  private waiters: Array<() => void> = [];
  constructor(private readonly max: number) {}
  async acquire(n: number): Promise<void> {
    while (this.used > 0 && this.used + n > this.max) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    this.used += n;
  }
  release(n: number): void {
    this.used -= n;
    const w = this.waiters;
    this.waiters = [];
    for (const wake of w) wake();
  }
}

/**
 * Breadth-first walk with up to `concurrency` directories read at once (one at a time costs a
 * round trip per directory over EBS). Bounds as PathFileSystem.walk: MAX_LANG_WALK_DEPTH,
 * MAX_LANG_WALK_ENTRIES, each directory inode listed once (hard-linked or corrupt directory
 * cycles end there), symlinks not followed, skipped directories not entered. An unreadable
 * directory is reported and the walk goes on; a bound (or an error thrown by `onEntry`) stops it
 * and is rethrown once the reads in flight end.
 */
async function parallelWalk(
  ctx: CatalogContext,
  root: string,
  opts: {
    concurrency: number;
    skip: (path: string) => boolean;
    onError: (path: string, err: unknown) => void;
  },
  onEntry: (path: string, ino: number, type: FileType) => void,
): Promise<void> {
  const { fs, limits, signal } = ctx;
  const start =
    root === '/'
      ? { ino: fs.store.rootIno, path: '' }
      : { ino: (await fs.stat(root)).ino, path: await fs.resolve(root) };
  const visited = new Set<number>([start.ino]);
  const queue: Array<{ path: string; ino: number; depth: number }> = [{ ...start, depth: 0 }];
  let entries = 0;
  let stopped: unknown;
  const visit = async (dir: { path: string; ino: number; depth: number }) => {
    checkAborted(signal);
    let list: DirEntry[];
    try {
      list = await fs.store.readDir(dir.ino, signal);
    } catch (err) {
      if (err instanceof ScanError && err.code === 'aborted') throw err;
      opts.onError(dir.path || '/', err);
      return;
    }
    for (const e of list) {
      if (stopped) return;
      if (++entries > limits.MAX_LANG_WALK_ENTRIES) {
        throw new LimitExceededError(
          { format: fs.type, struct: 'walk', offset: 0 },
          'MAX_LANG_WALK_ENTRIES',
          entries,
          limits.MAX_LANG_WALK_ENTRIES,
        );
      }
      const path = `${dir.path}/${e.name}`;
      let type = e.type;
      if (type === 'unknown') {
        try {
          type = (await fs.store.stat(e.ino)).type;
        } catch (err) {
          if (err instanceof ScanError && err.code === 'aborted') throw err;
          opts.onError(path, err);
          continue;
        }
      }
      onEntry(path, e.ino, type);
      if (
        type === 'dir' &&
        dir.depth + 1 < limits.MAX_LANG_WALK_DEPTH &&
        !visited.has(e.ino) &&
        !opts.skip(path)
      ) {
        visited.add(e.ino);
        queue.push({ path, ino: e.ino, depth: dir.depth + 1 });
      }
    }
  };
  await new Promise<void>((resolve) => {
    let active = 0;
    const pump = () => {
      while (!stopped && active < opts.concurrency && queue.length > 0) {
        const dir = queue.shift()!;
        active++;
        visit(dir).then(
          () => {
            active--;
            pump();
          },
          (err: unknown) => {
            active--;
            stopped ??= err;
            pump();
          },
        );
      }
      if (active === 0 && (stopped !== undefined || queue.length === 0)) resolve();
    };
    pump();
  });
  if (stopped !== undefined) throw stopped;
}
