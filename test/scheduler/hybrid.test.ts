/**
 * Hybrid evaluation through the real SSM and EC2 clients against the emulator's fleet: the choice
 * per mode and per SSM situation (fresh, stale, missing inventory, lost agent, unmanaged), the
 * coverage reasons, and — the oracle — an instance evaluated from its SSM inventory gets the same
 * findings as the disk scan of the same package set (rpm: AlmaLinux 9 and AL2023; dpkg: Debian 12).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../engine/findings/index.js';
import type { CoverageRecord } from '../../scheduler/coverage.js';
import type { PassReport, StateIndex } from '../../scheduler/pass.js';
import { buildFleet, type Fleet, fleetImages } from '../emulator/fleet.js';
import { type Emulator, startEmulator } from '../emulator/index.js';
import { applicationEntries } from '../emulator/services/ssm.js';
import { HAVE_SHARED, NO_SHARED_REASON } from '../helpers/paths.js';
import { HOUR, onePass, schedulerOptions, sharedVulnDb, TestClock, useEmulatorEnv } from './helpers.js';

function coverage(out: string, r: PassReport): Map<string, CoverageRecord> {
  const m = JSON.parse(readFileSync(join(out, r.manifestKey!), 'utf8')) as {
    objects: { key: string; kind: string }[];
  };
  return new Map(
    m.objects
      .filter((o) => o.kind === 'coverage-ndjson')
      .flatMap((o) => readFileSync(join(out, o.key), 'utf8').split('\n').filter(Boolean))
      .map((l) => JSON.parse(l) as CoverageRecord)
      .map((c) => [c.resourceId, c]),
  );
}

function storedFindings(out: string, instanceId: string): Finding[] {
  const index = JSON.parse(readFileSync(join(out, 'state', 'index.json'), 'utf8')) as StateIndex;
  const key = index.instances[instanceId]?.findingsKey;
  return key ? (JSON.parse(readFileSync(join(out, 'state', key), 'utf8')) as Finding[]) : [];
}

const row = (f: Finding) => {
  const p = f.packageVulnerabilityDetails.vulnerablePackages[0]!;
  return `${f.packageVulnerabilityDetails.vulnerabilityId} ${p.name} ${p.epoch}:${p.version}-${p.release ?? ''} ${p.arch ?? ''} fixed=${p.fixedInVersion} ${f.status}`;
};

const images = HAVE_SHARED ? await fleetImages() : undefined;
const skip = !HAVE_SHARED
  ? NO_SHARED_REASON
  : images!.images.length < 3
    ? JSON.stringify(images!.skipped)
    : undefined;
if (skip) console.warn(`scheduler hybrid: skipped: ${skip}`);

describe.skipIf(skip !== undefined)(
  'scheduler/decide + scheduler/ssm-inventory on the emulator fleet',
  () => {
    let emu: Emulator;
    let db: string;
    let fleet: Fleet;
    const start = Date.parse('2026-12-01T00:00:00Z');

    beforeAll(async () => {
      db = await sharedVulnDb();
      emu = await startEmulator({ seed: 9 });
      useEmulatorEnv(emu);
      fleet = await buildFleet(emu, {
        now: new Date(start),
        images: images!,
        mix: {
          'ssm-fresh': 3,
          'ssm-stale': 1,
          'ssm-no-inventory': 1,
          'ssm-connection-lost': 1,
          unmanaged: 3,
          'excluded-snapscan': 1,
          'excluded-inspector': 1,
          stopped: 1,
          terminated: 1,
          'backup-recent': 1,
          'backup-old': 1,
          'kms-denied': 1,
        },
      });
    }, 600_000);

    afterAll(async () => {
      await emu?.close();
    });

    const volumesSnapshotted = (since: number) =>
      new Set(
        [...emu.snapshotsById.values()]
          .slice(since)
          .filter((s) => s.tags['snapscan:managed'] === 'true')
          .map((s) => s.volumeId),
      );

    it('hybrid: fresh inventory → SSM, no snapshot; otherwise a snapshot scan with the reason; 0 snapshots left', async () => {
      const out = mkdtempSync(join(tmpdir(), 'snapscan-hybrid-'));
      const clock = new TestClock(start);
      const before = emu.snapshotsById.size;
      const p = await onePass(schedulerOptions({ db, out, clock, mode: 'hybrid', concurrency: 4 }));
      const cov = coverage(out, p);
      const snapped = volumesSnapshotted(before);
      for (const i of fleet.instances) {
        const c = cov.get(i.instanceId)!;
        const want: Record<string, [string | undefined, string, string | undefined]> = {
          'ssm-fresh': ['EC2_SSM_AGENT_BASED', 'SUCCESSFUL', undefined],
          'ssm-stale': ['EC2_AGENTLESS', 'SUCCESSFUL', 'STALE_INVENTORY'],
          'ssm-no-inventory': ['EC2_AGENTLESS', 'SUCCESSFUL', 'NO_INVENTORY'],
          'ssm-connection-lost': ['EC2_AGENTLESS', 'SUCCESSFUL', 'UNMANAGED_EC2_INSTANCE'],
          unmanaged: ['EC2_AGENTLESS', 'SUCCESSFUL', 'UNMANAGED_EC2_INSTANCE'],
          'backup-recent': ['EC2_AGENTLESS', 'SUCCESSFUL', 'UNMANAGED_EC2_INSTANCE'],
          'backup-old': ['EC2_AGENTLESS', 'SUCCESSFUL', 'UNMANAGED_EC2_INSTANCE'],
          'kms-denied': ['EC2_AGENTLESS', 'ACCESS_DENIED_TO_ENCRYPTION_KEY', 'UNMANAGED_EC2_INSTANCE'],
          'excluded-snapscan': [undefined, 'EXCLUDED_BY_TAG', undefined],
          'excluded-inspector': [undefined, 'EXCLUDED_BY_TAG', undefined],
          stopped: [undefined, 'EC2_INSTANCE_STOPPED', undefined],
          terminated: [undefined, 'RESOURCE_TERMINATED', undefined],
        };
        expect([i.role, c.scanMode, c.scanStatus.reason, c.methodReason], i.instanceId).toEqual([
          i.role,
          ...want[i.role]!,
        ]);
        // A snapshot is made exactly for the agentless scans that had no reusable backup.
        const expectSnapshot = c.scanMode === 'EC2_AGENTLESS' && i.role !== 'backup-recent';
        expect([i.role, snapped.has(i.volumeId)]).toEqual([i.role, expectSnapshot]);
      }
      expect(cov.get(fleet.byRole('backup-recent')[0]!.instanceId)?.snapshots?.reused).toEqual([
        fleet.byRole('backup-recent')[0]!.backupSnapshotId,
      ]);
      expect(emu.snapshots().filter((s) => s.tags['snapscan:managed'] === 'true')).toEqual([]);
      // Backups are never deleted.
      for (const i of [...fleet.byRole('backup-recent'), ...fleet.byRole('backup-old')])
        expect(emu.snapshotsById.get(i.backupSnapshotId!)?.deleted).toBe(false);
      expect(p.counts).toMatchObject({ ssm: 3, failed: 1 });
    });

    it('ssm-only never snapshots; agentless never calls SSM', async () => {
      const clock = new TestClock(start);
      const out = mkdtempSync(join(tmpdir(), 'snapscan-hybrid-'));
      const before = emu.snapshotsById.size;
      const p = await onePass(schedulerOptions({ db, out, clock, mode: 'ssm-only' }));
      expect(emu.snapshotsById.size).toBe(before);
      const cov = coverage(out, p);
      expect(cov.get(fleet.byRole('ssm-stale')[0]!.instanceId)?.scanStatus).toEqual({
        statusCode: 'INACTIVE',
        reason: 'STALE_INVENTORY',
      });
      expect(cov.get(fleet.byRole('ssm-no-inventory')[0]!.instanceId)?.scanStatus).toEqual({
        statusCode: 'INACTIVE',
        reason: 'NO_INVENTORY',
      });
      expect(cov.get(fleet.byRole('unmanaged')[0]!.instanceId)?.scanStatus).toEqual({
        statusCode: 'INACTIVE',
        reason: 'UNMANAGED_EC2_INSTANCE',
      });
      expect(p.counts).toMatchObject({ ssm: 3, agentless: 0 });

      emu.resetCounts();
      const out2 = mkdtempSync(join(tmpdir(), 'snapscan-hybrid-'));
      const p2 = await onePass(schedulerOptions({ db, out: out2, clock, mode: 'agentless', concurrency: 4 }));
      expect(
        Object.keys(emu.counts).filter((a) =>
          ['DescribeInstanceInformation', 'ListInventoryEntries'].includes(a),
        ),
      ).toEqual([]);
      expect(p2.counts.ssm).toBe(0);
      expect(coverage(out2, p2).get(fleet.byRole('ssm-fresh')[0]!.instanceId)?.scanMode).toBe(
        'EC2_AGENTLESS',
      );
    });

    it('the SSM package versions give the same findings as the disk scan of the same package set (dpkg and rpm)', async () => {
      const out = mkdtempSync(join(tmpdir(), 'snapscan-hybrid-'));
      const clock = new TestClock(start);
      // Pass 1 reads every disk (agentless); pass 2, a day later, evaluates the managed ones from SSM.
      const p1 = await onePass(schedulerOptions({ db, out, clock, mode: 'agentless', concurrency: 4 }));
      const disk = new Map(
        fleet
          .byRole('ssm-fresh')
          .map((i) => [i.instanceId, storedFindings(out, i.instanceId).map(row).sort()]),
      );
      clock.advance(25 * HOUR);
      for (const i of fleet.byRole('ssm-fresh'))
        emu.services.ssm.setInventory(i.instanceId, {
          captureTime: new Date(clock.now().getTime() - HOUR),
          entries: applicationEntries(i.image.packages, i.image.manager),
        });
      const p2 = await onePass(schedulerOptions({ db, out, clock, mode: 'hybrid', concurrency: 4 }));
      const cov = coverage(out, p2);
      const compared: Record<string, number> = {};
      for (const i of fleet.byRole('ssm-fresh')) {
        expect(cov.get(i.instanceId)?.scanMode).toBe('EC2_SSM_AGENT_BASED');
        const fromSsm = storedFindings(out, i.instanceId).map(row).sort();
        expect(fromSsm, `${i.image.id} (${i.image.manager})`).toEqual(disk.get(i.instanceId));
        compared[i.image.manager] = (compared[i.image.manager] ?? 0) + fromSsm.length;
      }
      // Not vacuous: both package managers had findings to compare (AL2023 has none in the sample data).
      expect(compared.dpkg).toBeGreaterThan(0);
      expect(compared.rpm).toBeGreaterThan(0);
      // Same findings, same ids: nothing opened or closed by the change of method.
      expect(p2.findings.closed).toBe(0);
      expect(p1.ok && p2.ok).toBe(true);
    });
  },
);
