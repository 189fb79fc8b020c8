/**
 * Piscina worker: matches a slice of packages against a read-only advisory store. The store is
 * opened once per worker thread and path and reused for every task (opening SQLite and warming its
 * page cache costs more than matching a slice). Errors are returned as plain objects.
 */
import { ScanError, serializeError } from '../engine/errors.js';
import { matchDetailed } from '../engine/match/matcher.js';
import { readMemoryLookup } from '../engine/match/memory-lookup.js';
import type { AdvisoryLookup } from '../engine/model/advisory.js';
import { VulnStore } from '../engine/vulndb/store.js';
import { isStoreSpec, type MatchTask, type MatchTaskResult, type StoreSpec } from './protocol.js';

const opened = new Map<string, AdvisoryLookup>();

/** Opens the store a task names; the SQLite store comes from engine/vulndb (read-only). */
export function openLookup(spec: StoreSpec): AdvisoryLookup {
  const key = `${spec.kind}:${spec.path}`;
  let lookup = opened.get(key);
  if (!lookup) {
    lookup = spec.kind === 'sqlite' ? VulnStore.openReadOnly(spec.path) : readMemoryLookup(spec.path);
    opened.set(key, lookup);
  }
  return lookup;
}

export default function runMatchTask(task: MatchTask): MatchTaskResult {
  try {
    if (!task || !isStoreSpec(task.store) || !Array.isArray(task.packages)) {
      throw new ScanError('invalid-argument', 'match task needs { store: { kind, path }, packages: [] }');
    }
    const start = performance.now();
    const lookup = openLookup(task.store);
    const r = matchDetailed(task.packages, task.os, lookup);
    return { ok: true, ...r, elapsedMs: performance.now() - start };
  } catch (err) {
    return { ok: false, error: serializeError(err) };
  }
}
