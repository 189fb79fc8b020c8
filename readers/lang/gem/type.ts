/** The `gem` package type: installed Ruby gems, OSV RubyGems, Gem::Version ordering. */
import type { PackageTypeInfo } from '../../../engine/model/package-type.js';
import { buildPurl } from '../../purl.js';

export const gemType: PackageTypeInfo = {
  id: 'gem',
  displayName: 'Ruby gem',
  kind: 'lang',
  advisories: { from: 'osv', ecosystem: 'RubyGems' },
  versionScheme: 'gem',
  packageManager: 'GEMSPEC',
  remediation: (pkg, fixed) => `gem install ${pkg.name} -v ${fixed}`,
  purl: (parts) => buildPurl('gem', parts),
};
