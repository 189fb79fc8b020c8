/** Plain data, no I/O: what a cataloger reports. */

/**
 * A registered package type id: the purl type (`deb`, `rpm`, `apk`, `pypi`, `npm`…), listed in
 * readers/catalogers.ts PACKAGE_MODULES; `generic` for a package whose type its purl names. A plain
 * string so that a new type touches only its own folder and the registry line.
 */
export type PackageType = string;

export interface PackageLocation {
  /** Absolute path inside the filesystem of the file the package was read from. */
  path: string;
  /** Which volume/partition/filesystem, filled in by the pipeline: e.g. `p2:ext4`. */
  filesystem?: string;
}

export interface Package {
  /** Cataloger id that produced it (`pkgdb/dpkg`). */
  foundBy: string;
  type: PackageType;
  name: string;
  /** Full version as the ecosystem writes it: dpkg `[epoch:]upstream[-revision]`, rpm `[epoch:]version-release`. */
  version: string;
  epoch?: number;
  /** rpm: version without epoch/release; dpkg: upstream version. */
  upstreamVersion?: string;
  /** rpm release / dpkg revision. */
  release?: string;
  arch?: string;
  /** Source package (dpkg Source:, rpm SOURCERPM name, apk origin). */
  sourceName?: string;
  sourceVersion?: string;
  maintainer?: string;
  vendor?: string;
  licenses?: string[];
  /** Package URL (https://github.com/package-url/purl-spec), with distro qualifier when known. */
  purl: string;
  locations: PackageLocation[];
  /**
   * purl of the OS package whose file list holds this (language) package's location: the OS
   * package's advisories cover it, so it is not matched again against its language ecosystem.
   */
  ownedBy?: string;
  /**
   * Declared but not found installed: a lockfile lists it (npm package-lock.json) and no installed
   * copy is where the lockfile says it would be (e.g. a dev dependency of an app deployed with
   * `npm ci --omit=dev`). Inventoried and marked in SBOMs; not matched, so it yields no finding.
   */
  declaredOnly?: boolean;
  /** Format-specific extras (installed size, provides, modularity label…). */
  metadata?: Record<string, unknown>;
}
