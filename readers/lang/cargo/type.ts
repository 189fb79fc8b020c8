/** The `cargo` package type: Rust crates (cargo-auditable data in binaries), OSV crates.io, SemVer 2.0. */
import type { PackageTypeInfo } from '../../../engine/model/package-type.js';
import { buildPurl } from '../../purl.js';

export const cargoType: PackageTypeInfo = {
  id: 'cargo',
  displayName: 'Rust crate',
  kind: 'lang',
  advisories: { from: 'osv', ecosystem: 'crates.io' },
  versionScheme: 'semver',
  packageManager: 'CARGO',
  remediation: (pkg, fixed) => `cargo update -p ${pkg.name} --precise ${fixed} and rebuild the binary`,
  purl: (parts) => buildPurl('cargo', parts),
};
