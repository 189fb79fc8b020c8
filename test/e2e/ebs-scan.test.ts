/**
 * The Debian images served by the wire-level emulator to the real AWS SDK clients: scanning a
 * snapshot or an instance gives exactly the inventory the local file gives, also under throttling,
 * 5xx, resets and corrupted checksums; a permanently failing block fails the scan with a clear error
 * and the instance's snapshots are still deleted.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Inventory } from '../../engine/inventory/types.js';
import { scanBlockSource } from '../../engine/pipeline.js';
import { runScans } from '../../engine/scan/run.js';
import { RawFileSource } from '../../readers/block/raw-file/index.js';
import { EMULATOR_CREDENTIALS, type Emulator, startEmulator } from '../emulator/index.js';
import { EMULATOR_ENV, runCli } from '../emulator/run-cli.js';
import { debianImages } from '../helpers/debian-images.js';
import { REPO_ROOT } from '../helpers/paths.js';

const images = debianImages();
const skip = typeof images === 'string' ? images : undefined;

function packageRows(inv: Inventory): string[] {
  return inv.packages.map(
    (p) => `${p.name} ${p.version} ${p.arch} ${p.sourceName} ${p.sourceVersion} ${p.purl}`,
  );
}

describe.skipIf(skip !== undefined)('engine/scan/run through the EBS emulator', () => {
  const img = images as Exclude<typeof images, string>;
  let emu: Emulator;
  const local = new Map<string, Inventory>();
  const saved = { ...process.env };

  beforeAll(async () => {
    // The worker threads build their clients from the standard chain, as in production.
    process.env.AWS_ACCESS_KEY_ID = EMULATOR_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = EMULATOR_CREDENTIALS.secretAccessKey;
    process.env.AWS_REGION = 'us-east-1';
    emu = await startEmulator({ seed: 7, pendingDescribes: 1 });
    for (const name of ['gpt-linux.img', 'mbr-boot.img']) {
      const src = await RawFileSource.open(join(img.dir, name));
      local.set(
        name,
        await scanBlockSource(src, { resource: { type: 'image', id: name }, packages: ['os'] }),
      );
      await src.close();
    }
  });

  afterAll(async () => {
    await emu?.close();
    process.env = saved;
  });

  it('--snapshot: same packages as the local file; each 512 KiB block fetched at most once', async () => {
    const vol = await emu.addVolume({ imagePath: join(img.dir, 'gpt-linux.img') });
    const snap = emu.addSnapshot(vol);
    emu.resetCounts();
    const [res] = await runScans({
      snapshots: [snap],
      aws: { endpoint: emu.endpoint, region: 'us-east-1' },
      packages: ['os'],
    });
    expect(res?.error).toBeUndefined();
    const inv = res!.inventory!;
    expect(inv.status.issues).toEqual([]);
    expect(inv.resource).toMatchObject({ type: 'snapshot', id: snap });
    expect(packageRows(inv)).toEqual(packageRows(local.get('gpt-linux.img')!));
    const ebs = inv.stats.ebs!;
    expect(ebs.getCalls).toBeGreaterThan(0);
    expect(ebs.getCalls).toBeLessThanOrEqual(local.get('gpt-linux.img')!.stats.distinctBlocks);
    expect(ebs.retries).toBe(0);
    // No block fetched twice within the scan (everything fits the cache).
    expect(ebs.getCalls).toBe(ebs.distinctBlocksFetched);
  });

  it('--snapshot under 10% throttling, 2% 5xx, 1% resets, 1% bad checksums: identical inventory', async () => {
    const vol = await emu.addVolume({ imagePath: join(img.dir, 'mbr-boot.img') });
    const snap = emu.addSnapshot(vol);
    emu.configure({
      faults: { throttleRate: 0.1, serverErrorRate: 0.02, resetRate: 0.01, corruptRate: 0.01 },
    });
    try {
      const [res] = await runScans({
        snapshots: [snap],
        aws: { endpoint: emu.endpoint, region: 'us-east-1' },
        packages: ['os'],
      });
      expect(res?.error).toBeUndefined();
      expect(res!.inventory!.status.issues).toEqual([]);
      expect(packageRows(res!.inventory!)).toEqual(packageRows(local.get('mbr-boot.img')!));
      expect(res!.inventory!.stats.ebs!.retries).toBeGreaterThan(0);
    } finally {
      emu.configure({ faults: {} });
    }
  });

  it('--instance: snapshots every volume tagged, scans each, names the volume, deletes the snapshots', async () => {
    const root = await emu.addVolume({ imagePath: join(img.dir, 'gpt-linux.img') });
    const data = await emu.addVolume({ imagePath: join(img.dir, 'mbr-boot.img') });
    const instanceId = emu.addInstance({
      volumes: [
        { volumeId: root, device: '/dev/xvda' },
        { volumeId: data, device: '/dev/xvdf' },
      ],
    });
    const [res] = await runScans({
      instances: [instanceId],
      aws: { endpoint: emu.endpoint, region: 'us-east-1' },
      packages: ['os'],
      snapshotWait: { pollIntervalMs: 5 },
    });
    expect(res?.error).toBeUndefined();
    const inv = res!.inventory!;
    expect(inv.resource).toMatchObject({ type: 'instance', id: instanceId });
    expect(inv.volumes.map((v) => v.source)).toEqual([`${root} (/dev/xvda)`, `${data} (/dev/xvdf)`]);
    const rootPkgs = inv.packages.filter((p) => p.locations[0]?.filesystem?.startsWith(root));
    expect(rootPkgs.length).toBe(local.get('gpt-linux.img')!.packages.length);
    expect(res!.snapshots!.created).toHaveLength(2);
    expect(res!.snapshots!.deleted.sort()).toEqual(res!.snapshots!.created.sort());
    for (const id of res!.snapshots!.created) {
      const rec = emu.snapshotsById.get(id)!;
      expect(rec.deleted).toBe(true);
      expect(rec.tags['snapscan:managed']).toBe('true');
      expect(rec.tags['snapscan:expires-at']).toMatch(/^\d{4}-\d\d-\d\dT/);
    }
  });

  it('--instance with a permanently failing block: clear error, snapshots still deleted', async () => {
    const vol = await emu.addVolume({ imagePath: join(img.dir, 'mbr-boot.img') });
    const instanceId = emu.addInstance({ volumes: [{ volumeId: vol, device: '/dev/xvda' }] });
    emu.configure({ faults: { failBlocks: [0, 1, 2, 3] } });
    try {
      const [res] = await runScans({
        instances: [instanceId],
        aws: { endpoint: emu.endpoint, region: 'us-east-1' },
        packages: ['os'],
        snapshotWait: { pollIntervalMs: 5 },
      });
      const failed =
        res?.error ??
        (res?.inventory?.status.state === 'failed' ? res.inventory.status.issues[0] : undefined);
      expect(failed).toBeDefined();
      expect(JSON.stringify(res?.error?.message ?? res?.inventory?.status)).toMatch(
        /InternalServer|block|5\d\d/i,
      );
      expect(res!.snapshots!.created).toHaveLength(1);
      expect(emu.snapshotsById.get(res!.snapshots!.created[0]!)!.deleted).toBe(true);
    } finally {
      emu.configure({ faults: {} });
    }
  });

  it('SIGKILL of `snapscan scan --instance` mid-wait leaves tagged snapshots; `snapscan janitor` removes them, not untagged ones', async () => {
    const vol = await emu.addVolume({ imagePath: join(img.dir, 'mbr-boot.img') });
    const instanceId = emu.addInstance({ volumes: [{ volumeId: vol, device: '/dev/xvda' }] });
    const untagged = emu.addSnapshot(vol);
    // New snapshots stay pending: the CLI is still waiting for them when it is killed.
    emu.configure({ pendingDescribes: 1_000_000 });
    try {
      const child = spawn(
        process.execPath,
        [
          join(REPO_ROOT, 'bin/snapscan.js'),
          'scan',
          '--instance',
          instanceId,
          '--endpoint',
          emu.endpoint,
          '--format',
          'inventory',
          '-q',
        ],
        { env: { ...process.env, ...EMULATOR_ENV }, stdio: 'ignore' },
      );
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        child.on('close', (_c, sig) => resolve(sig)),
      );
      const mine = () => emu.snapshots().filter((s) => s.volumeId === vol && s.snapshotId !== untagged);
      for (let i = 0; i < 600 && mine().length === 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(mine()).toHaveLength(1);
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      const [left] = mine();
      expect(left!.deleted).toBe(false);
      expect(left!.tags['snapscan:managed']).toBe('true');
      // The janitor deletes snapscan's snapshots once their expiry has passed, and nothing else.
      const later = new Date(Date.parse(left!.tags['snapscan:expires-at']!) + 60_000).toISOString();
      const out = await runCli(['janitor', '--endpoint', emu.endpoint, '--now', later]);
      expect(out.code).toBe(0);
      expect(emu.snapshotsById.get(left!.snapshotId)!.deleted).toBe(true);
      expect(emu.snapshotsById.get(untagged)!.deleted).toBe(false);
    } finally {
      emu.configure({ pendingDescribes: 1 });
    }
  });
});
