/**
 * Maven versions: the ordering of Maven's ComparableVersion (maven-artifact 3.8.7, checked against
 * the jar by test/fixtures/versioning/gen-maven-oracle.py).
 *
 * Spec: https://maven.apache.org/pom.html#version-order-specification
 *       https://github.com/apache/maven/blob/maven-3.8.x/maven-artifact/src/main/java/org/apache/maven/artifact/versioning/ComparableVersion.java
 *
 *   1.0.0-alpha-1  →  [1, [alpha, [1]]]   '.' separates items, '-' (and a digit/letter switch)
 *                                         opens a nested list; trailing nulls are trimmed:
 *                                         1.0.0 == 1, 1-ga == 1, 1-final == 1
 *   qualifiers: alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release < sp
 *               < any other word (lexically); a/b/m directly followed by a digit = alpha/beta/milestone
 *   numbers > words; within a list a missing item compares as null, and a list against null
 *   compares item by item (MNG-6964). A word that does not open its list, at the end or before a
 *   digit, is nested as after '-': 1.alpha == 1-alpha, 2.0.a == 2-a (MNG-7644 in 3.8.7).
 *   Like the jar, the order is not transitive when a word ranking at or above release is followed
 *   by more items (1-alpha < 1 < 1.x.alpha < 1-alpha); we answer what Maven answers.
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

export const id = 'maven';
export const displayName = 'Maven';
export const specUrls = [
  'https://maven.apache.org/pom.html#version-order-specification',
  'https://github.com/apache/maven/blob/maven-3.8.x/maven-artifact/src/main/java/org/apache/maven/artifact/versioning/ComparableVersion.java',
];
export const version = 2;

type Item = { kind: 'int'; value: bigint } | { kind: 'str'; value: string } | { kind: 'list'; items: Item[] };

const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const ALIASES: Record<string, string> = { ga: '', final: '', release: '', cr: 'rc' };
const RELEASE_INDEX = String(QUALIFIERS.indexOf(''));

function comparableQualifier(q: string): string {
  const i = QUALIFIERS.indexOf(q);
  // Unknown qualifiers sort after all known ones, then lexically: "7-<word>".
  return i === -1 ? `${QUALIFIERS.length}-${q}` : String(i);
}

function strItem(value: string, followedByDigit: boolean): Item {
  let v = value;
  if (followedByDigit && v.length === 1) {
    if (v === 'a') v = 'alpha';
    else if (v === 'b') v = 'beta';
    else if (v === 'm') v = 'milestone';
  }
  return { kind: 'str', value: ALIASES[v] ?? v };
}

function parseItem(isDigit: boolean, buf: string): Item {
  return isDigit ? { kind: 'int', value: BigInt(buf) } : strItem(buf, false);
}

function isNull(item: Item): boolean {
  if (item.kind === 'int') return item.value === 0n;
  if (item.kind === 'str') return comparableQualifier(item.value) === RELEASE_INDEX;
  return item.items.length === 0;
}

function normalize(list: Item[]): void {
  for (let i = list.length - 1; i >= 0; i--) {
    const last = list[i]!;
    if (isNull(last)) list.splice(i, 1);
    else if (last.kind !== 'list') break;
  }
}

function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** ComparableVersion's Item.compareTo(other), other null = "nothing there". */
function compareItem(a: Item, b: Item | null): number {
  switch (a.kind) {
    case 'int':
      if (b === null) return a.value === 0n ? 0 : 1;
      if (b.kind === 'int') return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
      return 1; // 1.1 > 1-sp, 1.1 > 1-1
    case 'str':
      if (b === null) return cmpStr(comparableQualifier(a.value), RELEASE_INDEX);
      if (b.kind === 'int') return -1;
      if (b.kind === 'str') return cmpStr(comparableQualifier(a.value), comparableQualifier(b.value));
      return -1; // 1-alpha < 1-1
    case 'list': {
      if (b === null) {
        // The whole list against nothing, not just its first item (MNG-6964): 1-.1 > 1.
        for (const item of a.items) {
          const result = compareItem(item, null);
          if (result !== 0) return result;
        }
        return 0;
      }
      if (b.kind === 'int') return -1;
      if (b.kind === 'str') return 1;
      const n = Math.max(a.items.length, b.items.length);
      for (let i = 0; i < n; i++) {
        const l = a.items[i] ?? null;
        const r = b.items[i] ?? null;
        const result = l === null ? (r === null ? 0 : -1 * compareItem(r, l)) : compareItem(l, r);
        if (result !== 0) return result;
      }
      return 0;
    }
  }
}

const VALID_RE = /^[A-Za-z0-9._+-]+$/;

export function parseMavenVersion(input: string): Item {
  checkLength(id, input);
  // ComparableVersion accepts any string; we refuse what no published artifact uses (spaces,
  // control characters, punctuation other than . - _ +) so garbage is reported, not ordered.
  if (!VALID_RE.test(input)) throw new InvalidVersionError(id, input, 'invalid character');
  const version = input.toLowerCase();
  const root: Item[] = [];
  let list = root;
  const stack: Item[][] = [root];
  let isDigit = false;
  let start = 0;
  const push = () => {
    const next: Item[] = [];
    list.push({ kind: 'list', items: next });
    list = next;
    stack.push(next);
  };
  for (let i = 0; i < version.length; i++) {
    const c = version[i]!;
    if (c === '.') {
      if (i === start) list.push({ kind: 'int', value: 0n });
      else list.push(parseItem(isDigit, version.slice(start, i)));
      start = i + 1;
    } else if (c === '-') {
      if (i === start) list.push({ kind: 'int', value: 0n });
      else list.push(parseItem(isDigit, version.slice(start, i)));
      start = i + 1;
      push();
    } else if (c >= '0' && c <= '9') {
      if (!isDigit && i > start) {
        // "alpha1": the word is followed by a digit, which makes a/b/m abbreviations. A word
        // that does not open its list is nested as if after '-' (1.0.0.X1 < 1.0.0-X2).
        if (list.length > 0) push();
        list.push(strItem(version.slice(start, i), true));
        start = i;
        push();
      }
      isDigit = true;
    } else {
      if (isDigit && i > start) {
        list.push(parseItem(true, version.slice(start, i)));
        start = i;
        push();
      }
      isDigit = false;
    }
  }
  if (version.length > start) {
    // A trailing word is nested too, ".X" read as "-X" (3.8.7: 1.alpha == 1-alpha).
    if (!isDigit && list.length > 0) push();
    list.push(parseItem(isDigit, version.slice(start)));
  }
  while (stack.length > 0) normalize(stack.pop()!);
  return { kind: 'list', items: root };
}

const parseCached = memoParse(parseMavenVersion);

export const comparator: Comparator = {
  id,
  compare: (a, b): Ordering => sign(compareItem(parseCached(a), parseCached(b))),
  valid: validFrom(parseMavenVersion),
};
