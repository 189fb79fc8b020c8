/**
 * Alpine secdb (https://secdb.alpinelinux.org/): per release and repository, the aports origin
 * packages with `secfixes` — fixed version → the ids it fixes. JSON or YAML:
 *
 *   { "distroversion": "v3.19", "reponame": "main", "archs": […], "urlprefix", "apkurl",
 *     "packages": [ { "pkg": { "name": "busybox", "secfixes": { "1.36.1-r6": ["CVE-2023-42363"],
 *                                                                "0": ["CVE-2021-42373"] } } } ] }
 *
 * and the per-package form public mirrors keep (vuln-list `alpine/<3.19>/<repo>/<pkg>.json`:
 * `{ "name", "secfixes", … }`, release from the folder or `distroversion`).
 *
 * Normalisation: one advisory per (release, origin package, fixed version) — id
 * `ALPINE-<release>-<pkg>-<version>` — with the CVE/GHSA ids it fixes as aliases, and one
 * AffectedPackage (ecosystem `Alpine:v3.19`, origin name, `nameIsSource`) with range introduced 0,
 * fixed <version>. Version `0` lists ids that never affected the package: no entry. Id strings such
 * as `CVE-2017-2616 (+ regression fix)`, `CVE-… GHSA-…` or `CVE-2019-19451.patch` keep only the ids.
 */
import type { Advisory, AffectedPackage } from '../../model/advisory.js';
import { type AdvisoryRecord, isRecord, strOrUndef } from './types.js';

export const id = 'alpine-secdb';
export const displayName = 'Alpine secdb (JSON/YAML, whole-release or per-package)';
export const specUrls = [
  'https://secdb.alpinelinux.org/',
  'https://wiki.alpinelinux.org/wiki/Development_using_git:Package_Maintainer#Security_fixes',
];
export const version = 1;

// Ids inside free-text tokens: real entries carry typos such as `CVE-2019-19451.patch`.
const ID_TOKEN = /(CVE-\d{4}-\d{4,}|GHSA-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}|XSA-\d+|ALPINE-\d+)/i;

function idsOf(entries: unknown): string[] {
  if (!Array.isArray(entries)) return [];
  const out: string[] = [];
  for (const e of entries) {
    if (typeof e !== 'string') continue;
    for (const tok of e.split(/\s+/)) {
      const id = ID_TOKEN.exec(tok)?.[1];
      if (id && !out.includes(id)) out.push(id);
    }
  }
  return out;
}

/** `3.19` / `v3.19` → `v3.19`; undefined for anything else. */
export function alpineRelease(raw: string | undefined): string | undefined {
  const m = raw ? /^v?(\d+\.\d+)$/.exec(raw.trim()) : null;
  return m ? `v${m[1]}` : raw?.trim() === 'edge' ? 'edge' : undefined;
}

function recordsFor(release: string, pkg: string, secfixes: unknown, out: AdvisoryRecord[]): void {
  if (!isRecord(secfixes)) return;
  for (const [fixed, ids] of Object.entries(secfixes)) {
    if (fixed === '0' || !/^[0-9A-Za-z._+~-]+$/.test(fixed)) continue;
    const aliases = idsOf(ids);
    if (aliases.length === 0) continue;
    const advisoryId = `ALPINE-${release}-${pkg}-${fixed}`;
    const advisory: Advisory = {
      id: advisoryId,
      source: 'alpine-secdb',
      aliases,
      severity: [],
      references: [`https://security.alpinelinux.org/srcpkg/${encodeURIComponent(pkg)}`],
      summary: `${pkg} ${fixed} fixes ${aliases.join(', ')}`,
    };
    const affected: AffectedPackage = {
      advisoryId,
      ecosystem: `Alpine:${release}`,
      name: pkg,
      nameIsSource: true,
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }],
      versions: [],
    };
    out.push({ advisory, affected: [affected] });
  }
}

/** Parses one secdb document (whole release or one package); `pathRelease` comes from the folder. */
export function parseAlpineSecdb(doc: unknown, pathRelease?: string): AdvisoryRecord[] {
  if (!isRecord(doc)) throw new TypeError('Alpine secdb document is not an object');
  const release = alpineRelease(strOrUndef(doc.distroversion)) ?? alpineRelease(pathRelease);
  if (!release) throw new TypeError('Alpine secdb: no distroversion');
  const out: AdvisoryRecord[] = [];
  if (Array.isArray(doc.packages)) {
    for (const p of doc.packages) {
      const pkg = isRecord(p) && isRecord(p.pkg) ? p.pkg : undefined;
      const name = pkg ? strOrUndef(pkg.name) : undefined;
      if (pkg && name) recordsFor(release, name, pkg.secfixes, out);
    }
  } else {
    const name = strOrUndef(doc.name);
    if (!name) throw new TypeError('Alpine secdb: neither packages nor name');
    recordsFor(release, name, doc.secfixes, out);
  }
  return out;
}

/** `…/alpine/3.19/main/busybox.json` → `3.19`. */
export function releaseFromAlpinePath(path: string): string | undefined {
  return /(?:^|[\\/])(v?\d+\.\d+)[\\/][^\\/]+[\\/][^\\/]+\.(json|ya?ml)$/.exec(path)?.[1];
}

export function sniffAlpineSecdb(head: string): boolean {
  return (
    /"?secfixes"?\s*:/.test(head) ||
    (/"?distroversion"?\s*:/.test(head) && /"?packages"?\s*:|"?apkurl"?\s*:/.test(head))
  );
}
