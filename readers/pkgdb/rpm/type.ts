/**
 * The `rpm` package type: RHEL-family, SUSE and Amazon Linux packages, matched only against the
 * distro's advisories, compared as `epoch:version-release` (a missing epoch is 0).
 */
import type { PackageTypeInfo } from '../../../engine/model/package-type.js';
import { buildPurl } from '../../purl.js';

export const rpmType: PackageTypeInfo = {
  id: 'rpm',
  displayName: 'RPM package',
  kind: 'os',
  advisories: { from: 'distro' },
  versionScheme: 'rpm',
  packageManager: 'OS',
  installedVersion: (pkg) => {
    if (pkg.upstreamVersion && pkg.release) return `${pkg.epoch ?? 0}:${pkg.upstreamVersion}-${pkg.release}`;
    // readers/pkgdb/rpm writes `epoch:` into version when the epoch is non-zero.
    if (/^\d+:/.test(pkg.version)) return pkg.version;
    return `${pkg.epoch ?? 0}:${pkg.version}`;
  },
  remediation: (pkg) => `yum update ${pkg.name}`,
  purl: (parts) => buildPurl('rpm', parts),
};
