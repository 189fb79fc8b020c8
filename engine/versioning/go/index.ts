/**
 * Go module versions and Go toolchain (stdlib) versions.
 *
 * Spec: https://go.dev/ref/mod#versions , https://go.dev/ref/mod#pseudo-versions ,
 *       https://go.dev/doc/toolchain#version (go1.21.3, go1.21rc2, go1.21)
 *       golang.org/x/mod/semver (Compare) and go/version (Compare)
 *
 *   vMAJOR[.MINOR[.PATCH]][-prerelease][+build]
 *   pseudo-version: v0.0.0-20191109021931-daa7c04131f5 (a pre-release: ordered by timestamp)
 *   +incompatible: build metadata, ignored by the ordering
 *   go1.21.3 | go1.21rc1 | go1.21beta1 | go1.21 (== 1.21.0) | go1.9 (== 1.9.0)
 *
 * OSV Go records write versions without the `v` (SEMVER ranges); module versions from binaries
 * and go.sum carry it. Both are accepted. Shorthand vMAJOR / vMAJOR.MINOR are accepted as
 * x/mod/semver does (v1.2 == v1.2.0).
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

export const id = 'go';
export const displayName = 'Go modules';
export const specUrls = [
  'https://go.dev/ref/mod#versions',
  'https://go.dev/ref/mod#pseudo-versions',
  'https://go.dev/doc/toolchain#version',
];
export const version = 1;

const GO_TOOLCHAIN_RE =
  /^go([1-9][0-9]*)(?:\.(0|[1-9][0-9]*))?(?:\.(0|[1-9][0-9]*))?(?:(rc|beta)([1-9][0-9]*))?$/;
const SHORT_RE = /^v?(0|[1-9][0-9]*)(?:\.(0|[1-9][0-9]*))?$/;

/** Normalises a Go version to SemVer 2.0 text and parses it. */
export function parseGoVersion(input: string): semver.SemVer {
  checkLength(id, input);
  let text = input;
  const tool = GO_TOOLCHAIN_RE.exec(input);
  if (tool) {
    const [, major, minor = '0', patch = '0', kind, n] = tool;
    // go1.21rc1 is a pre-release of 1.21.0; "beta" < "rc" in SemVer too.
    text = `${major}.${minor}.${patch}${kind ? `-${kind}.${n}` : ''}`;
  } else {
    const short = SHORT_RE.exec(input);
    if (short && input.startsWith('v')) text = `${short[1]}.${short[2] ?? '0'}.0`;
  }
  const parsed = semver.parse(text, { loose: false });
  if (parsed === null) throw new InvalidVersionError(id, input, 'not a Go module or toolchain version');
  return parsed;
}

const parseCached = memoParse(parseGoVersion);

export const comparator: Comparator = {
  id,
  compare: (a, b): Ordering => parseCached(a).compare(parseCached(b)),
  valid: validFrom(parseGoVersion),
};
