/**
 * FileSystem: what catalogers see. Implementations (ext4, xfs) provide an InodeStore — the
 * inode-level operations — and `PathFileSystem` (path-fs.ts) turns it into path operations with
 * symlink resolution confined to the image root, shared by every filesystem.
 */
import type { BlockSource } from '../block/types.js';

export type FileType = 'file' | 'dir' | 'symlink' | 'chardev' | 'blockdev' | 'fifo' | 'socket' | 'unknown';

export interface Stat {
  ino: number;
  type: FileType;
  /** Permission and type bits as in st_mode. */
  mode: number;
  size: number;
  uid: number;
  gid: number;
  nlink: number;
  /** Seconds since the epoch. */
  mtime: number;
}

export interface DirEntry {
  name: string;
  ino: number;
  /** From the directory entry when the format records it (ext4 filetype, XFS ftype), else 'unknown'. */
  type: FileType;
}

/** Inode-level operations a filesystem implements. Inode numbers are validated by the implementation. */
export interface InodeStore {
  readonly fsType: string;
  readonly rootIno: number;
  readonly blockSize: number;
  readonly label: string;
  readonly uuid: string;
  readonly source: BlockSource;
  stat(ino: number): Promise<Stat>;
  /** Entries of a directory, without '.' and '..'. Bounded by MAX_DIR_ENTRIES. */
  readDir(ino: number, signal?: AbortSignal): Promise<DirEntry[]>;
  /** Bytes [offset, offset+length) of a regular file (holes read as zeros); short at EOF. */
  readData(ino: number, offset: number, length: number, signal?: AbortSignal): Promise<Buffer>;
  /** Target of a symlink (bounded by MAX_SYMLINK_BYTES). */
  readLink(ino: number): Promise<string>;
  /**
   * Optional: ask the block source to fetch a file's blocks in parallel before it is read — bytes
   * [from, min(size, maxBytes)), from 0 by default.
   */
  prefetchData?(ino: number, maxBytes: number, from?: number): Promise<void>;
  /**
   * Optional readahead hints for a walk (never throw, return at once): the inode-table ranges that
   * hold these inodes, and the blocks of these directories, will be read soon. Stores forward them
   * to `source.prefetch` (a latency-bound source fetches them in parallel); bounded by the store.
   */
  prefetchInodes?(inos: readonly number[]): void;
  prefetchDirs?(inos: readonly number[]): void;
}

export interface WalkEntry {
  path: string;
  ino: number;
  type: FileType;
  depth: number;
}

export interface WalkOptions {
  maxDepth?: number;
  maxEntries?: number;
  signal?: AbortSignal;
  /** Return false to skip descending into a directory (e.g. /proc, /sys). */
  descend?: (path: string) => boolean;
  /** Called for directories that could not be read; the walk continues. */
  onError?: (path: string, err: unknown) => void;
  /**
   * The caller stats (or reads the inode of) regular files it meets: hint their inodes ahead too.
   * Directories' inodes and blocks, and entries of unknown type, are always hinted.
   */
  readaheadFileInodes?: boolean;
}

export interface FileSystem {
  readonly type: string;
  readonly label: string;
  readonly uuid: string;
  readonly store: InodeStore;
  /** Follows symlinks. */
  stat(path: string): Promise<Stat>;
  /** Does not follow a final symlink. */
  lstat(path: string): Promise<Stat>;
  exists(path: string): Promise<boolean>;
  readdir(path: string, signal?: AbortSignal): Promise<DirEntry[]>;
  /** Whole file, following symlinks; throws LimitExceededError when larger than maxBytes. */
  readFile(path: string, opts?: { maxBytes?: number; signal?: AbortSignal }): Promise<Buffer>;
  readlink(path: string): Promise<string>;
  /** Canonical absolute path inside the image root, all symlinks resolved (at most MAX_SYMLINK_HOPS). */
  resolve(path: string): Promise<string>;
  /** Bounded depth-first walk; does not follow symlinks. */
  walk(root: string, opts?: WalkOptions): AsyncGenerator<WalkEntry>;
}

/** A filesystem format: probe answers "is this mine?" and raises only BadMagicError otherwise. */
export interface FsFormat {
  readonly id: string;
  readonly displayName: string;
  readonly specUrls: readonly string[];
  readonly version: number;
  probe(source: BlockSource): Promise<boolean>;
  open(source: BlockSource, opts?: { signal?: AbortSignal }): Promise<InodeStore>;
}

export function typeFromMode(mode: number): FileType {
  switch (mode & 0o170000) {
    case 0o100000:
      return 'file';
    case 0o040000:
      return 'dir';
    case 0o120000:
      return 'symlink';
    case 0o020000:
      return 'chardev';
    case 0o060000:
      return 'blockdev';
    case 0o010000:
      return 'fifo';
    case 0o140000:
      return 'socket';
    default:
      return 'unknown';
  }
}
