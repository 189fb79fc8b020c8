/**
 * Wire types between the main thread and workers/match.worker.ts. Everything here survives
 * structured clone: plain objects only. Errors cross as SerializedError (engine/errors.ts) and are
 * rebuilt with deserializeError on the main thread, because `instanceof` does not survive the clone.
 */
import type { SerializedError } from '../engine/errors.js';
import type { SkippedPackage } from '../engine/match/matcher.js';
import type { Match } from '../engine/model/match.js';
import type { OsInfo } from '../engine/model/os.js';
import type { Package } from '../engine/model/package.js';

/** Which advisory store a worker opens (read-only), once per worker and path. */
export type StoreSpec =
  /** engine/vulndb SQLite file, opened with VulnStore.openReadOnly. */
  | { kind: 'sqlite'; path: string }
  /** JSON array of { advisory, affected[] } (engine/match/memory-lookup.ts): tests, small sets. */
  | { kind: 'json'; path: string };

export interface MatchTask {
  store: StoreSpec;
  os?: OsInfo;
  packages: Package[];
}

export type MatchTaskResult =
  | { ok: true; matches: Match[]; skipped: SkippedPackage[]; lookups: number; elapsedMs: number }
  | { ok: false; error: SerializedError };

export function isStoreSpec(v: unknown): v is StoreSpec {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return (s.kind === 'sqlite' || s.kind === 'json') && typeof s.path === 'string' && s.path.length > 0;
}
