/**
 * Red Hat CSAF 2.0 advisories (https://security.access.redhat.com/data/csaf/v2/advisories/) and VEX
 * files (same shape, one CVE per document).
 *
 *   document:      { tracking: { id: "RHSA-2024:6163", initial_release_date, current_release_date },
 *                    title, aggregate_severity: { text: "Moderate" }, references: [{ url }] }
 *   product_tree:  branches (vendor → product_family → product_name {product_id, cpe} |
 *                  architecture → product_version {product_id, purl}) + relationships
 *                  { product_reference: <package id>, relates_to_product_reference: <platform id>,
 *                    full_product_name: { product_id: "<platform>:<package>" } }
 *   vulnerabilities: [ { cve, product_status: { fixed | known_affected | known_not_affected: [ids] },
 *                        scores: [{ cvss_v3: { vectorString }, products }], threats: [{ category:
 *                        "impact", details: "Moderate" }] } ]
 *
 * Normalisation: one advisory per document (its tracking id; the CVEs as aliases; CVSS v3/v2 vectors
 * with source `redhat`; `aggregate_severity` as the vendor word). Each fixed or known-affected
 * (platform, package) pair becomes an AffectedPackage with ecosystem `Red Hat:<cpe tail>` —
 * `cpe:/a:redhat:enterprise_linux:9::appstream` → `Red Hat:enterprise_linux:9::appstream`, the
 * naming osv.dev uses — name from the package purl, fixed `[epoch:]version-release` (epoch written
 * only when not 0, as Red Hat's OSV records do). Source RPMs (`arch=src`) are source-named entries
 * (`nameIsSource`); `known_affected` gives introduced 0 with no fix; `known_not_affected` nothing.
 * Nested branches are walked with a depth bound.
 */
import type { Advisory, AffectedPackage, SeverityVector } from '../../model/advisory.js';
import { type AdvisoryRecord, isRecord, strOrUndef } from './types.js';

export const id = 'redhat-csaf';
export const displayName = 'Red Hat CSAF 2.0 advisories / VEX';
export const specUrls = [
  'https://docs.oasis-open.org/csaf/csaf/v2.0/csaf-v2.0.html',
  'https://www.redhat.com/en/blog/csaf-vex-documents-now-generally-available',
];
export const version = 1;

const MAX_BRANCH_DEPTH = 16;

interface PackageRef {
  name: string;
  version: string;
  release: string;
  epoch: string;
  arch?: string;
}

