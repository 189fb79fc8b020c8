/**
 * Issue 9 benchmark: the scale-out layout over the fleet scenario (test/emulator/fleet.ts: 50
 * instances on the Debian minbase, AlmaLinux 9 and AL2023-like disks, hybrid SSM/snapshot, every EBS
 * direct request answered after 20 ms). The planner (runScheduler with a queue) runs in this process
 * beside the emulator; 1, 2 and 4 `snapscan worker` processes (bin/snapscan.js, env-configured as ECS
 * runs them) take the jobs from the emulator's SQS and write results to its S3. Prints per worker
 * count: pass wall time (plan → last result → export), instance scans per minute, snapshots created
 * and left (must be 0), SQS calls, and each worker's jobs and peak RSS. A single-task pass with the
 * same total concurrency is printed first for comparison.
 *
 * usage: npx tsx bench/scheduler-scaleout.ts [--workers 1,2,4] [--worker-concurrency 2] [--latency-ms 20] [--db vulndb.sqlite]
 * Note: this machine's cores are shared by the emulator, the planner and every worker; on ECS each
 * worker is its own task.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqsClient } from '../engine/aws/clients.js';
import { importPath, withWritableStore } from '../engine/vulndb/index.js';
import { runScheduler } from '../scheduler/run.js';
import { createJobQueue } from '../test/emulator/clients.js';
import { buildFleet } from '../test/emulator/fleet.js';
import { DEFAULT_FAULT_ACTIONS, EMULATOR_CREDENTIALS, startEmulator } from '../test/emulator/index.js';
import { HAVE_SHARED, REPO_ROOT, SHARED_VULNDATA } from '../test/helpers/paths.js';
import { benchSchedulerOptions } from './lib.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? String(args[i + 1]) : dflt;
};
const workerCounts = opt('workers', '1,2,4').split(',').map(Number);
const perWorker = Number(opt('worker-concurrency', '2'));
const latencyMs = Number(opt('latency-ms', '20'));

async function main() {
  let db = opt('db', '');
  const tmp = mkdtempSync(join(tmpdir(), 'snapscan-bench-scaleout-'));
  if (!db) {
    if (!HAVE_SHARED) throw new Error('no --db and no ../shared/vulndata to import');
    db = join(tmp, 'vulndb.sqlite');
    await withWritableStore(db, (w) => importPath(w, SHARED_VULNDATA));
  }
  const emu = await startEmulator({
    seed: 8,
    faults: { latency: { kind: 'fixed', ms: latencyMs }, actions: DEFAULT_FAULT_ACTIONS },
  });
  const fleet = await buildFleet(emu, { now: new Date() });
  for (const image of fleet.images.images) await emu.images.written(image.path);
  console.log(
    `fleet: ${fleet.instances.length} instances over ${fleet.images.images.map((i) => i.id).join(', ')}; ${latencyMs} ms per EBS request`,
  );
  emu.services.s3.createBucket('snapscan-bench');
  const env = {
    AWS_ENDPOINT_URL: emu.endpoint,
    AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  Object.assign(process.env, env);
  const sqs = createSqsClient({ region: 'us-east-1' });
  const base = (prefix: string) => benchSchedulerOptions(db, prefix, { concurrency: perWorker });
  const managedLeft = () => emu.snapshots().filter((s) => s.tags['snapscan:managed'] === 'true').length;
  const sqsCalls = () => Object.values(emu.countsByService.sqs ?? {}).reduce((a, b) => a + b, 0);

  for (const total of [...new Set(workerCounts.map((n) => n * perWorker))].slice(0, 1)) {
    emu.resetCounts();
    const t = performance.now();
    const { passes } = await runScheduler({ ...base('single'), concurrency: total });
    const wall = (performance.now() - t) / 1000;
    const r = passes[0]!;
    console.log(
      `single task, concurrency ${total}: ${r.counts.scanned} scanned (${r.counts.agentless} snapshot, ${r.counts.ssm} SSM) in ${wall.toFixed(1)} s = ${((r.counts.scanned / wall) * 60).toFixed(0)} scans/min; snapshots ${r.snapshots.created} created, ${managedLeft()} left`,
    );
  }

  for (const n of workerCounts) {
    const { url } = await createJobQueue(sqs, `bench-jobs-${n}`, { visibilityS: 300, maxReceiveCount: 3 });
    emu.resetCounts();
    const prefix = `scaled-${n}`;
    // Workers first (as an ECS service, already running), stopped with SIGTERM after the pass.
    const workers = Array.from({ length: n }, () => {
      const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/snapscan.js'), 'worker'], {
        env: {
          ...process.env,
          ...env,
          SNAPSCAN_QUEUE_URL: url,
          SNAPSCAN_OUTPUT: `s3://snapscan-bench/${prefix}`,
          SNAPSCAN_DB: db,
          SNAPSCAN_MODE: 'hybrid',
          SNAPSCAN_CONCURRENCY: String(perWorker),
          SNAPSCAN_SNAPSHOT_POLL: '50ms',
          SNAPSCAN_HEARTBEAT: '5s',
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      let onReady: () => void = () => {};
      const ready = new Promise<void>((res) => {
        onReady = res;
      });
      child.stderr!.on('data', (d) => {
        stderr += d;
        if (stderr.includes(' receiving from ')) onReady();
      });
      return { child, ready, done: new Promise<string>((res) => child.on('close', () => res(stderr))) };
    });
    // An ECS service's workers are up before the pass: their start-up is not part of the pass.
    const t0 = performance.now();
    await Promise.all(workers.map((w) => w.ready));
    console.log(`${n} worker(s) up in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const t = performance.now();
    const { passes } = await runScheduler({ ...base(prefix), queueUrl: url, resultPollMs: 200 });
    const wall = (performance.now() - t) / 1000;
    for (const w of workers) w.child.kill('SIGTERM');
    const logs = await Promise.all(workers.map((w) => w.done));
    const r = passes[0]!;
    console.log(
      `${n} worker(s) × concurrency ${perWorker}: ${r.ok ? 'complete' : `INCOMPLETE ${r.error}`}; ${r.counts.scanned} scanned (${r.counts.agentless} snapshot, ${r.counts.ssm} SSM), ${r.counts.failed} failed, in ${wall.toFixed(1)} s = ${((r.counts.scanned / wall) * 60).toFixed(0)} scans/min; snapshots ${r.snapshots.created} created, ${managedLeft()} left; SQS calls ${sqsCalls()}`,
    );
    if (process.env.BENCH_VERBOSE) for (const l of logs) console.log(l);
    for (const l of logs) {
      const m =
        /stopped: (\d+) scanned, (\d+) duplicate deliveries, \d+ of ended passes, (\d+) failed attempts; peak RSS (\d+) MiB/.exec(
          l,
        );
      console.log(
        `    worker: ${m ? `${m[1]} jobs, ${m[2]} duplicates, ${m[3]} failed attempts, peak RSS ${m[4]} MiB` : l.slice(-300)}`,
      );
    }
  }
  console.log(
    `planner + emulator process peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`,
  );
  sqs.destroy();
  await emu.close();
  rmSync(tmp, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
