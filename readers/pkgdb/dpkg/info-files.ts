/**
 * Per-package files beside the dpkg database.
 *
 *   /var/lib/dpkg/info/<pkg>[:<arch>].md5sums    "<md5 hex>  <path without leading />" per line
 *   /var/lib/dpkg/info/<pkg>[:<arch>].conffiles  one absolute path per line (dpkg ≥ 1.20 may prefix
 *                                                "remove-on-upgrade ")
 *   /var/lib/dpkg/status.d/<pkg>.md5sums         distroless: beside the package's status file
 *   /usr/share/doc/<pkg>/copyright               DEP-5 (machine-readable) or free text
 *
 * `:<arch>` appears for Multi-Arch: same packages. All parsers are pure and skip lines they cannot
 * read: these files only enrich a package that the status database already proved installed.
 */

export interface Md5sumEntry {
  path: string;
  md5: string;
}

const MD5_LINE = /^([0-9a-fA-F]{32})\s+\*?(.+)$/;

export function parseMd5sums(text: string): Md5sumEntry[] {
  const out: Md5sumEntry[] = [];
  for (const raw of text.split('\n')) {
    const m = MD5_LINE.exec(raw.trimEnd());
    if (!m) continue;
    const p = m[2]!;
    out.push({ path: p.startsWith('/') ? p : `/${p}`, md5: m[1]!.toLowerCase() });
  }
  return out;
}

export function parseInfoConffiles(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim().replace(/^remove-on-upgrade\s+/, '');
    if (line.startsWith('/')) out.push(line);
  }
  return out;
}

const LICENSE_LINE = /^License:\s*(\S+)/;
const COMMON_LICENSE = /\/usr\/share\/common-licenses\/([0-9A-Za-z_.+-]+)/g;

/**
 * License names a copyright file states: DEP-5 `License:` lines (the short name, first word) and
 * references to /usr/share/common-licenses/<name> in free text. Sorted, unique.
 */
export function parseCopyrightLicenses(text: string): string[] {
  const found = new Set<string>();
  const add = (s: string) => {
    const v = s.replace(/[.,;:]+$/, '');
    if (v !== '') found.add(v);
  };
  for (const line of text.split('\n')) {
    const m = LICENSE_LINE.exec(line);
    if (m) add(m[1]!);
    for (const c of line.matchAll(COMMON_LICENSE)) add(c[1]!);
  }
  return [...found].sort();
}
