/**
 * lang/golang: Go module build info in binaries.
 *
 * This folder holds the `golang` package type (type.ts: purl, OSV ecosystem, comparator, package
 * manager) and its catalogers.
 */
import type { Cataloger } from '../../cataloger.js';
import { goBinaryCataloger } from './go-binary.js';

export const id = 'lang/golang';
export const displayName = 'Go module build info in binaries';
export const specUrls = ['https://pkg.go.dev/runtime/debug#BuildInfo', 'https://go.dev/ref/mod'] as const;
export const version = 1;

export * from './go-binary.js';
export { golangType as packageType } from './type.js';
export const catalogers: readonly Cataloger[] = [goBinaryCataloger];
