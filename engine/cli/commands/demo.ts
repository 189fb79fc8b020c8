/**
 * snapscan demo: the main job on the embedded defaults. Scans the shipped sample disk image
 * (test/fixtures/demo/, a real Debian 12 root on a cloud-style GPT disk) against the local SQLite
 * vulnerability database, filling it first if it is empty, and writes the results to a local folder.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScanError } from '../../errors.js';
import { spdxJson } from '../../export/spdx/index.js';
import { inventoryToCycloneDx } from '../../inventory/cyclonedx.js';
import type { Inventory } from '../../inventory/types.js';
import type { OutcomeState } from '../../model/scan-status.js';
import { scanBlockSource } from '../../pipeline.js';
import { findingResource, LOCAL_ACCOUNT } from '../../scan/findings.js';
import { TOOL } from '../../version.js';
import { defaultDbPath, importPath, VulnStore, withWritableStore } from '../../vulndb/index.js';
import { type CommandSpec, formatHelp, parseCommand } from '../args.js';
import { EXIT, outcomeExitCode, outcomeLines } from '../exit-codes.js';
import { openImage } from '../image.js';
import { writeOutput } from '../output.js';
import { run as runScan } from './scan.js';

const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
export const DEMO_IMAGES = [
  resolve(REPO, 'test/fixtures/demo/debian-12-cloud.img.gz'),
  resolve(REPO, 'test/fixtures/demo/almalinux-9-cloud.img.gz'),
];
/** Next to a checkout the shared sample feeds live in ../shared/vulndata (used when offline). */
const SHARED_VULNDATA = resolve(REPO, '../shared/vulndata');

export const options = {
  db: {
    type: 'string',
    arg: 'FILE',
    description: `vulnerability database (default ${defaultDbPath()}, or $SNAPSCAN_DB)`,
  },
  vulndata: { type: 'string', arg: 'DIR', description: 'fill an empty database from these feed files' },
  out: { type: 'string', arg: 'DIR', description: 'where findings and SBOMs go', dflt: './snapscan-out' },
  format: { type: 'string', arg: 'table|json', description: 'summary on the terminal' },
} satisfies CommandSpec;

export const usage = formatHelp(
  'snapscan demo [--db FILE] [--vulndata DIR] [--out DIR] [--format table|json]',
  `Scans the sample disk image(s) shipped in test/fixtures/demo with the embedded defaults:
  1. the vulnerability database (${defaultDbPath()}, or --db / $SNAPSCAN_DB) is filled if empty:
     from --vulndata DIR when given, else from the public feeds (snapscan db update), else — offline,
     next to a checkout — from ../shared/vulndata;
  2. findings and SBOMs go to --out (default ./snapscan-out), a summary table to the terminal.
Without any vulnerability data it still writes each disk's inventory and SBOMs to --out, says in
one line how to get the data, and exits 1.`,
  options,
);

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

/** What the demo reaches outside itself; tests replace them to play "offline, no ../shared". */
export interface DemoDeps {
  images: readonly string[];
  sharedVulndata: string;
  updateFromFeeds(db: string): Promise<boolean>;
}

const DEFAULT_DEPS: DemoDeps = { images: DEMO_IMAGES, sharedVulndata: SHARED_VULNDATA, updateFromFeeds };

export const NO_VULNDATA_LINE =
  'findings need vulnerability data: run `snapscan db update` (online) or `snapscan demo --vulndata DIR` (offline: a folder of OSV, Debian tracker, ALAS, EPSS, KEV files)';

/**
 * Without vulnerability data the demo still does what it can: it scans both disks and writes each
 * inventory (JSON) and its SBOMs (CycloneDX, SPDX) to `out/`, then says in one line what findings
 * need. No findings file is written: an empty one would read as "no vulnerabilities".
 */
