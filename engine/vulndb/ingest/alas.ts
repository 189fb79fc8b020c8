/**
 * Amazon Linux Security Advisories (ALAS). Amazon Linux is not an OSV ecosystem: its repositories
 * publish yum `updateinfo.xml` (found through `repodata/repomd.xml`), and public mirrors keep the same
 * data as one JSON file per advisory (vuln-list `amazon/<release>/ALAS*.json`).
 *
 *   <updates>
 *     <update type="security" status="final" version="1.4" …>
 *       <id>ALAS2-2021-1699</id> <title>…</title> <issued date="2021-08-13 17:31"/> <updated date="…"/>
 *       <severity>low|medium|important|critical</severity> <description>…</description>
 *       <references> <reference href="…" id="CVE-2021-22543" type="cve"/> … </references>
 *       <pkglist> <collection short="amazon-linux-2"> <name>…</name>
 *         <package name="kernel" epoch="0" version="4.14.243" release="185.433.amzn2" arch="x86_64">
 *           <filename>…rpm</filename> </package> … </collection> </pkglist>
 *     </update> …
 *   </updates>
 *
 * Each advisory → ecosystem `Amazon Linux:1` | `:2` | `:2022` | `:2023`, one AffectedPackage per
 * binary package name with range introduced 0, fixed `epoch:version-release` (epoch always written,
 * "0" when absent, as Inspector shows fixedInVersion for Amazon Linux). Several arches with the same
 * EVR collapse into one entry. The CVE ids fixed become `aliases`.
 *
 * Release: an explicit one (feed config, or the `amazon/<N>/` folder of the JSON mirror) wins; else the
 * `.amznN` suffix of the package releases; else the id prefix (ALAS2023-, ALAS2022-, ALAS2-, ALAS- → 1).
 * An advisory whose release cannot be told is skipped and reported.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { Advisory, AffectedPackage } from '../../model/advisory.js';
import { type AdvisoryRecord, isRecord, stringArray, strOrUndef } from './types.js';

export const id = 'alas';
export const displayName = 'Amazon Linux Security Advisories (updateinfo.xml, per-advisory JSON)';
export const specUrls = [
  'https://alas.aws.amazon.com/',
  'https://docs.aws.amazon.com/linux/al2023/ug/managing-repos-os-updates.html',
];
export const version = 1;

export const AMAZON_RELEASES = ['1', '2', '2022', '2023'] as const;
export type AmazonRelease = (typeof AMAZON_RELEASES)[number];

export function amazonEcosystem(release: AmazonRelease): string {
  return `Amazon Linux:${release}`;
}

/** Public page of an advisory (where `sourceUrl` points). */
export function alasUrl(advisoryId: string, release: AmazonRelease): string {
  const dir = release === '1' ? '' : `AL${release}/`;
  return `https://alas.aws.amazon.com/${dir}${advisoryId}.html`;
}

function releaseFromPackages(pkgs: AlasPackage[]): AmazonRelease | undefined {
  for (const p of pkgs) {
    const m = /\.amzn(2023|2022|2|1)(?:[._]|$)/.exec(p.release);
    if (m) return m[1] as AmazonRelease;
  }
  return undefined;
}

function releaseFromId(advisoryId: string): AmazonRelease | undefined {
  if (advisoryId.startsWith('ALAS2023-')) return '2023';
  if (advisoryId.startsWith('ALAS2022-')) return '2022';
  if (advisoryId.startsWith('ALAS2-')) return '2';
  if (/^ALAS-\d{4}-/.test(advisoryId)) return '1';
  return undefined;
}

export interface AlasPackage {
  name: string;
  epoch: string;
  version: string;
  release: string;
  arch?: string;
}

interface AlasFields {
  id: string;
  title?: string;
  issued?: string;
  updated?: string;
  severity?: string;
  description?: string;
  cves: string[];
  refs: string[];
  packages: AlasPackage[];
}

/** `2021-08-13 17:31` → `2021-08-13T17:31:00Z` (ALAS dates are UTC); other shapes pass through. */
export function alasDate(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?/.exec(raw.trim());
  if (m) return `${m[1]}T${m[2]}:${m[3]}:${m[4] ?? '00'}Z`;
  return /^\d{4}-\d{2}-\d{2}$/.test(raw.trim()) ? `${raw.trim()}T00:00:00Z` : raw;
}

