/**
 * Debian (dpkg) version ordering.
 *
 * Spec: Debian Policy §5.6.12 "Version" and dpkg's lib/dpkg/version.c (verrevcmp), dpkg 1.21.
 *   https://www.debian.org/doc/debian-policy/ch-controlfields.html#version
 *   https://git.dpkg.org/cgit/dpkg/dpkg.git/tree/lib/dpkg/version.c
 *   https://git.dpkg.org/cgit/dpkg/dpkg.git/tree/lib/dpkg/parsehelp.c (parseversion)
 *
 *   [epoch:]upstream_version[-debian_revision]
 *    │       │                 └ after the LAST '-'; [A-Za-z0-9.+~]; absent = "" (== "0")
 *    │       └ starts with a digit; [A-Za-z0-9.+~-:] ('-' only with a revision, ':' only with an epoch)
 *    └ unsigned decimal, absent = 0
 *
 * Each part is compared by verrevcmp: alternate non-digit runs (compared char by char with
 * `~` < end-of-part < letters < everything else) and digit runs (compared numerically).
 *
 * Where we are stricter than dpkg: dpkg only *warns* for an upstream part that does not start
 * with a digit or holds a bad character and still compares; we reject those (an advisory or
 * inventory version that dpkg itself flags is reported as `unknown`, not guessed).
 */
import {
  type Comparator,
  checkLength,
  InvalidVersionError,
  memoParse,
  type Ordering,
  sign,
  validFrom,
} from '../types.js';

export const id = 'deb';
export const displayName = 'Debian (dpkg)';
export const specUrls = [
  'https://www.debian.org/doc/debian-policy/ch-controlfields.html#version',
  'https://git.dpkg.org/cgit/dpkg/dpkg.git/tree/lib/dpkg/version.c',
];
export const version = 1;

export interface DebVersion {
  epoch: number;
  upstream: string;
  revision: string;
}

const UPSTREAM_RE = /^[0-9][A-Za-z0-9.+~:_-]*$/;
const REVISION_RE = /^[A-Za-z0-9.+~_]+$/;

/** Text → record. Leading/trailing whitespace is ignored, as dpkg does. */
export function parseDebVersion(input: string): DebVersion {
  checkLength(id, input);
  const v = input.trim();
  if (v.length === 0) throw new InvalidVersionError(id, input, 'empty');
  let epoch = 0;
  let rest = v;
  const colon = v.indexOf(':');
  if (colon >= 0) {
    const e = v.slice(0, colon);
    if (!/^[0-9]+$/.test(e)) throw new InvalidVersionError(id, input, 'epoch is not a number');
    epoch = Number(e);
    // dpkg: "epoch in version is too big" (INT_MAX)
    if (epoch > 0x7fffffff) throw new InvalidVersionError(id, input, 'epoch too big');
    rest = v.slice(colon + 1);
    if (rest.length === 0) throw new InvalidVersionError(id, input, 'nothing after colon');
  }
  let upstream = rest;
  let revision = '';
  const dash = rest.lastIndexOf('-');
  if (dash >= 0) {
    upstream = rest.slice(0, dash);
    revision = rest.slice(dash + 1);
    if (revision.length === 0) throw new InvalidVersionError(id, input, 'revision is empty');
    if (!REVISION_RE.test(revision))
      throw new InvalidVersionError(id, input, 'invalid character in revision');
  }
  if (upstream.length === 0) throw new InvalidVersionError(id, input, 'upstream version is empty');
  if (!UPSTREAM_RE.test(upstream)) {
    throw new InvalidVersionError(
      id,
      input,
      /^[0-9]/.test(upstream)
        ? 'invalid character in upstream version'
        : 'upstream version does not start with a digit',
    );
  }
  if (colon < 0 && upstream.includes(':')) throw new InvalidVersionError(id, input, 'colon without epoch');
  return { epoch, upstream, revision };
}

/** dpkg's order(): digits 0 (never reached), letters their code, '~' -1, others code+256, end 0. */
function order(c: number): number {
  if (c >= 0x30 && c <= 0x39) return 0;
  if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) return c;
  if (c === 0x7e) return -1;
  if (c) return c + 256;
  return 0;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** dpkg verrevcmp over one part (upstream or revision). Exported for the part-level tables. */
export function verrevcmp(a: string, b: string): Ordering {
  let i = 0;
  let j = 0;
  // charCodeAt past the end is NaN; map to 0 like C's terminating NUL.
  const at = (s: string, k: number) => (k < s.length ? s.charCodeAt(k) : 0);
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(at(a, i))) || (j < b.length && !isDigit(at(b, j)))) {
      const ac = order(at(a, i));
      const bc = order(at(b, j));
      if (ac !== bc) return sign(ac - bc);
      i++;
      j++;
    }
    while (at(a, i) === 0x30) i++;
    while (at(b, j) === 0x30) j++;
    while (isDigit(at(a, i)) && isDigit(at(b, j))) {
      if (!firstDiff) firstDiff = at(a, i) - at(b, j);
      i++;
      j++;
    }
    if (isDigit(at(a, i))) return 1;
    if (isDigit(at(b, j))) return -1;
    if (firstDiff) return sign(firstDiff);
  }
  return 0;
}

export function compareDebVersions(a: DebVersion, b: DebVersion): Ordering {
  if (a.epoch !== b.epoch) return a.epoch > b.epoch ? 1 : -1;
  return verrevcmp(a.upstream, b.upstream) || verrevcmp(a.revision, b.revision);
}

const parseCached = memoParse(parseDebVersion);

export const comparator: Comparator = {
  id,
  compare: (a, b) => compareDebVersions(parseCached(a), parseCached(b)),
  valid: validFrom(parseDebVersion),
};
