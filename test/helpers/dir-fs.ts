/**
 * DirFileSystem: a real directory on the local disk served through the FileSystem interface
 * (readers/fs/types.ts), for tests of catalogers and OS detection against unpacked fixture trees.
 *
 * It implements the inode level (InodeStore) over the host directory and hands it to the shared
 * PathFileSystem, so path lookups, symlink resolution confined to the image root (an absolute
 * target restarts at the fixture root, `..` at the root stays there), readFile's maxBytes check and
 * the bounded walk behave exactly as they do on an ext4 or XFS image. Host inode numbers are used as
 * inode numbers; a host path is only ever reached through a readDir of its parent, so nothing
 * outside the root can be opened.
 *
 *   const fs = dirFileSystem('/work/shared/fixtures/dpkg/syft-image-dpkg');
 *   await fs.readFile('/var/lib/dpkg/status', { maxBytes: 1 << 20 });
 */
import { lstatSync, realpathSync } from 'node:fs';
import { lstat, open, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { NotFoundError, ScanError } from '../../engine/errors.js';
import type { Limits } from '../../engine/limits.js';
import type { BlockSource } from '../../readers/block/types.js';
import { PathFileSystem } from '../../readers/fs/path-fs.js';
import {
  type DirEntry,
  type FileSystem,
  type FileType,
  type InodeStore,
  type Stat,
  typeFromMode,
} from '../../readers/fs/types.js';

/** A zero-length block source: a directory tree has no blocks; present only to satisfy the type. */
const emptySource: BlockSource = {
  id: 'dir',
  size: 0n,
  blockSize: 4096,
  async read(offset: bigint, length: number): Promise<Buffer> {
    if (length === 0 && offset === 0n) return Buffer.alloc(0);
    throw new ScanError('source-error', 'dir-fs: a directory tree has no block source');
  },
};

function toStat(st: import('node:fs').Stats): Stat {
  return {
    ino: st.ino,
    type: typeFromMode(st.mode),
    mode: st.mode,
    size: st.size,
    uid: st.uid,
    gid: st.gid,
    nlink: st.nlink,
    mtime: Math.floor(st.mtimeMs / 1000),
  };
}

export class DirInodeStore implements InodeStore {
  readonly fsType = 'dir';
  readonly rootIno: number;
  readonly blockSize = 4096;
  readonly label: string;
  readonly uuid = '';
  readonly source = emptySource;
  /** ino → host path, filled by readDir (and the root at construction). */
  private readonly paths = new Map<number, string>();

  constructor(readonly root: string) {
    const real = realpathSync(root);
    const st = lstatSync(real);
    if (!st.isDirectory()) throw new ScanError('not-a-directory', `dir-fs: not a directory: ${root}`);
    this.rootIno = st.ino;
    this.label = real;
    this.paths.set(st.ino, real);
  }

  private hostPath(ino: number): string {
    const p = this.paths.get(ino);
    if (p === undefined) throw new NotFoundError(`inode ${ino}`, `dir-fs: unknown inode ${ino}`);
    return p;
  }

  async stat(ino: number): Promise<Stat> {
    return toStat(await lstat(this.hostPath(ino)));
  }

  async readDir(ino: number): Promise<DirEntry[]> {
    const dir = this.hostPath(ino);
    const names = await readdir(dir, { withFileTypes: true });
    const out: DirEntry[] = [];
    for (const d of names) {
      const full = join(dir, d.name);
      const st = await lstat(full);
      this.paths.set(st.ino, full);
      const type: FileType = typeFromMode(st.mode);
      out.push({ name: d.name, ino: st.ino, type });
    }
    return out;
  }

  async readData(ino: number, offset: number, length: number): Promise<Buffer> {
    const fh = await open(this.hostPath(ino), 'r');
    try {
      const buf = Buffer.alloc(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await fh.read(buf, done, length - done, offset + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done === length ? buf : buf.subarray(0, done);
    } finally {
      await fh.close();
    }
  }

  async readLink(ino: number): Promise<string> {
    return readlink(this.hostPath(ino));
  }
}

/** A FileSystem rooted at `root` (a host directory), with the same path semantics as a disk image. */
export function dirFileSystem(root: string, limits: Partial<Limits> = {}): FileSystem {
  return new PathFileSystem(new DirInodeStore(root), limits);
}

/** The same FileSystem whose store records the inode of every data read. */
export function countingReads(fs: FileSystem, reads: number[]): FileSystem {
  const store = new Proxy(fs.store, {
    get(target, prop, recv) {
      if (prop === 'readData')
        return (ino: number, off: number, len: number, signal?: AbortSignal) => {
          reads.push(ino);
          return target.readData(ino, off, len, signal);
        };
      const v = Reflect.get(target, prop, recv);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return new Proxy(fs, {
    get(target, prop, recv) {
      if (prop === 'store') return store;
      const v = Reflect.get(target, prop, recv);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}
