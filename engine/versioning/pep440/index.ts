/**
 * Python package versions: PEP 440 ordering. Parsing via @renovatebot/pep440 (a port of
 * `packaging`); the sort key is built once per version string and memoised, because the library's
 * compare() re-parses both strings on every call and the matcher compares the same strings often.
 *
 * Spec: https://peps.python.org/pep-0440/ and
 *       https://packaging.python.org/en/latest/specifications/version-specifiers/
 *
 *   [N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]
 *
 * Key (packaging's _cmpkey): epoch; release without trailing zeros; pre (a dev-only release sorts
 * before any pre-release, a final release after all); post (absent first); dev (absent last);
 * local (absent first; numeric segments above alphanumeric ones).
 */
import * as pep440 from '@renovatebot/pep440';
import {
  type Comparator,
  checkLength,
  InvalidVersionError,
  memoParse,
  type Ordering,
  validFrom,
} from '../types.js';

export const id = 'pep440';
export const displayName = 'PEP 440 (PyPI)';
export const specUrls = [
  'https://peps.python.org/pep-0440/',
  'https://packaging.python.org/en/latest/specifications/version-specifiers/',
];
export const version = 1;

/** Nested arrays of numbers/strings, compared like Python tuples. */
type Key = number | string | Key[];

function tupleCompare(a: Key, b: Key): number {
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const r = tupleCompare(a[i]!, b[i]!);
      if (r !== 0) return r;
    }
    return a.length - b.length;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return tupleCompare(Array.isArray(a) ? a : [a], Array.isArray(b) ? b : [b]);
  }
  if (a === b) return 0;
  // ±Infinity are the "absent" markers: they order against strings as well as numbers.
  if (a === Number.NEGATIVE_INFINITY || b === Number.POSITIVE_INFINITY) return -1;
  if (a === Number.POSITIVE_INFINITY || b === Number.NEGATIVE_INFINITY) return 1;
  return a < b ? -1 : 1;
}

type Parsed = NonNullable<ReturnType<typeof pep440.parse>>;
type Part = [string, number] | null | undefined;

export function pep440Key(input: string): Key {
  checkLength(id, input);
  const p = pep440.parse(input) as Parsed | null;
  if (p === null) throw new InvalidVersionError(id, input, 'not a PEP 440 version');
  const release = [...(p.release as number[])];
  while (release.length > 0 && release[release.length - 1] === 0) release.pop();
  const pre = p.pre as Part;
  const post = p.post as Part;
  const dev = p.dev as Part;
  const local = p.local as Array<string | number> | null | undefined;
  const preKey: Key = pre ? [pre[0], pre[1]] : !post && dev ? -Infinity : Infinity;
  const postKey: Key = post ? [post[0], post[1]] : -Infinity;
  const devKey: Key = dev ? [dev[0], dev[1]] : Infinity;
  const localKey: Key = local
    ? local.map((s): Key => (Number.isNaN(Number(s)) ? [-Infinity, String(s)] : [Number(s), '']))
    : -Infinity;
  return [p.epoch as number, release, preKey, postKey, devKey, localKey];
}

/** Kept for callers that only validate. */
export function parsePep440Version(input: string): string {
  pep440Key(input);
  return input;
}

const keyCached = memoParse(pep440Key);

export const comparator: Comparator = {
  id,
  compare: (a, b): Ordering => {
    const r = tupleCompare(keyCached(a), keyCached(b));
    return r < 0 ? -1 : r > 0 ? 1 : 0;
  },
  valid: validFrom(pep440Key),
};
