/**
 * Path operations over an InodeStore, shared by every filesystem. Absolute paths only; symlinks
 * are resolved inside the image root (an absolute target restarts at the image's '/', '..' at the
 * root stays at the root), at most MAX_SYMLINK_HOPS per lookup, like the kernel's MAXSYMLINKS.
 */
import { checkAborted, LimitExceededError, NotFoundError, ScanError } from '../../engine/errors.js';
import { DEFAULT_LIMITS, type Limits } from '../../engine/limits.js';
import type { DirEntry, FileSystem, InodeStore, Stat, WalkEntry, WalkOptions } from './types.js';

interface Resolved {
  ino: number;
  stat: Stat;
  /** Canonical path components. */
  parts: string[];
}

export class PathFileSystem implements FileSystem {
  readonly type: string;
  readonly label: string;
  readonly uuid: string;
  private readonly limits: Limits;
  /** Directory listings are small and re-read often by path lookups: cache name → entry. */
  private readonly dirCache = new Map<number, Map<string, DirEntry>>();
  private dirCacheEntries = 0;

  constructor(
    readonly store: InodeStore,
    limits: Partial<Limits> = {},
  ) {
    this.type = store.fsType;
    this.label = store.label;
    this.uuid = store.uuid;
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  private async lookupChild(dirIno: number, name: string): Promise<DirEntry | undefined> {
    let m = this.dirCache.get(dirIno);
    if (!m) {
      const entries = await this.store.readDir(dirIno);
      m = new Map(entries.map((e) => [e.name, e]));
      // Bound the cache: drop everything when it grows past the per-directory entry limit.
      this.dirCacheEntries += m.size;
      if (this.dirCacheEntries > this.limits.MAX_DIR_ENTRIES) {
        this.dirCache.clear();
        this.dirCacheEntries = m.size;
      }
      this.dirCache.set(dirIno, m);
    }
    return m.get(name);
  }

  private async walkPath(path: string, followLast: boolean): Promise<Resolved> {
    if (!path.startsWith('/')) throw new ScanError('invalid-argument', `path must be absolute: ${path}`);
    let hops = 0;
    const rootStat = await this.store.stat(this.store.rootIno);
    // Work list of components still to consume, and the resolved stack so far.
    let pending = splitPath(path);
    if (pending.length > this.limits.MAX_PATH_COMPONENTS) {
      throw new LimitExceededError(
        { format: this.type, struct: 'path', offset: 0 },
        'MAX_PATH_COMPONENTS',
        pending.length,
        this.limits.MAX_PATH_COMPONENTS,
      );
    }
    const stack: Array<{ name: string; ino: number; stat: Stat }> = [];
    const current = () => stack[stack.length - 1] ?? { name: '', ino: this.store.rootIno, stat: rootStat };
    while (pending.length > 0) {
      const name = pending.shift()!;
      if (name === '.') continue;
      if (name === '..') {
        stack.pop();
        continue;
      }
      const dir = current();
      if (dir.stat.type === 'unknown')
        // An inode whose mode names no file type (ext4_iget "bogus i_mode", xfs_dinode_verify):
        // the directory it was is unreadable, which is not the same as the path being absent.
        throw new ScanError(
          'corrupt',
          `${this.type}: inode ${dir.ino} (/${stack.map((s) => s.name).join('/')}) has no valid file type in its mode`,
        );
      if (dir.stat.type !== 'dir')
        throw new ScanError('not-a-directory', `not a directory: /${stack.map((s) => s.name).join('/')}`);
      const entry = await this.lookupChild(dir.ino, name);
      if (!entry) throw new NotFoundError(`/${[...stack.map((s) => s.name), name].join('/')}`);
      const st = await this.store.stat(entry.ino);
      const isLast = pending.length === 0;
      if (st.type === 'symlink' && (!isLast || followLast)) {
        if (++hops > this.limits.MAX_SYMLINK_HOPS) {
          throw new ScanError('symlink-loop', `too many levels of symbolic links resolving ${path}`);
        }
        const target = await this.store.readLink(entry.ino);
        const targetParts = splitPath(target);
        if (target.startsWith('/')) stack.length = 0;
        pending = [...targetParts, ...pending];
        if (pending.length > this.limits.MAX_PATH_COMPONENTS) {
          throw new LimitExceededError(
            { format: this.type, struct: 'path', offset: 0 },
            'MAX_PATH_COMPONENTS',
            pending.length,
            this.limits.MAX_PATH_COMPONENTS,
          );
        }
        continue;
      }
      stack.push({ name, ino: entry.ino, stat: st });
    }
    const last = current();
    return { ino: last.ino, stat: last.stat, parts: stack.map((s) => s.name) };
  }

  async stat(path: string): Promise<Stat> {
    return (await this.walkPath(path, true)).stat;
  }

  async lstat(path: string): Promise<Stat> {
    return (await this.walkPath(path, false)).stat;
  }

  async exists(path: string): Promise<boolean> {
    try {
      await this.walkPath(path, true);
      return true;
    } catch (err) {
      if (err instanceof ScanError && (err.code === 'not-found' || err.code === 'not-a-directory'))
        return false;
      throw err;
    }
  }

  async readdir(path: string, signal?: AbortSignal): Promise<DirEntry[]> {
    const r = await this.walkPath(path, true);
    if (r.stat.type !== 'dir') throw new ScanError('not-a-directory', `not a directory: ${path}`);
    return this.store.readDir(r.ino, signal);
  }

  async readFile(path: string, opts: { maxBytes?: number; signal?: AbortSignal } = {}): Promise<Buffer> {
    const max = opts.maxBytes ?? this.limits.DEFAULT_READ_FILE_BYTES;
    const r = await this.walkPath(path, true);
    if (r.stat.type === 'dir') throw new ScanError('is-a-directory', `is a directory: ${path}`);
    if (r.stat.type !== 'file')
      throw new ScanError('unsupported', `not a regular file: ${path} (${r.stat.type})`);
    if (r.stat.size > max) {
      throw new LimitExceededError(
        { format: this.type, struct: `file ${path}`, offset: 0, field: 'size' },
        'maxBytes',
        r.stat.size,
        max,
      );
    }
    checkAborted(opts.signal);
    await this.store.prefetchData?.(r.ino, r.stat.size);
    return this.store.readData(r.ino, 0, r.stat.size, opts.signal);
  }

  async readlink(path: string): Promise<string> {
    const r = await this.walkPath(path, false);
    if (r.stat.type !== 'symlink') throw new ScanError('invalid-argument', `not a symlink: ${path}`);
    return this.store.readLink(r.ino);
  }

  async resolve(path: string): Promise<string> {
    const r = await this.walkPath(path, true);
    return `/${r.parts.join('/')}`;
  }

  async *walk(root: string, opts: WalkOptions = {}): AsyncGenerator<WalkEntry> {
    const maxDepth = opts.maxDepth ?? this.limits.MAX_WALK_DEPTH;
    const maxEntries = opts.maxEntries ?? this.limits.MAX_INODES_VISITED;
    const start = await this.walkPath(root, true);
    if (start.stat.type !== 'dir') throw new ScanError('not-a-directory', `not a directory: ${root}`);
    const base = start.parts.length === 0 ? '' : `/${start.parts.join('/')}`;
    // Each directory inode is listed once: hard-linked or corrupt directory cycles end here.
    const visitedDirs = new Set<number>([start.ino]);
    const stack: Array<{ path: string; ino: number; depth: number }> = [
      { path: base, ino: start.ino, depth: 0 },
    ];
    let seen = 0;
    while (stack.length > 0) {
      checkAborted(opts.signal);
      const dir = stack.pop()!;
      let entries: DirEntry[];
      try {
        entries = await this.store.readDir(dir.ino, opts.signal);
      } catch (err) {
        if (err instanceof ScanError && err.code === 'aborted') throw err;
        if (opts.onError) {
          opts.onError(dir.path || '/', err);
          continue;
        }
        throw err;
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      // Readahead (a hint: sources without latency ignore it): the inodes this walk will read next
      // — subdirectories', entries of unknown type, and files' when the caller stats them — and the
      // blocks of the subdirectories it will list. The store bounds what it fetches.
      const hintInodes: number[] = [];
      const hintDirs: number[] = [];
      for (const e of entries) {
        if (e.type === 'dir') {
          hintInodes.push(e.ino);
          if (dir.depth + 1 < maxDepth && !visitedDirs.has(e.ino)) hintDirs.push(e.ino);
        } else if (e.type === 'unknown' || (e.type === 'file' && opts.readaheadFileInodes)) {
          hintInodes.push(e.ino);
        }
      }
      if (hintInodes.length > 0) this.store.prefetchInodes?.(hintInodes);
      if (hintDirs.length > 0) this.store.prefetchDirs?.(hintDirs);
      const subdirs: Array<{ path: string; ino: number; depth: number }> = [];
      for (const e of entries) {
        if (++seen > maxEntries) {
          throw new LimitExceededError(
            { format: this.type, struct: 'walk', offset: 0 },
            'MAX_INODES_VISITED',
            seen,
            maxEntries,
          );
        }
        const path = `${dir.path}/${e.name}`;
        let type = e.type;
        if (type === 'unknown') {
          try {
            type = (await this.store.stat(e.ino)).type;
          } catch (err) {
            opts.onError?.(path, err);
            continue;
          }
        }
        yield { path, ino: e.ino, type, depth: dir.depth + 1 };
        if (
          type === 'dir' &&
          dir.depth + 1 < maxDepth &&
          !visitedDirs.has(e.ino) &&
          (opts.descend?.(path) ?? true)
        ) {
          visitedDirs.add(e.ino);
          subdirs.push({ path, ino: e.ino, depth: dir.depth + 1 });
        }
      }
      // Push in reverse so the walk visits children in name order.
      for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]!);
    }
  }
}

export function splitPath(p: string): string[] {
  return p.split('/').filter((s) => s.length > 0);
}
