/**
 * lang/cargo: Rust crates recorded by cargo-auditable.
 *
 * This folder holds the `cargo` package type (type.ts: purl, OSV ecosystem, comparator, package
 * manager) and its catalogers.
 */
import type { Cataloger } from '../../cataloger.js';
import { rustBinaryCataloger } from './auditable.js';

export const id = 'lang/cargo';
export const displayName = 'Rust crates recorded by cargo-auditable';
export const specUrls = [
  'https://github.com/rust-secure-code/cargo-auditable/blob/master/PARSING.md',
] as const;
export const version = 1;

export * from './auditable.js';
export { cargoType as packageType } from './type.js';
export const catalogers: readonly Cataloger[] = [rustBinaryCataloger];
