/**
 * Findings over time on real disks: two ext4 disks made with `mkfs.ext4 -d` from the Debian 12
 * minbase root's own os-release and dpkg status, the second with zlib1g upgraded. An advisory for
 * zlib imported between passes opens findings through re-evaluation of the stored inventory (no
 * snapshot, no block read); the upgrade on the disk closes them on the next scan.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../engine/findings/index.js';
import { importPath, withWritableStore } from '../../engine/vulndb/index.js';
import type { StateIndex } from '../../scheduler/pass.js';
import { runScheduler } from '../../scheduler/run.js';
import { type Emulator, startEmulator } from '../emulator/index.js';
import { debianImages } from '../helpers/debian-images.js';
import { HAVE_SHARED } from '../helpers/paths.js';
import { HOUR, onePass, schedulerOptions, sharedVulnDb, TestClock, useEmulatorEnv } from './helpers.js';

const deb = debianImages();
const skip = !HAVE_SHARED ? 'no ../shared' : typeof deb === 'string' ? deb : undefined;
if (skip) console.warn(`scheduler lifecycle: skipped: ${skip}`);

const OLD = '1:1.2.13.dfsg-1';
const FIXED = '1:1.2.13.dfsg-1+deb12u1';

function ext4From(rootfs: string, statusText: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'snapscan-lc-root-'));
  mkdirSync(join(dir, 'etc'), { recursive: true });
  mkdirSync(join(dir, 'var/lib/dpkg'), { recursive: true });
  writeFileSync(join(dir, 'etc/os-release'), readFileSync(join(rootfs, 'usr/lib/os-release')));
  cpSync(join(rootfs, 'etc/debian_version'), join(dir, 'etc/debian_version'));
  writeFileSync(join(dir, 'var/lib/dpkg/status'), statusText);
  const img = join(mkdtempSync(join(tmpdir(), 'snapscan-lc-img-')), 'disk.img');
  execFileSync('truncate', ['-s', '16M', img]);
  execFileSync('mkfs.ext4', ['-q', '-F', '-d', dir, img]);
  return img;
}

function storedFindings(out: string, id: string): Finding[] {
  const index = JSON.parse(readFileSync(join(out, 'state', 'index.json'), 'utf8')) as StateIndex;
  return JSON.parse(readFileSync(join(out, 'state', index.instances[id]!.findingsKey!), 'utf8')) as Finding[];
}

describe.skipIf(skip !== undefined || spawnSync('mkfs.ext4', ['-V']).error !== undefined)(
  'scheduler/findings-lifecycle over passes (upgrade on disk, new advisory, rematch)',
  () => {
    let emu: Emulator;
    let db: string;
    let vol: string;
    let id: string;
    let upgraded: string;

    beforeAll(async () => {
      const rootfs = (deb as Exclude<typeof deb, string>).rootfs;
      const status = readFileSync(join(rootfs, 'var/lib/dpkg/status'), 'utf8');
      expect(status).toContain(`Package: zlib1g\n`);
      const before = ext4From(rootfs, status);
      upgraded = ext4From(
        rootfs,
        status
          .replace(`Package: zlib1g\n`, '\u0000')
          .replace(/\u0000((?:[^\n]+\n)*?Version: )([^\n]+)\n/, (_m, head: string, v: string) => {
            expect(v).toBe(OLD);
            return `Package: zlib1g\n${head}${FIXED}\n`;
          }),
      );
      // Our own copy of the shared database: this test imports an advisory into it.
      const shared = await sharedVulnDb();
      db = join(mkdtempSync(join(tmpdir(), 'snapscan-lc-db-')), 'vulndb.sqlite');
      cpSync(shared, db);
      emu = await startEmulator({ seed: 12 });
      useEmulatorEnv(emu);
      vol = await emu.addVolume({ imagePath: before });
      id = emu.addInstance({ volumes: [{ volumeId: vol, device: '/dev/xvda' }] });
    }, 600_000);

    afterAll(async () => {
      await emu?.close();
    });

    it('new advisory → the next pass re-matches the stored inventory (no snapshot); upgrade on disk → CLOSED', async () => {
      const out = mkdtempSync(join(tmpdir(), 'snapscan-lc-'));
      const clock = new TestClock(Date.parse('2026-12-01T00:00:00Z'));
      const opts = schedulerOptions({ db, out, clock, mode: 'agentless' });
      const p1 = await onePass(opts);
      expect(p1.counts.scanned).toBe(1);
      const zlibIds = (fs: Finding[]) =>
        fs
          .filter((f) => f.packageVulnerabilityDetails.vulnerablePackages.some((p) => p.name === 'zlib1g'))
          .map((f) => `${f.packageVulnerabilityDetails.vulnerabilityId} ${f.status}`);
      expect(zlibIds(storedFindings(out, id))).toEqual([]);

      // A new advisory arrives (what `db update` would bring).
      const feed = mkdtempSync(join(tmpdir(), 'snapscan-lc-feed-'));
      writeFileSync(
        join(feed, 'SNAPSCAN-TEST-2099-0001.json'),
        JSON.stringify({
          id: 'DSA-9999-1',
          aliases: ['CVE-2099-0001'],
          summary: 'zlib - security update',
          modified: '2026-12-01T00:00:00Z',
          published: '2026-12-01T00:00:00Z',
          affected: [
            {
              package: { ecosystem: 'Debian:12', name: 'zlib' },
              ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: FIXED }] }],
            },
          ],
        }),
      );
      await withWritableStore(db, (w) => importPath(w, feed));

      clock.advance(HOUR);
      emu.resetCounts();
      const p2 = await onePass(opts);
      expect(p2.counts).toMatchObject({ scanned: 0, kept: 1, rematched: 1 });
      expect(p2.findings.opened).toBe(1);
      expect(emu.counts.CreateSnapshots ?? 0).toBe(0);
      expect(emu.counts.GetSnapshotBlock ?? 0).toBe(0);
      expect(zlibIds(storedFindings(out, id))).toEqual(['CVE-2099-0001 ACTIVE']);
      const opened = storedFindings(out, id).find(
        (f) => f.packageVulnerabilityDetails.vulnerabilityId === 'CVE-2099-0001',
      )!;
      expect(opened.packageVulnerabilityDetails.vulnerablePackages[0]).toMatchObject({
        version: '1.2.13.dfsg',
        fixedInVersion: FIXED,
      });

      // `snapscan rematch` on the same state: nothing new, nothing read.
      emu.resetCounts();
      const rm = await runScheduler({ ...opts, rematchOnly: true });
      expect(rm.exitCode).toBe(0);
      expect(rm.passes[0]!.counts.rematched).toBe(1);
      expect(rm.passes[0]!.findings).toMatchObject({ opened: 0, closed: 0 });
      expect(Object.keys(emu.counts).filter((a) => !['GetCallerIdentity'].includes(a))).toEqual([]);

      const activeBefore = storedFindings(out, id)
        .filter(
          (f) => f.status === 'ACTIVE' && f.packageVulnerabilityDetails.vulnerabilityId !== 'CVE-2099-0001',
        )
        .map((f) => f.findingArn);
      expect(activeBefore.length).toBeGreaterThan(0);
      // The package is upgraded on the disk; a day later the scan closes the finding, the others stay.
      emu.volumes.get(vol)!.imagePath = upgraded;
      clock.advance(24 * HOUR);
      const p3 = await onePass(opts);
      expect(p3.counts.scanned).toBe(1);
      expect(p3.findings).toMatchObject({ opened: 0, closed: 1 });
      const after = storedFindings(out, id);
      expect(zlibIds(after)).toEqual(['CVE-2099-0001 CLOSED']);
      expect(after.filter((f) => f.status === 'ACTIVE').map((f) => f.findingArn)).toEqual(activeBefore);
    });
  },
);
