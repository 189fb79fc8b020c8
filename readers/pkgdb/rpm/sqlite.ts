/**
 * rpm's SQLite backend (rpm >= 4.16, lib/backend/sqlite.c): `rpmdb.sqlite` with
 *
 *   CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)
 *
 * one header blob per row, keyed by the header instance number. The index tables (Name,
 * Basenames, …) are not needed to list packages.
 *
 * A small file is deserialised in memory with better-sqlite3 (no file is opened, nothing is
 * written); a large one (above the cataloger's spill threshold) arrives as a private local copy the
 * dispatcher made, which SQLite opens read-only with an 8 MiB page cache, so memory does not grow
 * with the file. rpm keeps the database in WAL mode (header bytes 18/19 = 2); an in-memory database
 * cannot use WAL, and a read-only file would need the -shm file, so those bytes are set to 1
 * (rollback journal) in the copy. Transactions
 * still sitting in `rpmdb.sqlite-wal` are not seen (neither does a reader of the main file alone).
 * Untrusted schema: `Packages` must be an ordinary table (not a view or a virtual table, whose
 * evaluation could run arbitrary SQL such as an endless recursive CTE), and trusted_schema is off.
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import Database from 'better-sqlite3';
import {
  BadMagicError,
  CorruptError,
  FormatError,
  LimitExceededError,
  ScanError,
} from '../../../engine/errors.js';
import { DEFAULT_LIMITS, type Limits } from '../../../engine/limits.js';
import type { RpmDbRead, RpmDbRecord } from './types.js';

export const FORMAT = 'rpm/sqlite';
const MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

export function probeSqlite(bytes: Buffer): boolean {
  return bytes.length >= 100 && bytes.subarray(0, 16).equals(MAGIC);
}

function wrap(err: unknown, struct: string): ScanError {
  if (err instanceof ScanError) return err;
  const code = (err as { code?: unknown }).code;
  const msg = err instanceof Error ? err.message : String(err);
  // SQLITE_CORRUPT / SQLITE_NOTADB and friends: the file is not a sound database.
  return new FormatError(
    'corrupt',
    { format: FORMAT, struct, offset: 0 },
    `sqlite ${String(code ?? 'error')}: ${msg}`,
    {
      cause: err,
    },
  );
}

type SqliteLimits = Pick<Limits, 'MAX_PACKAGES_PER_DB'> &
  Partial<Pick<Limits, 'MAX_RPM_HEADER_BYTES' | 'MAX_RPM_HEADER_ENTRIES'>>;

/** An rpmdb.sqlite in memory, or a private local copy of it (the dispatcher's spill file). */
export type SqliteInput = { bytes: Buffer } | { file: string; size: number };

function badMagic(head: Buffer): BadMagicError {
  return new BadMagicError(
    { format: FORMAT, struct: 'sqlite header', offset: 0 },
    head.subarray(0, 16).toString('hex'),
    'SQLite format 3',
  );
}