/** `pkg:rpm/redhat/python3.9@3.9.18-3.el9_4.5?arch=src&epoch=1` → parts. */
export function rpmFromPurl(purl: string): PackageRef | undefined {
  const m = /^pkg:rpm\/[^/]+\/([^@?#]+)@([^?#]+)(?:\?([^#]*))?/.exec(purl);
  if (!m) return undefined;
  const name = decodeURIComponent(m[1]!);
  const evr = decodeURIComponent(m[2]!);
  const dash = evr.lastIndexOf('-');
  if (dash <= 0) return undefined;
  const q = new URLSearchParams(m[3] ?? '');
  const ref: PackageRef = {
    name,
    version: evr.slice(0, dash),
    release: evr.slice(dash + 1),
    epoch: q.get('epoch') ?? '0',
  };
  const arch = q.get('arch');
  if (arch) ref.arch = arch;
  return ref;
}

export function ecosystemFromCpe(cpe: string): string | undefined {
  const m = /^cpe:\/[aoh]:redhat:(.+)$/.exec(cpe);
  return m ? `Red Hat:${m[1]}` : undefined;
}

export function parseRedhatCsaf(doc: unknown): AdvisoryRecord {
  if (!isRecord(doc) || !isRecord(doc.document) || !isRecord(doc.product_tree)) {
    throw new TypeError('CSAF: no document / product_tree');
  }
  const tracking = isRecord(doc.document.tracking) ? doc.document.tracking : {};
  const advisoryId = strOrUndef(tracking.id);
  if (!advisoryId) throw new TypeError('CSAF: no document.tracking.id');

  const platforms = new Map<string, string>(); // product id → ecosystem
  const packages = new Map<string, PackageRef>(); // product id → rpm
  const walk = (branches: unknown, depth: number): void => {
    if (!Array.isArray(branches) || depth > MAX_BRANCH_DEPTH) return;
    for (const b of branches) {
      if (!isRecord(b)) continue;
      const p = isRecord(b.product) ? b.product : undefined;
      const pid = p ? strOrUndef(p.product_id) : undefined;
      const helper =
        p && isRecord(p.product_identification_helper) ? p.product_identification_helper : undefined;
      if (pid && helper) {
        const cpe = strOrUndef(helper.cpe);
        const eco = cpe ? ecosystemFromCpe(cpe) : undefined;
        if (eco) platforms.set(pid, eco);
        const purl = strOrUndef(helper.purl);
        const rpm = purl ? rpmFromPurl(purl) : undefined;
        if (rpm) packages.set(pid, rpm);
      }
      walk(b.branches, depth + 1);
    }
  };
  walk(doc.product_tree.branches, 0);
  const composite = new Map<string, { ecosystem: string; rpm: PackageRef }>();
  for (const r of Array.isArray(doc.product_tree.relationships) ? doc.product_tree.relationships : []) {
    if (!isRecord(r) || !isRecord(r.full_product_name)) continue;
    const full = strOrUndef(r.full_product_name.product_id);
    const eco = platforms.get(strOrUndef(r.relates_to_product_reference) ?? '');
    const rpm = packages.get(strOrUndef(r.product_reference) ?? '');
    if (full && eco && rpm) composite.set(full, { ecosystem: eco, rpm });
  }

  const aliases: string[] = [];
  const severity: SeverityVector[] = [];
  const affected = new Map<string, AffectedPackage>();
  for (const v of Array.isArray(doc.vulnerabilities) ? doc.vulnerabilities : []) {
    if (!isRecord(v)) continue;
    const cve = strOrUndef(v.cve);
    if (cve && !aliases.includes(cve)) aliases.push(cve);
    for (const s of Array.isArray(v.scores) ? v.scores : []) {
      if (!isRecord(s)) continue;
      for (const [key, type] of [
        ['cvss_v3', 'CVSS_V3'],
        ['cvss_v2', 'CVSS_V2'],
      ] as const) {
        const vec = isRecord(s[key])
          ? strOrUndef((s[key] as Record<string, unknown>).vectorString)
          : undefined;
        if (vec && !severity.some((x) => x.score === vec))
          severity.push({ type, score: vec, source: 'redhat' });
      }
    }
    const status = isRecord(v.product_status) ? v.product_status : {};
    for (const [field, fixedToo] of [
      ['fixed', true],
      ['known_affected', false],
    ] as const) {
      for (const pid of Array.isArray(status[field]) ? status[field] : []) {
        const c = typeof pid === 'string' ? composite.get(pid) : undefined;
        if (!c) continue;
        const isSrc = c.rpm.arch === 'src';
        const fixed = `${c.rpm.epoch !== '0' ? `${c.rpm.epoch}:` : ''}${c.rpm.version}-${c.rpm.release}`;
        const key = `${c.ecosystem}|${c.rpm.name}|${isSrc}|${fixedToo ? fixed : 'open'}`;
        if (affected.has(key)) continue;
        const a: AffectedPackage = {
          advisoryId,
          ecosystem: c.ecosystem,
          name: c.rpm.name,
          ranges: [
            {
              type: 'ECOSYSTEM',
              events: fixedToo ? [{ introduced: '0' }, { fixed }] : [{ introduced: '0' }],
            },
          ],
          versions: [],
        };
        if (isSrc) a.nameIsSource = true;
        affected.set(key, a);
      }
    }
  }
  const advisory: Advisory = {
    id: advisoryId,
    source: 'redhat-csaf',
    aliases,
    severity,
    references: [
      `https://access.redhat.com/errata/${advisoryId}`,
      ...(Array.isArray(doc.document.references) ? doc.document.references : [])
        .filter(isRecord)
        .map((r) => strOrUndef(r.url))
        .filter((u): u is string => u !== undefined),
    ].filter((u, i, all) => all.indexOf(u) === i),
  };
  const title = strOrUndef(doc.document.title);
  if (title) advisory.summary = title;
  const published = strOrUndef(tracking.initial_release_date);
  if (published) advisory.published = published;
  const modified = strOrUndef(tracking.current_release_date);
  if (modified) advisory.modified = modified;
  const agg = isRecord(doc.document.aggregate_severity)
    ? strOrUndef(doc.document.aggregate_severity.text)
    : undefined;
  if (agg) advisory.vendorSeverity = agg;
  const list = [...affected.values()].sort((a, b) =>
    `${a.ecosystem}|${a.name}` < `${b.ecosystem}|${b.name}`
      ? -1
      : `${a.ecosystem}|${a.name}` > `${b.ecosystem}|${b.name}`
        ? 1
        : 0,
  );
  if (agg) for (const a of list) a.vendorSeverity = agg;
  return { advisory, affected: list };
}

export function sniffRedhatCsaf(head: string): boolean {
  return /"document"\s*:\s*\{/.test(head) && /"csaf_version"\s*:|"category"\s*:\s*"csaf_/.test(head);
}
