/**
 * Debian security tracker *text lists* (data/CVE/list, data/DSA/list, data/DLA/list) in the per-entry
 * JSON form public mirrors keep (vuln-list-debian `tracker/{CVE,DSA,DLA}/…json`):
 *
 *   { "Header": { "ID": "CVE-2023-4911" | "DSA-5514-1", "Description": … },
 *     "Annotations": [ { "Type": "package", "Release"?: "bookworm", "Package": "glibc",
 *                        "Kind": "fixed" | "unfixed" | "not-affected" | "no-dsa" | "postponed" |
 *                                "ignored" | "end-of-life" | "removed" | "itp",
 *                        "Version"?: "2.36-9+deb12u3", "Severity"?: "unimportant" | "low" | … },
 *                      { "Type": "xref", "Bugs": ["CVE-…"] }, { "Type": "NOTE", … } ] }
 *
 * The tracker JSON (debian-tracker.ts) is the authoritative per-release view and is what `db update`
 * downloads; this reader lets a folder of list entries be imported, with the tracker's own rules:
 * - A `[release]` line decides that release: a version → fixed in it; `<not-affected>` → no entry;
 *   `<no-dsa>`, `<postponed>`, `<ignored>`, `<end-of-life>`, `<unfixed>` → affected, no fix, the word
 *   kept as `vendorStatus`.
 * - A release without its own line follows the unstable (`- pkg …`) line: `<unfixed>` → affected, no
 *   fix; version V → range fixed V (the tracker marks the release fixed when its version is ≥ V, and
 *   every installed version < V is affected — only the advertised fix may not exist in that release
 *   yet); `<not-affected>` → no entry. Such releases are those of DEFAULT_LIST_RELEASES (Debian 8–13).
 * - CVE entries become `DEBIAN-CVE-…` (the id the tracker JSON import uses too: the later import
 *   wins); DSA/DLA entries become advisories of their own id with the CVEs of their `{…}` line as
 *   aliases and entries only for the releases they name.
 */
import type { Advisory, AffectedPackage } from '../../model/advisory.js';
import { DEBIAN_CODENAMES, normaliseUrgency } from './debian-tracker.js';
import { type AdvisoryRecord, isRecord, stringArray, strOrUndef } from './types.js';

export const id = 'debian-list';
export const displayName = 'Debian security tracker lists (CVE/DSA/DLA entries as JSON)';
export const specUrls = [
  'https://security-team.debian.org/security_tracker.html',
  'https://salsa.debian.org/security-tracker-team/security-tracker/-/tree/master/data',
];
export const version = 1;

export const DEFAULT_LIST_RELEASES = ['jessie', 'stretch', 'buster', 'bullseye', 'bookworm', 'trixie'];

const OPEN_KINDS = new Set(['unfixed', 'no-dsa', 'postponed', 'ignored', 'end-of-life', 'removed']);

interface Line {
  release?: string;
  pkg: string;
  kind: string;
  version?: string;
  severity?: string;
}

function entryFor(
  advisoryId: string,
  pkg: string,
  release: string,
  line: Line,
  severity: string | undefined,
): AffectedPackage | undefined {
  const major = DEBIAN_CODENAMES[release];
  if (!major) return undefined;
  const a: AffectedPackage = {
    advisoryId,
    ecosystem: `Debian:${major}`,
    name: pkg,
    nameIsSource: true,
    ranges: [],
    versions: [],
  };
  if (line.kind === 'fixed' && line.version) {
    if (line.version === '0') return undefined;
    a.ranges.push({ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: line.version }] });
  } else if (OPEN_KINDS.has(line.kind)) {
    a.ranges.push({ type: 'ECOSYSTEM', events: [{ introduced: '0' }] });
    if (line.kind !== 'unfixed') a.vendorStatus = line.kind;
  } else {
    return undefined; // not-affected, itp, anything unknown: no claim
  }
  const u = normaliseUrgency(severity).urgency;
  if (u) a.vendorSeverity = u;
  return a;
}

