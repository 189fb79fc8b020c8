/**
 * The `deb` package type: Debian/Ubuntu packages, matched only against the distro's own advisories
 * (the Debian tracker and Ubuntu's feeds key entries by source package and write source versions).
 */
import type { PackageTypeInfo } from '../../../engine/model/package-type.js';
import { buildPurl } from '../../purl.js';

export const debType: PackageTypeInfo = {
  id: 'deb',
  displayName: 'Debian package',
  kind: 'os',
  advisories: { from: 'distro' },
  versionScheme: 'deb',
  packageManager: 'OS',
  installedVersion: (pkg, bySource) => (bySource && pkg.sourceVersion ? pkg.sourceVersion : pkg.version),
  remediation: (pkg) => `apt-get install --only-upgrade ${pkg.name}`,
  purl: (parts) => buildPurl('deb', parts),
};
