/**
 * scheduler/pass end to end, through the real SDK clients (configured by AWS_ENDPOINT_URL) against
 * the wire-level emulator, on the real demo disks (Debian 12 dpkg, AlmaLinux 9 rpm) and the real
 * sample advisories of ../shared/vulndata: decisions and coverage reasons, export layout and
 * manifest, cadence (no snapshot and no block read when nothing is due), findings over time,
 * snapshot reuse, and that no snapshot is ever left behind.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../engine/findings/index.js';
import type { CoverageRecord } from '../../scheduler/coverage.js';
import type { PassReport, StateIndex } from '../../scheduler/pass.js';
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

function coverageOf(out: string, r: PassReport): Map<string, CoverageRecord> {
  const manifest = JSON.parse(readFileSync(join(out, r.manifestKey!), 'utf8')) as {
    objects: { key: string; kind: string; sha256: string }[];
  };
  const cov = manifest.objects.filter((o) => o.kind === 'coverage-ndjson');
  const recs = cov.flatMap((o) =>
    readFileSync(join(out, o.key), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as CoverageRecord),
  );
  return new Map(recs.map((c) => [c.resourceId, c]));
}

function findingsOf(out: string, r: PassReport, instanceId: string): Finding[] {
  const manifest = JSON.parse(readFileSync(join(out, r.manifestKey!), 'utf8')) as {
    objects: { key: string; kind: string; resourceId: string }[];
  };
  const o = manifest.objects.find((x) => x.kind === 'findings-ndjson' && x.resourceId === instanceId);
  if (!o) return [];
  return readFileSync(join(out, o.key), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Finding);
}

if (!HAVE_SHARED) console.warn(`scheduler/pass: ${NO_SHARED_REASON}`);

describe.skipIf(!HAVE_SHARED)('scheduler/pass (emulator, demo disks, shared vulndata)', () => {
  let emu: Emulator;
  let db: string;
  const ids: Record<string, string> = {};
  const vols: Record<string, string> = {};

  beforeAll(async () => {
    const img = await demoImages();
    db = await sharedVulnDb();
    emu = await startEmulator({ seed: 8 });
    useEmulatorEnv(emu);
    for (const [name, path] of [
      ['deb', img.debian],
      ['alma', img.alma],
      ['excluded', img.debian],
      ['inspectorExcluded', img.debian],
      ['stopped', img.debian],
      ['terminated', img.debian],
    ] as const) {
      vols[name] = await emu.addVolume({ imagePath: path });
    }
    ids.deb = emu.addInstance({
      volumes: [{ volumeId: vols.deb!, device: '/dev/xvda' }],
      tags: { Name: 'deb', env: 'dev' },
    });
    ids.alma = emu.addInstance({ volumes: [{ volumeId: vols.alma!, device: '/dev/xvda' }] });
    ids.excluded = emu.addInstance({
      volumes: [{ volumeId: vols.excluded!, device: '/dev/xvda' }],
      tags: { 'snapscan:exclude': 'true' },
    });
    ids.inspectorExcluded = emu.addInstance({
      volumes: [{ volumeId: vols.inspectorExcluded!, device: '/dev/xvda' }],
      tags: { InspectorEc2Exclusion: '' },
    });
    ids.stopped = emu.addInstance({
      volumes: [{ volumeId: vols.stopped!, device: '/dev/xvda' }],
      state: 'stopped',
    });
    ids.terminated = emu.addInstance({
      volumes: [{ volumeId: vols.terminated!, device: '/dev/xvda' }],
      state: 'terminated',
    });
  }, 600_000);

  afterAll(async () => {
    await emu?.close();
  });

  it('passes: first scans every running instance; the second makes no snapshot and reads no block; 25 h later all are due', async () => {
    const out = mkdtempSync(join(tmpdir(), 'snapscan-sched-'));
    const clock = new TestClock(Date.parse('2026-12-01T00:00:00Z'));
    const opts = schedulerOptions({ db, out, clock, mode: 'agentless' });

    const p1 = await onePass(opts);
    expect(p1.ok).toBe(true);
    expect(p1.counts).toMatchObject({ scanned: 2, agentless: 2, failed: 0, kept: 0 });
    expect(p1.snapshots).toMatchObject({ created: 2, reused: 0, deleteFailed: 0 });
    expect(emu.snapshots()).toEqual([]);
    const cov1 = coverageOf(out, p1);
    expect(
      Object.fromEntries(
        [...cov1].map(([id, c]) => [id, [c.scanStatus.statusCode, c.scanStatus.reason, c.scanMode ?? null]]),
      ),
    ).toEqual({
      [ids.deb!]: ['ACTIVE', 'SUCCESSFUL', 'EC2_AGENTLESS'],
      [ids.alma!]: ['ACTIVE', 'SUCCESSFUL', 'EC2_AGENTLESS'],
      [ids.excluded!]: ['INACTIVE', 'EXCLUDED_BY_TAG', null],
      [ids.inspectorExcluded!]: ['INACTIVE', 'EXCLUDED_BY_TAG', null],
      [ids.stopped!]: ['INACTIVE', 'EC2_INSTANCE_STOPPED', null],
      [ids.terminated!]: ['INACTIVE', 'RESOURCE_TERMINATED', null],
    });
    expect(cov1.get(ids.deb!)).toMatchObject({
      accountId: '123456789012',
      region: 'us-east-1',
      resourceType: 'AWS_EC2_INSTANCE',
      packages: 88,
    });
    const deb1 = findingsOf(out, p1, ids.deb!);
    const alma1 = findingsOf(out, p1, ids.alma!);
    expect(deb1.length).toBeGreaterThan(0);
    expect(alma1.length).toBeGreaterThan(100);
    expect(new Set(deb1.map((f) => f.status))).toEqual(new Set(['ACTIVE']));
    expect(deb1[0]!.resources[0]!.tags).toEqual({ Name: 'deb', env: 'dev' });
    expect(deb1.every((f) => f.firstObservedAt === clock.now().toISOString())).toBe(true);

    // Second pass right away: nothing due.
    emu.resetCounts();
    clock.advance(HOUR);
    const p2 = await onePass(opts);
    expect(p2.counts).toMatchObject({ scanned: 0, kept: 2 });
    expect(emu.counts.CreateSnapshots ?? 0).toBe(0);
    expect(emu.counts.CreateSnapshot ?? 0).toBe(0);
    expect(emu.counts.GetSnapshotBlock ?? 0).toBe(0);
    expect(emu.counts.ListSnapshotBlocks ?? 0).toBe(0);
    // The export of the kept pass still holds every finding (a consumer reads only the latest run).
    expect(findingsOf(out, p2, ids.deb!).map((f) => f.findingArn)).toEqual(deb1.map((f) => f.findingArn));
    expect(coverageOf(out, p2).get(ids.deb!)).toMatchObject({
      pass: 'kept',
      scanStatus: { reason: 'SUCCESSFUL' },
    });

    // 25 h after the first scan: due again; findings keep their arn and firstObservedAt.
    clock.advance(24 * HOUR);
    emu.resetCounts();
    const p3 = await onePass(opts);
    expect(p3.counts).toMatchObject({ scanned: 2 });
    expect(emu.counts.CreateSnapshots).toBe(2);
    const deb3 = findingsOf(out, p3, ids.deb!);
    expect(deb3.map((f) => f.findingArn)).toEqual(deb1.map((f) => f.findingArn));
    expect(deb3.every((f, i) => f.firstObservedAt === deb1[i]!.firstObservedAt)).toBe(true);
    expect(
      deb3.every(
        (f) => f.lastObservedAt === clock.now().toISOString() || f.lastObservedAt > deb1[0]!.lastObservedAt,
      ),
    ).toBe(true);
    expect(p3.findings).toMatchObject({ opened: 0, closed: 0 });
    expect(emu.snapshots()).toEqual([]);

    // The state index is complete JSON pointing at objects that exist.
    const index = JSON.parse(readFileSync(join(out, 'state', 'index.json'), 'utf8')) as StateIndex;
    expect(index.passId).toBe(p3.passId);
    for (const e of Object.values(index.instances)) {
      if (e.findingsKey) expect(existsSync(join(out, 'state', e.findingsKey))).toBe(true);
      if (e.inventoryKey) expect(existsSync(join(out, 'state', e.inventoryKey))).toBe(true);
    }
    // A stopped instance started again is scanned on the next pass.
    emu.setInstanceState(ids.stopped!, 'running');
    const p4 = await onePass(opts);
    expect(p4.counts.scanned).toBe(1);
    expect(coverageOf(out, p4).get(ids.stopped!)?.scanStatus.reason).toBe('SUCCESSFUL');
    emu.setInstanceState(ids.stopped!, 'stopped');
  });

  it('reuse: a completed backup snapshot younger than --reuse-snapshots is scanned instead of creating one, and kept', async () => {
    const out = mkdtempSync(join(tmpdir(), 'snapscan-sched-'));
    const clock = new TestClock();
    const backup = emu.addBackupSnapshot(vols.deb!, { ageMs: 3 * HOUR });
    const old = emu.addBackupSnapshot(vols.alma!, { tool: 'dlm', ageMs: 30 * HOUR });
    emu.resetCounts();
    const p = await onePass(schedulerOptions({ db, out, clock, mode: 'agentless' }));
    expect(p.snapshots).toMatchObject({ created: 1, reused: 1 });
    const cov = coverageOf(out, p);
    expect(cov.get(ids.deb!)?.snapshots).toEqual({ created: [], reused: [backup] });
    expect(cov.get(ids.alma!)?.snapshots?.reused).toEqual([]);
    expect(
      emu
        .snapshots()
        .map((s) => s.snapshotId)
        .sort(),
    ).toEqual([backup, old].sort());

    // --reuse-snapshots off: always create.
    const out2 = mkdtempSync(join(tmpdir(), 'snapscan-sched-'));
    const { reuseSnapshotsMaxAgeMs: _, ...noReuse } = schedulerOptions({
      db,
      out: out2,
      clock,
      mode: 'agentless',
    });
    const p2 = await onePass(noReuse);
    expect(p2.snapshots).toMatchObject({ created: 2, reused: 0 });
    expect(
      emu
        .snapshots()
        .map((s) => s.snapshotId)
        .sort(),
    ).toEqual([backup, old].sort());
  });

  it('suppression rules mark matches SUPPRESSED, still exported', async () => {
    const out = mkdtempSync(join(tmpdir(), 'snapscan-sched-'));
    const clock = new TestClock();
    const rules = [
      { name: 'dev', reason: 'dev boxes', criteria: { resourceTags: [{ key: 'env', value: 'dev' }] } },
    ];
    writeFileSync(join(out, 'rules.json'), JSON.stringify(rules));
    const { parseSuppressions } = await import('../../scheduler/suppressions.js');
    const p = await onePass(
      schedulerOptions({ db, out, clock, mode: 'agentless', suppressions: parseSuppressions(rules) }),
    );
    const deb = findingsOf(out, p, ids.deb!);
    const alma = findingsOf(out, p, ids.alma!);
    expect(deb.length).toBeGreaterThan(0);
    expect(new Set(deb.map((f) => f.status))).toEqual(new Set(['SUPPRESSED']));
    expect(new Set(alma.map((f) => f.status))).toEqual(new Set(['ACTIVE']));
    expect(coverageOf(out, p).get(ids.deb!)?.findings).toEqual({
      active: 0,
      suppressed: deb.length,
      closed: 0,
    });
  });
});