async function inventoriesOnly(images: readonly string[], out: string): Promise<number> {
  const runId = randomUUID();
  const createdAt = new Date();
  let worst: OutcomeState[] = [];
  const written: string[] = [];
  for (const img of images) {
    const name = basename(img).replace(/\.img(\.gz)?$/, '');
    const source = await openImage(img);
    let inv: Inventory;
    try {
      inv = await scanBlockSource(source, {
        resource: { type: 'image', id: basename(img) },
        packages: ['os'],
      });
    } finally {
      await source.close();
    }
    worst = [...worst, inv.status.state];
    for (const line of outcomeLines(basename(img), inv.status.state, inv.status.reasons))
      process.stderr.write(`${line}\n`);
    const result = {
      awsAccountId: LOCAL_ACCOUNT,
      resource: findingResource(inv),
      ...(inv.os ? { os: inv.os } : {}),
      packages: inv.packages,
      findings: [],
    };
    const files: Array<[string, string]> = [
      [join(out, 'inventory', `${name}.json`), `${JSON.stringify(inv, null, 2)}\n`],
      [join(out, 'sbom', `${name}.cdx.json`), `${inventoryToCycloneDx(inv)}\n`],
      [join(out, 'sbom', `${name}.spdx.json`), spdxJson(result, { runId, createdAt, tool: TOOL })],
    ];
    for (const [path, text] of files) {
      await mkdir(dirname(path), { recursive: true });
      await writeOutput(text, path);
      written.push(path);
    }
    process.stderr.write(
      `snapscan demo: ${basename(img)}: ${inv.packages.length} packages (${inv.os?.prettyName ?? 'no OS identified'}), status ${inv.status.state}\n`,
    );
  }
  process.stderr.write(
    `snapscan demo: wrote ${images.length} inventories and their CycloneDX/SPDX SBOMs to ${resolve(out)}\n`,
  );
  process.stderr.write(`snapscan demo: ${NO_VULNDATA_LINE}\n`);
  // Not a success: the demo's job is findings. A disk that did not scan completely says so first.
  const outcome = outcomeExitCode(worst, false);
  return outcome !== EXIT.OK ? outcome : EXIT.ERROR;
}

export async function run(argv: string[], deps: DemoDeps = DEFAULT_DEPS): Promise<number> {
  const { values } = parseCommand(argv, options);
  if (values.help) {
    process.stdout.write(usage);
    return 0;
  }
  const absent = DEMO_IMAGES.filter((img) => !existsSync(img));
  if (absent.length > 0) {
    // The published package ships no test fixtures: the demo is a checkout's command.
    throw new ScanError(
      'not-found',
      `the demo's sample disks are not here (${absent.join(', ')}): they ship with a checkout (git clone …; npm ci; npm run demo), not with the installed package; scan your own image with snapscan scan --image FILE`,
    );
  }
  const db = values.db ?? defaultDbPath();
  const out = values.out ?? 'snapscan-out';
  if (values.vulndata) {
    await importDir(db, values.vulndata);
  } else if (!storeIsUsable(db)) {
    const updated = await deps.updateFromFeeds(db);
    if (!updated || !storeIsUsable(db)) {
      if (!existsSync(deps.sharedVulndata)) {
        process.stderr.write(
          'snapscan demo: no vulnerability data (the public feeds could not be fetched, no --vulndata): writing inventories and SBOMs only\n',
        );
        return inventoriesOnly(deps.images, out);
      }
      process.stderr.write(`snapscan demo: offline — using the sample feeds in ${deps.sharedVulndata}\n`);
      await importDir(db, deps.sharedVulndata);
    }
  }
  const args = ['--db', db, '--out-dir', out, '--format', values.format ?? 'table', '--stats'];
  for (const img of deps.images) args.push('--image', img);
  const code = await runScan(args);
  process.stderr.write(
    `snapscan demo: results in ${resolve(out)} (findings NDJSON/CSV, CycloneDX, SPDX, manifest.json)\n`,
  );
  return code;
}
