/**
 * pkgdb/dpkg: installed Debian/Ubuntu packages from the dpkg database.
 *
 * Spec: deb-control(5), deb822(5), dpkg-query(1) Status words, deb-version(7), Debian Policy §5
 * (dpkg 1.22); distroless layout from bazel rules_distroless / GoogleContainerTools/distroless.
 *
 *   /var/lib/dpkg/
 *   ├── status                   deb822 stanzas, one per known package (this cataloger's input)
 *   ├── status.d/<pkg>           distroless: one stanza file per package (+ <pkg>.md5sums)
 *   ├── available                apt's view of available packages: SHA256 of the .deb (optional)
 *   └── info/<pkg>[:arch].md5sums | .conffiles   installed files (read to enrich, bounded)
 *   /usr/share/doc/<pkg>/copyright               licenses
 *
 * Output: one Package per installed stanza, purl `pkg:deb/<os id>/<name>@<version>?arch=…&distro=…`
 * (plus `upstream=<source>[@<version>]` when a Source field is present, as syft writes it).
 * A malformed stanza is reported in `errors` and skipped; the rest of the file is still parsed.
 */
import { basename, dirname } from 'node:path';
import { checkAborted, ScanError, type SerializedError, serializeError } from '../../../engine/errors.js';
import { DEFAULT_LIMITS } from '../../../engine/limits.js';
import type { Package } from '../../../engine/model/package.js';
import type { CatalogContext, Cataloger, CatalogFile, CatalogResult } from '../../cataloger.js';
import { distroQualifier, purlNamespace } from '../purl.js';
import { parseDeb822 } from './deb822.js';
import { parseCopyrightLicenses, parseInfoConffiles, parseMd5sums } from './info-files.js';
import { type DpkgEntry, parseDpkgStatus } from './status.js';
import { debType } from './type.js';
import { splitDebVersion } from './version.js';

export { parseDeb822, type Stanza } from './deb822.js';
export { parseCopyrightLicenses, parseInfoConffiles, parseMd5sums } from './info-files.js';
export {
  type DpkgConffile,
  type DpkgEntry,
  parseConffilesField,
  parseDpkgStatus,
  parseInstalledSize,
  splitList,
} from './status.js';
export { type DebVersion, formatDebVersion, splitDebVersion } from './version.js';

export const id = 'pkgdb/dpkg';
export const displayName = 'dpkg status database';
export const specUrls = [
  'https://man7.org/linux/man-pages/man5/deb-control.5.html',
  'https://manpages.debian.org/bookworm/dpkg-dev/deb822.5.en.html',
  'https://manpages.debian.org/bookworm/dpkg/dpkg-query.1.en.html',
  'https://manpages.debian.org/bookworm/dpkg-dev/deb-version.7.en.html',
] as const;
export const version = 1;

/** Files in status.d that belong to a package's stanza file rather than being one. */
const STATUS_D_SIDE_FILE =
  /\.(md5sums|conffiles|list|shlibs|symbols|triggers|templates|preinst|postinst|prerm|postrm|config)$/;

/** Concurrent per-package file reads (copyright, md5sums): enough to hide EBS latency, few enough to stay polite. */
const ENRICH_CONCURRENCY = 8;

export interface DpkgFileRecord {
  path: string;
  digest?: { algorithm: 'md5'; value: string };
  isConfigFile?: boolean;
}

type Errors = Array<{ path: string; error: SerializedError }>;

function isAbsent(err: unknown): boolean {
  return (
    err instanceof ScanError &&
    (err.code === 'not-found' || err.code === 'not-a-directory' || err.code === 'is-a-directory')
  );
}

async function readOptional(
  ctx: CatalogContext,
  path: string,
  maxBytes: number,
  errors: Errors,
): Promise<Buffer | undefined> {
  try {
    return await ctx.fs.readFile(path, { maxBytes, signal: ctx.signal });
  } catch (err) {
    if (err instanceof ScanError && err.code === 'aborted') throw err;
    if (!isAbsent(err)) errors.push({ path, error: serializeError(err) });
    return undefined;
  }
}

