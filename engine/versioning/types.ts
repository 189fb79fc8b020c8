/**
 * The one interface every version scheme implements. The matcher never compares versions as
 * strings: it asks the comparator of the advisory's ecosystem, and an unparsable version is an
 * explicit error (code `invalid-version`) that the matcher turns into an `unknown` outcome.
 */
import { ScanError } from '../errors.js';

export type Ordering = -1 | 0 | 1;

export interface Comparator {
  /** Scheme id, the folder name: `deb`, `rpm`, `apk`, `pep440`, `semver`, `maven`, `go`, `gem`, `nuget`, `composer`. */
  readonly id: string;
  /** Sign of a - b. Throws InvalidVersionError when either side is not a version of this scheme. */
  compare(a: string, b: string): Ordering;
  /** Whether `v` parses under this scheme (compare() would not throw for it). */
  valid(v: string): boolean;
}

/** What every versioning folder's index.ts exports. */
export interface VersioningModule {
  readonly id: string;
  readonly displayName: string;
  readonly specUrls: readonly string[];
  /** Bump when the ordering changes: it keys caches and goldens. */
  readonly version: number;
  readonly comparator: Comparator;
}

export class InvalidVersionError extends ScanError {
  readonly scheme: string;
  readonly version: string;
  constructor(scheme: string, version: string, detail: string) {
    super('invalid-version', `${scheme}: invalid version ${JSON.stringify(version)}: ${detail}`);
    this.scheme = scheme;
    this.version = version;
  }
}

export class UnknownEcosystemError extends ScanError {
  readonly ecosystem: string;
  constructor(ecosystem: string) {
    super('unknown-ecosystem', `no version comparator for ecosystem ${JSON.stringify(ecosystem)}`);
    this.ecosystem = ecosystem;
  }
}

/** Longest version string any comparator accepts: real versions are < 100 bytes; this bounds work. */
export const MAX_VERSION_LENGTH = 256;

export function sign(n: number): Ordering {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

/** Builds `valid` from a parser that throws InvalidVersionError. */
export function validFrom(parse: (v: string) => unknown): (v: string) => boolean {
  return (v) => {
    try {
      parse(v);
      return true;
    } catch (err) {
      if (err instanceof InvalidVersionError) return false;
      throw err;
    }
  };
}

export function checkLength(scheme: string, v: string): void {
  if (typeof v !== 'string') throw new InvalidVersionError(scheme, String(v), 'not a string');
  if (v.length === 0) throw new InvalidVersionError(scheme, v, 'empty');
  if (v.length > MAX_VERSION_LENGTH) {
    throw new InvalidVersionError(scheme, v.slice(0, 40), `longer than ${MAX_VERSION_LENGTH} characters`);
  }
}

/**
 * Memoises a version parser. The matcher compares the same few thousand strings (installed
 * versions, advisory event versions) over and over; parsing dominates the cost. Bounded: the
 * cache is dropped when it reaches `max` entries. Errors are not cached (they are rare).
 */
export function memoParse<T>(parse: (v: string) => T, max = 50_000): (v: string) => T {
  let cache = new Map<string, T>();
  return (v: string) => {
    const hit = cache.get(v);
    if (hit !== undefined) return hit;
    const parsed = parse(v);
    if (cache.size >= max) cache = new Map();
    cache.set(v, parsed);
    return parsed;
  };
}
