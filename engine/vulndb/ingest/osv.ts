/**
 * OSV records (https://ossf.github.io/osv-schema/, schema 1.0–1.7) → Advisory + AffectedPackage.
 *
 * Accepted inputs: one JSON or YAML record per file (the PyPA advisory-database keeps YAML), a JSON
 * array of records, and the per-ecosystem `all.zip` that OSV publishes (one `<ID>.json` per entry).
 *
 * Normalisation choices (each one documented because the matcher relies on it):
 * - `aliases` keep OSV's order. Vendor advisories (ALSA-, RLSA-, USN-…) list the CVEs they fix under
 *   `related`, not `aliases`; when a record has no CVE among its aliases, its `related` CVE ids are
 *   folded into `aliases` so the matcher can key findings per CVE, as it does for ALAS and DSA.
 * - Severity: top-level `severity[]` plus every `affected[].severity[]`, deduplicated; each carries the
 *   vendor derived from the id prefix (`ghsa`, `ubuntu`…). The vendor's own word goes to
 *   `vendorSeverity`: GHSA `database_specific.severity`, an `Ubuntu`-type severity entry, the
 *   `Important:`-style summary prefix of Red Hat family advisories, or Debian's per-package urgency.
 * - Range types other than ECOSYSTEM, SEMVER and GIT are dropped; events keep only string fields.
 *   A malformed affected entry is dropped, not the record; a record without an id is skipped.
 */

import { parse as parseYaml } from 'yaml';
import type {
  Advisory,
  AffectedPackage,
  AffectedRange,
  RangeEvent,
  SeverityVector,
} from '../../model/advisory.js';
import { VULNDB_LIMITS } from '../limits.js';
import { vendorOf } from '../store.js';
import { type AdvisoryRecord, isRecord, stringArray, strOrUndef } from './types.js';

export const id = 'osv';
export const displayName = 'OSV (Open Source Vulnerabilities) JSON/YAML and all.zip';
export const specUrls = ['https://ossf.github.io/osv-schema/', 'https://google.github.io/osv.dev/data/'];
export const version = 1;

const RANGE_TYPES = new Set(['ECOSYSTEM', 'SEMVER', 'GIT']);
const EVENT_KEYS = ['introduced', 'fixed', 'last_affected', 'limit'] as const;
const CVE_RE = /^CVE-\d{4}-\d{4,}$/;

function parseEvents(v: unknown): RangeEvent[] {
  if (!Array.isArray(v)) return [];
  const out: RangeEvent[] = [];
  for (const e of v) {
    if (!isRecord(e)) continue;
    const ev: RangeEvent = {};
    for (const k of EVENT_KEYS) {
      const val = e[k];
      if (typeof val === 'string' && val.length > 0) ev[k] = val;
    }
    if (Object.keys(ev).length > 0) out.push(ev);
  }
  return out;
}

function parseRanges(v: unknown): AffectedRange[] {
  if (!Array.isArray(v)) return [];
  const out: AffectedRange[] = [];
  for (const r of v) {
    if (!isRecord(r) || typeof r.type !== 'string' || !RANGE_TYPES.has(r.type)) continue;
    const events = parseEvents(r.events);
    if (events.length === 0) continue;
    out.push({ type: r.type as AffectedRange['type'], events });
  }
  return out;
}

function parseSeverity(v: unknown, source: string): SeverityVector[] {
  if (!Array.isArray(v)) return [];
  const out: SeverityVector[] = [];
  for (const s of v) {
    if (!isRecord(s) || typeof s.type !== 'string' || typeof s.score !== 'string') continue;
    out.push({ type: s.type, score: s.score, source });
  }
  return out;
}

/** `Important: xz security update` → `Important` (AlmaLinux, Rocky, Red Hat, Oracle summaries). */
function summarySeverity(summary: string | undefined): string | undefined {
  const m = summary ? /^(Critical|Important|Moderate|Low):\s/.exec(summary) : null;
  return m?.[1];
}

