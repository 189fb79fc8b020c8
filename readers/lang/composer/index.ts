/**
 * lang/composer: PHP Composer packages (vendor/composer/installed.json).
 *
 * This folder holds the `composer` package type (type.ts: purl, OSV ecosystem, comparator, package
 * manager) and its catalogers.
 */
import type { Cataloger } from '../../cataloger.js';

export const id = 'lang/composer';
export const displayName = 'PHP Composer packages (vendor/composer/installed.json)';
export const specUrls = [
  'https://getcomposer.org/doc/articles/vendor-binaries.md',
  'https://getcomposer.org/doc/04-schema.md',
] as const;
export const version = 1;

export { composerType as packageType } from './type.js';
/** Catalogers of this type (none yet: see readme.md). */
export const catalogers: readonly Cataloger[] = [];