async function listNames(ctx: CatalogContext, dir: string, errors: Errors): Promise<Set<string> | undefined> {
  try {
    return new Set((await ctx.fs.readdir(dir, ctx.signal)).map((e) => e.name));
  } catch (err) {
    if (err instanceof ScanError && err.code === 'aborted') throw err;
    if (!isAbsent(err)) errors.push({ path: dir, error: serializeError(err) });
    return undefined;
  }
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** `name@version` of installed packages, to resolve Depends into ids (as trivy's dependsOn). */
function resolveDepends(entries: readonly DpkgEntry[]): Map<DpkgEntry, string[]> {
  const ids = new Map<string, string>();
  for (const e of entries) if (!ids.has(e.package)) ids.set(e.package, `${e.package}@${e.version}`);
  const out = new Map<DpkgEntry, string[]>();
  for (const e of entries) {
    const found = new Set<string>();
    for (const rel of e.depends) {
      for (const alt of rel.split('|')) {
        // "libc6:any (>= 2.15)" → "libc6"
        const name = alt.replace(/\(.*$/, '').trim().replace(/:.*$/, '');
        const hit = ids.get(name);
        if (hit) found.add(hit);
      }
    }
    out.set(e, [...found].sort());
  }
  return out;
}

/**
 * What to read beyond the status file. Each costs small-file reads per package (on an EBS source a
 * few block fetches each): a scan that needs only names and versions can turn them off.
 */
export interface DpkgCatalogerOptions {
  /** info/<pkg>.md5sums and .conffiles → metadata.files (default true). */
  installedFiles?: boolean;
  /** /usr/share/doc/<pkg>/copyright → licenses (default true). */
  licenses?: boolean;
  /** /var/lib/dpkg/available → metadata.digest (default true). */
  availableDigests?: boolean;
}

async function catalog(
  file: CatalogFile,
  ctx: CatalogContext,
  options: DpkgCatalogerOptions = {},
): Promise<CatalogResult> {
  const wantFiles = options.installedFiles ?? true;
  const wantLicenses = options.licenses ?? true;
  const wantDigests = options.availableDigests ?? true;
  const dir = dirname(file.path);
  const distroless = basename(dir) === 'status.d';
  if (distroless && STATUS_D_SIDE_FILE.test(file.path)) return { packages: [], errors: [] };
  const limits = ctx.limits ?? DEFAULT_LIMITS;
  const parsed = parseDpkgStatus(file.bytes, {
    format: distroless ? 'dpkg/status.d' : 'dpkg/status',
    distroless,
    maxLineBytes: limits.MAX_LINE_BYTES,
    maxPackages: limits.MAX_PACKAGES_PER_DB,
    signal: ctx.signal,
  });
  const errors: Errors = parsed.errors.map((e) => ({ path: file.path, error: serializeError(e) }));
  const entries = parsed.entries;
  if (entries.length === 0) return { packages: [], errors };

  const infoDir = distroless ? dir : `${dir}/info`;
  const infoMax = limits.MAX_PKG_INFO_FILE_BYTES ?? DEFAULT_LIMITS.MAX_PKG_INFO_FILE_BYTES;
  const infoNames = wantFiles ? await listNames(ctx, infoDir, errors) : undefined;
  const digests =
    distroless || !wantDigests ? undefined : await readAvailableDigests(ctx, `${dir}/available`, errors);
  const dependsOn = resolveDepends(entries);
  const namespace = purlNamespace(ctx.os, 'debian');
  const distro = distroQualifier(ctx.os);

  const packages = await mapLimit(entries, ENRICH_CONCURRENCY, async (e): Promise<Package> => {
    checkAborted(ctx.signal);
    const files = new Map<string, DpkgFileRecord>();
    for (const c of e.conffiles) {
      files.set(c.path, { path: c.path, digest: { algorithm: 'md5', value: c.md5 }, isConfigFile: true });
    }
    const stems = e.architecture ? [`${e.package}:${e.architecture}`, e.package] : [e.package];
    const infoFile = (ext: string) => {
      const stem = stems.find((s) => infoNames?.has(`${s}.${ext}`));
      return stem === undefined ? undefined : `${infoDir}/${stem}.${ext}`;
    };
    const conffilesPath = infoFile('conffiles');
    if (conffilesPath) {
      const b = await readOptional(ctx, conffilesPath, infoMax, errors);
      for (const p of b ? parseInfoConffiles(b.toString('utf8')) : []) {
        const f = files.get(p) ?? { path: p };
        f.isConfigFile = true;
        files.set(p, f);
      }
    }
    const md5Path = infoFile('md5sums');
    if (md5Path) {
      const b = await readOptional(ctx, md5Path, infoMax, errors);
      for (const m of b ? parseMd5sums(b.toString('utf8')) : []) {
        const f = files.get(m.path) ?? { path: m.path };
        f.digest ??= { algorithm: 'md5', value: m.md5 };
        files.set(m.path, f);
      }
    }
    const copyright = wantLicenses
      ? await readOptional(ctx, `/usr/share/doc/${e.package}/copyright`, infoMax, errors)
      : undefined;
    const licenses = copyright ? parseCopyrightLicenses(copyright.toString('utf8')) : [];
    return toPackage(e, {
      file: file.path,
      files: [...files.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
      licenses,
      dependsOn: dependsOn.get(e) ?? [],
      digest: digests?.get(digestKey(e.package, e.version, e.architecture)),
      namespace,
      distro,
    });
  });
  return { packages, errors };
}

function toPackage(
  e: DpkgEntry,
  x: {
    file: string;
    files: DpkgFileRecord[];
    licenses: string[];
    dependsOn: string[];
    digest: string | undefined;
    namespace: string;
    distro: string | undefined;
  },
): Package {
  const v = splitDebVersion(e.version);
  const upstream = e.source ? (e.sourceVersion ? `${e.source}@${e.sourceVersion}` : e.source) : undefined;
  const metadata: Record<string, unknown> = {
    provides: e.provides,
    depends: e.depends,
    preDepends: e.preDepends,
    files: x.files,
    dependsOn: x.dependsOn,
  };
  for (const k of [
    'status',
    'source',
    'sourceVersion',
    'installedSize',
    'description',
    'multiArch',
    'homepage',
  ] as const) {
    if (e[k] !== undefined) metadata[k] = e[k];
  }
  if (x.digest) metadata.digest = x.digest;
  const pkg: Package = {
    foundBy: id,
    type: debType.id,
    name: e.package,
    version: e.version,
    sourceName: e.source ?? e.package,
    sourceVersion: e.sourceVersion ?? e.version,
    purl: debType.purl({
      namespace: x.namespace,
      name: e.package,
      version: e.version,
      qualifiers: { arch: e.architecture, distro: x.distro, upstream },
    }),
    locations: [{ path: x.file }],
    metadata,
  };
  if (v) {
    if (v.epoch !== undefined) pkg.epoch = v.epoch;
    pkg.upstreamVersion = v.upstream;
    if (v.revision !== undefined) pkg.release = v.revision;
  }
  if (e.architecture) pkg.arch = e.architecture;
  if (e.maintainer) pkg.maintainer = e.maintainer;
  if (x.licenses.length > 0) pkg.licenses = x.licenses;
  return pkg;
}

function digestKey(name: string, version: string, arch: string | undefined): string {
  return `${name}\0${version}\0${arch ?? ''}`;
}

/** /var/lib/dpkg/available: SHA256 of the .deb for a name+version+arch (usually empty on apt systems). */
async function readAvailableDigests(
  ctx: CatalogContext,
  path: string,
  errors: Errors,
): Promise<Map<string, string> | undefined> {
  const limits = ctx.limits ?? DEFAULT_LIMITS;
  const maxBytes = limits.MAX_DPKG_STATUS_BYTES ?? DEFAULT_LIMITS.MAX_DPKG_STATUS_BYTES;
  const bytes = await readOptional(ctx, path, maxBytes, errors);
  if (!bytes || bytes.length === 0) return undefined;
  const out = new Map<string, string>();
  // Stanza by stanza: only the digest of each is kept.
  const { errors: errs } = parseDeb822(bytes, {
    format: 'dpkg/available',
    maxLineBytes: limits.MAX_LINE_BYTES,
    maxStanzas: limits.MAX_PACKAGES_PER_DB,
    signal: ctx.signal,
    onStanza: (s) => {
      const name = s.fields.get('package');
      const ver = s.fields.get('version');
      const sha = s.fields.get('sha256');
      if (name && ver && sha && /^[0-9a-f]{64}$/i.test(sha)) {
        out.set(digestKey(name, ver, s.fields.get('architecture')), `sha256:${sha.toLowerCase()}`);
      }
    },
  });
  for (const e of errs) errors.push({ path, error: serializeError(e) });
  return out;
}

/** A dpkg cataloger; `options` turn the per-package enrichment reads off. */
export function createDpkgCataloger(options: DpkgCatalogerOptions = {}): Cataloger {
  return {
    id,
    displayName,
    kind: 'os',
    version,
    specUrls,
    paths: ['/var/lib/dpkg/status', '/var/lib/dpkg/status.d/*'],
    maxBytesLimit: 'MAX_DPKG_STATUS_BYTES',
    /** status.d also holds <pkg>.md5sums beside each stanza file: those are not databases. */
    wants: (path, stat) =>
      stat.type === 'file' &&
      (path === '/var/lib/dpkg/status' ||
        (dirname(path) === '/var/lib/dpkg/status.d' && !STATUS_D_SIDE_FILE.test(path))),
    catalog: (file, ctx) => catalog(file, ctx, options),
  };
}

/** The default: everything read (installed files, licenses, digests). */
export const dpkgCataloger: Cataloger = createDpkgCataloger();

export { debType as packageType } from './type.js';
export const catalogers: readonly Cataloger[] = [dpkgCataloger];
export { dpkgOwners as owners } from './owners.js';
