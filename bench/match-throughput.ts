/**
 * Match throughput: a 2,000-package Debian 12 inventory against a synthetic full-distro advisory
 * set (default 3,000 source packages × 15 CVEs = 45,000 affected entries, the order of the Debian
 * tracker's per-release rows), in process (memory and SQLite lookups) and through the piscina pool.
 *
 *   npx tsx bench/match-throughput.ts [--packages 2000] [--sources 3000] [--cves 15] [--threads 2]
 *
 * The SQLite store is built once under .cache/bench/ (keyed by the inputs) with engine/vulndb's writer.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { matchDetailed } from '../engine/match/matcher.js';
import { type AdvisoryEntry, MemoryLookup } from '../engine/match/memory-lookup.js';
import type { OsInfo } from '../engine/model/os.js';
import type { Package } from '../engine/model/package.js';
import { VulnDbWriter, VulnStore } from '../engine/vulndb/store.js';
import { MatchPool } from '../workers/pool.js';

const { values } = parseArgs({
  options: {
    packages: { type: 'string', default: '2000' },
    sources: { type: 'string', default: '3000' },
    cves: { type: 'string', default: '15' },
    threads: { type: 'string', default: '2' },
  },
});
const N_PACKAGES = Number(values.packages);
const N_SOURCES = Number(values.sources);
const N_CVES = Number(values.cves);
const THREADS = Number(values.threads);

const OS: OsInfo = { family: 'debian', id: 'debian', name: '12.5', versionId: '12', source: 'bench' };

/** Deterministic PRNG (mulberry32) so every run measures the same data. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function buildAdvisories(): AdvisoryEntry[] {
  const r = rng(1);
  const out: AdvisoryEntry[] = [];
  let cve = 0;
  for (let s = 0; s < N_SOURCES; s++) {
    const src = `src${s}`;
    for (let c = 0; c < N_CVES; c++) {
      const id = `CVE-20${10 + (cve % 15)}-${10000 + cve++}`;
      const maj = 1 + Math.floor(r() * 5);
      const roll = r();
      const events =
        roll < 0.15
          ? [{ introduced: '0' }] // open, no fix
          : roll < 0.25
            ? [{ introduced: `${maj}.0-1` }, { last_affected: `${maj}.${Math.floor(r() * 9)}-2` }]
            : [
                { introduced: '0' },
                {
                  fixed: `${maj}.${Math.floor(r() * 9)}-${1 + Math.floor(r() * 3)}+deb12u${1 + Math.floor(r() * 4)}`,
                },
              ];
      out.push({
        advisory: {
          id: `DEBIAN-${id}`,
          source: 'debian-tracker',
          aliases: [id],
          severity: [],
          references: [],
        },
        affected: [
          {
            advisoryId: `DEBIAN-${id}`,
            ecosystem: 'Debian:12',
            name: src,
            nameIsSource: true,
            ranges: [{ type: 'ECOSYSTEM', events }],
            versions: [],
          },
        ],
      });
    }
  }
  return out;
}

function buildPackages(): Package[] {
  const r = rng(2);
  return Array.from({ length: N_PACKAGES }, (_, i) => {
    const src = `src${Math.floor(r() * N_SOURCES)}`;
    const version = `${1 + Math.floor(r() * 5)}.${Math.floor(r() * 9)}-${1 + Math.floor(r() * 3)}+deb12u${Math.floor(r() * 5)}`;
    return {
      foundBy: 'bench',
      type: 'deb',
      name: `bin${i}`,
      version,
      sourceName: src,
      sourceVersion: version,
      purl: `pkg:deb/debian/bin${i}@${version}`,
      locations: [],
    } satisfies Package;
  });
}

async function buildStore(entries: AdvisoryEntry[]): Promise<string> {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const dir = path.join(root, '.cache/bench');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `match-debian12-${N_SOURCES}x${N_CVES}.sqlite`);
  if (!existsSync(file)) {
    const tmp = `${file}.tmp-${process.pid}`;
    const w = new VulnDbWriter(tmp);
    await w.replaceSource({ name: 'bench', kind: 'debian-tracker', location: 'synthetic' }, (s) => {
      for (const e of entries) s.addAdvisory(e.advisory, e.affected);
    });
    w.finish();
    w.close();
    const { renameSync } = await import('node:fs');
    renameSync(tmp, file);
  }
  return file;
}

/** Wall time, and this thread's CPU time when given (the machine may be shared: CPU time is steadier). */
function report(label: string, ms: number, matches: number, cpuMs?: number): void {
  const perSec = Math.round((N_PACKAGES / ms) * 1000);
  const cpu = cpuMs === undefined ? '' : `  (cpu ${cpuMs.toFixed(0)} ms)`;
  console.log(
    `${label.padEnd(44)} ${ms.toFixed(0).padStart(7)} ms  ${String(perSec).padStart(8)} packages/s  ${matches} matches${cpu}`,
  );
}

function cpuSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

const entries = buildAdvisories();
const packages = buildPackages();
console.log(
  `inventory: ${N_PACKAGES} deb packages; advisories: ${entries.length} (${N_SOURCES} sources × ${N_CVES}), Debian:12; node ${process.version}`,
);

const memory = new MemoryLookup(entries);
let c = process.cpuUsage();
let t = performance.now();
let r = matchDetailed(packages, OS, memory);
report('in-process, memory lookup (cold caches)', performance.now() - t, r.matches.length, cpuSince(c));
c = process.cpuUsage();
t = performance.now();
r = matchDetailed(packages, OS, memory);
report('in-process, memory lookup (warm)', performance.now() - t, r.matches.length, cpuSince(c));

const storePath = await buildStore(entries);
const store = VulnStore.openReadOnly(storePath);
c = process.cpuUsage();
t = performance.now();
const rs = matchDetailed(packages, OS, store);
report('in-process, SQLite store', performance.now() - t, rs.matches.length, cpuSince(c));
c = process.cpuUsage();
t = performance.now();
matchDetailed(packages, OS, store);
report('in-process, SQLite store (second run)', performance.now() - t, rs.matches.length, cpuSince(c));
// The store's share: the same lookups the matcher makes, without matching.
c = process.cpuUsage();
t = performance.now();
let rows = 0;
for (const p of packages) {
  rows += store.affected('Debian:12', p.sourceName!).length + store.affected('Debian:12', p.name).length;
}
console.log(
  `${'  of which SQLite lookups alone'.padEnd(44)} ${(performance.now() - t).toFixed(0).padStart(7)} ms  ${rows} rows  (cpu ${cpuSince(c).toFixed(0)} ms)`,
);
store.close();
if (rs.matches.length !== r.matches.length) throw new Error('SQLite and memory lookups disagree');

t = performance.now();
const pool = new MatchPool({ kind: 'sqlite', path: storePath }, { threads: THREADS });
await pool.warm();
const startup = performance.now() - t;
console.log(
  `${`pool start (${THREADS} tsx workers, store opened)`.padEnd(44)} ${startup.toFixed(0).padStart(7)} ms`,
);
for (const run of [1, 2, 3]) {
  t = performance.now();
  const rp = await pool.match(packages, OS);
  report(`piscina pool, ${THREADS} threads, run ${run}`, performance.now() - t, rp.matches.length);
  if (rp.matches.length !== r.matches.length) throw new Error('pool and in-process disagree');
}
await pool.close();
