/**
 * Scale-out end to end: the planner (`runScheduler` with a queue, in this process) sends jobs to the
 * emulator's SQS; 1–3 `snapscan worker` processes (bin/snapscan.js, configured only by environment
 * variables, as ECS runs them) scan the instances of the emulator's EC2/EBS and write results to the
 * emulator's S3; the planner folds them into findings over time and exports. Real SDK clients over
 * HTTP throughout. Cases: each instance scanned exactly once per pass and the same findings as the
 * single-task scheduler; a worker killed with SIGKILL mid-scan (message redelivered, its snapshot
 * deleted by the janitor, each finding once); a job that always fails ends in the dead-letter queue
 * and its coverage record says so; SQS throttling.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path, { join } from 'node:path';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../engine/findings/index.js';
import type { CoverageRecord } from '../../scheduler/coverage.js';
import type { PassReport } from '../../scheduler/pass.js';
import { runScheduler } from '../../scheduler/run.js';
import { SqsJobQueue } from '../../scheduler/sqs-queue.js';
import { createJobQueue, sqsFor } from '../emulator/clients.js';
import { buildFleet, fleetImages } from '../emulator/fleet.js';
import { type Emulator, startEmulator } from '../emulator/index.js';
import { EMULATOR_ENV } from '../emulator/run-cli.js';
import { HAVE_SHARED, NO_SHARED_REASON, REPO_ROOT } from '../helpers/paths.js';
import { demoImages, schedulerOptions, sharedVulnDb, TestClock, useEmulatorEnv } from './helpers.js';

if (!HAVE_SHARED) console.warn(`scheduler scale-out: ${NO_SHARED_REASON}`);

const BUCKET = 'snapscan-exports';
const MAX_RECEIVES = 3;

interface WorkerRun {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

describe.skipIf(!HAVE_SHARED)('scheduler/scale-out (planner + snapscan worker processes over SQS)', () => {
  let emu: Emulator;
  let db: string;
  let sqs: SQSClient;
  const ids: string[] = [];
  let n = 0;

  beforeAll(async () => {
    const img = await demoImages();
    db = await sharedVulnDb();
    emu = await startEmulator({ seed: 9 });
    useEmulatorEnv(emu);
    emu.services.s3.createBucket(BUCKET);
    for (const p of [img.debian, img.alma, img.debian, img.alma, img.debian]) {
      const v = await emu.addVolume({ imagePath: p });
      ids.push(
        emu.addInstance({ volumes: [{ volumeId: v, device: '/dev/xvda' }], tags: { n: String(ids.length) } }),
      );
    }
    sqs = sqsFor(emu.endpoint);
  }, 600_000);

  afterAll(async () => {
    sqs?.destroy();
    await emu?.close();
  });

  /** A job queue with a dead-letter queue after MAX_RECEIVES receives. */
  async function queue(visibilityS: number): Promise<string> {
    n++;
    return (await createJobQueue(sqs, `snapscan-jobs-${n}`, { visibilityS, maxReceiveCount: MAX_RECEIVES }))
      .url;
  }

  function worker(queueUrl: string, prefix: string, extra: Record<string, string> = {}): WorkerRun {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/snapscan.js'), 'worker'], {
      env: {
        ...process.env,
        ...EMULATOR_ENV,
        AWS_ENDPOINT_URL: emu.endpoint,
        SNAPSCAN_QUEUE_URL: queueUrl,
        SNAPSCAN_OUTPUT: `s3://${BUCKET}/${prefix}`,
        SNAPSCAN_DB: db,
        SNAPSCAN_MODE: 'agentless',
        SNAPSCAN_CONCURRENCY: '1',
        SNAPSCAN_EXIT_WHEN_IDLE: '6s',
        SNAPSCAN_VISIBILITY_TIMEOUT: '4s',
        SNAPSCAN_HEARTBEAT: '300ms',
        SNAPSCAN_SNAPSHOT_POLL: '10ms',
        ...extra,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d) => {
      stderr += d;
    });
    const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>(
      (resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })),
    );
    return { child, done };
  }

  function planner(queueUrl: string | undefined, prefix: string): Promise<PassReport> {
    const clock = new TestClock(Date.now());
    const opts = schedulerOptions({
      db,
      out: mkdtempSync(join(tmpdir(), 'snapscan-scale-')),
      clock,
      mode: 'agentless',
      output: `s3://${BUCKET}/${prefix}`,
      state: `s3://${BUCKET}/${prefix}/state`,
      now: () => new Date(),
      ...(queueUrl
        ? {
            queueUrl,
            resultPollMs: 100,
            workerStaleMs: 2000,
            janitorEveryMs: 300,
            passTimeoutMs: 240_000,
          }
        : {}),
    });
    return runScheduler(opts).then(({ passes }) => passes[0]!);
  }

  const objectText = (key: string) => emu.services.s3.object(BUCKET, key)!.body.toString('utf8');
  function exported(r: PassReport, prefix: string) {
    const manifest = JSON.parse(objectText(`${prefix}/${r.manifestKey}`)) as {
      objects: { key: string; kind: string; resourceId?: string }[];
    };
    const ndjson = (kind: string) =>
      manifest.objects
        .filter((o) => o.kind === kind)
        .flatMap((o) =>
          objectText(o.key)
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l)),
        );
    return {
      coverage: new Map((ndjson('coverage-ndjson') as CoverageRecord[]).map((c) => [c.resourceId, c])),
      findings: ndjson('findings-ndjson') as Finding[],
    };
  }
  /** instance | vulnerability | package@version, one per finding. */
  const findingKeys = (fs: Finding[]) =>
    fs
      .map(
        (f) =>
          `${f.resources[0]!.id}|${f.packageVulnerabilityDetails.vulnerabilityId}|${f.packageVulnerabilityDetails.vulnerablePackages
            .map((p) => `${p.name}@${p.version}`)
            .join(',')}`,
      )
      .sort();
  /** Workers that exit when idle start once the planner has queued the pass's jobs. */
  async function untilQueued(url: string, atLeast = 1): Promise<void> {
    for (let i = 0; i < 1200; i++) {
      if ((emu.services.sqs.queue(url)?.messages.length ?? 0) >= atLeast) return;
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error('the planner never queued its jobs');
  }
  const managedLeft = () => emu.snapshots().filter((s) => s.tags['snapscan:managed'] === 'true');

  it('3 workers: every instance scanned exactly once, the same findings as the single-task scheduler, no snapshot left', async () => {
    const single = await planner(undefined, 'single');
    expect(single.ok).toBe(true);
    expect(single.counts.scanned).toBe(ids.length);
    emu.resetCounts();

    const url = await queue(30);
    // A job left over from a pass that is over (its planner died): dropped without a scan.
    await new SqsJobQueue(sqs, url).send([
      {
        passId: '20261201T000000Z-dead00',
        accountId: '123456789012',
        region: 'us-east-1',
        instanceId: ids[0]!,
        method: 'agentless',
        tags: {},
        overdueMs: 0,
      },
    ]);
    const pass = planner(url, 'scaled');
    await untilQueued(url, 1 + ids.length);
    const workers = [1, 2, 3].map(() => worker(url, 'scaled'));
    const r = await pass;
    const ends = await Promise.all(workers.map((w) => w.done));
    expect(r.error).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.counts).toMatchObject({ scanned: ids.length, agentless: ids.length, failed: 0 });
    // Exactly once: one snapshot per instance, one result per instance across the workers.
    expect(emu.counts.CreateSnapshots).toBe(ids.length);
    const perWorker = ends.map((e) => Number(/(\d+) scanned, /.exec(e.stderr)?.[1] ?? -1));
    expect(perWorker.reduce((a, b) => a + b, 0)).toBe(ids.length);
    const obsolete = ends.map((e) => Number(/(\d+) of ended passes/.exec(e.stderr)?.[1] ?? -1));
    expect(obsolete.reduce((a, b) => a + b, 0)).toBe(1);
    expect(ends.map((e) => e.code)).toEqual([0, 0, 0]);
    expect(managedLeft()).toEqual([]);
    const a = exported(single, 'single');
    const b = exported(r, 'scaled');
    expect([...b.coverage.values()].map((c) => [c.resourceId, c.scanStatus.reason, c.pass]).sort()).toEqual(
      ids.map((id) => [id, 'SUCCESSFUL', 'scanned']).sort(),
    );
    expect(b.findings.length).toBeGreaterThan(0);
    expect(findingKeys(b.findings)).toEqual(findingKeys(a.findings));
    // The planner removed the consumed results; no worker marker is left (each exited cleanly).
    expect(emu.services.s3.objects(BUCKET, 'scaled/state/results/')).toEqual([]);
    expect(emu.services.s3.objects(BUCKET, 'scaled/state/workers/')).toEqual([]);
  }, 300_000);

  it('hybrid over the fleet scenario (SSM fresh/stale/missing, unmanaged, backups, KMS-denied, excluded, stopped): 2 workers give the single-task coverage and findings', async () => {
    const images = await fleetImages();
    if (images.images.length < 3) {
      console.warn(`scheduler scale-out fleet case: skipped: ${JSON.stringify(images.skipped)}`);
      return;
    }
    // A second emulator holds the fleet (its own instances); the workers reach it by endpoint.
    const fleetEmu = await startEmulator({ seed: 10 });
    const saved = process.env.AWS_ENDPOINT_URL;
    try {
      process.env.AWS_ENDPOINT_URL = fleetEmu.endpoint;
      fleetEmu.services.s3.createBucket(BUCKET);
      const fleet = await buildFleet(fleetEmu, {
        now: new Date(),
        images,
        mix: {
          'ssm-fresh': 2,
          'ssm-stale': 1,
          'ssm-no-inventory': 1,
          unmanaged: 2,
          'excluded-snapscan': 1,
          stopped: 1,
          'backup-recent': 1,
          'kms-denied': 1,
        },
      });
      const fsqs = sqsFor(fleetEmu.endpoint);
      const { url } = await createJobQueue(fsqs, 'fleet-jobs', { maxReceiveCount: 3 });
      fsqs.destroy();
      const run = (queueUrl: string | undefined, prefix: string) =>
        runScheduler(
          schedulerOptions({
            db,
            out: mkdtempSync(join(tmpdir(), 'snapscan-scale-fleet-')),
            clock: new TestClock(),
            mode: 'hybrid',
            output: `s3://${BUCKET}/${prefix}`,
            state: `s3://${BUCKET}/${prefix}/state`,
            now: () => new Date(),
            ...(queueUrl ? { queueUrl, resultPollMs: 100, janitorEveryMs: 500 } : {}),
          }),
        ).then(({ passes }) => passes[0]!);
      const single = await run(undefined, 'fleet-single');
      const pass = run(url, 'fleet-scaled');
      const workers = [1, 2].map(() =>
        worker(url, 'fleet-scaled', {
          AWS_ENDPOINT_URL: fleetEmu.endpoint,
          SNAPSCAN_MODE: 'hybrid',
          SNAPSCAN_EXIT_WHEN_IDLE: '',
        }),
      );
      const r = await pass;
      for (const w of workers) w.child.kill('SIGTERM');
      await Promise.all(workers.map((w) => w.done));
      expect(r.error).toBeUndefined();
      const text = (key: string) => fleetEmu.services.s3.object(BUCKET, key)!.body.toString('utf8');
      const read = (rep: PassReport, prefix: string) => {
        const m = JSON.parse(text(`${prefix}/${rep.manifestKey}`)) as {
          objects: { key: string; kind: string }[];
        };
        const rows = (kind: string) =>
          m.objects
            .filter((o) => o.kind === kind)
            .flatMap((o) =>
              text(o.key)
                .split('\n')
                .filter(Boolean)
                .map((l) => JSON.parse(l)),
            );
        const cov = (rows('coverage-ndjson') as CoverageRecord[])
          .map((c) =>
            [c.resourceId, c.scanMode ?? '-', c.scanStatus.reason, c.methodReason ?? '-', c.pass].join(' '),
          )
          .sort();
        return { cov, findings: findingKeys(rows('findings-ndjson') as Finding[]) };
      };
      const a = read(single, 'fleet-single');
      const b = read(r, 'fleet-scaled');
      expect(b.cov).toEqual(a.cov);
      expect(b.findings).toEqual(a.findings);
      expect(b.cov.some((c) => c.includes('EC2_SSM_AGENT_BASED SUCCESSFUL - scanned'))).toBe(true);
      expect(b.cov.some((c) => c.includes('ACCESS_DENIED_TO_ENCRYPTION_KEY'))).toBe(true);
      expect(r.counts.scanned).toBe(single.counts.scanned);
      expect(b.cov).toHaveLength(fleet.instances.length);
      expect(fleetEmu.snapshots().filter((x) => x.tags['snapscan:managed'] === 'true')).toEqual([]);
    } finally {
      process.env.AWS_ENDPOINT_URL = saved;
      await fleetEmu.close();
    }
  }, 600_000);

  it('a worker killed with SIGKILL mid-scan: its job is redelivered, the janitor deletes its snapshot, each finding once', async () => {
    const url = await queue(4);
    emu.configure({ faults: { latency: { kind: 'fixed', ms: 150 }, actions: ['GetSnapshotBlock'] } });
    emu.resetCounts();
    try {
      const pass = planner(url, 'killed');
      await untilQueued(url);
      const victim = worker(url, 'killed');
      for (let i = 0; i < 600 && (emu.counts.GetSnapshotBlock ?? 0) === 0; i++)
        await new Promise((res) => setTimeout(res, 50));
      expect(emu.counts.GetSnapshotBlock ?? 0).toBeGreaterThan(0);
      victim.child.kill('SIGKILL');
      const killed = await victim.done;
      expect(killed.signal).toBe('SIGKILL');
      // Its snapshot is still there: nobody deleted it yet.
      expect(managedLeft().length).toBeGreaterThan(0);
      emu.configure({ faults: {} });
      const others = [worker(url, 'killed'), worker(url, 'killed')];
      const r = await pass;
      await Promise.all(others.map((w) => w.done));
      expect(r.error).toBeUndefined();
      expect(r.error).toBeUndefined();
      expect(r.ok).toBe(true);
      expect(r.counts.scanned).toBe(ids.length);
      expect(r.janitor.deleted).toBeGreaterThanOrEqual(1);
      expect(managedLeft()).toEqual([]);
      const { findings, coverage } = exported(r, 'killed');
      const keys = findingKeys(findings);
      expect(new Set(keys).size).toBe(keys.length);
      expect([...coverage.values()].every((c) => c.scanStatus.reason === 'SUCCESSFUL')).toBe(true);
    } finally {
      emu.configure({ faults: {} });
    }
  }, 300_000);

  it('a job that always fails goes to the dead-letter queue; its coverage record says so and the pass completes', async () => {
    const url = await queue(30);
    const poisoned = ids[1]!;
    // Every result PUT for this instance fails: the worker scans, cannot record, gives the job back.
    emu.services.s3.failPuts((k) => k.startsWith('poison/state/results/') && k.endsWith(`/${poisoned}.json`));
    emu.resetCounts();
    try {
      const pass = planner(url, 'poison');
      await untilQueued(url);
      const workers = [worker(url, 'poison'), worker(url, 'poison')];
      const r = await pass;
      const ends = await Promise.all(workers.map((w) => w.done));
      expect(r.error).toBeUndefined();
      expect(r.error).toBeUndefined();
      expect(r.ok).toBe(true);
      const { coverage } = exported(r, 'poison');
      const rec = coverage.get(poisoned)!;
      expect(rec).toMatchObject({ pass: 'failed', scanStatus: { reason: 'INTERNAL_ERROR' } });
      expect(rec.message).toMatch(new RegExp(`dead-letter queue after ${MAX_RECEIVES} receives`));
      expect(r.counts).toMatchObject({ scanned: ids.length - 1, failed: 1 });
      // Each attempt scanned (and deleted its snapshot); MAX_RECEIVES attempts in all.
      const attempts = ends.reduce(
        (a, e) => a + (e.stderr.match(new RegExp(`${poisoned}: attempt`, 'g'))?.length ?? 0),
        0,
      );
      expect(attempts).toBe(MAX_RECEIVES);
      expect(managedLeft()).toEqual([]);
    } finally {
      emu.services.s3.clearFailures();
    }
  }, 300_000);

  it('SQS throttled (30% of SQS requests): every instance still scanned exactly once', async () => {
    const url = await queue(30);
    emu.configure({ faults: { throttleRate: 0.3, actions: ['sqs:*'] } });
    emu.resetCounts();
    try {
      const pass = planner(url, 'throttled');
      // Long-running workers (as the ECS service runs them), stopped with SIGTERM once the pass is done.
      const homes = [1, 2].map(() => mkdtempSync(join(tmpdir(), 'snapscan-worker-home-')));
      const workers = homes.map((home) =>
        worker(url, 'throttled', { SNAPSCAN_EXIT_WHEN_IDLE: '', SNAPSCAN_HOME: home }),
      );
      const r = await pass;
      for (const w of workers) w.child.kill('SIGTERM');
      const ends = await Promise.all(workers.map((w) => w.done));
      expect(ends.map((e) => [e.code, e.signal])).toEqual([
        [0, null],
        [0, null],
      ]);
      // Each worker kept the container's heartbeat fresh (written while polling and per job).
      for (const home of homes)
        expect(readFileSync(join(home, 'heartbeat'), 'utf8')).toMatch(/ worker worker-[0-9a-f]+: /);
      expect(r.error).toBeUndefined();
      expect(r.error).toBeUndefined();
      expect(r.ok).toBe(true);
      expect(r.counts.scanned).toBe(ids.length);
      expect(emu.counts.CreateSnapshots).toBe(ids.length);
      expect(emu.injected.throttle ?? 0).toBeGreaterThan(0);
      expect(managedLeft()).toEqual([]);
    } finally {
      emu.configure({ faults: {} });
    }
  }, 300_000);
});
