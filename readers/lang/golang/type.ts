/**
 * The `golang` package type: Go modules (and the `stdlib` pseudo-module) from Go binaries' build
 * info, matched against OSV's Go ecosystem (names are module paths) with Go's module versions.
 */
import type { PackageTypeInfo } from '../../../engine/model/package-type.js';
import { buildPurl } from '../../purl.js';

export const golangType: PackageTypeInfo = {
  id: 'golang',
  displayName: 'Go module',
  kind: 'lang',
  advisories: { from: 'osv', ecosystem: 'Go' },
  versionScheme: 'go',
  packageManager: 'GOBINARY',
  advisoryName: (pkg) => {
    if (pkg.name.includes('/')) return pkg.name;
    // pkg:golang/golang.org/x/net@v0.1.0: namespace + name is the module path.
    const m = /^pkg:golang\/([^@?#]+)\/([^/@?#]+)(?:[@?#]|$)/.exec(pkg.purl);
    return m ? `${decodeURIComponent(m[1]!)}/${decodeURIComponent(m[2]!)}` : pkg.name;
  },
  remediation: (pkg, fixed) => `go get ${pkg.name}@v${fixed.replace(/^v/, '')} and rebuild the binary`,
  purl: (parts) => {
    if (parts.namespace || !parts.name.includes('/')) return buildPurl('golang', parts);
    const i = parts.name.lastIndexOf('/');
    return buildPurl('golang', {
      ...parts,
      namespace: parts.name.slice(0, i),
      name: parts.name.slice(i + 1),
    });
  },
};
