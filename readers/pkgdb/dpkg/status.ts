/**
 * dpkg status database (dpkg(1) "FILES", deb-control(5) for the fields):
 *
 *   /var/lib/dpkg/status          one stanza per package dpkg knows, installed or not
 *   /var/lib/dpkg/status.d/<pkg>  distroless images (bazel rules_distroless): one file per package,
 *                                 no Status field (everything listed is installed)
 *
 * Status is "<want> <error-flag> <state>" (dpkg-query(1)). A package's files are on disk when the
 * state is installed, half-configured, unpacked, triggers-awaited or triggers-pending; not when it
 * is not-installed, config-files (removed, only conffiles left) or half-installed. Entries with no
 * version are kept (distroless files have them; the matcher reports such a package as unknown).
 */
import { BadMagicError, CorruptError, type ScanError } from '../../../engine/errors.js';
import { parseDeb822, type Stanza } from './deb822.js';

export interface DpkgConffile {
  path: string;
  /** md5 hex, or `newconffile` while dpkg is installing it. */
  md5: string;
  /** `obsolete`, `remove-on-upgrade`. */
  flags?: string[];
}

export interface DpkgEntry {
  package: string;
  /** Raw Status field (absent in status.d files). */
  status?: string;
  version: string;
  architecture?: string;
  /** Source package name, only when a Source field is present. */
  source?: string;
  /** Source version, only when the Source field carries "(version)". */
  sourceVersion?: string;
  maintainer?: string;
  /** KiB as dpkg writes it (see parseInstalledSize for non-numeric values). */
  installedSize?: number;
  description?: string;
  multiArch?: string;
  homepage?: string;
  provides: string[];
  depends: string[];
  preDepends: string[];
  conffiles: DpkgConffile[];
  /** Byte offset of the stanza in the file. */
  offset: number;
}

export interface DpkgStatusResult {
  entries: DpkgEntry[];
  errors: ScanError[];
}

export interface DpkgStatusOptions {
  format?: string;
  /** status.d file: a stanza without Status is an installed package. */
  distroless?: boolean;
  maxLineBytes: number;
  maxPackages: number;
  signal?: AbortSignal;
}

/** Third word of Status for which the package's files are present. */
const ON_DISK_STATES = new Set([
  'installed',
  'half-configured',
  'unpacked',
  'triggers-awaited',
  'triggers-pending',
]);

/** Every state dpkg knows (lib/dpkg/dpkg-db.h enum pkgstatus). */
const ALL_STATES = new Set([...ON_DISK_STATES, 'not-installed', 'config-files', 'half-installed']);

/** Alphanumeric first, then alphanumerics and "+-." (dpkg lib/dpkg/parsehelp.c); dpkg folds case. */
const PACKAGE_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9+.-]*$/;

const SOURCE_RE = /^(\S+)(?:\s+\((.*)\))?\s*$/;

/** Fields only vcpkg writes in its own "status" file (claircore rejects such files the same way). */
const VCPKG_FIELDS = ['abi', 'feature', 'default-features'];

export function parseDpkgStatus(bytes: Buffer, opts: DpkgStatusOptions): DpkgStatusResult {
  const format = opts.format ?? 'dpkg/status';
  const entries: DpkgEntry[] = [];
  const entryErrors: ScanError[] = [];
  let vcpkg: { stanza: Stanza; field: string } | undefined;
  // Each stanza becomes an entry as soon as it ends; its field map (Description, Conffiles…)
  // is garbage from then on, so the whole file's stanzas are never held at once.
  const { errors } = parseDeb822(bytes, {
    format,
    maxLineBytes: opts.maxLineBytes,
    maxStanzas: opts.maxPackages,
    signal: opts.signal,
    onStanza: (s) => {
      if (vcpkg) return;
      const field =
        VCPKG_FIELDS.find((f) => s.fields.has(f)) ?? (s.fields.get('type') === 'Port' ? 'type' : undefined);
      if (field) {
        vcpkg = { stanza: s, field };
        entries.length = 0;
        return;
      }
      const r = toEntry(s, format, opts.distroless ?? false);
      if (r instanceof Error) entryErrors.push(r);
      else if (r) entries.push(r);
    },
  });
  if (vcpkg) {
    return {
      entries: [],
      errors: [
        new BadMagicError(
          {
            format,
            struct: `stanza at line ${vcpkg.stanza.line}`,
            offset: vcpkg.stanza.offset,
            field: vcpkg.field,
          },
          'present',
          'absent (a vcpkg status file, not a dpkg database)',
        ),
      ],
    };
  }
  return { entries, errors: [...errors, ...entryErrors] };
}

