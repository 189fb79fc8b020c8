/**
 * lang/npm: Node.js packages (node_modules).
 *
 * This folder holds the `npm` package type (type.ts: purl, OSV ecosystem, comparator, package
 * manager) and its catalogers.
 */
import type { Cataloger } from '../../cataloger.js';

export const id = 'lang/npm';
export const displayName = 'Node.js packages (node_modules)';
export const specUrls = [
  'https://docs.npmjs.com/cli/v10/configuring-npm/package-json',
  'https://docs.npmjs.com/cli/v10/configuring-npm/package-lock-json',
] as const;
export const version = 1;

export { npmType as packageType } from './type.js';
/** Catalogers of this type (none yet: see readme.md). */
export const catalogers: readonly Cataloger[] = [];
