/**
 * Vulnerability store benchmark: ingest time and database size for the sample data, per feed kind
 * and for the whole folder, then lookup throughput on the result.
 *
 *   node --import tsx bench/vulndb-ingest.ts [--data ../shared/vulndata] [--lookups 200000]
 *
 * Each import runs into a fresh temp database (withWritableStore, so the atomic-swap copy is part of
 * the time). Lookups: `affected(ecosystem, name)` for every (ecosystem, name) in the store, round
 * robin, through the read-only prepared statement a match worker uses; plus EPSS/KEV point lookups.
 * Prints a table and one JSON line with every figure.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { importPath } from '../engine/vulndb/ingest/index.js';
import { walkFiles } from '../engine/vulndb/ingest/read.js';
import { VulnStore, withWritableStore } from '../engine/vulndb/store.js';
import { buildZip } from '../test/engine/vulndb/builders.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    data: { type: 'string', default: path.resolve(REPO, '../shared/vulndata') },
    lookups: { type: 'string', default: '200000' },
  },
});
const data = path.resolve(values.data);
const lookups = Number(values.lookups);
const work = mkdtempSync(path.join(tmpdir(), 'vulndb-bench-'));

interface Row {
  what: string;
  seconds: number;
  records: number;
  affected: number;
  dbBytes: number;
}

async function timeImport(what: string, sub: string): Promise<Row> {
  const db = path.join(work, `${what.replace(/\W/g, '_')}.sqlite`);
  const t0 = process.hrtime.bigint();
  const r = await withWritableStore(db, (w) => importPath(w, path.resolve(data, sub)), { fresh: true });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return {
    what,
    seconds,
    records: r.sources.reduce((n, s) => n + s.records, 0),
    affected: r.sources.reduce((n, s) => n + s.affected, 0),
    dbBytes: statSync(db).size,
  };
}

try {
  const rows: Row[] = [];
  rows.push(await timeImport('osv (json+yaml)', 'osv'));
  rows.push(
    await timeImport('debian-tracker json', 'native/debian-security-tracker/security-tracker-json-sample'),
  );
  rows.push(await timeImport('alas json', 'native/amazon-linux/vuln-list'));
  rows.push(await timeImport('epss csv', 'epss'));
  rows.push(await timeImport('kev json', 'kev'));
  rows.push(await timeImport('whole folder', '.'));
  // The shape `db update` downloads: every OSV JSON record of the sample in one all.zip.
  const zipPath = path.join(work, 'all.zip');
  writeFileSync(
    zipPath,
    buildZip(
      walkFiles(path.join(data, 'osv'))
        .filter((f) => f.endsWith('.json'))
        .map((f) => ({ name: path.basename(f), data: readFileSync(f) })),
    ),
  );
  rows.push(await timeImport('osv all.zip (json)', zipPath));

  const db = path.join(work, 'whole_folder.sqlite');
  const store = VulnStore.openReadOnly(db);
  const keys = store.db
    .prepare('SELECT DISTINCT ecosystem, name FROM affected ORDER BY ecosystem, name')
    .all() as Array<{
    ecosystem: string;
    name: string;
  }>;
  const cves = store.db.prepare('SELECT cve FROM kev ORDER BY cve').pluck().all() as string[];
  // CPU seconds, not wall time: the bench machine is shared, and CPU time is what a worker spends.
  const cpu = (from: NodeJS.CpuUsage) => {
    const d = process.cpuUsage(from);
    return (d.user + d.system) / 1e6;
  };
  let hits = 0;
  let c0 = process.cpuUsage();
  for (let i = 0; i < lookups; i++) {
    const k = keys[i % keys.length]!;
    hits += store.affected(k.ecosystem, k.name).length;
  }
  const affectedPerSec = lookups / cpu(c0);
  c0 = process.cpuUsage();
  let found = 0;
  for (let i = 0; i < lookups; i++) {
    const c = cves[i % cves.length]!;
    if (store.kev(c)) found++;
    if (store.epss(c)) found++;
  }
  const pointPerSec = (2 * lookups) / cpu(c0);
  store.close();

  const pad = (s: string, n: number) => s.padEnd(n);
  process.stdout.write(
    `${pad('input', 22)} ${'seconds'.padStart(8)} ${'records'.padStart(8)} ${'affected'.padStart(9)} ${'db MiB'.padStart(8)}\n`,
  );
  for (const r of rows) {
    process.stdout.write(
      `${pad(r.what, 22)} ${r.seconds.toFixed(2).padStart(8)} ${String(r.records).padStart(8)} ${String(r.affected).padStart(9)} ${(r.dbBytes / 1048576).toFixed(2).padStart(8)}\n`,
    );
  }
  process.stdout.write(
    `lookups per CPU second: affected(ecosystem, name) ${Math.round(affectedPerSec)}/s over ${keys.length} keys (${hits} rows returned); epss+kev point ${Math.round(pointPerSec)}/s (${found} found)\n`,
  );
  process.stdout.write(
    `${JSON.stringify({ bench: 'vulndb-ingest', data, rows, affectedLookupsPerSec: Math.round(affectedPerSec), pointLookupsPerSec: Math.round(pointPerSec), node: process.version })}\n`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