function toEntry(s: Stanza, format: string, distroless: boolean): DpkgEntry | ScanError | undefined {
  const f = s.fields;
  const loc = (field: string) => ({ format, struct: `stanza at line ${s.line}`, offset: s.offset, field });
  const name = f.get('package') ?? '';
  if (name === '') return new CorruptError(loc('Package'), '""', 'is', 'required');
  // dpkg's own rule (pkg_name_is_illegal): the name also becomes a path component below.
  if (!PACKAGE_NAME_RE.test(name)) {
    return new CorruptError(loc('Package'), JSON.stringify(name.slice(0, 60)), 'is not', 'a package name');
  }
  const status = f.get('status');
  if (status !== undefined) {
    const words = status.split(/\s+/);
    if (words.length !== 3)
      return new CorruptError(loc('Status'), JSON.stringify(status), 'is not', '"want flag state"');
    // A known state whose files are gone (not-installed, config-files, half-installed) is no
    // package; an unknown word is damage, reported rather than read as "not installed".
    if (!ALL_STATES.has(words[2]!))
      return new CorruptError(loc('Status'), JSON.stringify(words[2]), 'is not', 'a dpkg package state');
    if (!ON_DISK_STATES.has(words[2]!)) return undefined;
  } else if (!distroless) {
    // dpkg writes a Status into every stanza of /var/lib/dpkg/status: a stanza without one is
    // damage (found by test/fuzz: a cut file ended in "Package:a" and vanished without a word).
    return new CorruptError(loc('Status'), 'missing', 'in', 'a status file stanza');
  }
  const e: DpkgEntry = {
    package: name,
    version: f.get('version') ?? '',
    provides: splitList(f.get('provides')),
    depends: splitList(f.get('depends')),
    preDepends: splitList(f.get('pre-depends')),
    conffiles: [],
    offset: s.offset,
  };
  if (status !== undefined) e.status = status;
  const set = <K extends keyof DpkgEntry>(k: K, v: DpkgEntry[K] | undefined) => {
    if (v !== undefined && v !== '') e[k] = v;
  };
  set('architecture', f.get('architecture'));
  set('maintainer', f.get('maintainer'));
  set('description', f.get('description'));
  set('multiArch', f.get('multi-arch'));
  set('homepage', f.get('homepage'));
  const source = f.get('source');
  if (source) {
    const m = SOURCE_RE.exec(source);
    if (!m) return new CorruptError(loc('Source'), JSON.stringify(source), 'is not', '"name [(version)]"');
    e.source = m[1]!;
    if (m[2]) e.sourceVersion = m[2].trim();
  }
  const size = f.get('installed-size');
  if (size) {
    const n = parseInstalledSize(size);
    if (n === undefined)
      return new CorruptError(loc('Installed-Size'), JSON.stringify(size), 'is not', 'a size');
    e.installedSize = n;
  }
  const conf = f.get('conffiles');
  if (conf) e.conffiles = parseConffilesField(conf);
  return e;
}

/** Comma-separated relation list (Depends, Provides…): alternatives `a | b` stay one element. */
export function splitList(v: string | undefined): string[] {
  if (!v) return [];
  return v
    .split(',')
    .map((x) => x.replace(/\s+/g, ' ').trim())
    .filter((x) => x !== '');
}

/**
 * Installed-Size is an integer number of KiB. A value with a unit ("4KB", seen in hand-made
 * distroless files) is read the way syft does (humanize.ParseBytes: SI "KB" = 1000, IEC "KiB" =
 * 1024) and the resulting number kept as is, so both tools report the same figure.
 */
export function parseInstalledSize(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]i?b?|b)?$/i.exec(v.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = (m[2] ?? '').toLowerCase();
  if (unit === '' || unit === 'b') return Number.isSafeInteger(n) ? n : Math.floor(n);
  const pow = { k: 1, m: 2, g: 3, t: 4 }[unit[0] as 'k' | 'm' | 'g' | 't'];
  const base = unit.includes('i') ? 1024 : 1000;
  const out = Math.floor(n * base ** pow);
  return Number.isSafeInteger(out) ? out : undefined;
}

/** Conffiles field: one " <path> <md5> [obsolete] [remove-on-upgrade]" per continuation line. */
export function parseConffilesField(v: string): DpkgConffile[] {
  const out: DpkgConffile[] = [];
  for (const raw of v.split('\n')) {
    const parts = raw.trim().split(/\s+/);
    if (parts.length < 2 || !parts[0]!.startsWith('/')) continue;
    const c: DpkgConffile = { path: parts[0]!, md5: parts[1]! };
    if (parts.length > 2) c.flags = parts.slice(2);
    out.push(c);
  }
  return out;
}
