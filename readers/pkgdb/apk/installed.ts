/**
 * apk-tools installed database (apk-tools 2.x `lib/apk/db/installed`; format documented in
 * apk-tools doc/apk-package.5 and wiki "Apk spec", v2.14):
 *
 *   C:Q1myMNfd7u5v5UTgNHeq1e31qTjZU=   package checksum: "Q1" + base64(sha1) of the control segment
 *   P:alpine-baselayout                name            V: version (pkgver-rN)   A: arch
 *   S:19917  I:409600                  size, installed size (bytes)
 *   T: description  U: url  L: license (SPDX-ish expression)  o: origin (source package)
 *   m: maintainer  t: build time  c: aports commit  k: provider priority  i: install_if
 *   D:/bin/sh so:libc.musl-x86_64.so.1 dependencies, space-separated ("!x" = conflict)
 *   p:cmd:mkmntdirs                    provides, space-separated ("name=version")
 *   r: replaces  q: replaces priority
 *   F:etc                              directory (relative to /), following lines belong to it:
 *   M:0:0:1777                           directory owner uid:gid:mode
 *   R:fstab                              file in the last F: directory
 *   a:0:0:755[:xattr-checksum]           its owner uid:gid:mode
 *   Z:Q1…                                its checksum (Q1 = base64 sha1; else hex md5)
 *                                      blank line: end of the package record
 *
 * Read line by line with a record state machine: a line over MAX_LINE_BYTES, a line that is not
 * "<letter>:value", a repeated single-valued field, or a record without P:/V: is reported with its
 * byte offset and skipped; the other records are still parsed.
 */
import { CorruptError, checkAborted, LimitExceededError, type ScanError } from '../../../engine/errors.js';
import { splitLines } from '../../bytes/lines.js';

export interface ApkFileRecord {
  /** Absolute path. */
  path: string;
  /** Directory entry (F:), not a file (R:). */
  isDir?: boolean;
  ownerUID?: string;
  ownerGID?: string;
  /** Mode as written (`755`, `0640`). */
  permissions?: string;
  digest?: { algorithm: string; value: string };
}

export interface ApkEntry {
  package: string;
  version: string;
  architecture?: string;
  originPackage?: string;
  description?: string;
  maintainer?: string;
  url?: string;
  license?: string;
  size?: number;
  installedSize?: number;
  buildTime?: number;
  gitCommit?: string;
  /** C: as written. */
  checksum?: string;
  dependencies: string[];
  provides: string[];
  installIf?: string[];
  replaces?: string[];
  providerPriority?: number;
  files: ApkFileRecord[];
  /** Byte offset of the record in the file. */
  offset: number;
}

export interface ApkParseOptions {
  format?: string;
  maxLineBytes: number;
  maxPackages: number;
  signal?: AbortSignal;
}

/** Single-valued scalar fields: a second occurrence in one record is corruption. */
const SCALARS: Readonly<Record<string, keyof ApkEntry>> = {
  P: 'package',
  V: 'version',
  A: 'architecture',
  o: 'originPackage',
  T: 'description',
  m: 'maintainer',
  U: 'url',
  L: 'license',
  c: 'gitCommit',
  C: 'checksum',
};
const NUMBERS: Readonly<Record<string, keyof ApkEntry>> = {
  S: 'size',
  I: 'installedSize',
  t: 'buildTime',
  k: 'providerPriority',
};

export function digestOf(z: string): { algorithm: string; value: string } {
  // apk writes "Q1"+base64(sha1) (apk 2.x); a bare 32-hex value is an md5 from very old databases.
  return z.startsWith('Q1') ? { algorithm: "'Q1'+base64(sha1)", value: z } : { algorithm: 'md5', value: z };
}

interface Building {
  e: Partial<ApkEntry> & { files: ApkFileRecord[]; offset: number };
  seen: Set<string>;
  dir: string;
  lastDir?: ApkFileRecord;
  lastFile?: ApkFileRecord;
}

function splitWords(v: string): string[] {
  return v.split(/\s+/).filter((x) => x !== '');
}

function parseAcl(v: string, rec: ApkFileRecord): void {
  const [uid, gid, mode] = v.split(':');
  if (uid !== undefined && uid !== '') rec.ownerUID = uid;
  if (gid !== undefined && gid !== '') rec.ownerGID = gid;
  if (mode !== undefined && mode !== '') rec.permissions = mode;
}