export function parseDebianListEntry(
  doc: unknown,
  releases: string[] = DEFAULT_LIST_RELEASES,
): DebianListRecord {
  if (!isRecord(doc) || !isRecord(doc.Header)) throw new TypeError('Debian list entry has no Header');
  const entryId = strOrUndef(doc.Header.ID);
  if (!entryId) throw new TypeError('Debian list entry has no Header.ID');
  const annotations = Array.isArray(doc.Annotations) ? doc.Annotations.filter(isRecord) : [];
  const isCve = /^(CVE|TEMP)-/.test(entryId);
  const advisoryId = isCve ? `DEBIAN-${entryId}` : entryId;
  const aliases: string[] = /^CVE-/.test(entryId) ? [entryId] : [];
  const lines: Line[] = [];
  for (const a of annotations) {
    if (a.Type === 'xref')
      for (const b of stringArray(a.Bugs)) if (/^CVE-/.test(b) && !aliases.includes(b)) aliases.push(b);
    if (a.Type !== 'package') continue;
    const pkg = strOrUndef(a.Package);
    const kind = strOrUndef(a.Kind);
    if (!pkg || !kind) continue;
    const line: Line = { pkg, kind };
    const rel = strOrUndef(a.Release);
    if (rel) line.release = rel;
    const v = strOrUndef(a.Version);
    if (v) line.version = v;
    const sev = strOrUndef(a.Severity);
    if (sev) line.severity = sev;
    lines.push(line);
  }
  const advisory: Advisory = {
    id: advisoryId,
    source: 'debian-tracker',
    aliases,
    severity: [],
    references: [`https://security-tracker.debian.org/tracker/${entryId}`],
  };
  const desc = strOrUndef(doc.Header.Description)
    ?.replace(/^\(|\)$/g, '')
    .trim();
  if (desc) advisory.details = desc;
  const affected: AffectedPackage[] = [];
  const derived = new Set<AffectedPackage>();
  const pkgs = [...new Set(lines.map((l) => l.pkg))].sort();
  for (const pkg of pkgs) {
    const own = lines.filter((l) => l.pkg === pkg);
    const sid = own.find((l) => !l.release);
    const severity = sid?.severity ?? own.find((l) => l.severity)?.severity;
    const explicit = new Map(own.filter((l) => l.release).map((l) => [l.release!, l]));
    // DSA/DLA entries speak only for the releases they name; CVE entries for every release.
    const rels = isCve ? [...new Set([...releases, ...explicit.keys()])] : [...explicit.keys()];
    for (const rel of rels) {
      const line = explicit.get(rel) ?? sid;
      if (!line) continue;
      const e = entryFor(advisoryId, pkg, rel, line, severity);
      if (!e) continue;
      affected.push(e);
      if (!explicit.has(rel)) derived.add(e);
    }
  }
  if (severity(lines)) advisory.vendorSeverity = severity(lines);
  return { advisory, affected, derived };
}

export interface DebianListRecord extends AdvisoryRecord {
  /** Entries that follow the unstable line (no line of their own for that release). */
  derived: Set<AffectedPackage>;
}

/**
 * Cross-entry rule for a batch of list entries: when a DSA/DLA in the batch fixes a CVE for a
 * (release, source package) whose CVE entry had no line of its own there, the DSA's version replaces
 * the one derived from unstable (the CVE list names that DSA version once it is out; a snapshot of the
 * list taken earlier than its DSA would otherwise claim the unstable version as the only fix).
 */
export function applyAdvisoryFixes(records: DebianListRecord[]): number {
  const fixes = new Map<string, string>();
  for (const r of records) {
    if (r.advisory.id.startsWith('DEBIAN-')) continue;
    for (const a of r.affected) {
      const fixed = a.ranges[0]?.events.find((e) => e.fixed)?.fixed;
      if (!fixed) continue;
      for (const cve of r.advisory.aliases) fixes.set(`${cve}|${a.ecosystem}|${a.name}`, fixed);
    }
  }
  let changed = 0;
  for (const r of records) {
    for (const a of r.derived) {
      const cve = r.advisory.aliases[0];
      const fixed = cve ? fixes.get(`${cve}|${a.ecosystem}|${a.name}`) : undefined;
      if (!fixed) continue;
      a.ranges = [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }];
      delete a.vendorStatus;
      changed++;
    }
  }
  return changed;
}

function severity(lines: Line[]): string | undefined {
  const s = lines.find((l) => l.severity)?.severity;
  return normaliseUrgency(s).urgency;
}

export function sniffDebianList(head: string): boolean {
  return /"Header"\s*:/.test(head) && /"Annotations"\s*:|"ID"\s*:\s*"(CVE|DSA|DLA|TEMP)-/.test(head);
}
