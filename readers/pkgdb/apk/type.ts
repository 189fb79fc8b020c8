/** The `apk` package type: Alpine (and Wolfi) packages, matched against the distro's secdb by origin name. */
import type { PackageTypeInfo } from '../../../engine/model/package-type.js';
import { buildPurl } from '../../purl.js';

export const apkType: PackageTypeInfo = {
  id: 'apk',
  displayName: 'Alpine package',
  kind: 'os',
  advisories: { from: 'distro' },
  versionScheme: 'apk',
  packageManager: 'OS',
  remediation: (pkg) => `apk upgrade ${pkg.name}`,
  purl: (parts) => buildPurl('apk', parts),
};
