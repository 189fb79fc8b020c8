/**
 * RubyGems versions: Gem::Version ordering, via @renovatebot/ruby-semver (a port of Gem::Version).
 *
 * Spec: https://guides.rubygems.org/patterns/#semantic-versioning and
 *       https://github.com/rubygems/rubygems/blob/master/lib/rubygems/version.rb
 *
 *   segments separated by '.', a segment holding a letter makes the version a pre-release
 *   (1.0.a < 1.0); trailing zero segments do not count (1.0 == 1).
 */
import { create } from '@renovatebot/ruby-semver/dist/ruby/version.js';
import {
  type Comparator,
  checkLength,
  InvalidVersionError,
  memoParse,
  type Ordering,
  sign,
  validFrom,
} from '../types.js';

export const id = 'gem';
export const displayName = 'RubyGems';
export const specUrls = [
  'https://guides.rubygems.org/patterns/#semantic-versioning',
  'https://github.com/rubygems/rubygems/blob/master/lib/rubygems/version.rb',
];
export const version = 1;

export function parseGemVersion(input: string): ReturnType<typeof create> {
  checkLength(id, input);
  const v = create(input);
  if (v === null) throw new InvalidVersionError(id, input, 'not a Gem::Version');
  return v;
}

const parseCached = memoParse(parseGemVersion);

export const comparator: Comparator = {
  id,
  compare: (a, b): Ordering => sign(parseCached(a).compare(parseCached(b))),
  valid: validFrom(parseGemVersion),
};
