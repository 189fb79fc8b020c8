/**
 * RPM version ordering: rpmvercmp() over epoch, version and release (rpm 4.18).
 *
 * Spec: rpm's rpmio/rpmvercmp.c and python/header-py.c (labelCompare); the `^` operator is rpm >= 4.15.
 *   https://github.com/rpm-software-management/rpm/blob/rpm-4.18.x/rpmio/rpmvercmp.c
 *   https://rpm-software-management.github.io/rpm/manual/dependencies.html (versioning, ~ and ^)
 *
 *   [epoch:]version[-release]
 *    │      │       └ after the LAST '-'
 *    │      └ [A-Za-z0-9._+~^]
 *    └ unsigned decimal, absent = 0
 *
 * rpmvercmp splits each string into alphanumeric segments (other characters only separate):
 * digits compare numerically and beat letters; `~` sorts before everything (even the end);
 * `^` sorts after the end but before any other segment. A missing release sorts below any
 * release, as labelCompare does with a None release.
 */
import {
  type Comparator,
  checkLength,
  InvalidVersionError,
  memoParse,
  type Ordering,
  validFrom,
} from '../types.js';

export const id = 'rpm';
export const displayName = 'RPM';
export const specUrls = [
  'https://github.com/rpm-software-management/rpm/blob/rpm-4.18.x/rpmio/rpmvercmp.c',
  'https://rpm-software-management.github.io/rpm/manual/dependencies.html',
];
export const version = 1;

export interface RpmVersion {
  epoch: number;
  version: string;
  release?: string;
}

const PART_RE = /^[A-Za-z0-9._+~^]+$/;

export function parseRpmVersion(input: string): RpmVersion {
  checkLength(id, input);
  const v = input.trim();
  let epoch = 0;
  let rest = v;
  const colon = v.indexOf(':');
  if (colon >= 0) {
    const e = v.slice(0, colon);
    if (!/^[0-9]+$/.test(e)) throw new InvalidVersionError(id, input, 'epoch is not a number');
    epoch = Number(e);
    if (!Number.isSafeInteger(epoch) || epoch > 0xffffffff)
      throw new InvalidVersionError(id, input, 'epoch too big');
    rest = v.slice(colon + 1);
  }
  const dash = rest.lastIndexOf('-');
  const ver = dash >= 0 ? rest.slice(0, dash) : rest;
  const release = dash >= 0 ? rest.slice(dash + 1) : undefined;
  if (ver.length === 0) throw new InvalidVersionError(id, input, 'version is empty');
  if (!PART_RE.test(ver)) throw new InvalidVersionError(id, input, 'invalid character in version');
  if (release !== undefined) {
    if (release.length === 0) throw new InvalidVersionError(id, input, 'release is empty');
    if (!PART_RE.test(release)) throw new InvalidVersionError(id, input, 'invalid character in release');
  }
  return release === undefined ? { epoch, version: ver } : { epoch, version: ver, release };
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
function isAlpha(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}
function isAlnum(c: number): boolean {
  return isDigit(c) || isAlpha(c);
}

/** rpmvercmp(a, b) on one version or release string. Accepts any string (the tables exercise that). */
export function rpmvercmp(a: string, b: string): Ordering {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  const TILDE = 0x7e;
  const CARET = 0x5e;
  const at = (s: string, k: number) => (k < s.length ? s.charCodeAt(k) : 0);
  while (i < a.length || j < b.length) {
    while (i < a.length && !isAlnum(at(a, i)) && at(a, i) !== TILDE && at(a, i) !== CARET) i++;
    while (j < b.length && !isAlnum(at(b, j)) && at(b, j) !== TILDE && at(b, j) !== CARET) j++;
    const ca = at(a, i);
    const cb = at(b, j);
    if (ca === TILDE || cb === TILDE) {
      if (ca !== TILDE) return 1;
      if (cb !== TILDE) return -1;
      i++;
      j++;
      continue;
    }
    if (ca === CARET || cb === CARET) {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (ca !== CARET) return 1;
      if (cb !== CARET) return -1;
      i++;
      j++;
      continue;
    }
    if (!(i < a.length && j < b.length)) break;
    let ei = i;
    let ej = j;
    let isNum: boolean;
    if (isDigit(ca)) {
      while (ei < a.length && isDigit(at(a, ei))) ei++;
      while (ej < b.length && isDigit(at(b, ej))) ej++;
      isNum = true;
    } else {
      while (ei < a.length && isAlpha(at(a, ei))) ei++;
      while (ej < b.length && isAlpha(at(b, ej))) ej++;
      isNum = false;
    }
    // a segment of a different type on the other side: numeric beats alpha
    if (ej === j) return isNum ? 1 : -1;
    let sa = a.slice(i, ei);
    let sb = b.slice(j, ej);
    if (isNum) {
      sa = sa.replace(/^0+/, '');
      sb = sb.replace(/^0+/, '');
      if (sa.length !== sb.length) return sa.length > sb.length ? 1 : -1;
    }
    if (sa !== sb) return sa < sb ? -1 : 1;
    i = ei;
    j = ej;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

export function compareRpmVersions(a: RpmVersion, b: RpmVersion): Ordering {
  if (a.epoch !== b.epoch) return a.epoch > b.epoch ? 1 : -1;
  const v = rpmvercmp(a.version, b.version);
  if (v !== 0) return v;
  if (a.release === undefined || b.release === undefined) {
    if (a.release === b.release) return 0;
    return a.release === undefined ? -1 : 1;
  }
  return rpmvercmp(a.release, b.release);
}

/** `epoch:version-release` as rpm -q --qf '%{EPOCHNUM}:%{VERSION}-%{RELEASE}' writes it. */
export function formatEvr(v: RpmVersion): string {
  return `${v.epoch}:${v.version}${v.release === undefined ? '' : `-${v.release}`}`;
}

const parseCached = memoParse(parseRpmVersion);

export const comparator: Comparator = {
  id,
  compare: (a, b) => compareRpmVersions(parseCached(a), parseCached(b)),
  valid: validFrom(parseRpmVersion),
};
