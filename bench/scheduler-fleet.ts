/**
 * Issue 8 benchmark: the scheduler over the fleet scenario (test/emulator/fleet.ts: 50 instances on
 * the Debian minbase, AlmaLinux 9 and AL2023-like disks; SSM fresh/stale/missing inventories,
 * exclusions, stopped/terminated, backup snapshots, KMS-denied volumes), every EBS direct request
 * answered after 20 ms, output and state in the emulator's S3. One process, the real SDK clients
 * through AWS_ENDPOINT_URL. Prints, per pass: wall time, instance scans per minute (snapshot scans
 * and SSM evaluations), API calls per instance by service, snapshots created / reused / left behind
 * (left must be 0), peak RSS; then a second pass right after (nothing due: no snapshot, no block
 * read) and a rematch of every stored inventory.
 *
 * usage: npx tsx bench/scheduler-fleet.ts [--concurrency 8] [--latency-ms 20] [--db vulndb.sqlite]
 * Without --db the vulnerability data of ../shared/vulndata is imported into a temp database.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importPath, withWritableStore } from '../engine/vulndb/index.js';
import type { PassReport } from '../scheduler/pass.js';
import { runScheduler, type SchedulerRunOptions } from '../scheduler/run.js';
import { buildFleet } from '../test/emulator/fleet.js';
import {
  DEFAULT_FAULT_ACTIONS,
  EMULATOR_CREDENTIALS,
  type Emulator,
  startEmulator,
} from '../test/emulator/index.js';
import { HAVE_SHARED, SHARED_VULNDATA } from '../test/helpers/paths.js';
import { benchSchedulerOptions } from './lib.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? String(args[i + 1]) : dflt;
};
const concurrency = Number(opt('concurrency', '8'));
const latencyMs = Number(opt('latency-ms', '20'));

function perService(emu: Emulator, instances: number): string {
  return Object.entries(emu.countsByService)
    .map(([svc, actions]) => {
      const total = Object.values(actions).reduce((a, b) => a + b, 0);
      const detail = Object.entries(actions)
        .sort((a, b) => b[1] - a[1])
        .map(([a, n]) => `${a} ${n}`)
        .join(', ');
      return `    ${svc.padEnd(7)} ${(total / instances).toFixed(1).padStart(7)} / instance   (${detail})`;
    })
    .join('\n');
}

function line(
  label: string,
  r: PassReport,
  wallMs: number,
  emu: Emulator,
  fleetSize: number,
  snapscanLeft: number,
) {
  const c = r.counts;
  const perMin = (c.scanned / wallMs) * 60_000;
  console.log(
    `${label}: ${r.ok ? 'complete' : `INCOMPLETE ${r.error}`} in ${(wallMs / 1000).toFixed(2)} s; ${c.instances} instances: ` +
      `${c.scanned} scanned (${c.agentless} snapshot, ${c.ssm} SSM), ${c.kept} kept, ${c.skipped} skipped, ${c.failed} failed, ` +
      `${c.terminated} terminated, ${c.rematched} rematched`,
  );
  console.log(
    `  instance scans per minute: ${perMin.toFixed(0)} (concurrency ${concurrency}, ${latencyMs} ms per EBS request)`,
  );
  console.log(
    `  snapshots: ${r.snapshots.created} created, ${r.snapshots.reused} reused, ${snapscanLeft} snapscan-tagged left; ` +
      `findings +${r.findings.opened} -${r.findings.closed} (${r.findings.suppressed} suppressed)`,
  );
  console.log(`  API calls per instance of the fleet (${fleetSize}), by service:`);
  console.log(perService(emu, fleetSize));
}

async function main() {
  let db = opt('db', '');
  const tmp = mkdtempSync(join(tmpdir(), 'snapscan-bench-fleet-'));
  if (!db) {
    if (!HAVE_SHARED) throw new Error('no --db and no ../shared/vulndata to import');
    db = join(tmp, 'vulndb.sqlite');
    const t = performance.now();
    await withWritableStore(db, (w) => importPath(w, SHARED_VULNDATA));
    console.log(
      `vulnerability data imported from ../shared/vulndata in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );
  }
  const emu = await startEmulator({
    seed: 8,
    faults: { latency: { kind: 'fixed', ms: latencyMs }, actions: DEFAULT_FAULT_ACTIONS },
  });
  const start = Date.now();
  let clock = start;
  const fleet = await buildFleet(emu, { now: new Date(start) });
  for (const [id, why] of Object.entries(fleet.images.skipped))
    console.log(`(image ${id} not in the fleet: ${why})`);
  console.log(
    `fleet: ${fleet.instances.length} instances over ${fleet.images.images.map((i) => `${i.id} (${i.packages.length} pkgs)`).join(', ')}`,
  );
  // Warm the emulator's block listings (it scans each image file once), not timed.
  for (const image of fleet.images.images) await emu.images.written(image.path);
  emu.services.s3.createBucket('snapscan-bench');
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: emu.endpoint,
    AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  const base = benchSchedulerOptions(db, '', {
    concurrency,
    output: 's3://snapscan-bench/export',
    state: 's3://snapscan-bench/state',
    now: () => new Date(clock),
  });

  const snapscanLeft = () => emu.snapshots().filter((s) => s.tags['snapscan:managed'] === 'true').length;
  const pass = async (label: string, extra: Partial<SchedulerRunOptions> = {}) => {
    emu.resetCounts();
    const t = performance.now();
    const { passes } = await runScheduler({ ...base, ...extra });
    const wall = performance.now() - t;
    line(label, passes[0]!, wall, emu, fleet.instances.length, snapscanLeft());
  };
  await pass('pass 1 (cold)');
  clock += 60_000;
  await pass('pass 2 (one minute later)');
  clock += 60_000;
  await pass('rematch (stored inventories only)', { rematchOnly: true });
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
  await emu.close();
  rmSync(tmp, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
