/**
 * Composer (Packagist) versions: composer/semver's VersionParser::normalize, then the ordering
 * Composer applies to normalised versions, PHP's version_compare() (Constraint::versionCompare),
 * checked pair by pair against Debian's php-composer-semver 3.3.2 on PHP 8.2
 * (test/fixtures/versioning/gen-composer-oracle.php).
 *
 * Specs: https://getcomposer.org/doc/articles/versions.md
 *        https://github.com/composer/semver/blob/3.3.2/src/VersionParser.php (normalize)
 *        https://www.php.net/manual/en/function.version-compare.php
 *        https://github.com/php/php-src/blob/PHP-8.2/ext/standard/versioning.c
 *
 *   normalize:   v1.2        → 1.2.0.0            (classical: 1–5 digit major, up to 4 numbers,
 *                1.0.0-RC1   → 1.0.0.0-RC1         padded with .0; one stability modifier
 *                1.0.0b2     → 1.0.0.0-beta2       a→alpha b→beta p/pl→patch rc→RC, an optional
 *                1.0.0-pl1   → 1.0.0.0-patch1      `-dev` suffix; `+build` dropped; `@stability`
 *                2.1-dev     → 2.1.0.0-dev         flags and `x as y` aliases stripped)
 *                2.x-dev     → 2.9999999.9999999.9999999-dev   (numeric branch)
 *                20230115    → 20230115            (date versions: non-digits become dots)
 *                dev-master, master, dev-feature/x → dev-…      a branch: NOT ordered
 *   compare:     version_compare(): `-_+` become `.`, a dot goes between digits and letters;
 *                pieces compare numerically when both are numbers, else by rank
 *                  any other word < dev < alpha = a < beta = b < RC = rc < number < pl = p(atch)
 *                (a word's rank is its first matching prefix: "abc" ranks as alpha); when one
 *                side runs out, a remaining number makes it greater, a remaining word is ranked
 *                against a number: 1.0.0.0-dev < 1.0.0.0 < 1.0.0.0-patch1 < 1.0.0.1.
 *
 * Composer compares branches (`dev-…`) only for equality and a range never matches them: such a
 * version is `invalid-version` here, which the matcher reports as an `unknown` outcome, never a
 * guess. Strings normalize() rejects are `invalid-version` too.
 */
import {
  type Comparator,
  checkLength,
  InvalidVersionError,
  memoParse,
  type Ordering,
  validFrom,
} from '../types.js';

export const id = 'composer';
export const displayName = 'Composer (Packagist)';
export const specUrls = [
  'https://getcomposer.org/doc/articles/versions.md',
  'https://github.com/composer/semver/blob/3.3.2/src/VersionParser.php',
  'https://www.php.net/manual/en/function.version-compare.php',
];
export const version = 1;

