/**
 * The `maven` package type (catalogued from jar/war/ear archives in this folder): Java artifacts, matched against OSV's Maven ecosystem (names are
 * `groupId:artifactId`) with Maven's ComparableVersion ordering.
 */
import type { PackageTypeInfo } from '../../../engine/model/package-type.js';
import { buildPurl } from '../../purl.js';

export const mavenType: PackageTypeInfo = {
  id: 'maven',
  displayName: 'Java archive',
  kind: 'lang',
  advisories: { from: 'osv', ecosystem: 'Maven' },
  versionScheme: 'maven',
  packageManager: 'JAR',
  advisoryName: (pkg) => {
    if (pkg.name.includes(':')) return pkg.name;
    // groupId is the purl namespace: pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1
    const ns = /^pkg:maven\/([^/@?#]+)\//.exec(pkg.purl)?.[1];
    return ns ? `${decodeURIComponent(ns)}:${pkg.name}` : pkg.name;
  },
  remediation: (pkg, fixed) => `Upgrade ${pkg.name} to ${fixed} (rebuild the archive that embeds it)`,
  purl: (parts) => {
    if (parts.namespace || !parts.name.includes(':')) return buildPurl('maven', parts);
    const i = parts.name.indexOf(':');
    return buildPurl('maven', { ...parts, namespace: parts.name.slice(0, i), name: parts.name.slice(i + 1) });
  },
};
