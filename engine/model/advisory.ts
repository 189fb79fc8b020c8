/**
 * Normalised vulnerability data, the contract between engine/vulndb (which ingests OSV, the Debian
 * tracker, ALAS… into this shape) and engine/match (which evaluates it). OSV semantics:
 * https://ossf.github.io/osv-schema/
 */

export interface RangeEvent {
  introduced?: string;
  fixed?: string;
  last_affected?: string;
  limit?: string;
}

export interface AffectedRange {
  type: 'ECOSYSTEM' | 'SEMVER' | 'GIT';
  events: RangeEvent[];
}

export interface SeverityVector {
  /** CVSS_V2 | CVSS_V3 | CVSS_V4 (a vector string), or a vendor rating type (`Ubuntu`, `Debian`, `ALAS`). */
  type: string;
  score: string;
  /** Who assigned it: the advisory's vendor, or `nvd`. */
  source?: string;
}

export interface Advisory {
  /** Advisory id as its source names it: `DSA-5000-1`, `ALAS2-2023-2000`, `GHSA-…`, `CVE-…`, `ALSA-…`. */
  id: string;
  /** Feed it came from: `osv`, `debian-tracker`, `alas`… */
  source: string;
  /** Other ids of the same vulnerability (CVE ids first). */
  aliases: string[];
  summary?: string;
  details?: string;
  published?: string;
  modified?: string;
  /** Set when the advisory was withdrawn: such advisories never produce findings. */
  withdrawn?: string;
  severity: SeverityVector[];
  /** Vendor's own rating word (Debian urgency, Ubuntu priority, ALAS severity, Red Hat impact). */
  vendorSeverity?: string;
  references: string[];
}

export interface AffectedPackage {
  advisoryId: string;
  /** OSV ecosystem string: `Debian:12`, `Ubuntu:22.04:LTS`, `Alpine:v3.19`, `AlmaLinux:9`, `Amazon Linux:2023`, `npm`, `PyPI`… */
  ecosystem: string;
  /** Package name in that ecosystem (source package for Debian/Ubuntu tracker data). */
  name: string;
  /** Whether `name` is a source-package name (Debian/Ubuntu) rather than a binary package name. */
  nameIsSource?: boolean;
  ranges: AffectedRange[];
  /** Explicitly listed affected versions. */
  versions: string[];
  /** Per-package severity override (OSV ecosystem_specific / Debian urgency per release). */
  vendorSeverity?: string;
  /**
   * The vendor's own status word when it qualifies the entry (Debian tracker `undetermined`,
   * `end-of-life`): affected as far as we know, shown on the finding.
   */
  vendorStatus?: string;
}

/** What the matcher needs from the store. */
export interface AdvisoryLookup {
  affected(ecosystem: string, name: string): Array<{ advisory: Advisory; affected: AffectedPackage }>;
}
