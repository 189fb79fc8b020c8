/**
 * rpm's SQLite backend (rpm >= 4.16, lib/backend/sqlite.c): `rpmdb.sqlite` with
 *
 *   CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)
 *
 * one header blob per row, keyed by the header instance number. The index tables (Name,
 * Basenames, …) are not needed to list packages.
 *
 * The file is deserialised in memory with better-sqlite3 (no file is opened, nothing is written).
 * rpm keeps the database in WAL mode (header bytes 18/19 = 2); an in-memory database cannot use
 * WAL, so a copy with those bytes set to 1 (rollback journal) is opened instead. Transactions
 * still sitting in `rpmdb.sqlite-wal` are not seen (neither does a reader of the main file alone).
 * Untrusted schema: `Packages` must be an ordinary table (not a view or a virtual table, whose
 * evaluation could run arbitrary SQL such as an endless recursive CTE), and trusted_schema is off.
 */
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

export function readSqliteRpmdb(
  bytes: Buffer,
  limits: Pick<Limits, 'MAX_PACKAGES_PER_DB'> &
    Partial<Pick<Limits, 'MAX_RPM_HEADER_BYTES' | 'MAX_RPM_HEADER_ENTRIES'>>,
): RpmDbRead {
  const maxBlob =
    (limits.MAX_RPM_HEADER_BYTES ?? DEFAULT_LIMITS.MAX_RPM_HEADER_BYTES) +
    8 +
    16 * (limits.MAX_RPM_HEADER_ENTRIES ?? DEFAULT_LIMITS.MAX_RPM_HEADER_ENTRIES);
  if (!probeSqlite(bytes)) {
    throw new BadMagicError(
      { format: FORMAT, struct: 'sqlite header', offset: 0 },
      bytes.subarray(0, 16).toString('hex'),
      'SQLite format 3',
    );
  }
  const copy = Buffer.from(bytes);
  // Bytes 18/19: file format write/read version, 2 = WAL. See the header comment.
  if (copy[18] === 2) copy[18] = 1;
  if (copy[19] === 2) copy[19] = 1;
  let db: Database.Database;
  try {
    db = new Database(copy, { readonly: true });
  } catch (err) {
    throw wrap(err, 'database');
  }
  try {
    db.pragma('trusted_schema = OFF');
    // Check each b-tree cell's size against its page while reading: corruption surfaces earlier.
    db.pragma('cell_size_check = ON');
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
    const records: RpmDbRecord[] = [];
    const errors: RpmDbRead['errors'] = [];
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
    let budget = bytes.length;
    const get = db.prepare('SELECT blob FROM Packages WHERE rowid = ?').pluck();
    for (const r of rows) {
      budget -= r.n;
      if (budget < 0) {
        throw new CorruptError(
          { format: FORMAT, struct: 'Packages', offset: 0, field: 'total blob bytes' },
          'more',
          'than',
          `the file (${bytes.length} bytes)`,
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
      records.push({ key: r.key, blob, offset: 0 });
    }
    return { records, errors };
  } catch (err) {
    throw wrap(err, 'Packages');
  } finally {
    db.close();
  }
}
