/**
 * A pass under faults, through the real SDK clients against the emulator: throttling and 5xx on
 * every service (EC2, EBS, STS, S3), an instance that disappears mid-scan, S3 PutObject failures
 * (the run is incomplete and says so, the state is not advanced, the next pass completes), and the
 * EventBridge events of a pass (batched within PutEvents' limits).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StateIndex } from '../../scheduler/pass.js';
import { runScheduler } from '../../scheduler/run.js';
import { type Emulator, startEmulator } from '../emulator/index.js';
import { HAVE_SHARED, NO_SHARED_REASON } from '../helpers/paths.js';
import {
  demoImages,
  HOUR,
  onePass,
  schedulerOptions,
  sharedVulnDb,
  TestClock,
  useEmulatorEnv,
} from './helpers.js';

if (!HAVE_SHARED) console.warn(`scheduler faults: ${NO_SHARED_REASON}`);

describe.skipIf(!HAVE_SHARED)('scheduler/pass under faults (emulator)', () => {
  let emu: Emulator;
  let db: string;
  const ids: string[] = [];

  beforeAll(async () => {
    const img = await demoImages();
    db = await sharedVulnDb();
    emu = await startEmulator({ seed: 13 });
    useEmulatorEnv(emu);
    emu.services.s3.createBucket('out');
    emu.services.events.createBus('findings');
    for (const p of [img.debian, img.alma, img.debian]) {
      const v = await emu.addVolume({ imagePath: p });
      ids.push(emu.addInstance({ volumes: [{ volumeId: v, device: '/dev/xvda' }] }));
    }
  }, 600_000);

  afterAll(async () => {
    await emu?.close();
  });

  const managedLeft = () => emu.snapshots().filter((s) => s.tags['snapscan:managed'] === 'true');

  it('throttling and 5xx on every service: the pass completes, every instance SUCCESSFUL', async () => {
    const out = `s3://out/throttled-${Date.now()}`;
    const clock = new TestClock();
    emu.configure({ faults: { throttleRate: 0.1, serverErrorRate: 0.1, actions: ['*'] } });
    try {
      const p = await onePass(
        schedulerOptions({ db, out, state: `${out}/state`, clock, mode: 'hybrid', concurrency: 3 }),
      );
      expect(p.ok).toBe(true);
      expect(p.counts).toMatchObject({ scanned: 3, failed: 0 });
      expect(p.coverage.map((c) => c.scanStatus.reason)).toEqual(['SUCCESSFUL', 'SUCCESSFUL', 'SUCCESSFUL']);
    } finally {
      emu.configure({ faults: {} });
    }
    const injected = Object.keys(emu.injected);
    expect(injected.length).toBeGreaterThan(0);
    // Faults reached the control plane, EBS, SSM, STS and S3 alike.
    for (const action of [
      'DescribeInstances',
      'CreateSnapshots',
      'GetSnapshotBlock',
      'PutObject',
      'DescribeInstanceInformation',
    ])
      expect(emu.counts[action], action).toBeGreaterThan(0);
    expect(managedLeft()).toEqual([]);
  });

  it('an instance that disappears mid-scan: its scan still ends, snapshot deleted; next pass: RESOURCE_TERMINATED, findings CLOSED', async () => {
    const out = mkdtempSync(join(tmpdir(), 'snapscan-faults-'));
    const clock = new TestClock();
    const v = await emu.addVolume({ imagePath: (await demoImages()).debian });
    const gone = emu.addInstance({ volumes: [{ volumeId: v, device: '/dev/xvda' }] });
    let removed = false;
    const off = emu.onRequest((action) => {
      if (action === 'GetSnapshotBlock' && !removed && emu.snapshots().some((s) => s.volumeId === v)) {
        removed = true;
        emu.removeInstance(gone);
      }
    });
    const p = await onePass(schedulerOptions({ db, out, clock, mode: 'agentless', concurrency: 4 }));
    off();
    expect(removed).toBe(true);
    expect(p.ok).toBe(true);
    expect(managedLeft()).toEqual([]);
    const c1 = p.coverage.find((c) => c.resourceId === gone)!;
    const f1 = c1.findings!.active;
    clock.advance(HOUR);
    const p2 = await onePass(schedulerOptions({ db, out, clock, mode: 'agentless' }));
    const c2 = p2.coverage.find((c) => c.resourceId === gone)!;
    expect(c2.scanStatus).toEqual({ statusCode: 'INACTIVE', reason: 'RESOURCE_TERMINATED' });
    expect(c2.findings).toEqual({ active: 0, suppressed: 0, closed: f1 + c1.findings!.suppressed });
    expect(p2.findings.closed).toBe(f1);
  });

  it('S3 PutObject failures: run incomplete (no manifest), state not advanced, exit 1; the next pass completes', async () => {
    const out = `s3://out/failing-${Date.now()}`;
    const clock = new TestClock();
    const opts = schedulerOptions({ db, out, state: `${out}/state`, clock, mode: 'agentless' });
    const p1 = await onePass(opts);
    const prefix = out.slice('s3://out/'.length);
    const indexKey = `${prefix}/state/index.json`;
    const index1 = emu.services.s3.object('out', indexKey)!.body.toString('utf8');
    clock.advance(25 * HOUR);
    emu.services.s3.failPuts((k) => k.includes('/sbom/'), { status: 500 });
    const r = await runScheduler(opts);
    emu.services.s3.clearFailures();
    expect(r.exitCode).toBe(1);
    expect(r.passes[0]!.ok).toBe(false);
    expect(r.passes[0]!.error).toMatch(/InternalError|internal/i);
    expect(
      emu.services.s3
        .objects('out', `${prefix}/findings/`)
        .filter((o) => o.key.includes(r.passes[0]!.passId) && o.key.endsWith('manifest.json')),
    ).toEqual([]);
    expect(emu.services.s3.object('out', indexKey)!.body.toString('utf8')).toBe(index1);
    // The objects the failed pass wrote into the state are not left behind.
    expect(
      emu.services.s3
        .objects('out', `${prefix}/state/instances/`)
        .filter((o) => o.key.includes(r.passes[0]!.passId)),
    ).toEqual([]);
    expect(managedLeft()).toEqual([]);
    const p3 = await onePass(opts);
    expect(p3.counts.scanned).toBe(3);
    const index3 = JSON.parse(emu.services.s3.object('out', indexKey)!.body.toString('utf8')) as StateIndex;
    expect(index3.passId).toBe(p3.passId);
    expect(p1.ok && p3.ok).toBe(true);
  });

  it('--kms-key: every export and state object is written with SSE-KMS and that key', async () => {
    const out = `s3://out/kms-${Date.now()}`;
    const key = 'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-4333-8444-555555555555';
    const p = await onePass(
      schedulerOptions({
        db,
        out,
        state: `${out}/state`,
        clock: new TestClock(),
        mode: 'agentless',
        kmsKeyId: key,
      }),
    );
    expect(p.ok).toBe(true);
    const objs = emu.services.s3.objects('out', out.slice('s3://out/'.length));
    expect(objs.length).toBeGreaterThan(10);
    for (const o of objs) {
      expect([o.key, o.requestHeaders['x-amz-server-side-encryption']]).toEqual([o.key, 'aws:kms']);
      expect(o.requestHeaders['x-amz-server-side-encryption-aws-kms-key-id']).toBe(key);
    }
  });

  it('--events-bus: one event per new finding, in PutEvents batches of at most 10', async () => {
    const out = mkdtempSync(join(tmpdir(), 'snapscan-events-'));
    const clock = new TestClock();
    const before = emu.services.events.events.length;
    emu.resetCounts();
    const p = await onePass(schedulerOptions({ db, out, clock, mode: 'agentless', eventsBus: 'findings' }));
    const got = emu.services.events.events.slice(before);
    expect(got.length).toBe(p.findings.opened);
    expect(got.length).toBeGreaterThan(10);
    expect(new Set(got.map((e) => e.detailType))).toEqual(new Set(['snapscan Finding New']));
    expect(got.every((e) => e.bus === 'findings' && e.source === 'snapscan')).toBe(true);
    expect(emu.counts.PutEvents).toBe(Math.ceil(got.length / 10));
    expect(p.events).toMatchObject({ sent: got.length, failed: 0 });
    const idx = JSON.parse(readFileSync(join(out, 'state', 'index.json'), 'utf8')) as StateIndex;
    expect(Object.keys(idx.instances).length).toBeGreaterThanOrEqual(3);
  });
});
