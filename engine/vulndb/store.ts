/**
 * The vulnerability store: read side (scans, one read-only connection per match worker) and write
 * side (ingest, always into a temp copy that replaces the database file by rename when complete).
 */
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { ScanError } from '../errors.js';
import { snapscanHome } from '../home.js';
import type { Advisory, AdvisoryLookup, AffectedPackage, SeverityVector } from '../model/advisory.js';
import {
  canMigrate,
  migrate,
  nameKey,
  SCHEMA_VERSION,
  schemaVersionOf,
  VulnDbSchemaError,
} from './schema.js';

/** `$SNAPSCAN_DB`, else `vulndb.sqlite` in snapscan's home (`~/.cache/snapscan`, engine/home.ts). */
export function defaultDbPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SNAPSCAN_DB) return env.SNAPSCAN_DB;
  return join(snapscanHome(env), 'vulndb.sqlite');
}

export interface EpssEntry {
  cve: string;
  score: number;
  percentile: number;
  modelVersion?: string;
  scoreDate?: string;
}

export interface KevEntry {
  cve: string;
  vendor?: string;
  product?: string;
  name?: string;
  dateAdded?: string;
  dueDate?: string;
  knownRansomwareCampaignUse?: string;
}

/** One CVSS vector known for a CVE, with who assigned it. */
export interface CvssRecord {
  /** `2.0`, `3.0`, `3.1`, `4.0`. */
  version: string;
  vector: string;
  /** Who gave it: `nvd`, or the advisory's vendor (`ghsa`, `ubuntu`, `almalinux`…). */
  source: string;
  /** The advisory that carried it (absent for NVD rows). */
  advisoryId?: string;
  /** NVD's stored base score when given; findings recompute scores from the vector anyway. */
  baseScore?: number;
}

export interface SourceInfo {
  name: string;
  kind: string;
  location: string;
  records: number;
  affected: number;
  importedAt: string;
  dataDate?: string;
  etag?: string;
  lastModified?: string;
}

export interface StoreInfo {
  path: string;
  schemaVersion: number;
  builtAt?: string;
  sizeBytes: number;
  sources: SourceInfo[];
  counts: {
    advisories: number;
    affected: number;
    aliases: number;
    epss: number;
    kev: number;
    nvdCvss: number;
  };
}

