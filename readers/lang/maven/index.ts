/**
 * lang/maven: Java archives (jar, war, ear).
 *
 * This folder holds the `maven` package type (type.ts: purl, OSV ecosystem, comparator, package
 * manager) and its catalogers.
 */
import type { Cataloger } from '../../cataloger.js';

export const id = 'lang/maven';
export const displayName = 'Java archives (jar, war, ear)';
export const specUrls = [
  'https://maven.apache.org/shared/maven-archiver/',
  'https://docs.oracle.com/en/java/javase/21/docs/specs/jar/jar.html',
] as const;
export const version = 1;

export { mavenType as packageType } from './type.js';
/** Catalogers of this type (none yet: see readme.md). */
export const catalogers: readonly Cataloger[] = [];
