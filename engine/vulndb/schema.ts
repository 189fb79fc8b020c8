/**
 * SQLite schema of the vulnerability store, versioned with `PRAGMA user_version`.
 *
 * One file, written only by ingest (into a temp copy that is renamed over the old file: readers never
 * see a half-written database) and opened read-only at scan time, once per match worker.
 *
 *   meta        key → value (built_at, generator)
 *   sources     one row per feed or imported path: kind, location, counts, data date, ETag/Last-Modified
 *   advisories  id → normalised Advisory (engine/model/advisory.ts) as JSON, plus the columns we filter on
 *   aliases     (alias, advisory_id), the advisory's own id included, so "every advisory for CVE-X" is one
 *               index lookup
 *   affected    (ecosystem, name_key) → AffectedPackage JSON; the index the matcher hits once per package
 *   severity    advisory_id → CVSS vectors / vendor ratings as the advisory gave them
 *   nvd_cvss    cve → NVD's own CVSS vectors (filled by an NVD import; empty otherwise)
 *   epss        cve → FIRST EPSS score and percentile of one daily file
 *   kev         cve → CISA Known Exploited Vulnerabilities entry
 *
 * Bump SCHEMA_VERSION on any change, including how `name_key` is derived (nameKey): a scan refuses
 * another version with a message that says so (a silent mismatch would read wrong columns or miss
 * keys), and the next import/update migrates a file it knows how to (MIGRATIONS) or rebuilds it.
 *
 *   1 → 2  NuGet and Packagist name keys became lower case (NuGet ids are case-insensitive,
 *          Composer names are lower case): their `affected` rows are re-keyed in place.
 */
import type Database from 'better-sqlite3';
import { ScanError } from '../errors.js';

export const SCHEMA_VERSION = 2;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS sources (
  name TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  location TEXT NOT NULL,
  records INTEGER NOT NULL DEFAULT 0,
  affected INTEGER NOT NULL DEFAULT 0,
  imported_at TEXT NOT NULL,
  data_date TEXT,
  etag TEXT,
  last_modified TEXT
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS advisories (
  id TEXT PRIMARY KEY,
  source_name TEXT NOT NULL,
  source TEXT NOT NULL,
  published TEXT,
  modified TEXT,
  withdrawn TEXT,
  vendor_severity TEXT,
  record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS advisories_source ON advisories(source_name);

CREATE TABLE IF NOT EXISTS aliases (
  alias TEXT NOT NULL,
  advisory_id TEXT NOT NULL,
  PRIMARY KEY (alias, advisory_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS aliases_advisory ON aliases(advisory_id);

CREATE TABLE IF NOT EXISTS affected (
  advisory_id TEXT NOT NULL,
  ecosystem TEXT NOT NULL,
  name_key TEXT NOT NULL,
  name TEXT NOT NULL,
  name_is_source INTEGER NOT NULL DEFAULT 0,
  record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS affected_lookup ON affected(ecosystem, name_key);
CREATE INDEX IF NOT EXISTS affected_advisory ON affected(advisory_id);

CREATE TABLE IF NOT EXISTS severity (
  advisory_id TEXT NOT NULL,
  type TEXT NOT NULL,
  score TEXT NOT NULL,
  source TEXT
);
CREATE INDEX IF NOT EXISTS severity_advisory ON severity(advisory_id);

CREATE TABLE IF NOT EXISTS nvd_cvss (
  cve TEXT NOT NULL,
  version TEXT NOT NULL,
  vector TEXT NOT NULL,
  base_score REAL,
  PRIMARY KEY (cve, version)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS epss (
  cve TEXT PRIMARY KEY,
  score REAL NOT NULL,
  percentile REAL NOT NULL,
  model_version TEXT,
  score_date TEXT
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS kev (
  cve TEXT PRIMARY KEY,
  vendor TEXT,
  product TEXT,
  name TEXT,
  date_added TEXT,
  due_date TEXT,
  ransomware TEXT,
  record TEXT NOT NULL
) WITHOUT ROWID;
`;

export class VulnDbSchemaError extends ScanError {
  readonly found: number;
  constructor(path: string, found: number) {
    super(
      'vulndb-schema-mismatch',
      `vulndb: ${path} has schema version ${found}, this snapscan needs ${SCHEMA_VERSION}: run \`snapscan db update\` or \`snapscan db import\` to rebuild it`,
    );
    this.found = found;
  }
}

export function schemaVersionOf(db: Database.Database): number {
  return Number(db.pragma('user_version', { simple: true }));
}

/**
 * In-place upgrades, from version `n` to `n + 1`, for changes that only re-derive data we hold.
 * (Versions 0 is an empty file: SCHEMA_SQL.)
 */
const MIGRATIONS: Readonly<Record<number, (db: Database.Database) => void>> = {
  1: (db) => {
    const rows = db
      .prepare("SELECT rowid AS id, ecosystem, name FROM affected WHERE ecosystem IN ('NuGet', 'Packagist')")
      .all() as Array<{ id: number; ecosystem: string; name: string }>;
    const update = db.prepare('UPDATE affected SET name_key = ? WHERE rowid = ?');
    for (const r of rows) update.run(nameKey(r.ecosystem, r.name), r.id);
  },
};

/** Whether migrate() can bring a file of version `found` to SCHEMA_VERSION. */
export function canMigrate(found: number): boolean {
  if (found === 0 || found === SCHEMA_VERSION) return true;
  if (found > SCHEMA_VERSION) return false;
  for (let v = found; v < SCHEMA_VERSION; v++) if (!MIGRATIONS[v]) return false;
  return true;
}

/** Creates the tables in an empty database, migrates an older one, or refuses one it cannot read. */
export function migrate(db: Database.Database, path: string): void {
  const found = schemaVersionOf(db);
  if (found === SCHEMA_VERSION) return;
  if (found === 0) {
    db.exec(SCHEMA_SQL);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
    return;
  }
  if (!canMigrate(found)) throw new VulnDbSchemaError(path, found);
  db.transaction(() => {
    for (let v = found; v < SCHEMA_VERSION; v++) MIGRATIONS[v]!(db);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
}

/**
 * Name key used by the (ecosystem, name) index, the same for advisories when they are stored and
 * for installed packages when they are looked up:
 * - PyPI: PEP 503 normalisation (https://peps.python.org/pep-0503/#normalized-names): lower case,
 *   runs of `-`, `_`, `.` → `-` (`PyYAML` = `pyyaml`, `zope.interface` = `zope-interface`);
 * - NuGet: package ids are case-insensitive (https://learn.microsoft.com/en-us/nuget/reference/nuspec#id):
 *   lower case (`Newtonsoft.Json` = `newtonsoft.json`);
 * - Packagist: Composer names are lower case (https://getcomposer.org/doc/04-schema.md#name): lower case.
 * Every other ecosystem compares names exactly (npm and Maven names are case-sensitive).
 */
export function nameKey(ecosystem: string, name: string): string {
  if (ecosystem === 'PyPI') return name.toLowerCase().replace(/[-_.]+/g, '-');
  if (ecosystem === 'NuGet' || ecosystem === 'Packagist') return name.toLowerCase();
  return name;
}
