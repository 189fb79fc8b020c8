import { readFileSync } from 'node:fs';
import { DescribeSnapshotsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createInstanceSnapshots,
  snapshotInstance,
  TAG_EXPIRES_AT,
  TAG_MANAGED,
  TAG_RUN,
  withInstanceSnapshots,
} from '../../../engine/snapshots/index.js';
import { openSnapshotSource } from '../../../readers/block/ebs/index.js';
import { EBS_TEST_OPTIONS, ec2For } from '../../emulator/clients.js';
import { type Emulator, startEmulator } from '../../emulator/index.js';
import { buildTestImage } from '../../emulator/test-image.js';

describe('engine/snapshots', () => {
  let emu: Emulator;
  let ec2: EC2Client;
  let instanceId: string;
  let volumes: string[];

  beforeAll(async () => {
    const image = buildTestImage();
    emu = await startEmulator({ seed: 3 });
    volumes = [await emu.addVolume({ imagePath: image }), await emu.addVolume({ imagePath: image })];
    instanceId = emu.addInstance({
      volumes: [
        { volumeId: volumes[0]!, device: '/dev/xvda' },
        { volumeId: volumes[1]!, device: '/dev/xvdf' },
      ],
    });
    ec2 = ec2For(emu.endpoint);
  });
  afterAll(async () => {
    ec2?.destroy();
    await emu?.close();
  });

  it('creates one snapshot per volume, tagged at creation', async () => {
    const now = new Date('2030-01-01T00:00:00.000Z');
    const snaps = await createInstanceSnapshots(ec2, instanceId, {
      runId: 'run-1',
      ttlMs: 3_600_000,
      now: () => now,
    });
    expect(snaps.map((s) => [s.volumeId, s.device])).toEqual([
      [volumes[0], '/dev/xvda'],
      [volumes[1], '/dev/xvdf'],
    ]);
    const described = await ec2.send(
      new DescribeSnapshotsCommand({ SnapshotIds: snaps.map((s) => s.snapshotId) }),
    );
    for (const s of described.Snapshots ?? []) {
      const tags = Object.fromEntries((s.Tags ?? []).map((t) => [t.Key, t.Value]));
      expect(tags[TAG_MANAGED]).toBe('true');
      expect(tags[TAG_RUN]).toBe('run-1');
      expect(tags[TAG_EXPIRES_AT]).toBe('2030-01-01T01:00:00.000Z');
    }
    // The tags arrived with CreateSnapshots itself: no CreateTags call was needed.
    expect(emu.counts.CreateTags ?? 0).toBe(0);
  });

  it('waits through pending with progress reports, then returns', async () => {
    emu.configure({ pendingDescribes: 3 });
    const seen: string[] = [];
    const snaps = await snapshotInstance(ec2, instanceId, {
      runId: 'run-2',
      wait: {
        pollIntervalMs: 5,
        onProgress: (p) => seen.push(p.map((x) => `${x.state}:${x.progress}`).join(',')),
      },
    });
    emu.configure({ pendingDescribes: 0 });
    expect(snaps).toHaveLength(2);
    expect(seen[0]).toBe('pending:0%,pending:0%');
    expect(seen.at(-1)).toBe('completed:100%,completed:100%');
    expect(seen.length).toBe(4);
  });

  it.each([
    {
      case: 'error state',
      opts: { finalState: 'error' as const, pendingDescribes: 1 },
      code: 'snapshot-failed',
      timeoutMs: 5000,
    },
    { case: 'timeout', opts: { pendingDescribes: 1_000_000 }, code: 'snapshot-timeout', timeoutMs: 30 },
  ])('fails on $case and deletes the snapshots it made', async ({ opts, code, timeoutMs }) => {
    emu.configure(opts);
    const before = emu.snapshots().length;
    const err = await snapshotInstance(ec2, instanceId, {
      runId: `run-${code}`,
      wait: { pollIntervalMs: 5, timeoutMs },
    }).catch((e) => e);
    emu.configure({ finalState: 'completed', pendingDescribes: 0 });
    expect(err.code).toBe(code);
    expect(emu.snapshots().length).toBe(before);
  });

  it('deletes the snapshots when the scan callback throws', async () => {
    const before = emu.snapshots().length;
    let seen: string[] = [];
    const err = await withInstanceSnapshots(
      ec2,
      instanceId,
      { runId: 'run-throw', handleSignals: false, wait: { pollIntervalMs: 5 } },
      async (snaps) => {
        seen = snaps.map((s) => s.snapshotId);
        expect(emu.snapshots().length).toBe(before + 2);
        throw new Error('scan failed');
      },
    ).catch((e) => e);
    expect(err.message).toBe('scan failed');
    expect(seen).toHaveLength(2);
    const live = new Set(emu.snapshots().map((s) => s.snapshotId));
    expect(seen.filter((id) => live.has(id))).toEqual([]);
  });

  it('deletes the snapshots after a successful scan and returns its result', async () => {
    const before = emu.snapshots().length;
    const out = await withInstanceSnapshots(
      ec2,
      instanceId,
      { runId: 'run-ok', handleSignals: false, wait: { pollIntervalMs: 5 } },
      async (snaps) => snaps.length,
    );
    expect(out).toBe(2);
    expect(emu.snapshots().length).toBe(before);
  });

  it('end to end: snapshot the instance, read every volume through the EBS source, delete', async () => {
    emu.configure({ pendingDescribes: 2 });
    const image = readFileSync(buildTestImage());
    const before = emu.snapshots().length;
    const sums = await withInstanceSnapshots(
      ec2,
      instanceId,
      { runId: 'run-e2e', handleSignals: false, wait: { pollIntervalMs: 5 } },
      async (snaps, { signal }) =>
        Promise.all(
          snaps.map(async (s) => {
            const src = await openSnapshotSource({
              snapshotId: s.snapshotId,
              endpoint: emu.endpoint,
              ...EBS_TEST_OPTIONS,
              signal,
            });
            const bytes = await src.read(0n, image.length);
            src.close();
            return { device: s.device, same: bytes.equals(image) };
          }),
        ),
    );
    emu.configure({ pendingDescribes: 0 });
    expect(sums).toEqual([
      { device: '/dev/xvda', same: true },
      { device: '/dev/xvdf', same: true },
    ]);
    expect(emu.snapshots().length).toBe(before);
  });

  it('survives EC2 throttling and 5xx on the control plane (SDK retries) and still cleans up', async () => {
    emu.configure({
      seed: 8,
      faults: {
        throttleRate: 0.3,
        serverErrorRate: 0.1,
        actions: ['DescribeInstances', 'CreateSnapshots', 'DescribeSnapshots', 'DeleteSnapshot'],
      },
    });
    emu.resetCounts();
    const sturdy = ec2For(emu.endpoint, 8);
    const before = emu.snapshots().length;
    try {
      const n = await withInstanceSnapshots(
        sturdy,
        instanceId,
        { runId: 'run-throttled', handleSignals: false, wait: { pollIntervalMs: 5 } },
        async (snaps) => snaps.length,
      );
      expect(n).toBe(2);
    } finally {
      sturdy.destroy();
      emu.configure({ faults: {} });
    }
    expect((emu.injected.throttle ?? 0) + (emu.injected['5xx'] ?? 0)).toBeGreaterThan(0);
    expect(emu.snapshots().length).toBe(before);
  });
});
