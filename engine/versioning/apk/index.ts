/**
 * Alpine apk version ordering (apk-tools 2.x src/version.c).
 *
 * Spec: https://gitlab.alpinelinux.org/alpine/apk-tools/-/blob/v2.14.0/src/version.c
 *       https://wiki.alpinelinux.org/wiki/APKBUILD_Reference#pkgver
 *
 *   digits{.digits}[letter]{_suffix[digits]}[-r digits]
 *   e.g. 1.2.3b_alpha2_p1-r4
 *
 * Tokens are compared in turn: numbers numerically (a number after '.' with leading zeros is
 * compared as a negative count of zeros, so 1.01 < 1.1), a single lower-case letter by code,
 * suffixes in the order alpha < beta < pre < rc < (none) < cvs < svn < git < hg < p, then -rN.
 * When one version runs out first the longer one is greater, unless what follows is a
 * pre-release suffix. A string apk would mark invalid (apk_version_validate) is rejected here;
 * apk itself falls back to comparing it anyway.
 */
import {
  type Comparator,
  checkLength,
  InvalidVersionError,
  memoParse,
  type Ordering,
  validFrom,
} from '../types.js';

export const id = 'apk';
export const displayName = 'Alpine apk';
export const specUrls = [
  'https://gitlab.alpinelinux.org/alpine/apk-tools/-/blob/v2.14.0/src/version.c',
  'https://wiki.alpinelinux.org/wiki/APKBUILD_Reference#pkgver',
];
export const version = 1;

enum T {
  Invalid = -1,
  DigitOrZero = 0,
  Digit = 1,
  Letter = 2,
  Suffix = 3,
  SuffixNo = 4,
  RevisionNo = 5,
  End = 6,
}

const PRE_SUFFIXES = ['alpha', 'beta', 'pre', 'rc'];
const POST_SUFFIXES = ['cvs', 'svn', 'git', 'hg', 'p'];
/** apk keeps numbers in an int64; we keep them exact in a double, so cap the digit run. */
const MAX_DIGITS = 15;

interface Cursor {
  s: string;
  pos: number;
  type: T;
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}
function isLower(c: string | undefined): boolean {
  return c !== undefined && c >= 'a' && c <= 'z';
}

/** apk next_token(): classify the separator at the cursor and advance past it. */
function nextToken(c: Cursor): void {
  let n: T = T.Invalid;
  const ch = c.s[c.pos];
  if (c.pos >= c.s.length) {
    n = T.End;
  } else if ((c.type === T.Digit || c.type === T.DigitOrZero) && isLower(ch)) {
    n = T.Letter;
  } else if (c.type === T.Letter && isDigit(ch)) {
    n = T.Digit;
  } else if (c.type === T.Suffix && isDigit(ch)) {
    n = T.SuffixNo;
  } else {
    if (ch === '.') n = T.DigitOrZero;
    else if (ch === '_') n = T.Suffix;
    else if (ch === '-') {
      if (c.s[c.pos + 1] === 'r') {
        n = T.RevisionNo;
        c.pos++;
      } else n = T.Invalid;
    }
    c.pos++;
  }
  if (n < c.type) {
    if (
      !(
        (n === T.DigitOrZero && c.type === T.Digit) ||
        (n === T.Suffix && c.type === T.SuffixNo) ||
        (n === T.Digit && c.type === T.Letter)
      )
    ) {
      n = T.Invalid;
    }
  }
  c.type = n;
}

/** apk get_token(): the value of the token at the cursor; sets the type of the next one. */
function getToken(c: Cursor): number {
  if (c.pos >= c.s.length) {
    c.type = T.End;
    return 0;
  }
  let v = 0;
  let i = c.pos;
  let nt: T = T.Invalid;
  // apk: after a '.', leading zeros count as a negative number, then the digits follow as a
  // separate Digit token (so 1.01 < 1.1 but 1.01 > 1.001).
  const leadingZero = c.type === T.DigitOrZero && c.s[i] === '0';
  switch (leadingZero ? -2 : c.type) {
    case -2:
      while (i < c.s.length && c.s[i] === '0') i++;
      nt = T.Digit;
      v = -(i - c.pos);
      break;
    case T.DigitOrZero:
    case T.Digit:
    case T.SuffixNo:
    case T.RevisionNo: {
      const start = i;
      while (i < c.s.length && isDigit(c.s[i])) i++;
      if (i - start > MAX_DIGITS) {
        c.type = T.Invalid;
        return -1;
      }
      v = i > start ? Number(c.s.slice(start, i)) : 0;
      break;
    }
    case T.Letter:
      v = c.s.charCodeAt(i);
      i++;
      break;
    case T.Suffix: {
      const rest = c.s.slice(i);
      const pre = PRE_SUFFIXES.findIndex((p) => rest.startsWith(p));
      if (pre >= 0) {
        v = pre - PRE_SUFFIXES.length;
        i += PRE_SUFFIXES[pre]!.length;
        break;
      }
      const post = POST_SUFFIXES.findIndex((p) => rest.startsWith(p));
      if (post >= 0) {
        v = post;
        i += POST_SUFFIXES[post]!.length;
        break;
      }
      c.type = T.Invalid;
      return -1;
    }
    default:
      c.type = T.Invalid;
      return -1;
  }
  c.pos = i;
  if (c.pos >= c.s.length) c.type = T.End;
  else if (nt !== T.Invalid) c.type = nt;
  else nextToken(c);
  return v;
}

/** apk_version_validate(): walk every token; the version is valid when it ends cleanly. */
export function parseApkVersion(input: string): string {
  checkLength(id, input);
  const c: Cursor = { s: input, pos: 0, type: T.Digit };
  while (c.type !== T.End && c.type !== T.Invalid) getToken(c);
  if (c.type !== T.End) throw new InvalidVersionError(id, input, 'not an apk version (apk_version_validate)');
  return input;
}

/** apk_version_compare_blob() on two versions already known to be valid. */
function compareValid(a: string, b: string): Ordering {
  const ca: Cursor = { s: a, pos: 0, type: T.Digit };
  const cb: Cursor = { s: b, pos: 0, type: T.Digit };
  let av = 0;
  let bv = 0;
  while (ca.type === cb.type && ca.type !== T.End && ca.type !== T.Invalid && av === bv) {
    av = getToken(ca);
    bv = getToken(cb);
  }
  if (av < bv) return -1;
  if (av > bv) return 1;
  if (ca.type === cb.type) return 0;
  // One side has more tokens: it is greater unless they start with a pre-release suffix.
  if (ca.type === T.Suffix && getToken({ ...ca }) < 0) return -1;
  if (cb.type === T.Suffix && getToken({ ...cb }) < 0) return 1;
  if (ca.type > cb.type) return -1;
  if (cb.type > ca.type) return 1;
  return 0;
}

const parseCached = memoParse(parseApkVersion);

export const comparator: Comparator = {
  id,
  compare: (a, b) => compareValid(parseCached(a), parseCached(b)),
  valid: validFrom(parseApkVersion),
};
