/**
 * lang/nuget: .NET dependencies (*.deps.json).
 *
 * This folder holds the `nuget` package type (type.ts: purl, OSV ecosystem, comparator, package
 * manager) and its catalogers.
 */
import type { Cataloger } from '../../cataloger.js';

export const id = 'lang/nuget';
export const displayName = '.NET dependencies (*.deps.json)';
export const specUrls = [
  'https://github.com/dotnet/sdk/blob/main/documentation/specs/runtime-configuration-file.md',
] as const;
export const version = 1;

export { nugetType as packageType } from './type.js';
/** Catalogers of this type (none yet: see readme.md). */
export const catalogers: readonly Cataloger[] = [];
