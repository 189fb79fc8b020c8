/**
 * rpm package database cataloger: one cataloger for rpm's three backends, chosen by the file's
 * content, never by its name:
 *
 *   bytes 0-15 "SQLite format 3\0"   → sqlite.ts  (rpm >= 4.16: RHEL 9, Fedora >= 33, Mariner 2, AL2023)
 *   bytes 12-15 0x061561 (LE or BE)  → bdb.ts     (Berkeley DB hash: RHEL <= 8, CentOS, AL2, SLES 12)
 *   bytes 0-3 "RpmP"                 → ndb.ts     (rpm ndb: SUSE >= 15.3)
 *
 * Each backend yields header blobs (header-blob.ts) which become packages (record.ts, package.ts).
 * `gpg-pubkey` entries are the keys rpm imported (`rpm --import`), not software: they are left out
 * of `packages` and returned in `gpgPubkeys` (RpmCatalogResult), each with metadata.pseudoPackage.
 * The CBL-Mariner distroless text manifest has its own small cataloger (manifest.ts).
 *
 * Specs: https://rpm-software-management.github.io/rpm/manual/format_header.html ,
 * rpm lib/backend/{sqlite.c,bdb_ro.c,ndb/rpmpkg.c}, Berkeley DB 5.3 dbinc/db_page.h.
 */
import { readFile } from 'node:fs/promises';
import {
  BadMagicError,
  checkAborted,
  LimitExceededError,
  ScanError,
  serializeError,
} from '../../../engine/errors.js';
import { DEFAULT_LIMITS } from '../../../engine/limits.js';
import type { Package } from '../../../engine/model/package.js';
import type { CatalogContext, Cataloger, CatalogFile, CatalogResult } from '../../cataloger.js';
import { probeBdb, readBdbRpmdb } from './bdb.js';
import { rpmManifestCataloger } from './manifest.js';
import { probeNdb, readNdbRpmdb } from './ndb.js';
import { rpmRecordToPackage } from './package.js';
import { decodeRpmPackage } from './record.js';
import { iterateSqliteRpmdb, probeSqlite } from './sqlite.js';
import type { RpmDbRead, RpmDbRecord } from './types.js';

export { rpmManifestCataloger };

export const id = 'pkgdb/rpm';
export const displayName = 'rpm database (sqlite, Berkeley DB hash, ndb)';
export const version = 1;
export const specUrls = [
  'https://rpm-software-management.github.io/rpm/manual/format_header.html',
  'https://github.com/rpm-software-management/rpm/blob/master/lib/backend/ndb/rpmpkg.c',
  'https://github.com/rpm-software-management/rpm/blob/master/lib/backend/sqlite.c',
  'https://github.com/berkeleydb/libdb/blob/master/src/dbinc/db_page.h',
] as const;

export type RpmDbFormat = 'sqlite' | 'bdb' | 'ndb';

/** Content-based detection; BadMagicError when the bytes are none of rpm's databases. */
export function detectRpmDbFormat(bytes: Buffer): RpmDbFormat {
  if (probeSqlite(bytes)) return 'sqlite';
  if (probeNdb(bytes)) return 'ndb';
  if (probeBdb(bytes)) return 'bdb';
  throw new BadMagicError(
    { format: 'rpm/db', struct: 'file', offset: 0 },
    bytes.subarray(0, 16).toString('hex'),
    'SQLite, Berkeley DB hash or ndb magic',
  );
}

export function readRpmDb(
  bytes: Buffer,
  limits: CatalogContext['limits'] = { ...DEFAULT_LIMITS },
  signal?: AbortSignal,
): RpmDbRead & { format: RpmDbFormat } {
  const format = detectRpmDbFormat(bytes);
  switch (format) {
    case 'sqlite': {
      const errors: ScanError[] = [];
      const records = [...iterateSqliteRpmdb({ bytes }, limits, errors)];
      return { format, records, errors };
    }
    case 'ndb':
      return { format, ...readNdbRpmdb(bytes, limits, signal) };
    case 'bdb':
      return { format, ...readBdbRpmdb(bytes, limits, signal) };
  }
}

export interface RpmCatalogResult extends CatalogResult {
  format: RpmDbFormat;
  /** Imported signing keys (`gpg-pubkey-<keyid>-<date>`), kept apart from software packages. */
  gpgPubkeys: Package[];
}

const DIRS = ['/var/lib/rpm', '/usr/lib/sysimage/rpm'];
const FILES = ['rpmdb.sqlite', 'Packages', 'Packages.db'];
const PATHS = DIRS.flatMap((d) => FILES.map((f) => `${d}/${f}`));

