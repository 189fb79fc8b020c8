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
import type { Limits } from '../../../engine/limits.js';
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

export function readSqliteRpmdb(bytes: Buffer, limits: Pick<Limits, 'MAX_PACKAGES_PER_DB'>): RpmDbRead {
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
    const stmt = db.prepare('SELECT hnum, blob FROM Packages ORDER BY hnum');
    for (const row of stmt.iterate() as Iterable<{ hnum: unknown; blob: unknown }>) {
      if (records.length + errors.length >= limits.MAX_PACKAGES_PER_DB) {
        throw new LimitExceededError(
          { format: FORMAT, struct: 'Packages', offset: 0 },
          'MAX_PACKAGES_PER_DB',
          records.length + 1,
          limits.MAX_PACKAGES_PER_DB,
        );
      }
      const key = typeof row.hnum === 'bigint' ? Number(row.hnum) : Number(row.hnum);
      if (!Buffer.isBuffer(row.blob)) {
        errors.push(
          new CorruptError(
            { format: FORMAT, struct: 'Packages row', offset: 0, field: `hnum ${key} blob` },
            typeof row.blob,
            'is not',
            'a BLOB',
          ),
        );
        continue;
      }
      records.push({ key, blob: row.blob, offset: 0 });
    }
    return { records, errors };
  } catch (err) {
    throw wrap(err, 'Packages');
  } finally {
    db.close();
  }
}
