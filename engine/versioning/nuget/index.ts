/**
 * NuGet package versions (NuGet.Versioning NuGetVersion ordering).
 *
 * Spec: https://learn.microsoft.com/en-us/nuget/concepts/package-versioning
 *
 *   MAJOR[.MINOR[.PATCH[.REVISION]]][-prerelease][+metadata]
 *   missing numeric parts are 0; pre-release labels compare like SemVer 2.0 but
 *   case-insensitively; metadata is ignored.
 */
import {
  type Comparator,
  checkLength,
  InvalidVersionError,
  memoParse,
  type Ordering,
  validFrom,
} from '../types.js';

export const id = 'nuget';
export const displayName = 'NuGet';
export const specUrls = ['https://learn.microsoft.com/en-us/nuget/concepts/package-versioning'];
export const version = 1;

export interface NuGetVersion {
  parts: [number, number, number, number];
  pre: string[];
}

const RE =
  /^v?([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?(?:\.([0-9]+))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z.-]*)?$/;

export function parseNuGetVersion(input: string): NuGetVersion {
  checkLength(id, input);
  const m = RE.exec(input.trim());
  if (!m) throw new InvalidVersionError(id, input, 'not a NuGet version');
  const nums = [m[1], m[2], m[3], m[4]].map((s) => (s === undefined ? 0 : Number(s)));
  if (nums.some((n) => !Number.isSafeInteger(n))) throw new InvalidVersionError(id, input, 'number too big');
  return { parts: nums as NuGetVersion['parts'], pre: m[5] ? m[5].toLowerCase().split('.') : [] };
}

function comparePre(a: string[], b: string[]): Ordering {
  if (a.length === 0 || b.length === 0) {
    if (a.length === b.length) return 0;
    return a.length === 0 ? 1 : -1; // a release sorts after its pre-releases
  }
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const xn = /^[0-9]+$/.test(x);
    const yn = /^[0-9]+$/.test(y);
    if (xn && yn) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d < 0 ? -1 : 1;
    } else if (xn !== yn) {
      return xn ? -1 : 1;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return 0;
}

export function compareNuGetVersions(a: NuGetVersion, b: NuGetVersion): Ordering {
  for (let i = 0; i < 4; i++) {
    const d = a.parts[i]! - b.parts[i]!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return comparePre(a.pre, b.pre);
}

const parseCached = memoParse(parseNuGetVersion);

export const comparator: Comparator = {
  id,
  compare: (a, b) => compareNuGetVersions(parseCached(a), parseCached(b)),
  valid: validFrom(parseNuGetVersion),
};