export function parseApkInstalled(
  bytes: Buffer,
  opts: ApkParseOptions,
): { entries: ApkEntry[]; errors: ScanError[] } {
  const format = opts.format ?? 'apk/installed';
  const entries: ApkEntry[] = [];
  const errors: ScanError[] = [];
  let cur: Building | undefined;
  let skipping = false;
  let recordLine = 0;

  const loc = (offset: number, field?: string) => ({
    format,
    struct: `record at line ${recordLine}`,
    offset,
    ...(field ? { field } : {}),
  });
  const fail = (err: ScanError) => {
    errors.push(err);
    cur = undefined;
    skipping = true;
  };
  const finish = () => {
    if (cur && !skipping) {
      const e = cur.e;
      if (!e.package || !e.version) {
        errors.push(new CorruptError(loc(e.offset, e.package ? 'V' : 'P'), '""', 'is', 'required'));
      } else {
        if (entries.length >= opts.maxPackages) {
          throw new LimitExceededError(
            loc(e.offset),
            'MAX_PACKAGES_PER_DB',
            entries.length + 1,
            opts.maxPackages,
          );
        }
        e.dependencies ??= [];
        e.provides ??= [];
        entries.push(e as ApkEntry);
      }
      checkAborted(opts.signal);
    }
    cur = undefined;
    skipping = false;
  };

  for (const l of splitLines(bytes, opts.maxLineBytes)) {
    const { start, len, no: lineNo } = l;
    if (len === 0) {
      finish();
      continue;
    }
    const line = l.text;
    if (line !== undefined && line.trim() === '') {
      finish();
      continue;
    }
    if (!cur && !skipping) {
      cur = { e: { files: [], offset: start }, seen: new Set(), dir: '' };
      recordLine = lineNo;
    }
    if (skipping) continue;
    if (line === undefined) {
      fail(new LimitExceededError(loc(start, 'line'), 'MAX_LINE_BYTES', len, opts.maxLineBytes));
      continue;
    }
    if (line.length < 2 || line[1] !== ':') {
      fail(
        new CorruptError(
          loc(start, 'line'),
          JSON.stringify(line.slice(0, 60)),
          'is not',
          'a "<letter>:value" line',
        ),
      );
      continue;
    }
    const b = cur!;
    const key = line[0]!;
    const value = line.slice(2);
    const scalar = SCALARS[key] ?? NUMBERS[key];
    if (scalar) {
      if (b.seen.has(key)) {
        fail(new CorruptError(loc(start, `${key}:`), 'field', 'repeated in', 'one record'));
        continue;
      }
      b.seen.add(key);
      if (NUMBERS[key]) {
        const n = Number(value);
        if (value !== '' && Number.isSafeInteger(n) && n >= 0) (b.e as Record<string, unknown>)[scalar] = n;
      } else if (value !== '') {
        (b.e as Record<string, unknown>)[scalar] = value;
      }
      continue;
    }
    switch (key) {
      case 'D':
        b.e.dependencies = splitWords(value);
        break;
      case 'p':
        b.e.provides = splitWords(value);
        break;
      case 'i':
        // apk writes "i:" lists space-separated; some generators leave "[]" for none.
        if (value !== '' && value !== '[]') b.e.installIf = splitWords(value);
        break;
      case 'r':
        b.e.replaces = splitWords(value);
        break;
      case 'F': {
        b.dir = value.replace(/^\/+|\/+$/g, '');
        const rec: ApkFileRecord = { path: `/${b.dir}`, isDir: true };
        b.e.files.push(rec);
        b.lastDir = rec;
        b.lastFile = undefined;
        break;
      }
      case 'M':
        if (b.lastDir) parseAcl(value, b.lastDir);
        break;
      case 'R': {
        const rec: ApkFileRecord = { path: b.dir === '' ? `/${value}` : `/${b.dir}/${value}` };
        b.e.files.push(rec);
        b.lastFile = rec;
        break;
      }
      case 'a':
        if (b.lastFile) parseAcl(value, b.lastFile);
        break;
      case 'Z':
        if (b.lastFile && value !== '') b.lastFile.digest = digestOf(value);
        break;
      default:
        // Other one-letter fields (q, s, f, x…) carry nothing a scanner needs.
        break;
    }
  }
  finish();
  return { entries, errors };
}
