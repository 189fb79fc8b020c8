/** The `nuget` package type: .NET packages from `*.deps.json`, OSV NuGet, NuGet version ordering. */
import type { PackageTypeInfo } from '../../../engine/model/package-type.js';
import { buildPurl } from '../../purl.js';

export const nugetType: PackageTypeInfo = {
  id: 'nuget',
  displayName: '.NET package',
  kind: 'lang',
  advisories: { from: 'osv', ecosystem: 'NuGet' },
  versionScheme: 'nuget',
  packageManager: 'NUGET',
  remediation: (pkg, fixed) => `dotnet add package ${pkg.name} --version ${fixed}`,
  purl: (parts) => buildPurl('nuget', parts),
};
