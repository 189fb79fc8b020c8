/**
 * The shipped demo disks, end to end: the inventory read through partitions → ext4/XFS → dpkg/rpm
 * equals what the distro's own tools list from the very database bytes on the disk (dpkg-query,
 * rpm -qa), and — against the real sample advisories in ../shared/vulndata — every finding's
 * installed version is below its fixed version by the independent oracle (python3-rpm labelCompare).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { rawImagePath } from '../../engine/cli/image.js';
import type { Inventory } from '../../engine/inventory/types.js';
import { scanBlockSource } from '../../engine/pipeline.js';
import { findingsFor, matchInventory, matchInventoryPooled } from '../../engine/scan/findings.js';
import { importPath, VulnStore, withWritableStore } from '../../engine/vulndb/index.js';
import { RawFileSource } from '../../readers/block/raw-file/index.js';
import { probeFileSystem } from '../../readers/fs/formats.js';
import { PathFileSystem } from '../../readers/fs/path-fs.js';
import { listVolumes, readPartitions } from '../../readers/partition/probe.js';
import { MatchPool } from '../../workers/pool.js';
import { HAVE_SHARED, NO_SHARED_REASON, REPO_ROOT, SHARED_VULNDATA } from '../helpers/paths.js';

const DEMO = join(REPO_ROOT, 'test/fixtures/demo');
const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const HAVE_RPM = have('rpm');
// Debian's python3-rpm lives in the system interpreter (a pyenv python3 may shadow it on PATH).
const SYSTEM_PYTHON = '/usr/bin/python3';
const HAVE_PY_RPM = spawnSync(SYSTEM_PYTHON, ['-c', 'import rpm']).status === 0;

async function scanDemo(
  name: string,
): Promise<{ inv: Inventory; fs: PathFileSystem; close: () => Promise<void> }> {
  const source = await RawFileSource.open(await rawImagePath(join(DEMO, name)));
  const inv = await scanBlockSource(source, { resource: { type: 'image', id: name }, packages: ['os'] });
  const table = await readPartitions(source);
  for (const part of listVolumes(table)) {
    const format = await probeFileSystem(part.source);
    if (format && part.name === 'root') {
      return { inv, fs: new PathFileSystem(await format.open(part.source)), close: () => source.close() };
    }
  }
  throw new Error(`no root filesystem in ${name}`);
}

describe('test/fixtures/demo images', () => {
  it('debian-12-cloud: GPT + ext4 root; packages equal dpkg-query on the status file read from the disk', async () => {
    const { inv, fs, close } = await scanDemo('debian-12-cloud.img.gz');
    try {
      expect(inv.os).toMatchObject({ family: 'debian', versionId: '12', codename: 'bookworm' });
      expect(inv.volumes.map((v) => [v.id, v.partition.name, v.filesystem?.type ?? null])).toEqual([
        ['p1', 'root', 'ext4'],
        ['p14', 'bios', null],
        ['p15', 'esp', null],
      ]);
      const admin = mkdtempSync(join(tmpdir(), 'snapscan-dpkg-'));
      mkdirSync(join(admin, 'updates'));
      mkdirSync(join(admin, 'info'));
      writeFileSync(join(admin, 'status'), await fs.readFile('/var/lib/dpkg/status'));
      const oracle = execFileSync(
        'dpkg-query',
        [
          `--admindir=${admin}`,
          '-W',
          '-f',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own ${field} format
          '${db:Status-Status}\t${Package}\t${Version}\t${Architecture}\t${source:Package}\n',
        ],
        { encoding: 'utf8' },
      )
        .split('\n')
        .filter((l) => l.startsWith('installed\t'))
        .map((l) => l.split('\t').slice(1).join(' '))
        .sort();
      expect(oracle.length).toBeGreaterThan(80);
      expect(
        inv.packages.map((p) => `${p.name} ${p.version} ${p.arch} ${p.sourceName ?? p.name}`).sort(),
      ).toEqual(oracle);
    } finally {
      await close();
    }
  });

  it.skipIf(!HAVE_RPM)(
    'almalinux-9-cloud: GPT + XFS root; packages equal rpm -qa on the rpmdb read from the disk',
    async () => {
      const { inv, fs, close } = await scanDemo('almalinux-9-cloud.img.gz');
      try {
        expect(inv.os).toMatchObject({ id: 'almalinux', versionId: '9.0' });
        expect(inv.volumes.find((v) => v.id === 'p1')?.filesystem?.type).toBe('xfs');
        const dbpath = mkdtempSync(join(tmpdir(), 'snapscan-rpm-'));
        writeFileSync(join(dbpath, 'rpmdb.sqlite'), await fs.readFile('/var/lib/rpm/rpmdb.sqlite'));
        const oracle = execFileSync(
          'rpm',
          [
            '--dbpath',
            dbpath,
            '-qa',
            '--qf',
            '%{NAME} %{EPOCHNUM}:%{VERSION}-%{RELEASE} %{ARCH} %{SOURCERPM}\\n',
          ],
          { encoding: 'utf8' },
        )
          .split('\n')
          .filter(Boolean)
          .sort();
        expect(oracle).toHaveLength(42);
        const ours = inv.packages
          .map(
            (p) =>
              `${p.name} ${p.epoch ?? 0}:${p.upstreamVersion}-${p.release} ${p.arch} ${p.sourceName}-${p.sourceVersion?.replace(/^\d+:/, '')}.src.rpm`,
          )
          .sort();
        expect(ours).toEqual(oracle);
      } finally {
        await close();
      }
    },
  );

  describe.skipIf(!HAVE_SHARED || !HAVE_PY_RPM)('findings against ../shared/vulndata', () => {
    let store: VulnStore;
    beforeAll(async () => {
      const db = join(mkdtempSync(join(tmpdir(), 'snapscan-db-')), 'vulndb.sqlite');
      await withWritableStore(db, (w) => importPath(w, SHARED_VULNDATA), { fresh: true });
      store = VulnStore.openReadOnly(db);
    });

    it('almalinux-9-cloud: every finding is confirmed by python3-rpm labelCompare(installed, fixed) < 0', async () => {
      const { inv, close } = await scanDemo('almalinux-9-cloud.img.gz');
      await close();
      const { matches } = matchInventory(inv, store);
      const findings = findingsFor(inv, matches, store, () => new Date('2026-01-01T00:00:00Z'));
      expect(findings.length).toBeGreaterThan(100);
      const pairs: string[] = [];
      for (const f of findings) {
        expect(f.matchStatus).toBe('affected');
        for (const p of f.packageVulnerabilityDetails.vulnerablePackages) {
          if (p.fixedInVersion === 'NotAvailable') continue;
          pairs.push(`${p.epoch}:${p.version}-${p.release}\t${p.fixedInVersion}`);
        }
      }
      const script = [
        'import rpm, sys',
        'def evr(s):',
        '    e, _, vr = s.rpartition(":") if ":" in s else ("0", "", s)',
        '    v, _, r = vr.rpartition("-")',
        '    return (e or "0", v, r)',
        'bad = [l for l in sys.stdin.read().splitlines() if rpm.labelCompare(evr(l.split("\\t")[0]), evr(l.split("\\t")[1])) >= 0]',
        'print(len(bad)); print("\\n".join(bad[:5]))',
      ].join('\n');
      const out = execFileSync(SYSTEM_PYTHON, ['-c', script], { input: pairs.join('\n'), encoding: 'utf8' });
      expect(out.split('\n')[0]).toBe('0');
      // Known advisories that must be there (AlmaLinux 9.0 GA was vulnerable to them).
      const ids = new Set(
        findings.map(
          (f) =>
            `${f.packageVulnerabilityDetails.vulnerabilityId} ${f.packageVulnerabilityDetails.vulnerablePackages[0]?.name}`,
        ),
      );
      for (const want of [
        'CVE-2022-3602 openssl-libs',
        'CVE-2023-4911 glibc',
        'CVE-2023-38408 openssh-server',
        'CVE-2023-38545 libcurl',
      ]) {
        expect(ids.has(want), want).toBe(true);
      }
      const kev = findings.find((f) => f.packageVulnerabilityDetails.vulnerabilityId === 'CVE-2023-4911');
      expect(kev?.exploitAvailable).toBe('YES');

      // The worker pool (each worker opening the store read-only) finds exactly the same.
      const pool = new MatchPool({ kind: 'sqlite', path: store.info().path }, { threads: 2, minChunk: 5 });
      try {
        const pooled = await matchInventoryPooled(inv, pool);
        const viaPool = findingsFor(inv, pooled.matches, store, () => new Date('2026-01-01T00:00:00Z'));
        expect(viaPool).toEqual(findings);
      } finally {
        await pool.close();
      }
    });
  });
});

if (!HAVE_SHARED) console.warn(`[test/e2e/demo-images] ${NO_SHARED_REASON}`);