/** CVSS version from a vector string: `CVSS:3.1/…` → 3.1; a v2 vector has no prefix. */
export function cvssVersionOf(type: string, vector: string): string | undefined {
  const m = /^CVSS:(\d\.\d)\//.exec(vector);
  if (m) return m[1];
  if (type === 'CVSS_V2' || /^AV:[LAN]\/AC:[HML]\/Au:[MSN]\//.test(vector)) return '2.0';
  return undefined;
}

/** Vendor of an advisory from its id, for "who assigned this CVSS vector". */
export function vendorOf(advisory: Pick<Advisory, 'id' | 'source'>): string {
  const id = advisory.id;
  const prefixes: Array<[RegExp, string]> = [
    [/^GHSA-/, 'ghsa'],
    [/^GO-/, 'go'],
    [/^PYSEC-/, 'pypa'],
    [/^RUSTSEC-/, 'rustsec'],
    [/^ALSA-|^ALBA-|^ALEA-/, 'almalinux'],
    [/^RLSA-|^RXSA-/, 'rocky'],
    [/^USN-|^UBUNTU-|^LSN-/, 'ubuntu'],
    [/^DSA-|^DLA-|^DTSA-|^DEBIAN-/, 'debian'],
    [/^ALAS/, 'amazon'],
    [/^RHSA-|^RHBA-|^RHEA-/, 'redhat'],
    [/^SUSE-|^openSUSE-/, 'suse'],
    [/^ALPINE-/, 'alpine'],
    [/^MAL-/, 'ossf-malicious'],
  ];
  for (const [re, vendor] of prefixes) if (re.test(id)) return vendor;
  if (advisory.source === 'debian-tracker') return 'debian';
  if (advisory.source === 'alas') return 'amazon';
  return advisory.source;
}

type Row = Record<string, unknown>;

/** Parsed advisories kept per read-only store (a few KB each: ~100 MB at most). */
const ADVISORY_CACHE_ENTRIES = 20_000;

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Read side. Implements the matcher's AdvisoryLookup. */
export class VulnStore implements AdvisoryLookup {
  readonly path: string;
  readonly db: Database.Database;
  private readonly stAffected: Database.Statement;
  private readonly stEpss: Database.Statement;
  private readonly stKev: Database.Statement;
  private readonly stCvssAdvisory: Database.Statement;
  private readonly stCvssNvd: Database.Statement;
  private readonly stAdvisory: Database.Statement;
  private readonly stByAlias: Database.Statement;

  private constructor(path: string, db: Database.Database) {
    this.path = path;
    this.db = db;
    // The advisory record comes in the same query: one statement per package instead of one per
    // affected row (30,000 separate advisory look-ups cost ~0.5 s; the join ~0.08 s).
    this.stAffected = db.prepare(
      `SELECT af.advisory_id, af.record, adv.record AS advisory
         FROM affected af JOIN advisories adv ON adv.id = af.advisory_id
        WHERE af.ecosystem = ? AND af.name_key = ?
        ORDER BY af.advisory_id, af.rowid`,
    );
    this.stEpss = db.prepare('SELECT * FROM epss WHERE cve = ?');
    this.stKev = db.prepare('SELECT * FROM kev WHERE cve = ?');
    this.stCvssAdvisory = db.prepare(
      `SELECT s.advisory_id, s.type, s.score, s.source, a.source AS feed
         FROM aliases al JOIN severity s ON s.advisory_id = al.advisory_id
         JOIN advisories a ON a.id = al.advisory_id
        WHERE al.alias = ? ORDER BY s.advisory_id, s.rowid`,
    );
    this.stCvssNvd = db.prepare('SELECT * FROM nvd_cvss WHERE cve = ? ORDER BY version DESC');
    this.stAdvisory = db.prepare('SELECT record FROM advisories WHERE id = ?');
    this.stByAlias = db.prepare(
      `SELECT a.record FROM aliases al JOIN advisories a ON a.id = al.advisory_id
        WHERE al.alias = ? ORDER BY a.id`,
    );
  }

  /** Opens the store read-only (scans). Throws when it is missing or of another schema version. */
  static openReadOnly(path: string = defaultDbPath()): VulnStore {
    if (!existsSync(path)) {
      throw new ScanError(
        'vulndb-missing',
        `vulndb: no database at ${path}: run \`snapscan db update\` or \`snapscan db import DIR\``,
      );
    }
    const db = new Database(path, { readonly: true, fileMustExist: true });
    const version = schemaVersionOf(db);
    if (version !== SCHEMA_VERSION) {
      db.close();
      throw new VulnDbSchemaError(path, version);
    }
    return new VulnStore(path, db);
  }

  /** Wraps an already open connection (the writer's), for tests and for ingest-time lookups. */
  static fromConnection(path: string, db: Database.Database): VulnStore {
    return new VulnStore(path, db);
  }

  close(): void {
    this.db.close();
  }

  /**
   * Advisories and affected entries for one package. Parsed advisories are cached (the store is
   * read-only and one advisory affects many packages): callers must treat the records as immutable.
   */
  affected(ecosystem: string, name: string): Array<{ advisory: Advisory; affected: AffectedPackage }> {
    const rows = this.stAffected.all(ecosystem, nameKey(ecosystem, name)) as Row[];
    const out: Array<{ advisory: Advisory; affected: AffectedPackage }> = [];
    for (const r of rows) {
      const advisory = this.cachedAdvisory(r.advisory_id as string, r.advisory as string);
      out.push({ advisory, affected: JSON.parse(r.record as string) as AffectedPackage });
    }
    return out;
  }

  private readonly advisoryCache = new Map<string, Advisory>();

  private cachedAdvisory(id: string, record: string): Advisory {
    const hit = this.advisoryCache.get(id);
    if (hit) return hit;
    const adv = JSON.parse(record) as Advisory;
    if (this.advisoryCache.size >= ADVISORY_CACHE_ENTRIES) {
      // Drop the oldest insertion (Map keeps insertion order): a cheap FIFO bound on memory.
      const first = this.advisoryCache.keys().next().value;
      if (first !== undefined) this.advisoryCache.delete(first);
    }
    this.advisoryCache.set(id, adv);
    return adv;
  }

  advisory(id: string): Advisory | undefined {
    const r = this.stAdvisory.get(id) as Row | undefined;
    return r ? (JSON.parse(r.record as string) as Advisory) : undefined;
  }

  /** Every advisory that names this id as its own id or an alias. */
  advisoriesFor(alias: string): Advisory[] {
    return (this.stByAlias.all(alias) as Row[]).map((r) => JSON.parse(r.record as string) as Advisory);
  }

  epss(cve: string): EpssEntry | undefined {
    const r = this.stEpss.get(cve) as Row | undefined;
    if (!r) return undefined;
    const out: EpssEntry = { cve, score: r.score as number, percentile: r.percentile as number };
    if (str(r.model_version)) out.modelVersion = r.model_version as string;
    if (str(r.score_date)) out.scoreDate = r.score_date as string;
    return out;
  }

  kev(cve: string): KevEntry | undefined {
    const r = this.stKev.get(cve) as Row | undefined;
    if (!r) return undefined;
    const out: KevEntry = { cve };
    if (str(r.vendor)) out.vendor = r.vendor as string;
    if (str(r.product)) out.product = r.product as string;
    if (str(r.name)) out.name = r.name as string;
    if (str(r.date_added)) out.dateAdded = r.date_added as string;
    if (str(r.due_date)) out.dueDate = r.due_date as string;
    if (str(r.ransomware)) out.knownRansomwareCampaignUse = r.ransomware as string;
    return out;
  }

  /** Every CVSS vector known for the CVE: advisories that alias it (vendor), then NVD. */
  cvssFor(cve: string): CvssRecord[] {
    const out: CvssRecord[] = [];
    const seen = new Set<string>();
    for (const r of this.stCvssAdvisory.all(cve) as Row[]) {
      const vector = r.score as string;
      const version = cvssVersionOf(r.type as string, vector);
      if (!version) continue;
      const source =
        str(r.source) ?? vendorOf({ id: r.advisory_id as string, source: (r.feed as string) ?? '' });
      const key = `${source}|${vector}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ version, vector, source, advisoryId: r.advisory_id as string });
    }
    for (const r of this.stCvssNvd.all(cve) as Row[]) {
      const rec: CvssRecord = { version: r.version as string, vector: r.vector as string, source: 'nvd' };
      if (typeof r.base_score === 'number') rec.baseScore = r.base_score;
      out.push(rec);
    }
    return out;
  }

  sources(): SourceInfo[] {
    return (this.db.prepare('SELECT * FROM sources ORDER BY name').all() as Row[]).map(sourceFromRow);
  }

  info(): StoreInfo {
    const count = (table: string): number =>
      Number((this.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as Row).n);
    const built = this.db.prepare("SELECT value FROM meta WHERE key = 'built_at'").get() as Row | undefined;
    let sizeBytes = 0;
    try {
      sizeBytes = statSync(this.path).size;
    } catch {
      // an in-memory or already replaced file: size unknown
    }
    const out: StoreInfo = {
      path: this.path,
      schemaVersion: schemaVersionOf(this.db),
      sizeBytes,
      sources: this.sources(),
      counts: {
        advisories: count('advisories'),
        affected: count('affected'),
        aliases: count('aliases'),
        epss: count('epss'),
        kev: count('kev'),
        nvdCvss: count('nvd_cvss'),
      },
    };
    if (built) out.builtAt = built.value as string;
    return out;
  }
}

function sourceFromRow(r: Row): SourceInfo {
  const s: SourceInfo = {
    name: r.name as string,
    kind: r.kind as string,
    location: r.location as string,
    records: Number(r.records),
    affected: Number(r.affected),
    importedAt: r.imported_at as string,
  };
  if (str(r.data_date)) s.dataDate = r.data_date as string;
  if (str(r.etag)) s.etag = r.etag as string;
  if (str(r.last_modified)) s.lastModified = r.last_modified as string;
  return s;
}

/**
 * Age of the data in days (from `built_at`, the time of the last successful import/update) and a
 * warning line when it is older than `maxAgeDays`; undefined when fresh enough. Scans print it.
 */
export function ageWarning(
  store: Pick<VulnStore, 'info'>,
  maxAgeDays: number,
  now: Date = new Date(),
): string | undefined {
  const info = store.info();
  if (!info.builtAt) return `vulndb: ${info.path} has no build time: run \`snapscan db update\``;
  const ageDays = (now.getTime() - Date.parse(info.builtAt)) / 86_400_000;
  if (!(ageDays > maxAgeDays)) return undefined;
  return `vulndb: data is ${Math.floor(ageDays)} days old (built ${info.builtAt}, limit ${maxAgeDays} days): run \`snapscan db update\``;
}

export interface SourceStart {
  /** Unique feed name: `osv:Go`, `debian-tracker`, `alas:2`, `epss`, `kev`, or `import:<kind>:<path>`. */
  name: string;
  kind: string;
  location: string;
  etag?: string;
  lastModified?: string;
}

/** Write side of one source: everything it wrote replaces what the same source wrote before. */
export class SourceWriter {
  advisories = 0;
  affectedRows = 0;
  rows = 0;
  private newest = '';
  private readonly w: VulnDbWriter;
  readonly start: SourceStart;
  dataDate: string | undefined;

  constructor(w: VulnDbWriter, start: SourceStart) {
    this.w = w;
    this.start = start;
  }

  addAdvisory(advisory: Advisory, affected: AffectedPackage[]): void {
    const st = this.w.st;
    st.delAffected.run(advisory.id);
    st.delAliases.run(advisory.id);
    st.delSeverity.run(advisory.id);
    st.insAdvisory.run(
      advisory.id,
      this.start.name,
      advisory.source,
      advisory.published ?? null,
      advisory.modified ?? null,
      advisory.withdrawn ?? null,
      advisory.vendorSeverity ?? null,
      JSON.stringify(advisory),
    );
    st.insAlias.run(advisory.id, advisory.id);
    for (const alias of advisory.aliases) if (alias !== advisory.id) st.insAlias.run(alias, advisory.id);
    for (const s of advisory.severity) st.insSeverity.run(advisory.id, s.type, s.score, s.source ?? null);
    for (const a of affected) {
      st.insAffected.run(
        advisory.id,
        a.ecosystem,
        nameKey(a.ecosystem, a.name),
        a.name,
        a.nameIsSource ? 1 : 0,
        JSON.stringify(a),
      );
    }
    this.advisories++;
    this.affectedRows += affected.length;
    const m = advisory.modified ?? advisory.published;
    if (m && m > this.newest && !m.startsWith('0001-')) this.newest = m;
  }

  addEpss(e: EpssEntry): void {
    this.w.st.insEpss.run(e.cve, e.score, e.percentile, e.modelVersion ?? null, e.scoreDate ?? null);
    this.rows++;
  }

  addKev(k: KevEntry, record: unknown): void {
    this.w.st.insKev.run(
      k.cve,
      k.vendor ?? null,
      k.product ?? null,
      k.name ?? null,
      k.dateAdded ?? null,
      k.dueDate ?? null,
      k.knownRansomwareCampaignUse ?? null,
      JSON.stringify(record),
    );
    this.rows++;
  }

  addNvdCvss(cve: string, version: string, vector: string, baseScore?: number): void {
    this.w.st.insNvd.run(cve, version, vector, baseScore ?? null);
    this.rows++;
  }

  /** The newest date the data claims for itself (advisory modified, EPSS score_date, KEV release). */
  get newestDate(): string | undefined {
    return this.dataDate ?? (this.newest || undefined);
  }
}

function prepareWriteStatements(db: Database.Database) {
  return {
    delAffected: db.prepare('DELETE FROM affected WHERE advisory_id = ?'),
    delAliases: db.prepare('DELETE FROM aliases WHERE advisory_id = ?'),
    delSeverity: db.prepare('DELETE FROM severity WHERE advisory_id = ?'),
    insAdvisory: db.prepare(
      `INSERT OR REPLACE INTO advisories (id, source_name, source, published, modified, withdrawn, vendor_severity, record)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insAlias: db.prepare('INSERT OR IGNORE INTO aliases (alias, advisory_id) VALUES (?, ?)'),
    insSeverity: db.prepare('INSERT INTO severity (advisory_id, type, score, source) VALUES (?, ?, ?, ?)'),
    insAffected: db.prepare(
      'INSERT INTO affected (advisory_id, ecosystem, name_key, name, name_is_source, record) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    insEpss: db.prepare(
      'INSERT OR REPLACE INTO epss (cve, score, percentile, model_version, score_date) VALUES (?, ?, ?, ?, ?)',
    ),
    insKev: db.prepare(
      `INSERT OR REPLACE INTO kev (cve, vendor, product, name, date_added, due_date, ransomware, record)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insNvd: db.prepare(
      'INSERT OR REPLACE INTO nvd_cvss (cve, version, vector, base_score) VALUES (?, ?, ?, ?)',
    ),
  };
}

/** Write side: one connection on the temp copy. Use through `withWritableStore`. */
export class VulnDbWriter {
  readonly db: Database.Database;
  readonly path: string;
  readonly st: ReturnType<typeof prepareWriteStatements>;
  private readonly clock: () => Date;

  constructor(path: string, clock: () => Date = () => new Date()) {
    this.path = path;
    this.clock = clock;
    this.db = new Database(path);
    // The file is a private temp copy until renamed into place: no other connection reads it, and a
    // crash leaves only a temp file. So: rollback journal in memory (ROLLBACK of a failed source still
    // works), no fsync, exclusive lock, and a page cache large enough that a big feed's transaction
    // does not spill pages (each spill wrote journal + data pages: most of the ingest time).
    this.db.pragma('journal_mode = MEMORY');
    this.db.pragma('synchronous = OFF');
    this.db.pragma('locking_mode = EXCLUSIVE');
    this.db.pragma('cache_size = -262144');
    this.db.pragma('temp_store = MEMORY');
    migrate(this.db, path);
    this.st = prepareWriteStatements(this.db);
  }

  /** Previous ETag/Last-Modified of a source, for conditional requests. */
  source(name: string): SourceInfo | undefined {
    const r = this.db.prepare('SELECT * FROM sources WHERE name = ?').get(name) as Row | undefined;
    return r ? sourceFromRow(r) : undefined;
  }

  /**
   * Runs `fill` inside one transaction that first removes everything `start.name` wrote before;
   * on error the transaction rolls back and the source keeps its old records.
   */
  async replaceSource(
    start: SourceStart,
    fill: (w: SourceWriter) => Promise<void> | void,
  ): Promise<SourceInfo> {
    const w = new SourceWriter(this, start);
    this.db.exec('BEGIN');
    try {
      this.clearSource(start.name, start.kind);
      await fill(w);
      const info: SourceInfo = {
        name: start.name,
        kind: start.kind,
        location: start.location,
        records: w.advisories + w.rows,
        affected: w.affectedRows,
        importedAt: this.clock().toISOString(),
      };
      if (w.newestDate) info.dataDate = w.newestDate;
      if (start.etag) info.etag = start.etag;
      if (start.lastModified) info.lastModified = start.lastModified;
      this.db
        .prepare(
          `INSERT OR REPLACE INTO sources (name, kind, location, records, affected, imported_at, data_date, etag, last_modified)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          info.name,
          info.kind,
          info.location,
          info.records,
          info.affected,
          info.importedAt,
          info.dataDate ?? null,
          info.etag ?? null,
          info.lastModified ?? null,
        );
      this.db.exec('COMMIT');
      return info;
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
  }

  /** Marks a source as checked now without new data (HTTP 304): keeps records, refreshes the time. */
  touchSource(name: string): void {
    this.db
      .prepare('UPDATE sources SET imported_at = ? WHERE name = ?')
      .run(this.clock().toISOString(), name);
  }

  private clearSource(name: string, kind: string): void {
    const ids = this.db
      .prepare('SELECT id FROM advisories WHERE source_name = ?')
      .pluck()
      .all(name) as string[];
    for (const id of ids) {
      this.st.delAffected.run(id);
      this.st.delAliases.run(id);
      this.st.delSeverity.run(id);
    }
    this.db.prepare('DELETE FROM advisories WHERE source_name = ?').run(name);
    // EPSS and KEV files are whole snapshots: a new one replaces the table, whatever source wrote it.
    if (kind === 'epss') this.db.exec('DELETE FROM epss');
    if (kind === 'kev') this.db.exec('DELETE FROM kev');
  }

  finish(): void {
    this.db
      .prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('built_at', ?)")
      .run(this.clock().toISOString());
    this.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('generator', 'snapscan')").run();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/**
 * Atomic update of the database file at `dest`: copies it (when it exists and has our schema, or an
 * older one that migrate() upgrades on the copy) to a temp file beside it, runs `fn` on the copy, then
 * renames the copy over `dest`. On any error the temp file is removed and `dest` is untouched. Scans
 * that have the old file open keep reading the old inode.
 */
export async function withWritableStore<T>(
  dest: string,
  fn: (w: VulnDbWriter) => Promise<T>,
  opts: { fresh?: boolean; clock?: () => Date } = {},
): Promise<T> {
  mkdirSync(dirname(dest), { recursive: true });
  const tmp = `${dest}.tmp-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  if (!opts.fresh && existsSync(dest) && sameSchema(dest)) copyFileSync(dest, tmp);
  let writer: VulnDbWriter | undefined;
  try {
    writer = new VulnDbWriter(tmp, opts.clock);
    const out = await fn(writer);
    writer.finish();
    writer.close();
    renameSync(tmp, dest);
    return out;
  } catch (err) {
    writer?.close();
    rmSync(tmp, { force: true });
    rmSync(`${tmp}-journal`, { force: true });
    throw err;
  }
}

function sameSchema(path: string): boolean {
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      // Ours, or an older version the writer migrates in place (schema.ts MIGRATIONS).
      return canMigrate(schemaVersionOf(db));
    } finally {
      db.close();
    }
  } catch {
    return false;
  }
}

export type { SeverityVector };