/** Converts one parsed OSV document; throws on a record that has no usable id. */
export function parseOsvRecord(doc: unknown): AdvisoryRecord {
  if (!isRecord(doc)) throw new TypeError('OSV record is not an object');
  const advisoryId = strOrUndef(doc.id);
  if (!advisoryId) throw new TypeError('OSV record has no id');
  let aliases = stringArray(doc.aliases);
  if (!aliases.some((a) => CVE_RE.test(a)) && !CVE_RE.test(advisoryId)) {
    const related = stringArray(doc.related).filter((r) => CVE_RE.test(r));
    aliases = [...aliases, ...related.filter((r) => !aliases.includes(r))];
  }
  const source = 'osv';
  const vendor = vendorOf({ id: advisoryId, source });
  const severity = parseSeverity(doc.severity, vendor);
  const affectedIn = Array.isArray(doc.affected) ? doc.affected : [];
  if (affectedIn.length > VULNDB_LIMITS.MAX_AFFECTED_PER_ADVISORY) {
    throw new RangeError(
      `OSV ${advisoryId}: ${affectedIn.length} affected entries > MAX_AFFECTED_PER_ADVISORY (${VULNDB_LIMITS.MAX_AFFECTED_PER_ADVISORY})`,
    );
  }
  const affected: AffectedPackage[] = [];
  for (const a of affectedIn) {
    if (!isRecord(a) || !isRecord(a.package)) continue;
    const ecosystem = strOrUndef(a.package.ecosystem);
    const name = strOrUndef(a.package.name);
    if (!ecosystem || !name) continue;
    const entry: AffectedPackage = {
      advisoryId,
      ecosystem,
      name,
      ranges: parseRanges(a.ranges),
      versions: stringArray(a.versions),
    };
    const es = isRecord(a.ecosystem_specific) ? a.ecosystem_specific : undefined;
    const urgency = es ? strOrUndef(es.urgency) : undefined;
    if (urgency) entry.vendorSeverity = urgency;
    for (const s of parseSeverity(a.severity, vendor)) {
      if (!severity.some((x) => x.type === s.type && x.score === s.score)) severity.push(s);
    }
    // An entry with neither ranges nor versions affects nothing we can evaluate: drop it.
    if (entry.ranges.length === 0 && entry.versions.length === 0) continue;
    affected.push(entry);
  }
  const advisory: Advisory = {
    id: advisoryId,
    source,
    aliases,
    severity,
    references: Array.isArray(doc.references)
      ? doc.references
          .filter(isRecord)
          .map((r) => r.url)
          .filter((u): u is string => typeof u === 'string')
      : [],
  };
  const summary = strOrUndef(doc.summary);
  if (summary) advisory.summary = summary;
  const details = strOrUndef(doc.details);
  if (details) advisory.details = details;
  for (const k of ['published', 'modified', 'withdrawn'] as const) {
    const v = strOrUndef(doc[k]);
    if (v) advisory[k] = v;
  }
  const ds = isRecord(doc.database_specific) ? doc.database_specific : undefined;
  const vendorSeverity =
    (ds ? strOrUndef(ds.severity) : undefined) ??
    severity.find((s) => !s.type.startsWith('CVSS_'))?.score ??
    summarySeverity(summary);
  if (vendorSeverity) advisory.vendorSeverity = vendorSeverity;
  return { advisory, affected };
}

/** Parses file bytes by extension: `.yaml`/`.yml` as YAML, anything else as JSON; arrays give several. */
export function parseOsvText(text: string, fileName: string): unknown[] {
  const doc: unknown = /\.ya?ml$/i.test(fileName)
    ? parseYaml(text, { maxAliasCount: 100 })
    : JSON.parse(text);
  return Array.isArray(doc) ? doc : [doc];
}

export type { AffectedRange };