// Fedora >= 36 and openSUSE make /var/lib/rpm a symlink to /usr/lib/sysimage/rpm: the same
// database sits under two of our paths. The dispatcher resolves each path and offers the file once,
// under its canonical path (readers/dispatch.ts), so the cataloger does not check for aliases.

type Decoded = { key: number; pkg: Package; gpg: boolean };

/** Decodes one header record; a bad header is reported, the other records still count. */
function decodeRecord(
  r: RpmDbRecord,
  file: CatalogFile,
  ctx: CatalogContext,
  fmt: string,
  out: Decoded[],
  errors: RpmCatalogResult['errors'],
): void {
  checkAborted(ctx.signal);
  try {
    const rec = decodeRpmPackage(r.blob, { base: r.offset, format: fmt, limits: ctx.limits });
    const pkg = rpmRecordToPackage(rec, { foundBy: id, path: file.path, os: ctx.os });
    const gpg = rec.name === 'gpg-pubkey';
    if (gpg) pkg.metadata = { ...pkg.metadata, pseudoPackage: 'gpg-pubkey', instance: r.key };
    out.push({ key: r.key, pkg, gpg });
  } catch (err) {
    if (!(err instanceof ScanError) || err.code === 'aborted') throw err;
    errors.push({
      path: file.path,
      error: serializeError(new ScanError(err.code, `header ${r.key}: ${err.message}`, { cause: err })),
    });
  }
}

/**
 * Memory: every backend hands over one header at a time, decoded and dropped before the next, so a
 * scan holds the packages plus one blob. SQLite works from the spilled copy above the spill
 * threshold (page cache only); Berkeley DB and ndb need the whole file in memory, so a spilled
 * file of theirs is read back only up to MAX_RPMDB_IN_MEMORY_BYTES.
 */
export async function catalogRpmDb(file: CatalogFile, ctx: CatalogContext): Promise<RpmCatalogResult> {
  const format = detectRpmDbFormat(file.bytes);
  const out: RpmCatalogResult = { format, packages: [], gpgPubkeys: [], errors: [] };
  const fmt = `rpm/${format}`;
  const decoded: Decoded[] = [];
  const readErrors: ScanError[] = [];
  const emit = (r: RpmDbRecord) => decodeRecord(r, file, ctx, fmt, decoded, out.errors);
  if (format === 'sqlite') {
    const input = file.spill ? { file: file.spill.path, size: file.spill.size } : { bytes: file.bytes };
    for (const r of iterateSqliteRpmdb(input, ctx.limits, readErrors)) emit(r);
  } else {
    let bytes = file.bytes;
    if (file.spill) {
      const max = ctx.limits.MAX_RPMDB_IN_MEMORY_BYTES;
      if (file.spill.size > max) {
        throw new LimitExceededError(
          { format: fmt, struct: `file ${file.path}`, offset: 0, field: 'size' },
          'MAX_RPMDB_IN_MEMORY_BYTES',
          file.spill.size,
          max,
        );
      }
      bytes = await readFile(file.spill.path);
    }
    if (format === 'bdb') readErrors.push(...readBdbRpmdb(bytes, ctx.limits, ctx.signal, emit).errors);
    else {
      const read = readNdbRpmdb(bytes, ctx.limits, ctx.signal);
      readErrors.push(...read.errors);
      for (const r of read.records) emit(r);
    }
  }
  const errors = out.errors.splice(0);
  for (const e of readErrors) out.errors.push({ path: file.path, error: serializeError(e) });
  out.errors.push(...errors);
  decoded.sort((a, b) => a.key - b.key);
  for (const d of decoded) (d.gpg ? out.gpgPubkeys : out.packages).push(d.pkg);
  return out;
}

export const rpmCataloger: Cataloger = {
  id,
  displayName,
  kind: 'os',
  version,
  specUrls,
  paths: PATHS,
  // Berkeley DB Packages files of big RHEL hosts exceed the 100 MiB dpkg-sized default.
  maxBytes: DEFAULT_LIMITS.MAX_RPMDB_BYTES,
  // Above this a database is copied to a temporary file instead of memory (see catalogRpmDb).
  spillAboveBytes: DEFAULT_LIMITS.RPMDB_SPILL_ABOVE_BYTES,
  catalog: catalogRpmDb,
};

export { rpmType as packageType } from './type.js';
export const catalogers: readonly Cataloger[] = [rpmCataloger, rpmManifestCataloger];
export { rpmOwners as owners } from './owners.js';
