/**
 * lang/pypi: Python distributions (dist-info, egg-info).
 *
 * This folder holds the `pypi` package type (type.ts: purl, OSV ecosystem, comparator, package
 * manager) and its catalogers.
 */
import type { Cataloger } from '../../cataloger.js';

export const id = 'lang/pypi';
export const displayName = 'Python distributions (dist-info, egg-info)';
export const specUrls = [
  'https://packaging.python.org/en/latest/specifications/core-metadata/',
  'https://packaging.python.org/en/latest/specifications/recording-installed-packages/',
] as const;
export const version = 1;

export { pypiType as packageType } from './type.js';
/** Catalogers of this type (none yet: see readme.md). */
export const catalogers: readonly Cataloger[] = [];
