/**
 * An AdvisoryLookup over advisories held in memory: for tests, for the worker pool before a store
 * exists, and for small JSON advisory sets. Keys names exactly as engine/vulndb does (nameKey), so
 * results agree with the SQLite store for the same records.
 */
import { readFileSync } from 'node:fs';
import type { Advisory, AdvisoryLookup, AffectedPackage } from '../model/advisory.js';
import { nameKey } from '../vulndb/schema.js';

export interface AdvisoryEntry {
  advisory: Advisory;
  affected: AffectedPackage[];
}

export class MemoryLookup implements AdvisoryLookup {
  private readonly index = new Map<string, Array<{ advisory: Advisory; affected: AffectedPackage }>>();
  readonly size: number;

  constructor(entries: Iterable<AdvisoryEntry>) {
    let n = 0;
    for (const { advisory, affected } of entries) {
      for (const a of affected) {
        const key = `${a.ecosystem}\0${nameKey(a.ecosystem, a.name)}`;
        const list = this.index.get(key) ?? [];
        this.index.set(key, list);
        list.push({ advisory, affected: a });
        n++;
      }
    }
    this.size = n;
  }

  affected(ecosystem: string, name: string): Array<{ advisory: Advisory; affected: AffectedPackage }> {
    return this.index.get(`${ecosystem}\0${nameKey(ecosystem, name)}`) ?? [];
  }
}

/** Reads `[{ advisory, affected: [...] }, ...]` (the AdvisoryRecord shape of engine/vulndb/ingest). */
export function readMemoryLookup(path: string): MemoryLookup {
  const doc = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  if (!Array.isArray(doc)) throw new TypeError(`${path}: expected a JSON array of { advisory, affected }`);
  return new MemoryLookup(doc as AdvisoryEntry[]);
}
