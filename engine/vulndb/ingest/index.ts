/**
 * Ingest registry: which feed kinds exist, how a path's kind is told apart (`detectFile`), and the one
 * function per kind that streams a file's records into a SourceWriter. `importPath` handles single
 * files and whole folders (every file is sniffed; files of no known kind are ignored and counted),
 * and writes one source per (kind, path) so re-importing the same path replaces what it wrote before.
 *
 * Not ingested (kept for later; the sample data has them):
 * the Debian tracker's raw text lists (their per-entry JSON form is read: debian-list.ts), ALAS RSS/HTML.
 */
import { statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { UnsupportedError } from '../../errors.js';
import { VULNDB_LIMITS } from '../limits.js';
import type { SourceInfo, SourceWriter, VulnDbWriter } from '../store.js';
import * as alas from './alas.js';
import * as alpine from './alpine-secdb.js';
import * as debianList from './debian-list.js';
import * as debianTracker from './debian-tracker.js';
import * as epss from './epss.js';
import * as kev from './kev.js';
import * as nvd from './nvd.js';
import * as osv from './osv.js';
import { forEachZipEntry, readBounded, readHead, walkFiles } from './read.js';
import * as redhatCsaf from './redhat-csaf.js';
import * as suseOval from './suse-oval.js';
import { type FeedKind, type IngestReport, newReport, noteProblem } from './types.js';

export const INGESTERS = [
  osv,
  debianTracker,
  debianList,
  alas,
  alpine,
  redhatCsaf,
  suseOval,
  epss,
  kev,
  nvd,
] as const;

/** The source group a kind is stored under: zip and loose OSV share one, as do both ALAS shapes. */
export function groupOf(
  kind: FeedKind,
):
  | 'osv'
  | 'debian-tracker'
  | 'debian-list'
  | 'alas'
  | 'alpine-secdb'
  | 'redhat-csaf'
  | 'suse-oval'
  | 'epss'
  | 'kev'
  | 'nvd' {
  if (kind === 'osv' || kind === 'osv-zip') return 'osv';
  if (kind === 'alas-json' || kind === 'alas-updateinfo') return 'alas';
  return kind;
}

/** Tells a file's feed kind from its name and first bytes; undefined when it is none we ingest. */
export function detectFile(path: string): FeedKind | undefined {
  const name = basename(path).toLowerCase();
  if (name.endsWith('.zip')) return 'osv-zip';
  let head: string;
  try {
    head = readHead(path);
  } catch {
    return undefined;
  }
  if (/\.csv(\.gz)?$/.test(name) || epss.sniffEpss(head)) return epss.sniffEpss(head) ? 'epss' : undefined;
  if (/\.xml(\.gz)?$/.test(name) || head.trimStart().startsWith('<')) {
    if (suseOval.sniffSuseOval(head)) return 'suse-oval';
    return /<updates[\s>]/.test(head) ? 'alas-updateinfo' : undefined;
  }
  if (/\.(ya?ml|json)$/.test(name) && alpine.sniffAlpineSecdb(head)) return 'alpine-secdb';
  if (/\.ya?ml$/.test(name)) {
    // OSV YAML records start with their id; Alpine secdb YAML has distroversion/packages instead.
    return /^(id|schema_version|modified):/m.test(head) && /^id:/m.test(head) ? 'osv' : undefined;
  }
  if (
    !/\.json(\.gz)?$/.test(name) &&
    !head.trimStart().startsWith('{') &&
    !head.trimStart().startsWith('[')
  ) {
    return undefined;
  }
  if (kev.sniffKev(head)) return 'kev';
  if (nvd.sniffNvd(head)) return 'nvd';
  if (debianTracker.sniffDebianTracker(head)) return 'debian-tracker';
  if (debianList.sniffDebianList(head)) return 'debian-list';
  if (redhatCsaf.sniffRedhatCsaf(head)) return 'redhat-csaf';
  if (/"\$schema"\s*:/.test(head) || /"document"\s*:\s*\{/.test(head)) return undefined;
  if (/"id"\s*:\s*"ALAS/.test(head) && /"packages"\s*:|"cveids"\s*:/.test(head)) return 'alas-json';
  if (/"id"\s*:\s*"/.test(head) && /"(affected|modified|schema_version)"\s*:/.test(head)) return 'osv';
  if (head.trimStart().startsWith('[') && /"affected"\s*:/.test(head)) return 'osv';
  return undefined;
}

export interface IngestOptions {
  /** Amazon Linux release when the caller knows it (feed config); else inferred per advisory. */
  alasRelease?: alas.AmazonRelease;
  log?: (line: string) => void;
}

/** Streams one file of `kind` into `w`, counting into `report`. Bad records are skipped and noted. */
export async function ingestFile(
  w: SourceWriter,
  path: string,
  kind: FeedKind,
  report: IngestReport,
  opts: IngestOptions = {},
): Promise<void> {
  report.files++;
  const before = { records: w.advisories + w.rows, affected: w.affectedRows };
  switch (kind) {
    case 'osv': {
      const text = readBounded(path, VULNDB_LIMITS.MAX_RECORD_BYTES).toString('utf8');
      for (const doc of osv.parseOsvText(text, path)) {
        try {
          const r = osv.parseOsvRecord(doc);
          w.addAdvisory(r.advisory, r.affected);
        } catch (err) {
          noteProblem(report, path, err);
        }
      }
      break;
    }
    case 'osv-zip': {
      await forEachZipEntry(
        path,
        (name, data) => {
          try {
            for (const doc of osv.parseOsvText(data.toString('utf8'), name)) {
              const r = osv.parseOsvRecord(doc);
              w.addAdvisory(r.advisory, r.affected);
            }
          } catch (err) {
            noteProblem(report, `${path}!${name}`, err);
          }
        },
        (name) => /\.(json|ya?ml)$/i.test(name),
      );
      break;
    }
    case 'debian-tracker': {
      const doc: unknown = JSON.parse(readBounded(path).toString('utf8'));
      for (const r of debianTracker.parseDebianTracker(doc)) w.addAdvisory(r.advisory, r.affected);
      break;
    }
    case 'debian-list': {
      const doc: unknown = JSON.parse(readBounded(path, VULNDB_LIMITS.MAX_RECORD_BYTES).toString('utf8'));
      const r = debianList.parseDebianListEntry(doc);
      w.addAdvisory(r.advisory, r.affected);
      break;
    }
    case 'alpine-secdb': {
      const text = readBounded(path).toString('utf8');
      const doc: unknown = /\.ya?ml$/i.test(path)
        ? parseYaml(text, { maxAliasCount: 100 })
        : JSON.parse(text);
      for (const r of alpine.parseAlpineSecdb(doc, alpine.releaseFromAlpinePath(path)))
        w.addAdvisory(r.advisory, r.affected);
      break;
    }
    case 'redhat-csaf': {
      const r = redhatCsaf.parseRedhatCsaf(
        JSON.parse(readBounded(path, VULNDB_LIMITS.MAX_RECORD_BYTES).toString('utf8')),
      );
      w.addAdvisory(r.advisory, r.affected);
      break;
    }
    case 'suse-oval': {
      const records = suseOval.parseSuseOval(readBounded(path).toString('utf8'), (id, err) =>
        noteProblem(report, `${path}#${id}`, err),
      );
      for (const r of records) w.addAdvisory(r.advisory, r.affected);
      break;
    }
    case 'alas-json': {
      const doc: unknown = JSON.parse(readBounded(path, VULNDB_LIMITS.MAX_RECORD_BYTES).toString('utf8'));
      const release = opts.alasRelease ?? alas.releaseFromPath(path);
      const r = alas.parseAlasJson(doc, release);
      w.addAdvisory(r.advisory, r.affected);
      break;
    }
    case 'alas-updateinfo': {
      const xml = readBounded(path).toString('utf8');
      const records = alas.parseAlasUpdateinfo(xml, opts.alasRelease, undefined, (id, err) =>
        noteProblem(report, `${path}#${id}`, err),
      );
      for (const r of records) w.addAdvisory(r.advisory, r.affected);
      break;
    }
    case 'epss': {
      const f = epss.parseEpssCsv(readBounded(path).toString('utf8'));
      for (const e of f.entries) w.addEpss(e);
      report.skipped += f.skipped;
      if (f.scoreDate && (!w.dataDate || f.scoreDate > w.dataDate)) w.dataDate = f.scoreDate;
      break;
    }
    case 'kev': {
      const c = kev.parseKev(JSON.parse(readBounded(path).toString('utf8')));
      for (const { entry, record } of c.entries) w.addKev(entry, record);
      report.skipped += c.skipped;
      if (c.dateReleased) w.dataDate = c.dateReleased;
      break;
    }
    case 'nvd': {
      const n = nvd.parseNvd(JSON.parse(readBounded(path).toString('utf8')));
      for (const r of n.rows) w.addNvdCvss(r.cve, r.version, r.vector, r.baseScore);
      report.skipped += n.skipped;
      break;
    }
  }
  report.records += w.advisories + w.rows - before.records;
  report.affected += w.affectedRows - before.affected;
}

/** All list entries of one import at once, so DSA/DLA fixes can correct entries derived from unstable. */
function ingestDebianListBatch(
  w: SourceWriter,
  paths: string[],
  report: IngestReport,
  tolerant: boolean,
): void {
  const records: debianList.DebianListRecord[] = [];
  for (const p of paths) {
    report.files++;
    try {
      records.push(
        debianList.parseDebianListEntry(
          JSON.parse(readBounded(p, VULNDB_LIMITS.MAX_RECORD_BYTES).toString('utf8')),
        ),
      );
    } catch (err) {
      if (!tolerant) throw err;
      noteProblem(report, p, err);
    }
  }
  debianList.applyAdvisoryFixes(records);
  for (const r of records) {
    w.addAdvisory(r.advisory, r.affected);
    report.records++;
    report.affected += r.affected.length;
  }
}

/**
 * Imports a file or a folder into the writer. A single file of unknown kind is an error; inside a
 * folder such files are ignored (counted in the `ignored` report). A file that fails as a whole (bad
 * JSON) aborts a single-file import, and is skipped and reported inside a folder.
 */
export async function importPath(
  writer: VulnDbWriter,
  path: string,
  opts: IngestOptions = {},
): Promise<{ reports: IngestReport[]; sources: SourceInfo[]; ignored: number }> {
  const abs = resolve(path);
  const st = statSync(abs);
  const byGroup = new Map<string, Array<{ path: string; kind: FeedKind }>>();
  let ignored = 0;
  const single = !st.isDirectory();
  if (single) {
    const kind = detectFile(abs);
    if (!kind)
      throw new UnsupportedError('vulndb-feed-kind', `vulndb: cannot tell what kind of feed ${abs} is`);
    byGroup.set(groupOf(kind), [{ path: abs, kind }]);
  } else {
    for (const file of walkFiles(abs)) {
      const kind = detectFile(file);
      if (!kind) {
        ignored++;
        continue;
      }
      const g = groupOf(kind);
      let list = byGroup.get(g);
      if (!list) {
        list = [];
        byGroup.set(g, list);
      }
      list.push({ path: file, kind });
    }
  }
  const reports: IngestReport[] = [];
  const sources: SourceInfo[] = [];
  for (const [group, files] of [...byGroup.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const report = newReport(single ? (files[0]?.kind ?? 'osv') : 'directory', abs);
    const info = await writer.replaceSource(
      { name: `import:${group}:${abs}`, kind: group, location: abs },
      async (w) => {
        if (group === 'debian-list') {
          ingestDebianListBatch(
            w,
            files.map((f) => f.path),
            report,
            !single,
          );
          return;
        }
        for (const f of files) {
          if (single) {
            await ingestFile(w, f.path, f.kind, report, opts);
            continue;
          }
          try {
            await ingestFile(w, f.path, f.kind, report, opts);
          } catch (err) {
            noteProblem(report, f.path, err);
          }
        }
      },
    );
    opts.log?.(
      `imported ${group} from ${abs}: ${info.records} records, ${info.affected} affected entries, ${report.files} files${report.skipped ? `, ${report.skipped} skipped` : ''}`,
    );
    reports.push(report);
    sources.push(info);
  }
  return { reports, sources, ignored };
}
