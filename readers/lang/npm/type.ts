/**
 * The `npm` package type: Node.js packages, matched against OSV's npm ecosystem with SemVer 2.0.
 * A scoped name `@scope/name` is written with the scope as the purl namespace (`pkg:npm/%40scope/name`).
 */
import type { PackageTypeInfo } from '../../../engine/model/package-type.js';
import { buildPurl } from '../../purl.js';

/** `@scope/name` → ['@scope', 'name']; unscoped → [undefined, name]. */
export function splitNpmName(name: string): [string | undefined, string] {
  const m = /^(@[^/]+)\/(.+)$/.exec(name);
  return m ? [m[1], m[2]!] : [undefined, name];
}

export const npmType: PackageTypeInfo = {
  id: 'npm',
  displayName: 'Node.js package',
  kind: 'lang',
  advisories: { from: 'osv', ecosystem: 'npm' },
  versionScheme: 'semver',
  packageManager: 'NODEPKG',
  advisoryName: (pkg) => {
    if (pkg.name.startsWith('@')) return pkg.name;
    // A package whose name was recorded without its scope: the purl's namespace holds it.
    const ns = /^pkg:npm\/(%40[^/]+)\//.exec(pkg.purl)?.[1];
    return ns ? `${decodeURIComponent(ns)}/${pkg.name}` : pkg.name;
  },
  remediation: (pkg, fixed) => `npm install ${pkg.name}@${fixed}`,
  purl: (parts) => {
    if (parts.namespace) return buildPurl('npm', parts);
    const [scope, name] = splitNpmName(parts.name);
    return buildPurl('npm', { ...parts, namespace: scope, name });
  },
};
