/**
 * The `composer` package type: PHP packages installed by Composer, OSV Packagist (names are
 * `vendor/package`, lower case), ordered by engine/versioning/composer (composer/semver's
 * normalisation and version_compare). The installed version is installed.json's `version` as
 * written (`v5.4.1`); the comparator normalises it as Composer does. A branch install
 * (`dev-main`) cannot be ordered: its Packagist advisories are explicit `unknown` matches.
 */
import type { PackageTypeInfo } from '../../../engine/model/package-type.js';
import { buildPurl } from '../../purl.js';

export const composerType: PackageTypeInfo = {
  id: 'composer',
  displayName: 'PHP Composer package',
  kind: 'lang',
  advisories: { from: 'osv', ecosystem: 'Packagist' },
  versionScheme: 'composer',
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
