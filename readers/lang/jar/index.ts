/**
 * lang/jar: Java archives (.jar, .war, .ear) and the archives nested in them → Maven packages.
 *
 * Identity from META-INF/maven/<g>/<a>/pom.properties, else the manifest (jar.ts); the zip is read
 * through a bounded central-directory reader (zip.ts): only the directory and the few entries that
 * name artifacts or are archives themselves are read, never the class files.
 *
 * Output: one Package per artifact, name `groupId:artifactId` (the OSV Maven package name), purl
 * `pkg:maven/<groupId>/<artifactId>@<version>`, location the archive, nested ones as
 * `/opt/app.jar!/BOOT-INF/lib/x.jar`. Problems inside an archive (a corrupt nested jar, a zip bomb)
 * are reported per entry; the rest of the archive is still read.
 */
import { PackageURL } from 'packageurl-js';
import { DEFAULT_LIMITS, GiB } from '../../../engine/limits.js';
import type { Package } from '../../../engine/model/package.js';
import { bufferAccess, type RandomAccess } from '../../bytes/random-access.js';
import type { CatalogContext, Cataloger, CatalogFile, CatalogResult } from '../../cataloger.js';
import { isJavaArchive, type JarArtifact, parseJar } from './jar.js';

export { isJavaArchive, type JarArtifact, NESTED_SEPARATOR, parseJar } from './jar.js';

export const id = 'lang/jar';
export const displayName = 'Java archives (jar, war, ear)';
export const specUrls = [
  'https://docs.oracle.com/en/java/javase/21/docs/specs/jar/jar.html',
  'https://maven.apache.org/shared/maven-archiver/',
  'https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT',
] as const;
export const version = 1;

export function jarPackage(a: JarArtifact): Package {
  return {
    foundBy: id,
    type: 'maven',
    name: `${a.groupId}:${a.artifactId}`,
    version: a.version,
    purl: new PackageURL('maven', a.groupId, a.artifactId, a.version, undefined, undefined).toString(),
    locations: [{ path: a.filePath }],
    ...(a.licenses ? { licenses: a.licenses } : {}),
    metadata: { groupId: a.groupId, artifactId: a.artifactId, source: a.source, entry: a.entry },
  };
}

/** Catalogs one archive read through `source` (only the ranges the zip reader asks for). */
export async function catalogJar(
  source: RandomAccess,
  path: string,
  ctx: CatalogContext,
): Promise<CatalogResult> {
  const { artifacts, errors } = await parseJar(source, path, ctx.limits ?? DEFAULT_LIMITS, ctx.signal);
  return { packages: artifacts.map(jarPackage), errors };
}

export const jarCataloger: Cataloger = {
  id,
  displayName,
  kind: 'lang',
  version,
  specUrls,
  wants: (path, stat) => stat.type === 'file' && isJavaArchive(path),
  // Read by range (CatalogFile.source): only the central directory and a few entries.
  maxBytes: 1 * GiB,
  randomAccess: true,
  catalog: (file: CatalogFile, ctx: CatalogContext) =>
    catalogJar(file.source ?? bufferAccess(file.bytes, file.path), file.path, ctx),
};

export { mavenType as packageType } from './type.js';
export const catalogers: readonly Cataloger[] = [jarCataloger];
