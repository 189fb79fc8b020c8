import { DescribeInstancesCommand, DescribeSnapshotsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import {
  ListInventoryEntriesCommand,
  paginateDescribeInstanceInformation,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanBlockSource } from '../../engine/pipeline.js';
import { RawFileSource } from '../../readers/block/raw-file/index.js';
import { ec2For, ssmFor } from './clients.js';
import { buildFleet, DEFAULT_FLEET_MIX, type Fleet, fleetImages } from './fleet.js';
import { type Emulator, startEmulator } from './index.js';

describe('test/emulator/fleet', () => {
  let emu: Emulator;
  let fleet: Fleet;
  let ec2: EC2Client;
  let ssm: SSMClient;
  const now = new Date();

  beforeAll(async () => {
    emu = await startEmulator();
    fleet = await buildFleet(emu, { now });
    ec2 = ec2For(emu.endpoint, 1);
    ssm = ssmFor(emu.endpoint, 1);
    for (const [id, why] of Object.entries(fleet.images.skipped))
      console.warn(`fleet: ${id} skipped: ${why}`);
  });
  afterAll(async () => {
    ec2?.destroy();
    ssm?.destroy();
    await emu?.close();
  });

  it('declares 50 instances over shared image files; EC2 shows their states and exclusion tags', async () => {
    expect(fleet.instances).toHaveLength(Object.values(DEFAULT_FLEET_MIX).reduce((a, b) => a + b, 0));
    expect(fleet.instances).toHaveLength(50);
    expect(new Set(fleet.instances.map((i) => i.image.path)).size).toBe(fleet.images.images.length);
    const out = await ec2.send(new DescribeInstancesCommand({}));
    const all = out.Reservations!.flatMap((r) => r.Instances!);
    expect(all).toHaveLength(50);
    const state = (role: string) =>
      all.filter((i) => fleet.get(i.InstanceId!).role === role).map((i) => i.State!.Name);
    expect(state('stopped')).toEqual(['stopped', 'stopped', 'stopped']);
    expect(state('terminated')).toEqual(['terminated', 'terminated', 'terminated']);
    const excluded = await ec2.send(
      new DescribeInstancesCommand({ Filters: [{ Name: 'tag:snapscan:exclude', Values: ['true'] }] }),
    );
    expect(excluded.Reservations?.flatMap((r) => r.Instances!.map((i) => i.InstanceId))).toEqual(
      fleet.byRole('excluded-snapscan').map((i) => i.instanceId),
    );
  });

  it('SSM: managed instances with their platform; fresh/stale/missing inventories as declared', async () => {
    const infos = [];
    for await (const p of paginateDescribeInstanceInformation({ client: ssm }, {}))
      infos.push(...p.InstanceInformationList!);
    const managed = fleet.instances.filter((i) => i.role.startsWith('ssm-'));
    expect(infos.map((i) => i.InstanceId).sort()).toEqual(managed.map((i) => i.instanceId).sort());
    for (const info of infos) {
      const inst = fleet.get(info.InstanceId!);
      expect(info.PlatformName).toBe(inst.image.platformName);
      expect(info.PingStatus).toBe(inst.role === 'ssm-connection-lost' ? 'ConnectionLost' : 'Online');
    }
    for (const inst of managed) {
      const entries: Record<string, string>[] = [];
      let token: string | undefined;
      let capture: string | undefined;
      do {
        const out = await ssm.send(
          new ListInventoryEntriesCommand({
            InstanceId: inst.instanceId,
            TypeName: 'AWS:Application',
            NextToken: token,
          }),
        );
        entries.push(...out.Entries!);
        capture = out.CaptureTime;
        token = out.NextToken;
      } while (token);
      if (inst.role === 'ssm-no-inventory') {
        expect(entries).toEqual([]);
        continue;
      }
      expect(entries).toHaveLength(inst.image.packages.length);
      const ageH = (now.getTime() - Date.parse(capture!)) / 3_600_000;
      expect(Math.round(ageH)).toBe(inst.role === 'ssm-stale' ? 72 : 1);
    }
  });

  it('backup roles carry a completed, untagged-by-snapscan snapshot of their root volume, 2 h or 3 days old', async () => {
    for (const inst of [...fleet.byRole('backup-recent'), ...fleet.byRole('backup-old')]) {
      const out = await ec2.send(
        new DescribeSnapshotsCommand({
          OwnerIds: ['self'],
          Filters: [
            { Name: 'volume-id', Values: [inst.volumeId] },
            { Name: 'status', Values: ['completed'] },
          ],
        }),
      );
      expect(out.Snapshots?.map((s) => s.SnapshotId)).toEqual([inst.backupSnapshotId]);
      const s = out.Snapshots![0]!;
      expect(s.Tags?.some((t) => t.Key?.startsWith('snapscan:'))).toBe(false);
      const ageH = (now.getTime() - s.StartTime!.getTime()) / 3_600_000;
      expect(Math.round(ageH)).toBe(inst.role === 'backup-recent' ? 2 : 72);
    }
  });

  it('each image: the package list its inventories are built from is what snapscan reads from the disk', async () => {
    const { images } = await fleetImages();
    expect(images.length).toBeGreaterThan(0);
    for (const image of images) {
      const src = await RawFileSource.open(image.path);
      try {
        const inv = await scanBlockSource(src, {
          resource: { type: 'image', id: image.id },
          packages: ['os'],
        });
        const disk = inv.packages.map((p) => `${p.name} ${p.version} ${p.arch ?? ''}`).sort();
        const listed = image.packages
          .map((p) => {
            const epoch = p.epoch !== undefined && image.manager === 'rpm' ? `${p.epoch}:` : '';
            const version = image.manager === 'rpm' ? `${epoch}${p.version}-${p.release}` : p.version;
            return `${p.name} ${version} ${p.arch}`;
          })
          .sort();
        expect(disk, image.id).toEqual(listed);
      } finally {
        await src.close();
      }
    }
  });
});
