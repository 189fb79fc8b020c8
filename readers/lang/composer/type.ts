/**
 * The `composer` package type: PHP packages installed by Composer, OSV Packagist (names are
 * `vendor/package`, lower case). No Composer version comparator exists in engine/versioning yet,
 * so `versionScheme` is absent: a Packagist advisory naming an installed package is reported as an
 * explicit `unknown` match, never as "not affected".
 */
import type { PackageTypeInfo } from '../../../engine/model/package-type.js';
import { buildPurl } from '../../purl.js';

export const composerType: PackageTypeInfo = {
  id: 'composer',
  displayName: 'PHP Composer package',
  kind: 'lang',
  advisories: { from: 'osv', ecosystem: 'Packagist' },
  packageManager: 'COMPOSER',
  advisoryName: (pkg) => pkg.name.toLowerCase(),
  remediation: (pkg, fixed) => `composer require ${pkg.name}:^${fixed}`,
  purl: (parts) => {
    if (parts.namespace || !parts.name.includes('/')) return buildPurl('composer', parts);
    const i = parts.name.indexOf('/');
    return buildPurl('composer', {
      ...parts,
      namespace: parts.name.slice(0, i),
      name: parts.name.slice(i + 1),
    });
  },
};
