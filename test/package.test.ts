/**
 * The published package: `npm pack` of a build made in a temp folder (test/helpers/pack.ts),
 * installed with `npm install --omit=dev` into an empty folder, then run from there — `--help`, an
 * image scan, the compiled match-worker pool, and an instance scan through the wire-level emulator
 * (served from this test's source side). The tarball's contents are asserted: compiled JS with
 * source maps, no tests, fixtures, benches, TypeScript sources or cdk app.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawImagePath } from '../engine/cli/image.js';
import { type Emulator, startEmulator } from './emulator/index.js';
import { EMULATOR_ENV, runNode } from './emulator/run-cli.js';
import { REPO_ROOT } from './emulator/test-image.js';
import { buildTarball, installTarball, tarballEntries } from './helpers/pack.js';

const DEMO = path.join(REPO_ROOT, 'test/fixtures/demo/debian-12-cloud.img.gz');
const VULNDATA = path.resolve(REPO_ROOT, '../shared/vulndata');
const skipNoVulndata = existsSync(VULNDATA) ? undefined : `${VULNDATA} absent: findings not checked`;

interface InventoryJson {
  resource: { type: string; id: string };
  packages: { purl: string }[];
  status: { state: string };
}

describe('package.json + bin/snapscan.js: the packed, installed package', () => {
  let tmp: string;
  let tarball: string;
  let entries: string[];
  let bin: string;
  let home: string;
  // Without the SDK's warning switch that vitest.config.ts sets for every test: the installed
  // launcher must silence the Node-version warning itself.
  const env = () => ({
    SNAPSCAN_HOME: home,
    NODE_OPTIONS: '',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined,
  });

  beforeAll(() => {
    tmp = mkdtempSync(path.join(tmpdir(), 'snapscan-pack-'));
    home = path.join(tmp, 'home');
    tarball = buildTarball(path.join(tmp, 'stage'), path.join(tmp, 'out'));
    entries = tarballEntries(tarball);
    bin = installTarball(tarball, path.join(tmp, 'install'));
    console.log(
      `tarball ${path.basename(tarball)}: ${entries.length} files, ${(statSync(tarball).size / 1024).toFixed(0)} KiB`,
    );
  }, 900_000);
  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('holds the compiled CLI, workers and source maps, and no tests, fixtures, benches, sources or cdk app', () => {
    for (const f of [
      'package.json',
      'README.md',
      'bin/snapscan.js',
      'dist/engine/cli/main.js',
      'dist/engine/cli/main.js.map',
      'dist/workers/scan.worker.js',
      'dist/workers/match.worker.js',
      'dist/workers/pool.js',
      'schemas/finding.schema.json',
    ]) {
      expect(entries).toContain(f);
    }
    const forbidden = entries.filter(
      (e) =>
        /^(test|bench|cdk|docs|\.ci)\//.test(e) ||
        /^dist\/(test|bench|cdk)\//.test(e) ||
        /(\.test\.|\.img|\.gz$|\.tgz$)/.test(e) ||
        (e.endsWith('.ts') && !e.endsWith('.d.ts')) ||
        /(^|\/)(tsconfig.*|vitest\.config\..*|biome\.json|Dockerfile|package-lock\.json)$/.test(e),
    );
    expect(forbidden).toEqual([]);
    // Only compiled output, the launcher, schemas and npm's own files.
    const outside = entries.filter((e) => !/^(dist|bin|schemas)\//.test(e));
    expect(outside.sort()).toEqual(['README.md', 'package.json']);
    const manifest = JSON.parse(readFileSync(path.join(path.dirname(bin), '../package.json'), 'utf8'));
    expect(manifest.dependencies.tsx).toBeUndefined();
    expect(manifest.devDependencies.tsx).toBeDefined();
  });

  it('installs without dev dependencies: no TypeScript loader, compiler or test runner at run time', () => {
    const modules = path.join(tmp, 'install/node_modules');
    for (const dev of ['tsx', 'typescript', 'vitest', '@biomejs/biome', 'esbuild', 'fast-check']) {
      expect(existsSync(path.join(modules, dev)), dev).toBe(false);
    }
    expect(existsSync(path.join(modules, 'better-sqlite3'))).toBe(true);
    expect(existsSync(path.join(modules, '.bin/snapscan'))).toBe(true);
  });

  it('`snapscan --help` runs the compiled CLI, without the AWS SDK Node-version warning; the emulator is checkout-only', async () => {
    const help = await runNode([bin, '--help'], env());
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^ {2}scan /m);
    expect(help.stdout).not.toMatch(/^ {2}emulator /m);
    expect(help.stderr).toBe('');
    const emu = await runNode([bin, 'emulator', '--image', DEMO], env());
    expect(emu.code).toBe(2);
    expect(emu.stderr).toMatch(/development tool.*not part of the installed package/);
    const demo = await runNode([bin, 'demo'], env());
    expect(demo.code).toBe(1);
    expect(demo.stderr).toMatch(/sample disks are not here.*checkout/);
    // A compiled stack trace maps back to the TypeScript source through the shipped source maps.
    const bad = await runNode([bin, 'scan', '--image', path.join(tmp, 'missing.img')], {
      ...env(),
      SNAPSCAN_DEBUG: '1',
    });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/engine\/[\w/-]+\.ts:\d+/);
  });

  it.skipIf(skipNoVulndata !== undefined)(
    'scans an image from the installed package: findings, and the compiled match-worker pool agrees with in-thread matching',
    async () => {
      const db = path.join(tmp, 'vulndb.sqlite');
      const imp = await runNode(
        [
          bin,
          'db',
          'import',
          path.join(VULNDATA, 'osv/Debian'),
          path.join(VULNDATA, 'native/debian-security-tracker'),
          '--db',
          db,
        ],
        env(),
        300_000,
      );
      expect(imp.code, imp.stderr).toBe(0);
      const scan = await runNode([bin, 'scan', '--image', DEMO, '--db', db, '--format', 'json', '-q'], env());
      expect(scan.code, scan.stderr).toBe(0);
      const out = JSON.parse(scan.stdout);
      const text = JSON.stringify(out);
      expect(text).toMatch(/"vulnerabilityId":"CVE-\d{4}-\d+"/);
      expect(text).toContain('pkg:deb/debian/');

      const inv = await runNode([bin, 'scan', '--image', DEMO, '--format', 'inventory', '-q'], env());
      const [inventory] = JSON.parse(inv.stdout) as InventoryJson[];
      const invFile = path.join(tmp, 'inventory.json');
      (await import('node:fs')).writeFileSync(invFile, JSON.stringify(inventory));
      // The match pool from the installed dist: piscina loads dist/workers/match.worker.js with no loader.
      const dist = path.join(path.dirname(bin), '../dist');
      const script = `
        import { readFileSync } from 'node:fs';
        const { MatchPool } = await import(${JSON.stringify(path.join(dist, 'workers/pool.js'))});
        const { matchInventory, matchInventoryPooled } = await import(${JSON.stringify(path.join(dist, 'engine/scan/findings.js'))});
        const { VulnStore } = await import(${JSON.stringify(path.join(dist, 'engine/vulndb/store.js'))});
        const inv = JSON.parse(readFileSync(${JSON.stringify(invFile)}, 'utf8'));
        const store = VulnStore.openReadOnly(${JSON.stringify(db)});
        const pool = new MatchPool({ kind: 'sqlite', path: ${JSON.stringify(db)} }, { threads: 2, minChunk: 10 });
        const pooled = await matchInventoryPooled(inv, pool);
        const inThread = matchInventory(inv, store);
        await pool.close();
        const key = (m) => m.package.purl + ' ' + m.vulnerabilityId + ' ' + m.status;
        console.log(JSON.stringify({ pooled: pooled.matches.map(key).sort(), inThread: inThread.matches.map(key).sort() }));
      `;
      const res = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        cwd: path.join(tmp, 'install'),
        encoding: 'utf8',
        env: { ...process.env, NODE_OPTIONS: '' },
      });
      const { pooled, inThread } = JSON.parse(res) as { pooled: string[]; inThread: string[] };
      expect(pooled.length).toBeGreaterThan(0);
      expect(pooled).toEqual(inThread);
    },
    600_000,
  );

  describe('instance scan through the emulator', () => {
    let emu: Emulator;
    beforeAll(async () => {
      emu = await startEmulator();
    });
    afterAll(async () => {
      await emu?.close();
    });

    it('the installed CLI snapshots, reads through EBS direct and deletes: same packages as the image scan', async () => {
      const raw = await rawImagePath(DEMO);
      const vol = await emu.addVolume({ imagePath: raw });
      const instanceId = emu.addInstance({ volumes: [{ volumeId: vol, device: '/dev/xvda' }] });
      const r = await runNode(
        [bin, 'scan', '--instance', instanceId, '--endpoint', emu.endpoint, '--format', 'inventory', '-q'],
        { ...env(), ...EMULATOR_ENV },
        300_000,
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/NodeVersionSupportWarning/);
      const [inst] = JSON.parse(r.stdout) as InventoryJson[];
      expect(inst!.resource).toMatchObject({ type: 'instance', id: instanceId });
      expect(inst!.status.state).toBe('complete');
      const img = await runNode([bin, 'scan', '--image', DEMO, '--format', 'inventory', '-q'], env());
      const [local] = JSON.parse(img.stdout) as InventoryJson[];
      const purls = (i: InventoryJson) => i.packages.map((p) => p.purl).sort();
      expect(purls(inst!).length).toBeGreaterThan(50);
      expect(purls(inst!)).toEqual(purls(local!));
      // The snapshot it took is gone; the emulator saw block reads.
      expect(emu.snapshots().filter((s) => s.volumeId === vol)).toEqual([]);
    });
  });
});