// VersionParser's regular expressions (composer/semver 3.3.2), case-insensitive as there. PCRE's
// possessive quantifiers are plain here: no input reaches a different match through backtracking,
// as a given-up digit can never start the pattern that follows it.
const MODIFIER = '[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?\\d+)*)?)?([.-]?dev)?';
const CLASSICAL_RE = new RegExp(`^v?(\\d{1,5})(\\.\\d+)?(\\.\\d+)?(\\.\\d+)?${MODIFIER}$`, 'i');
const DATE_RE = new RegExp(`^v?(\\d{4}(?:[.:-]?\\d{2}){1,6}(?:[.:-]?\\d{1,3})?)${MODIFIER}$`, 'i');
const ALIAS_RE = /^([^,\s]+) +as +([^,\s]+)$/;
const FLAG_RE = /@(?:stable|RC|beta|alpha|dev)$/i;
const BUILD_RE = /^([^,\s+]+)\+\S+$/;
const DEV_SUFFIX_RE = /^(.*?)[.-]?dev$/i;
const NUMERIC_BRANCH_RE = /^v?(\d+)(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?$/i;
/** PHP's trim() default set: space, \t, \n, \r, \0, \x0B. */
const PHP_TRIM_RE = /^[ \t\n\r\0\x0B]+|[ \t\n\r\0\x0B]+$/g;

function expandStability(s: string): string {
  const l = s.toLowerCase();
  if (l === 'a') return 'alpha';
  if (l === 'b') return 'beta';
  if (l === 'p' || l === 'pl') return 'patch';
  if (l === 'rc') return 'RC';
  return l;
}

/** VersionParser::normalizeBranch: numeric branches become 9999999-padded `-dev` versions. */
function normalizeBranch(name: string): string {
  const m = NUMERIC_BRANCH_RE.exec(name.replace(PHP_TRIM_RE, ''));
  if (!m) return `dev-${name}`;
  let v = '';
  for (let i = 1; i < 5; i++) v += m[i] !== undefined ? m[i]!.replace(/[*X]/g, 'x') : '.x';
  return `${v.replace(/x/g, '9999999')}-dev`;
}

/**
 * composer/semver VersionParser::normalize: the normalised form, or `dev-<name>` for a branch.
 * Throws InvalidVersionError where Composer throws UnexpectedValueException.
 */
export function normalizeComposerVersion(input: string): string {
  checkLength(id, input);
  let v = input.replace(PHP_TRIM_RE, '');
  const alias = ALIAS_RE.exec(v);
  if (alias) v = alias[1]!;
  const flag = FLAG_RE.exec(v);
  if (flag) v = v.slice(0, v.length - flag[0].length);
  if (v === 'master' || v === 'trunk' || v === 'default') v = `dev-${v}`;
  if (v.slice(0, 4).toLowerCase() === 'dev-') return `dev-${v.slice(4)}`;
  const build = BUILD_RE.exec(v);
  if (build) v = build[1]!;

  let m = CLASSICAL_RE.exec(v);
  let out: string | undefined;
  let index = 0;
  if (m) {
    // PHP's empty() is also true for "0", but these groups start with a dot: never "0".
    out = m[1]! + (m[2] || '.0') + (m[3] || '.0') + (m[4] || '.0');
    index = 5;
  } else {
    m = DATE_RE.exec(v);
    if (m) {
      out = m[1]!.replace(/\D/g, '.');
      index = 2;
    }
  }
  if (m && out !== undefined) {
    const stability = m[index];
    if (stability) {
      // Composer returns early on a lower-case `stable` only (dropping any number and -dev after it).
      if (stability === 'stable') return out;
      const num = m[index + 1] ?? '';
      out += `-${expandStability(stability)}${num.replace(/^[.-]+/, '')}`;
    }
    if (m[index + 2]) out += '-dev';
    return out;
  }

  const dev = DEV_SUFFIX_RE.exec(v);
  if (dev) {
    const branch = normalizeBranch(dev[1]!);
    if (!branch.includes('dev-')) return branch;
  }
  throw new InvalidVersionError(id, input, 'not a Composer version (composer/semver normalize rejects it)');
}

/** A piece of PHP's canonical version: a number, or the rank of a word. */
type Piece = { num: bigint } | { rank: number };

/** strtol() on a 64-bit long saturates. */
const LONG_MAX = (1n << 63n) - 1n;

/** compare_special_version_forms(): the first entry the word starts with, in this order; else -1. */
const SPECIAL_FORMS: ReadonlyArray<[string, number]> = [
  ['dev', 0],
  ['alpha', 1],
  ['a', 1],
  ['beta', 2],
  ['b', 2],
  ['RC', 3],
  ['rc', 3],
  ['#', 4],
  ['pl', 5],
  ['p', 5],
];
/** The rank version_compare gives a number facing a word ("#N#"). */
const NUMBER_RANK = 4;

function rankOf(word: string): number {
  for (const [name, order] of SPECIAL_FORMS) if (word.startsWith(name)) return order;
  return -1;
}

const isDigit = (c: string) => c >= '0' && c <= '9';
const isAlnum = (c: string) => /^[0-9A-Za-z]$/.test(c);

/** php_canonicalize_version() then the split on dots that php_version_compare() walks. */
function canonicalPieces(v: string): Piece[] {
  let q = v[0] ?? '';
  let lp = q;
  for (let i = 1; i < v.length; i++) {
    const c = v[i]!;
    const last = q[q.length - 1];
    if (c === '-' || c === '_' || c === '+') {
      if (last !== '.') q += '.';
    } else if ((!isDigit(lp) && lp !== '.' && isDigit(c)) || (isDigit(lp) && !isDigit(c) && c !== '.')) {
      if (last !== '.') q += '.';
      q += c;
    } else if (!isAlnum(c)) {
      if (last !== '.') q += '.';
    } else {
      q += c;
    }
    lp = c;
  }
  return q.split('.').map((p) => {
    if (p !== '' && isDigit(p[0]!)) {
      // strtol(): the leading digits, saturated at LONG_MAX.
      const n = BigInt(/^\d+/.exec(p)![0]);
      return { num: n > LONG_MAX ? LONG_MAX : n };
    }
    return { rank: rankOf(p) };
  });
}

function cmpNum(a: bigint, b: bigint): Ordering {
  return a < b ? -1 : a > b ? 1 : 0;
}

function comparePiece(a: Piece, b: Piece): Ordering {
  if ('num' in a && 'num' in b) return cmpNum(a.num, b.num);
  const ra = 'num' in a ? NUMBER_RANK : a.rank;
  const rb = 'num' in b ? NUMBER_RANK : b.rank;
  return ra < rb ? -1 : ra > rb ? 1 : 0;
}

/** php_version_compare() on two canonical piece lists. */
export function comparePieces(a: readonly Piece[], b: readonly Piece[]): Ordering {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = comparePiece(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  if (a.length === b.length) return 0;
  // One side has pieces left: a number there wins; a word is ranked against a number ("#N#").
  const longer = a.length > b.length ? a : b;
  const first = longer[n]!;
  const c: Ordering = 'num' in first ? 1 : first.rank < NUMBER_RANK ? -1 : first.rank > NUMBER_RANK ? 1 : 0;
  return a.length > b.length ? c : ((-c || 0) as Ordering);
}

export interface ComposerVersion {
  normalized: string;
  pieces: Piece[];
}

export function parseComposerVersion(input: string): ComposerVersion {
  const normalized = normalizeComposerVersion(input);
  if (normalized.startsWith('dev-')) {
    throw new InvalidVersionError(
      id,
      input,
      `branch ${JSON.stringify(normalized)}: Composer does not order branches against versions`,
    );
  }
  return { normalized, pieces: canonicalPieces(normalized) };
}

const parseCached = memoParse(parseComposerVersion);

export const comparator: Comparator = {
  id,
  compare: (a, b) => comparePieces(parseCached(a).pieces, parseCached(b).pieces),
  valid: validFrom(parseComposerVersion),
};
