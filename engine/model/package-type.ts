/**
 * What one package type knows about itself (osv-scalibr's extractors carry their own purl type and
 * ecosystem the same way). Each type lives beside its catalogers (`readers/pkgdb/dpkg/type.ts`,
 * `readers/lang/pypi/type.ts`) and is listed once, in readers/catalogers.ts. The matcher, findings
 * and exports ask the type; none of them switches on a type id.
 *
 * Plain data and small pure functions: no I/O.
 */
import type { Package } from './package.js';

/** Where a type's advisories live. */
export type AdvisorySource =
  /** The distro's own feed for the scanned OS (engine/match/namespace.ts osEcosystems): backported fixes. */
  | { readonly from: 'distro' }
  /** One OSV ecosystem (https://ossf.github.io/osv-schema/#affectedpackage-field). */
  | { readonly from: 'osv'; readonly ecosystem: string };

export interface PurlParts {
  namespace?: string;
  name: string;
  version?: string;
  qualifiers?: Record<string, string | undefined>;
  subpath?: string;
}

export interface PackageTypeInfo {
  /** The purl type (https://github.com/package-url/purl-spec/blob/main/PURL-TYPES.rst): `deb`, `pypi`. */
  readonly id: string;
  readonly displayName: string;
  /** `os` types are matched against the distro; `lang` types against their ecosystem. */
  readonly kind: 'os' | 'lang';
  readonly advisories: AdvisorySource;
  /**
   * Version scheme id in engine/versioning/api.ts (`deb`, `pep440`, `semver`…) used for the
   * installed version and the advisory's ECOSYSTEM ranges. Absent: no comparator exists for the
   * type, and every candidate advisory is an explicit `unknown` outcome, never "not affected".
   */
  readonly versionScheme?: string;
  /** `packageManager` of Inspector's vulnerablePackages (schemas/finding.schema.json). */
  readonly packageManager: string;
  /** Name the advisories use when it differs from `pkg.name` (Maven `group:artifact`, Go module path). */
  advisoryName?(pkg: Package): string;
  /** Installed version as advisories of this type write it; `bySource`: the entry names the source package. */
  installedVersion?(pkg: Package, bySource: boolean): string;
  /** How to upgrade to `fixed`, for the finding's remediation. */
  remediation?(pkg: Package, fixed: string): string;
  /** Canonical purl for a package of this type (the type applies its own name normalisation). */
  purl(parts: PurlParts): string;
}

/** The ecosystem(s) of an `osv` type; undefined for a distro type. */
export function osvEcosystem(t: PackageTypeInfo): string | undefined {
  return t.advisories.from === 'osv' ? t.advisories.ecosystem : undefined;
}