function openDatabase(input: SqliteInput): Database.Database {
  try {
    if ('bytes' in input) {
      if (!probeSqlite(input.bytes)) throw badMagic(input.bytes);
      // deserialize() needs a buffer it may own: one copy, with the WAL bytes cleared.
      const copy = Buffer.from(input.bytes);
      // Bytes 18/19: file format write/read version, 2 = WAL. See the header comment.
      if (copy[18] === 2) copy[18] = 1;
      if (copy[19] === 2) copy[19] = 1;
      return new Database(copy, { readonly: true });
    }
    // A private copy made for this read: the WAL bytes are cleared in place (no -wal/-shm is
    // needed then), and SQLite opens it read-only; its page cache is the only memory it holds.
    const head = Buffer.alloc(100);
    const fd = openSync(input.file, 'r+');
    try {
      readSync(fd, head, 0, 100, 0);
      if (!probeSqlite(head)) throw badMagic(head);
      if (head[18] === 2 || head[19] === 2) writeSync(fd, Buffer.from([1, 1]), 0, 2, 18);
    } finally {
      closeSync(fd);
    }
    return new Database(input.file, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw wrap(err, 'database');
  }
}

/**
 * Yields the header blobs of `Packages` one at a time (a caller that decodes and drops each one
 * holds one blob, not the database's worth); per-row problems go to `errors`.
 */
export function* iterateSqliteRpmdb(
  input: SqliteInput,
  limits: SqliteLimits,
  errors: ScanError[],
): Generator<RpmDbRecord> {
  const fileBytes = 'bytes' in input ? input.bytes.length : input.size;
  const maxBlob =
    (limits.MAX_RPM_HEADER_BYTES ?? DEFAULT_LIMITS.MAX_RPM_HEADER_BYTES) +
    8 +
    16 * (limits.MAX_RPM_HEADER_ENTRIES ?? DEFAULT_LIMITS.MAX_RPM_HEADER_ENTRIES);
  const db = openDatabase(input);
  try {
    db.pragma('trusted_schema = OFF');
    // Check each b-tree cell's size against its page while reading: corruption surfaces earlier.
    db.pragma('cell_size_check = ON');
    // Page cache: 8 MiB at most, whatever the file's size (a spilled file stays on disk).
    db.pragma('cache_size = -8192');
    const schema = db
      .prepare("SELECT type, sql FROM sqlite_master WHERE name = 'Packages' COLLATE NOCASE")
      .all() as Array<{ type: string; sql: string | null }>;
    const t = schema[0];
    if (!t || schema.length !== 1) {
      throw new CorruptError(
        { format: FORMAT, struct: 'schema', offset: 0, field: 'Packages table' },
        schema.length,
        '!=',
        1,
      );
    }
    if (t.type !== 'table' || /^\s*create\s+virtual/i.test(t.sql ?? '')) {
      throw new CorruptError(
        { format: FORMAT, struct: 'schema', offset: 0, field: 'Packages type' },
        t.sql ?? t.type,
        'is not',
        'an ordinary table',
      );
    }
    // Pass 1 reads sizes only (length() of a BLOB does not load it); pass 2 loads each blob once
    // it is known to fit. The payload of sound rows cannot exceed the file: a corrupt file whose
    // rows share overflow pages is caught by that budget before memory is spent on it.
    const rows: Array<{ rowid: number; key: number; n: number }> = [];
    const list = db.prepare(
      'SELECT rowid AS rowid, hnum, typeof(blob) AS t, length(blob) AS n FROM Packages ORDER BY hnum',
    );
    for (const row of list.iterate() as Iterable<{ rowid: number; hnum: unknown; t: string; n: number }>) {
      if (rows.length + errors.length >= limits.MAX_PACKAGES_PER_DB) {
        throw new LimitExceededError(
          { format: FORMAT, struct: 'Packages', offset: 0 },
          'MAX_PACKAGES_PER_DB',
          rows.length + 1,
          limits.MAX_PACKAGES_PER_DB,
        );
      }
      const key = Number(row.hnum);
      const at = { format: FORMAT, struct: 'Packages row', offset: 0, field: `hnum ${key} blob` };
      if (row.t !== 'blob') {
        errors.push(new CorruptError(at, row.t, 'is not', 'a BLOB'));
        continue;
      }
      if (row.n > maxBlob) {
        errors.push(new LimitExceededError(at, 'MAX_RPM_HEADER_BYTES', row.n, maxBlob));
        continue;
      }
      rows.push({ rowid: row.rowid, key, n: row.n });
    }
    let budget = fileBytes;
    const get = db.prepare('SELECT blob FROM Packages WHERE rowid = ?').pluck();
    for (const r of rows) {
      budget -= r.n;
      if (budget < 0) {
        throw new CorruptError(
          { format: FORMAT, struct: 'Packages', offset: 0, field: 'total blob bytes' },
          'more',
          'than',
          `the file (${fileBytes} bytes)`,
        );
      }
      const blob = get.get(r.rowid);
      if (!Buffer.isBuffer(blob))
        throw new CorruptError(
          { format: FORMAT, struct: 'Packages row', offset: 0, field: `rowid ${r.rowid}` },
          typeof blob,
          'is not',
          'a BLOB',
        );
      yield { key: r.key, blob, offset: 0 };
    }
  } catch (err) {
    throw wrap(err, 'Packages');
  } finally {
    db.close();
  }
}

export function readSqliteRpmdb(bytes: Buffer, limits: SqliteLimits): RpmDbRead {
  const errors: ScanError[] = [];
  const records = [...iterateSqliteRpmdb({ bytes }, limits, errors)];
  return { records, errors };
}