function toRecord(f: AlasFields, explicit: AmazonRelease | undefined): AdvisoryRecord {
  const release = explicit ?? releaseFromPackages(f.packages) ?? releaseFromId(f.id);
  if (!release) throw new TypeError(`ALAS ${f.id}: cannot tell the Amazon Linux release`);
  const ecosystem = amazonEcosystem(release);
  const advisory: Advisory = {
    id: f.id,
    source: 'alas',
    aliases: [...new Set(f.cves)],
    severity: [],
    references: [alasUrl(f.id, release), ...f.refs.filter((r) => r !== alasUrl(f.id, release))],
  };
  if (f.title) advisory.summary = f.title;
  if (f.description) advisory.details = f.description;
  const published = alasDate(f.issued);
  if (published) advisory.published = published;
  const modified = alasDate(f.updated) ?? published;
  if (modified) advisory.modified = modified;
  if (f.severity) advisory.vendorSeverity = f.severity.toLowerCase();
  const seen = new Set<string>();
  const affected: AffectedPackage[] = [];
  for (const p of f.packages) {
    const fixed = `${p.epoch || '0'}:${p.version}-${p.release}`;
    const key = `${p.name}\0${fixed}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const a: AffectedPackage = {
      advisoryId: f.id,
      ecosystem,
      name: p.name,
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }],
      versions: [],
    };
    if (advisory.vendorSeverity) a.vendorSeverity = advisory.vendorSeverity;
    affected.push(a);
  }
  affected.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { advisory, affected };
}

function pkgFrom(v: unknown): AlasPackage | undefined {
  if (!isRecord(v)) return undefined;
  const name = strOrUndef(v.name);
  const version = strOrUndef(v.version);
  const release = strOrUndef(v.release);
  if (!name || !version || !release) return undefined;
  const p: AlasPackage = { name, epoch: strOrUndef(v.epoch) ?? '0', version, release };
  const arch = strOrUndef(v.arch);
  if (arch) p.arch = arch;
  return p;
}

/** One vuln-list style ALAS JSON document. */
export function parseAlasJson(doc: unknown, release?: AmazonRelease): AdvisoryRecord {
  if (!isRecord(doc)) throw new TypeError('ALAS JSON is not an object');
  const advisoryId = strOrUndef(doc.id);
  if (!advisoryId) throw new TypeError('ALAS JSON has no id');
  const refs = Array.isArray(doc.references)
    ? doc.references
        .filter(isRecord)
        .map((r) => r.href)
        .filter((h): h is string => typeof h === 'string')
    : [];
  const cves = stringArray(doc.cveids);
  if (cves.length === 0 && Array.isArray(doc.references)) {
    for (const r of doc.references.filter(isRecord)) {
      if (r.type === 'cve' && typeof r.id === 'string') cves.push(r.id);
    }
  }
  const fields: AlasFields = {
    id: advisoryId,
    cves,
    refs,
    packages: (Array.isArray(doc.packages) ? doc.packages : []).map(pkgFrom).filter((p) => p !== undefined),
  };
  const title = strOrUndef(doc.title);
  if (title) fields.title = title;
  const issued = isRecord(doc.issued) ? strOrUndef(doc.issued.date) : undefined;
  if (issued) fields.issued = issued;
  const updated = isRecord(doc.updated) ? strOrUndef(doc.updated.date) : undefined;
  if (updated) fields.updated = updated;
  const severity = strOrUndef(doc.severity);
  if (severity) fields.severity = severity;
  const description = strOrUndef(doc.description);
  if (description) fields.description = description;
  return toRecord(fields, release);
}

const ARRAY_TAGS = new Set(['update', 'reference', 'collection', 'package']);

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Entity expansion is off in the parser (no DOCTYPE games); the five XML entities are decoded here. */
function decodeEntities(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' ? Number.parseInt(e.slice(2), 16) : Number.parseInt(e.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '';
    }
    return ENTITIES[e] ?? '';
  });
}

function text(v: unknown): string | undefined {
  if (typeof v === 'string') return decodeEntities(v).trim() || undefined;
  if (typeof v === 'number') return String(v);
  if (isRecord(v) && typeof v['#text'] === 'string') return decodeEntities(v['#text']).trim() || undefined;
  return undefined;
}

function attr(v: unknown, name: string): string | undefined {
  return isRecord(v) ? text(v[name]) : undefined;
}

export interface UpdateinfoStats {
  updates: number;
  security: number;
  skipped: number;
}

/**
 * Parses an updateinfo.xml document. Only `type="security"` updates become advisories (bugfix and
 * enhancement errata fix no CVE); each yields one record.
 */
export function parseAlasUpdateinfo(
  xml: string,
  release?: AmazonRelease,
  stats?: UpdateinfoStats,
  onError?: (updateId: string, err: unknown) => void,
): AdvisoryRecord[] {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    processEntities: false,
    parseTagValue: false,
    parseAttributeValue: false,
    isArray: (name) => ARRAY_TAGS.has(name),
  });
  // fast-xml-parser reads ill-formed XML leniently (a cut tag swallows what follows), which would
  // drop advisories without a word: a document that is not well-formed is rejected as a whole.
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    throw new TypeError(
      `updateinfo.xml: not well-formed at line ${valid.err.line}, column ${valid.err.col}: ${valid.err.msg}`,
    );
  }
  const doc = parser.parse(xml) as unknown;
  const updates = isRecord(doc) && isRecord(doc.updates) ? doc.updates.update : undefined;
  if (!isRecord(doc) || !('updates' in doc)) throw new TypeError('updateinfo.xml: no <updates> root');
  const out: AdvisoryRecord[] = [];
  for (const u of Array.isArray(updates) ? updates : []) {
    if (stats) stats.updates++;
    if (!isRecord(u)) {
      if (stats) stats.skipped++;
      onError?.('?', new TypeError('<update> is not an element'));
      continue;
    }
    const type = attr(u, 'type');
    if (type && type !== 'security') continue;
    if (stats) stats.security++;
    const advisoryId = text(u.id);
    try {
      if (!advisoryId) throw new TypeError('<update> without <id>');
      const refs =
        isRecord(u.references) && Array.isArray(u.references.reference) ? u.references.reference : [];
      const packages: AlasPackage[] = [];
      const collections =
        isRecord(u.pkglist) && Array.isArray(u.pkglist.collection) ? u.pkglist.collection : [];
      for (const c of collections) {
        if (!isRecord(c) || !Array.isArray(c.package)) continue;
        for (const p of c.package) {
          const pkg = pkgFrom({
            name: attr(p, 'name'),
            epoch: attr(p, 'epoch'),
            version: attr(p, 'version'),
            release: attr(p, 'release'),
            arch: attr(p, 'arch'),
          });
          if (pkg) packages.push(pkg);
        }
      }
      const fields: AlasFields = {
        id: advisoryId,
        cves: refs
          .filter((r) => attr(r, 'type') === 'cve')
          .map((r) => attr(r, 'id'))
          .filter((x): x is string => x !== undefined),
        refs: refs.map((r) => attr(r, 'href')).filter((x): x is string => x !== undefined),
        packages,
      };
      const title = text(u.title);
      if (title) fields.title = title;
      const issued = attr(u.issued, 'date');
      if (issued) fields.issued = issued;
      const updated = attr(u.updated, 'date');
      if (updated) fields.updated = updated;
      const severity = text(u.severity);
      if (severity) fields.severity = severity;
      const description = text(u.description);
      if (description) fields.description = description;
      out.push(toRecord(fields, release));
    } catch (err) {
      if (stats) stats.skipped++;
      onError?.(advisoryId ?? '?', err);
    }
  }
  return out;
}

/** `…/amazon/2/ALAS2-….json` → `2`. */
export function releaseFromPath(path: string): AmazonRelease | undefined {
  const m = /(?:^|[\\/])amazon[\\/](1|2|2022|2023)[\\/]/.exec(path);
  return m ? (m[1] as AmazonRelease) : undefined;
}
