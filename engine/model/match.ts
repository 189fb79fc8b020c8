import type { Advisory, AffectedPackage } from './advisory.js';
import type { Package } from './package.js';

/**
 * One package × one vulnerability (aliases merged: one Match per package and CVE, listing every
 * advisory id that said so). `status: unknown` means the version could not be evaluated (unparsable
 * or no comparator): it is reported, never silently treated as not affected.
 */
export interface Match {
  package: Package;
  /** The CVE id when there is one, else the advisory id. */
  vulnerabilityId: string;
  /** Every advisory that reported it (ids), and the records themselves. */
  advisoryIds: string[];
  advisories: Advisory[];
  affected: AffectedPackage[];
  ecosystem: string;
  status: 'affected' | 'unknown';
  /** Lowest fixed version above the installed one, when any advisory gives one. */
  fixedVersion?: string;
  /** Why: `introduced 0, fixed 2.36-9+deb12u4: 2.36-9 < fixed` or the comparator error for unknown. */
  reason: string;
}
