/**
 * detectOs: which distro and release a filesystem holds, from its release files.
 *
 * 1. /etc/os-release, else /usr/lib/os-release (the spec's fallback). A known ID decides the family.
 * 2. The family's own release file refines the version to what scanners report (trivy style):
 *    Debian "12" → "12.5" (debian_version), Amazon "2" → "2 (Karoo)" (system-release),
 *    CentOS "7" → "7.6.1810" (centos-release), Alpine → alpine-release.
 * 3. Without a usable os-release, the legacy files are tried, most specific first: Oracle Linux also
 *    ships redhat-release, Ubuntu also ships debian_version, RHEL's system-release is a symlink to
 *    redhat-release. The first that parses wins.
 *
 * Every file is read with MAX_CONFIG_FILE_BYTES as the cap. A file that is absent is skipped
 * silently; a file that is present but unusable (or too large) is reported through `onError` and
 * the next one is tried: one bad file never hides the OS.
 */
import { checkAborted, ScanError } from '../../engine/errors.js';
import { DEFAULT_LIMITS, type Limits } from '../../engine/limits.js';
import type { OsInfo } from '../../engine/model/os.js';
import type { FileSystem } from '../fs/types.js';
import { osFromOsRelease, parseOsRelease } from './os-release.js';
import {
  parseAlpineRelease,
  parseDebianVersion,
  parseLsbRelease,
  parseRedhatRelease,
  parseSuseRelease,
  parseSystemRelease,
} from './release-files.js';

export interface DetectOsOptions {
  limits?: Partial<Limits>;
  signal?: AbortSignal;
  /** A release file that exists but could not be read or understood. */
  onError?: (path: string, err: unknown) => void;
}

type Parser = (text: string, path: string) => OsInfo;

const redhatFile =
  (kind: string): Parser =>
  (text, path) =>
    parseRedhatRelease(text, path, kind);

/** Legacy release files, most specific first (see the header). */
const FALLBACKS: ReadonlyArray<[string, Parser]> = [
  ['/etc/system-release', parseSystemRelease],
  ['/usr/lib/system-release', parseSystemRelease],
  ['/etc/oracle-release', redhatFile('oracle')],
  ['/etc/almalinux-release', redhatFile('alma')],
  ['/etc/rocky-release', redhatFile('rocky')],
  ['/etc/centos-release', redhatFile('centos')],
  ['/etc/fedora-release', redhatFile('fedora')],
  ['/etc/redhat-release', redhatFile('redhatbase')],
  ['/etc/alpine-release', parseAlpineRelease],
  ['/etc/lsb-release', parseLsbRelease],
  ['/etc/debian_version', parseDebianVersion],
  ['/etc/SuSE-release', parseSuseRelease],
];

/** Per family: the release file whose version is more precise than os-release's VERSION_ID. */
const REFINERS: Readonly<Record<string, ReadonlyArray<[string, Parser]>>> = {
  amazon: [
    ['/etc/system-release', parseSystemRelease],
    ['/usr/lib/system-release', parseSystemRelease],
  ],
  centos: [['/etc/centos-release', redhatFile('centos')]],
  rocky: [['/etc/rocky-release', redhatFile('rocky')]],
  alma: [['/etc/almalinux-release', redhatFile('alma')]],
  oracle: [['/etc/oracle-release', redhatFile('oracle')]],
  fedora: [['/etc/fedora-release', redhatFile('fedora')]],
  redhat: [['/etc/redhat-release', redhatFile('redhatbase')]],
  alpine: [['/etc/alpine-release', parseAlpineRelease]],
  debian: [['/etc/debian_version', parseDebianVersion]],
};

class Reader {
  private readonly max: number;
  constructor(
    private readonly fs: FileSystem,
    private readonly opts: DetectOsOptions,
  ) {
    this.max = opts.limits?.MAX_CONFIG_FILE_BYTES ?? DEFAULT_LIMITS.MAX_CONFIG_FILE_BYTES;
  }

  /** The file's text, or undefined when it does not exist (or is not a regular file). */
  async text(path: string): Promise<string | undefined> {
    checkAborted(this.opts.signal);
    try {
      const buf = await this.fs.readFile(path, { maxBytes: this.max, signal: this.opts.signal });
      return buf.toString('utf8');
    } catch (err) {
      if (err instanceof ScanError) {
        if (err.code === 'aborted') throw err;
        // A path component that is not a directory (/etc as a file) is corruption, reported below.
        if (err.code === 'not-found' || err.code === 'is-a-directory') {
          return undefined;
        }
      }
      this.opts.onError?.(path, err);
      return undefined;
    }
  }

  /** Does this path resolve to itself (not a symlink to another release file)? */
  async isOwnFile(path: string): Promise<boolean> {
    try {
      return (await this.fs.resolve(path)) === path;
    } catch {
      return false;
    }
  }

  async tryParse(path: string, parse: Parser): Promise<OsInfo | undefined> {
    const text = await this.text(path);
    if (text === undefined) return undefined;
    try {
      return parse(text, path);
    } catch (err) {
      this.opts.onError?.(path, err);
      return undefined;
    }
  }
}

export async function detectOs(fs: FileSystem, opts: DetectOsOptions = {}): Promise<OsInfo | undefined> {
  const r = new Reader(fs, opts);

  // 1. os-release.
  let base: OsInfo | undefined;
  for (const path of ['/etc/os-release', '/usr/lib/os-release']) {
    const text = await r.text(path);
    if (text === undefined) continue;
    base = osFromOsRelease(parseOsRelease(text), path);
    // /etc/os-release is authoritative when present, even when its ID is one we do not know.
    break;
  }

  // 2. Refine the version from the family's own file.
  if (base) {
    for (const [path, parse] of REFINERS[base.family] ?? []) {
      // RHEL-likes point system-release at redhat-release: only Amazon's own file counts.
      if (base.family === 'amazon' && !(await r.isOwnFile(path))) continue;
      const own = await r.tryParse(path, parse);
      if (!own || own.family !== base.family) continue;
      refine(base, own);
      break;
    }
    if (base.name !== '') return base;
    // Debian testing without debian_version: nothing says which release it is.
    return undefined;
  }

  // 3. Legacy files.
  for (const [path, parse] of FALLBACKS) {
    if (path.endsWith('system-release') && !(await r.isOwnFile(path))) continue;
    const info = await r.tryParse(path, parse);
    if (info) return info;
  }
  return undefined;
}

function refine(base: OsInfo, own: OsInfo): void {
  switch (base.family) {
    case 'debian':
      // "12.5" refines "12"; "trixie/sid" names testing, which has no VERSION_ID.
      if (!base.versionId || /^\d/.test(own.name)) base.name = own.name;
      break;
    case 'amazon':
      base.name = own.name;
      break;
    default:
      // Only take a more precise version of the same release (7 → 7.6.1810), never a different one.
      if (!base.versionId || own.name === base.versionId || own.name.startsWith(`${base.versionId}.`)) {
        base.name = own.name;
      }
  }
  if (!base.codename && own.codename) base.codename = own.codename;
}
