/**
 * Start-up time of the CLI: `snapscan --help` and a one-image scan (the demo's Debian 12 disk
 * against the sample feeds), each run N times as a fresh process; prints min / median / max wall
 * time.
 *
 *   npx tsx bench/startup.ts [--runs 7] [--packed [--reuse]]
 *
 * Without flags it measures the checkout (bin/snapscan.js running the TypeScript sources through
 * tsx). `--packed` also builds, packs and installs the package with --omit=dev under
 * .cache/bench/startup/ (test/helpers/pack.ts) and measures the installed, compiled CLI; `--reuse`
 * measures the install a previous --packed run left there (a build compiles better-sqlite3: minutes).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../test/emulator/test-image.js';
import { buildTarball, installTarball } from '../test/helpers/pack.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '7' },
    packed: { type: 'boolean', default: false },
    reuse: { type: 'boolean', default: false },
  },
});
const RUNS = Number(values.runs);
const WORK = path.join(REPO_ROOT, '.cache/bench/startup');
const IMAGE = path.join(REPO_ROOT, 'test/fixtures/demo/debian-12-cloud.img.gz');
const VULNDATA = path.resolve(REPO_ROOT, '../shared/vulndata');
const DB = path.join(WORK, 'vulndb.sqlite');
mkdirSync(WORK, { recursive: true });

const env = { ...process.env, SNAPSCAN_HOME: path.join(WORK, 'home'), SNAPSCAN_DB: DB };

function time(bin: string, args: string[]): { ms: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { ms };
}

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const med = s[Math.floor(s.length / 2)]!;
  return `${s[0]!.toFixed(0).padStart(6)} ${med.toFixed(0).padStart(7)} ${s.at(-1)!.toFixed(0).padStart(6)}`;
}

const bins: [string, string][] = [['checkout (tsx, sources)', path.join(REPO_ROOT, 'bin/snapscan.js')]];
const installed = path.join(WORK, 'pack/install/node_modules/snapscan/bin/snapscan.js');
if (values.packed && values.reuse && existsSync(installed)) {
  bins.push(['installed (dist, --omit=dev)', installed]);
} else if (values.packed) {
  rmSync(path.join(WORK, 'pack'), { recursive: true, force: true });
  const tgz = buildTarball(path.join(WORK, 'pack/stage'), path.join(WORK, 'pack/out'));
  bins.push(['installed (dist, --omit=dev)', installTarball(tgz, path.join(WORK, 'pack/install'))]);
}

if (!existsSync(DB)) {
  if (!existsSync(VULNDATA)) throw new Error(`${VULNDATA} is absent: the scan bench needs the sample feeds`);
  time(bins[0]![1], ['db', 'import', VULNDATA]);
}
const scanArgs = ['scan', '--image', IMAGE, '--format', 'json', '-q'];
for (const [, bin] of bins) time(bin, scanArgs); // warm: unpacks the image into the cache, page cache

console.log(`node ${process.version}, ${RUNS} runs each; wall ms (min / median / max)`);
console.log('build                           command                       min  median    max');
for (const [name, bin] of bins) {
  for (const [label, args] of [
    ['snapscan --help', ['--help']],
    ['scan --image debian-12 (json)', scanArgs],
  ] as const) {
    const walls: number[] = [];
    for (let i = 0; i < RUNS; i++) walls.push(time(bin, [...args]).ms);
    console.log(`${name.padEnd(31)} ${label.padEnd(28)} ${stats(walls)}`);
  }
}
