/**
 * Python package versions: PEP 440 ordering, via @renovatebot/pep440 (a port of `packaging`).
 *
 * Spec: https://peps.python.org/pep-0440/ and
 *       https://packaging.python.org/en/latest/specifications/version-specifiers/
 *
 *   [N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]
 */
import * as pep440 from '@renovatebot/pep440';
import {
  type Comparator,
  checkLength,
  InvalidVersionError,
  type Ordering,
  sign,
  validFrom,
} from '../types.js';

export const id = 'pep440';
export const displayName = 'PEP 440 (PyPI)';
export const specUrls = [
  'https://peps.python.org/pep-0440/',
  'https://packaging.python.org/en/latest/specifications/version-specifiers/',
];
export const version = 1;

export function parsePep440Version(input: string): string {
  checkLength(id, input);
  // The library returns null for a non-PEP 440 string; its compare() would crash on one.
  if (pep440.valid(input) === null) throw new InvalidVersionError(id, input, 'not a PEP 440 version');
  return input;
}

export const comparator: Comparator = {
  id,
  compare: (a, b): Ordering => sign(pep440.compare(parsePep440Version(a), parsePep440Version(b))),
  valid: validFrom(parsePep440Version),
};
