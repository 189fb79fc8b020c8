/**
 * lang/gem: Ruby gems (specifications/*.gemspec).
 *
 * This folder holds the `gem` package type (type.ts: purl, OSV ecosystem, comparator, package
 * manager) and its catalogers.
 */
import type { Cataloger } from '../../cataloger.js';

export const id = 'lang/gem';
export const displayName = 'Ruby gems (specifications/*.gemspec)';
export const specUrls = ['https://guides.rubygems.org/specification-reference/'] as const;
export const version = 1;

export { gemType as packageType } from './type.js';
/** Catalogers of this type (none yet: see readme.md). */
export const catalogers: readonly Cataloger[] = [];
