/**
 * Semantic Versioning 2.0.0 ordering, via npm's `semver` package (strict mode).
 *
 * Spec: https://semver.org/spec/v2.0.0.html ; OSV `SEMVER` ranges:
 *       https://ossf.github.io/osv-schema/#affectedrangestype-field
 *
 *   MAJOR.MINOR.PATCH[-prerelease][+build]   (build metadata does not affect ordering)
 *
 * Used for npm and crates.io and for every OSV range of type SEMVER. A leading `v` is
 * accepted as npm does; loose forms (`1.2`, `01.2.3`) are rejected.
 */
import semver from 'semver';
import {
  type Comparator,
  checkLength,
  InvalidVersionError,
  memoParse,
  type Ordering,
  validFrom,
} from '../types.js';

export const id = 'semver';
export const displayName = 'Semantic Versioning 2.0 (npm, crates.io)';
export const specUrls = ['https://semver.org/spec/v2.0.0.html', 'https://github.com/npm/node-semver'];
export const version = 1;

export function parseSemver(input: string): semver.SemVer {
  checkLength(id, input);
  const parsed = semver.parse(input, { loose: false });
  if (parsed === null) throw new InvalidVersionError(id, input, 'not a semantic version');
  return parsed;
}

const parseCached = memoParse(parseSemver);

export const comparator: Comparator = {
  id,
  compare: (a, b): Ordering => parseCached(a).compare(parseCached(b)),
  valid: validFrom(parseSemver),
};
