/**
 * Splits an inventory into slices for the match workers. Packages are independent, so any split is
 * correct; slices keep input order so concatenating the workers' results preserves it.
 */
import type { Package } from '../model/package.js';

export interface ChunkOptions {
  /** Number of workers that will run the slices. */
  workers: number;
  /** Lower bound on a slice: below it the message round trip costs more than the matching. */
  minChunk?: number;
  /** Upper bound on a slice, so one slow slice does not hold back the others. */
  maxChunk?: number;
}

export function chunkPackages(packages: readonly Package[], options: ChunkOptions): Package[][] {
  const { workers, minChunk = 50, maxChunk = 1000 } = options;
  if (!Number.isSafeInteger(workers) || workers < 1)
    throw new RangeError(`workers must be >= 1, got ${workers}`);
  if (!Number.isSafeInteger(minChunk) || minChunk < 1)
    throw new RangeError(`minChunk must be >= 1, got ${minChunk}`);
  if (!Number.isSafeInteger(maxChunk) || maxChunk < minChunk) {
    throw new RangeError(`maxChunk must be >= minChunk (${minChunk}), got ${maxChunk}`);
  }
  if (packages.length === 0) return [];
  // Two slices per worker evens out uneven slices (some packages have hundreds of advisories).
  const target = Math.ceil(packages.length / (workers * 2));
  const size = Math.min(maxChunk, Math.max(minChunk, target));
  const out: Package[][] = [];
  for (let i = 0; i < packages.length; i += size) out.push(packages.slice(i, i + size));
  return out;
}
