/**
 * snapscan demo: the main job on the embedded defaults. Scans the shipped sample disk image
 * (test/fixtures/demo/, a real Debian 12 root on a cloud-style GPT disk) against the local SQLite
 * vulnerability database, filling it first if it is empty, and writes the results to a local folder.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScanError } from '../../errors.js';
import { defaultDbPath, importPath, VulnStore, withWritableStore } from '../../vulndb/index.js';
import { parseCommandArgs } from '../args.js';
import { run as runScan } from './scan.js';

const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
export const DEMO_IMAGES = [
  resolve(REPO, 'test/fixtures/demo/debian-12-cloud.img.gz'),
  resolve(REPO, 'test/fixtures/demo/almalinux-9-cloud.img.gz'),
];
/** Next to a checkout the shared sample feeds live in ../shared/vulndata (used when offline). */
const SHARED_VULNDATA = resolve(REPO, '../shared/vulndata');

export const usage = `usage: snapscan demo [--db FILE] [--vulndata DIR] [--out DIR] [--format table|json]

Scans the sample disk image(s) shipped in test/fixtures/demo with the embedded defaults:
  1. the vulnerability database (${defaultDbPath()}, or --db / $SNAPSCAN_DB) is filled if empty:
     from --vulndata DIR when given, else from the public feeds (snapscan db update), else — offline,
     next to a checkout — from ../shared/vulndata;
  2. findings and SBOMs go to --out (default ./snapscan-out), a summary table to the terminal.
`;

function storeIsUsable(path: string): boolean {
  if (!existsSync(path)) return false;
  try {
    const s = VulnStore.openReadOnly(path);
    const info = s.info();
    s.close();
    return info.counts.advisories > 0;
  } catch {
    return false;
  }
}

async function importDir(db: string, dir: string): Promise<void> {
  process.stderr.write(`snapscan demo: importing vulnerability data from ${dir} into ${db}\n`);
  const r = await withWritableStore(db, (w) => importPath(w, dir));
  process.stderr.write(`snapscan demo: imported ${r.sources.length} sources\n`);
}

async function updateFromFeeds(db: string): Promise<boolean> {
  try {
    const mod = (await import('./db.js')) as { run(argv: string[]): Promise<number> };
    process.stderr.write('snapscan demo: fetching the public feeds (snapscan db update)\n');
    return (await mod.run(['update', '--db', db])) === 0;
  } catch (err) {
    process.stderr.write(`snapscan demo: feed update failed: ${(err as Error).message}\n`);
    return false;
  }
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    db: { type: 'string' },
    vulndata: { type: 'string' },
    out: { type: 'string' },
    format: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(usage);
    return 0;
  }
  const db = values.db ?? defaultDbPath();
  if (values.vulndata) {
    await importDir(db, values.vulndata);
  } else if (!storeIsUsable(db)) {
    const updated = await updateFromFeeds(db);
    if (!updated || !storeIsUsable(db)) {
      if (!existsSync(SHARED_VULNDATA)) {
        throw new ScanError(
          'vulndb-missing',
          'no vulnerability data: the public feeds could not be fetched; pass --vulndata DIR (OSV, Debian tracker, ALAS, EPSS, KEV files)',
        );
      }
      process.stderr.write('snapscan demo: offline — using the sample feeds in ../shared/vulndata\n');
      await importDir(db, SHARED_VULNDATA);
    }
  }
  const out = values.out ?? 'snapscan-out';
  const args = ['--db', db, '--out-dir', out, '--format', values.format ?? 'table', '--stats'];
  for (const img of DEMO_IMAGES) args.push('--image', img);
  const code = await runScan(args);
  process.stderr.write(
    `snapscan demo: results in ${resolve(out)} (findings NDJSON/CSV, CycloneDX, SPDX, manifest.json)\n`,
  );
  return code;
}
