/**
 * The one Cataloger interface, for OS package databases and language packages alike.
 * OS catalogers name fixed paths (`paths`, where a trailing `/*` means every regular file in that
 * directory); language catalogers are offered every path of one bounded walk through `wants`.
 * The dispatcher reads each wanted file once and hands the same bytes to every cataloger.
 */
import type { SerializedError } from '../engine/errors.js';
import type { Limits } from '../engine/limits.js';
import type { OsInfo } from '../engine/model/os.js';
import type { Package } from '../engine/model/package.js';
import type { PackageTypeInfo } from '../engine/model/package-type.js';
import type { RandomAccess } from './bytes/random-access.js';
import type { FileSystem, FileType } from './fs/types.js';

export type CatalogerKind = 'os' | 'lang';

export interface CatalogContext {
  fs: FileSystem;
  os?: OsInfo;
  limits: Limits;
  signal?: AbortSignal;
}

export interface CatalogFile {
  /** Absolute path in the filesystem. */
  path: string;
  /**
   * The file's bytes (read once by the dispatcher, capped by `maxBytes`); when the file was
   * spilled (see `spill`), only its first SPILL_HEAD_BYTES.
   */
  bytes: Buffer;
  /**
   * Set when the file is larger than the cataloger's `spillAboveBytes`: a private local copy the
   * cataloger opens read-only; the dispatcher removes it once `catalog` returns or throws.
   */
  spill?: { path: string; size: number };
  /**
   * Set for catalogers with `randomAccess`: the file read by range (only what the parser asks
   * for), `bytes` is then empty. Archives and executables use it: a zip's directory and a few
   * entries, an ELF's headers and one section, never the whole file.
   */
  source?: RandomAccess;
}

export interface CatalogResult {
  packages: Package[];
  /** Per-record/per-file problems; the rest of the file was still parsed. */
  errors: Array<{ path: string; error: SerializedError }>;
}

export interface Cataloger {
  /** Namespaced id: `pkgdb/dpkg`, `lang/npm`. */
  readonly id: string;
  readonly displayName: string;
  readonly kind: CatalogerKind;
  /** Bump when output changes: it keys caches and goldens. */
  readonly version: number;
  readonly specUrls: readonly string[];
  /** Fixed paths (OS catalogers). `dir/*` = every regular file directly in dir. */
  readonly paths?: readonly string[];
  /**
   * Cheap, no I/O: does this cataloger want this path? `size` (and `mode`) are given when already
   * known: OS directory patterns stat the file; the language walk offers the directory entry's
   * type first, stats the files some cataloger wants, then asks again with size and mode (a
   * cataloger that selects by mode, as `executables` ones do, answers "maybe" without it), and
   * checks the size against `maxBytes` before reading.
   */
  wants?(path: string, stat: { type: FileType; size?: number; mode?: number }): boolean;
  /**
   * Executable catalogers (Go, Rust binaries): the language walk offers them every regular file
   * with an execute bit wherever it lies (`wants` sees the mode), skips a file an OS package lists
   * as its own before reading any of it (dpkg `.list`, rpm file lists: the distro's advisories
   * cover it), then reads its first bytes and hands it over only when `magic` accepts them (ELF,
   * PE, Mach-O). Requires `randomAccess`.
   */
  readonly executables?: boolean;
  /** With `executables`: does this file start like one of the cataloger's formats (first MAGIC_BYTES)? */
  readonly magic?: (head: Buffer) => boolean;
  /** Largest file it accepts (defaults to MAX_PKGDB_BYTES for OS, MAX_LANG_FILE_BYTES for lang catalogers). */
  readonly maxBytes?: number;
  /** Largest file as a named limit, read from the scan's limits (so tests can lower it); wins over maxBytes. */
  readonly maxBytesLimit?: keyof Limits;
  /** Hand the file over as `CatalogFile.source` (ranged reads) instead of reading it whole. */
  readonly randomAccess?: boolean;
  /** Files larger than this are handed over as a temporary local copy (`CatalogFile.spill`), not in memory. */
  readonly spillAboveBytes?: number;
  catalog(file: CatalogFile, ctx: CatalogContext): Promise<CatalogResult>;
  /**
   * For catalogers whose files are evidence about packages other files report (npm's
   * package-lock.json about the node_modules/<name>/package.json files): called once after the walk with every
   * package it found, in walk order; returns the list to keep, the evidence merged into the
   * packages it is about. No I/O.
   */
  settle?(packages: Package[]): Package[];
}

/**
 * One package type's folder (`readers/pkgdb/dpkg`, `readers/lang/pypi`): its metadata, the type's
 * own knowledge (purl, advisory namespace, comparator, package manager) and its catalogers. A new
 * type is its folder plus one line in readers/catalogers.ts.
 */
export interface PackageModule {
  /** `pkgdb/dpkg`, `lang/pypi`: ends with the folder name. */
  readonly id: string;
  readonly displayName: string;
  readonly specUrls: readonly string[];
  readonly version: number;
  readonly packageType: PackageTypeInfo;
  readonly catalogers: readonly Cataloger[];
  /**
   * OS package types: which of `paths` an installed package of this type lists as its own
   * (dpkg's info/*.list, rpm's header file list). Language packages found there are attributed
   * to that package and matched through the distro's advisories, not twice.
   */
  readonly owners?: (
    paths: ReadonlySet<string>,
    packages: readonly Package[],
    ctx: CatalogContext,
  ) => Promise<{ owners: Map<string, Package>; errors: Array<{ path: string; error: SerializedError }> }>;
}
