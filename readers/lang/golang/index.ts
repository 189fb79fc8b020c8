/**
 * lang/golang: Go module build info in binaries.
 *
 * This folder holds the `golang` package type (type.ts: purl, OSV ecosystem, comparator, package
 * manager) and its catalogers.
 */
import type { Cataloger } from '../../cataloger.js';

export const id = 'lang/golang';
export const displayName = 'Go module build info in binaries';
export const specUrls = ['https://pkg.go.dev/runtime/debug#BuildInfo', 'https://go.dev/ref/mod'] as const;
export const version = 1;

export { golangType as packageType } from './type.js';
/** Catalogers of this type (none yet: see readme.md). */
export const catalogers: readonly Cataloger[] = [];
