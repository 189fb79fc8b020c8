/**
 * pkgdb/apk: installed Alpine (and Wolfi/Chainguard, postmarketOS) packages from apk-tools'
 * installed database. Format and layout: see installed.ts.
 *
 *   /lib/apk/db/installed        apk-tools 2.x (and 3.x, which still writes it for compatibility)
 *   /usr/lib/apk/db/installed    merged-/usr systems (apk-tools ≥ 2.14 with usrmerge)
 *
 * Output: one Package per record, purl `pkg:apk/<os id>/<name>@<version>?arch=…&distro=<id>-<ver>`
 * (plus `upstream=<origin>` when the origin differs, as syft writes it). `licenses` are the
 * license expression's identifiers as apk writes them (operators and parentheses dropped).
 */
import { checkAborted, serializeError } from '../../../engine/errors.js';
import { DEFAULT_LIMITS } from '../../../engine/limits.js';
import type { Package } from '../../../engine/model/package.js';
import type { CatalogContext, Cataloger, CatalogFile, CatalogResult } from '../../cataloger.js';
import { distroQualifier, purlNamespace } from '../purl.js';
import { type ApkEntry, parseApkInstalled } from './installed.js';
import { apkType } from './type.js';

export { type ApkEntry, type ApkFileRecord, digestOf, parseApkInstalled } from './installed.js';

export const id = 'pkgdb/apk';
export const displayName = 'apk installed database';
export const specUrls = [
  'https://wiki.alpinelinux.org/wiki/Apk_spec',
  'https://gitlab.alpinelinux.org/alpine/apk-tools/-/blob/master/doc/apk-package.5.scd',
] as const;
export const version = 1;

const PRIMARY = '/lib/apk/db/installed';
const MERGED_USR = '/usr/lib/apk/db/installed';

/** License expression → identifiers: "( Apache-2.0 OR MIT ) AND MPL-2.0" → Apache-2.0, MIT, MPL-2.0. */
export function splitApkLicense(l: string | undefined): string[] {
  if (!l) return [];
  const out: string[] = [];
  for (const w of l.split(/[\s()]+/)) {
    if (w === '' || /^(AND|OR|WITH)$/i.test(w)) continue;
    if (!out.includes(w)) out.push(w);
  }
  return out;
}

/** "Q1"+base64(sha1) → "sha1:<hex>" (the form SBOM hashes take); undefined for anything else. */
export function checksumToSha1(c: string | undefined): string | undefined {
  if (!c?.startsWith('Q1')) return undefined;
  const raw = Buffer.from(c.slice(2), 'base64');
  return raw.length === 20 ? `sha1:${raw.toString('hex')}` : undefined;
}

/** Dependency name without version constraint: "so:libc.musl-x86_64.so.1", "pkgconf>=1.0" → "pkgconf". */
function depName(d: string): string {
  return d.replace(/[<>=~].*$/, '');
}

/** D: entries resolved to installed `name@version` ids through names and provides (as trivy's dependsOn). */
function resolveDepends(entries: readonly ApkEntry[]): Map<ApkEntry, string[]> {
  const byName = new Map<string, ApkEntry>();
  for (const e of entries) if (!byName.has(e.package)) byName.set(e.package, e);
  const providers = new Map<string, ApkEntry>();
  for (const e of entries) {
    for (const p of e.provides) {
      const n = depName(p);
      if (!providers.has(n)) providers.set(n, e);
    }
  }
  const out = new Map<ApkEntry, string[]>();
  for (const e of entries) {
    const ids = new Set<string>();
    for (const d of e.dependencies) {
      if (d.startsWith('!')) continue; // a conflict, not a dependency
      const n = depName(d);
      const dep = byName.get(n) ?? providers.get(n);
      if (dep && dep !== e) ids.add(`${dep.package}@${dep.version}`);
    }
    out.set(e, [...ids].sort());
  }
  return out;
}

async function catalog(file: CatalogFile, ctx: CatalogContext): Promise<CatalogResult> {
  // On merged-/usr systems /lib is /usr/lib: the dispatcher offers the database once, under its
  // canonical path (readers/dispatch.ts), so nothing here checks for the alias.
  const limits = ctx.limits ?? DEFAULT_LIMITS;
  const { entries, errors } = parseApkInstalled(file.bytes, {
    maxLineBytes: limits.MAX_LINE_BYTES,
    maxPackages: limits.MAX_PACKAGES_PER_DB,
    signal: ctx.signal,
  });
  const dependsOn = resolveDepends(entries);
  const namespace = purlNamespace(ctx.os, 'alpine');
  const distro = distroQualifier(ctx.os);
  const packages: Package[] = entries.map((e) => {
    checkAborted(ctx.signal);
    const metadata: Record<string, unknown> = {
      dependencies: e.dependencies,
      provides: e.provides,
      files: e.files,
      dependsOn: dependsOn.get(e) ?? [],
    };
    for (const k of [
      'originPackage',
      'description',
      'url',
      'license',
      'size',
      'installedSize',
      'buildTime',
      'gitCommit',
      'checksum',
      'installIf',
      'replaces',
      'providerPriority',
    ] as const) {
      if (e[k] !== undefined) metadata[k] = e[k];
    }
    const digest = checksumToSha1(e.checksum);
    if (digest) metadata.digest = digest;
    const pkg: Package = {
      foundBy: id,
      type: apkType.id,
      name: e.package,
      version: e.version,
      sourceName: e.originPackage ?? e.package,
      sourceVersion: e.version,
      purl: apkType.purl({
        namespace,
        name: e.package,
        version: e.version,
        qualifiers: {
          arch: e.architecture,
          distro,
          upstream: e.originPackage && e.originPackage !== e.package ? e.originPackage : undefined,
        },
      }),
      locations: [{ path: file.path }],
      metadata,
    };
    // apk versions are "<pkgver>-r<pkgrel>": the release is the -rN suffix.
    const m = /^(.*)-r(\d+)$/.exec(e.version);
    if (m) {
      pkg.upstreamVersion = m[1]!;
      pkg.release = `r${m[2]}`;
    }
    if (e.architecture) pkg.arch = e.architecture;
    if (e.maintainer) pkg.maintainer = e.maintainer;
    const licenses = splitApkLicense(e.license);
    if (licenses.length > 0) pkg.licenses = licenses;
    return pkg;
  });
  return { packages, errors: errors.map((err) => ({ path: file.path, error: serializeError(err) })) };
}

export const apkCataloger: Cataloger = {
  id,
  displayName,
  kind: 'os',
  version,
  specUrls,
  paths: [PRIMARY, MERGED_USR],
  wants: (path, stat) => stat.type === 'file' && (path === PRIMARY || path === MERGED_USR),
  catalog,
};

export { apkType as packageType } from './type.js';
export const catalogers: readonly Cataloger[] = [apkCataloger];
