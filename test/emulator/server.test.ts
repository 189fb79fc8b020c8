import { spawn } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { ListChangedBlocksCommand, ListSnapshotBlocksCommand } from '@aws-sdk/client-ebs';
import {
  CreateSnapshotCommand,
  CreateTagsCommand,
  DeleteSnapshotCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEbsClient, openSnapshotSource } from '../../readers/block/ebs/index.js';
import { EBS_TEST_OPTIONS, ec2For, stsFor } from './clients.js';
import { EMULATOR_BLOCK_BYTES, EMULATOR_CREDENTIALS, type Emulator, startEmulator } from './index.js';
import { EMULATOR_ENV } from './run-cli.js';
import { buildTestImage, REPO_ROOT } from './test-image.js';

describe('test/emulator', () => {
  let emu: Emulator;
  let ec2: EC2Client;
  let image: string;
  let volA: string;
  let volB: string;
  let instanceId: string;

  beforeAll(async () => {
    image = buildTestImage();
    emu = await startEmulator({ seed: 4 });
    volA = await emu.addVolume({ imagePath: image, tags: { Name: 'root' } });
    volB = await emu.addVolume({ imagePath: image, sizeGiB: 8 });
    instanceId = emu.addInstance({
      volumes: [
        { volumeId: volA, device: '/dev/xvda' },
        { volumeId: volB, device: '/dev/sdf' },
      ],
    });
    ec2 = ec2For(emu.endpoint, 1);
  });
  afterAll(async () => {
    ec2?.destroy();
    await emu?.close();
  });

  it('answers STS GetCallerIdentity', async () => {
    const sts = stsFor(emu.endpoint);
    const id = await sts.send(new GetCallerIdentityCommand({}));
    sts.destroy();
    expect(id.Account).toBe('123456789012');
    expect(id.Arn).toContain('arn:aws:iam::123456789012:');
  });

  it('answers DescribeInstances and DescribeVolumes in the shapes the SDK parses', async () => {
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    const inst = out.Reservations?.[0]?.Instances?.[0];
    expect(inst?.InstanceId).toBe(instanceId);
    expect(inst?.RootDeviceName).toBe('/dev/xvda');
    expect(inst?.BlockDeviceMappings?.map((m) => [m.DeviceName, m.Ebs?.VolumeId])).toEqual([
      ['/dev/xvda', volA],
      ['/dev/sdf', volB],
    ]);
    const vols = await ec2.send(
      new DescribeVolumesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [instanceId] }] }),
    );
    expect(vols.Volumes?.map((v) => [v.VolumeId, v.Size, v.Attachments?.[0]?.Device, v.State])).toEqual([
      [volA, 1, '/dev/xvda', 'in-use'],
      [volB, 8, '/dev/sdf', 'in-use'],
    ]);
    expect(vols.Volumes?.[0]?.Tags).toEqual([{ Key: 'Name', Value: 'root' }]);
  });

  it('creates, tags, filters, pages and deletes snapshots', async () => {
    const created = await ec2.send(
      new CreateSnapshotCommand({
        VolumeId: volA,
        Description: 'manual',
        TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: 'team', Value: 'a' }] }],
      }),
    );
    expect(created.State).toBe('completed');
    expect(created.Tags).toEqual([{ Key: 'team', Value: 'a' }]);
    const id = created.SnapshotId!;
    await ec2.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: 'stage', Value: 'x' }] }));
    const byKey = await ec2.send(
      new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'tag-key', Values: ['stage'] }] }),
    );
    expect(byKey.Snapshots?.map((s) => s.SnapshotId)).toEqual([id]);
    const byValue = await ec2.send(
      new DescribeSnapshotsCommand({ Filters: [{ Name: 'tag:team', Values: ['b'] }] }),
    );
    expect(byValue.Snapshots).toEqual([]);
    for (let i = 0; i < 4; i++) await ec2.send(new CreateSnapshotCommand({ VolumeId: volB }));
    const seen: string[] = [];
    let token: string | undefined;
    for (let page = 0; page < 10; page++) {
      const out = await ec2.send(new DescribeSnapshotsCommand({ MaxResults: 2, NextToken: token }));
      seen.push(...(out.Snapshots ?? []).map((s) => s.SnapshotId!));
      token = out.NextToken;
      if (!token) break;
    }
    expect(seen).toHaveLength(5);
    await ec2.send(new DeleteSnapshotCommand({ SnapshotId: id }));
    const err = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [id] })).catch((e) => e);
    expect(err.name).toBe('InvalidSnapshot.NotFound');
  });

  it('lists changed blocks between two snapshots', async () => {
    const written = await emu.images.written(image);
    const hit = written[2]!;
    const changed = path.join(path.dirname(image), `changed-copy-${path.basename(image)}`);
    if (!existsSync(changed)) {
      copyFileSync(image, `${changed}.tmp`);
      const fd = openSync(`${changed}.tmp`, 'r+');
      writeSync(fd, Buffer.from('changed'), 0, 7, hit * EMULATOR_BLOCK_BYTES + 5);
      writeSync(fd, Buffer.from('new'), 0, 3, 100 * EMULATOR_BLOCK_BYTES); // a new block 100
      closeSync(fd);
      copyFileSync(`${changed}.tmp`, changed);
    }
    const first = emu.addSnapshot(volA);
    const second = emu.addSnapshot(await emu.addVolume({ imagePath: changed }));
    const ebs = createEbsClient({
      endpoint: emu.endpoint,
      region: 'us-east-1',
      credentials: EMULATOR_CREDENTIALS,
    });
    const out = await ebs.send(
      new ListChangedBlocksCommand({ FirstSnapshotId: first, SecondSnapshotId: second }),
    );
    ebs.destroy();
    expect(written).not.toContain(100);
    expect(out.ChangedBlocks?.map((b) => b.BlockIndex)).toEqual([hit, 100]);
    expect(out.ChangedBlocks?.[0]?.FirstBlockToken).toBeTruthy();
    expect(out.ChangedBlocks?.[1]?.FirstBlockToken).toBeUndefined();
    expect(out.BlockSize).toBe(EMULATOR_BLOCK_BYTES);
  });

  it.each([
    { service: 'EBS', names: ['RequestThrottledException', 'ThrottlingException'], statuses: [400, 429] },
    { service: 'EC2', names: ['RequestLimitExceeded'], statuses: [503] },
  ])('throttles $service with the AWS error shapes', async ({ service, names, statuses }) => {
    emu.configure({ faults: { throttleRate: 1, actions: ['ListSnapshotBlocks', 'DescribeVolumes'] } });
    const ebs = createEbsClient({
      endpoint: emu.endpoint,
      region: 'us-east-1',
      credentials: EMULATOR_CREDENTIALS,
    });
    const snap = emu.addSnapshot(volA);
    const seen = new Set<string>();
    const codes = new Set<number>();
    for (let i = 0; i < 8; i++) {
      const err =
        service === 'EBS'
          ? await ebs
              .send(new ListSnapshotBlocksCommand({ SnapshotId: snap, StartingBlockIndex: i }))
              .catch((e) => e)
          : await ec2.send(new DescribeVolumesCommand({})).catch((e) => e);
      seen.add(err.name);
      codes.add(err.$metadata?.httpStatusCode);
    }
    emu.configure({ faults: {} });
    ebs.destroy();
    expect([...seen].sort()).toEqual([...names].sort());
    expect([...codes].sort()).toEqual(statuses);
  });

  it('injects the same faults for the same seed, whatever the concurrency', async () => {
    const snap = emu.addSnapshot(volA);
    const faults = { throttleRate: 0.2, serverErrorRate: 0.05, corruptRate: 0.05 };
    const runs: Record<string, number>[] = [];
    for (const concurrency of [1, 32]) {
      emu.configure({ seed: 77, faults });
      emu.resetCounts();
      const src = await openSnapshotSource({
        snapshotId: snap,
        endpoint: emu.endpoint,
        ...EBS_TEST_OPTIONS,
        concurrency,
      });
      await src.read(0n, 70 * 1024 * 1024);
      src.close();
      runs.push({ ...emu.injected, ...emu.counts });
    }
    emu.configure({ faults: {} });
    expect(runs[0]).toEqual(runs[1]);
    expect(runs[0]!.throttle).toBeGreaterThan(0);
  });

  it('counts every request by action', async () => {
    emu.resetCounts();
    await ec2.send(new DescribeVolumesCommand({}));
    await ec2.send(new DescribeVolumesCommand({}));
    await ec2.send(new DescribeSnapshotsCommand({}));
    expect(emu.counts).toEqual({ DescribeVolumes: 2, DescribeSnapshots: 1 });
  });

  it('`snapscan emulator --image` prints the endpoint and ids, serves them, and stops on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [path.join(REPO_ROOT, 'bin/snapscan.js'), 'emulator', '--image', image, '--json'],
      {
        env: { ...process.env, ...EMULATOR_ENV },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const info = await new Promise<{
      endpoint: string;
      instanceId: string;
      volumes: { snapshotId: string; blocks: number }[];
    }>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error('emulator did not start')), 60_000);
      child.stdout.on('data', (d) => {
        out += d;
        const nl = out.indexOf('\n');
        if (nl >= 0) {
          clearTimeout(timer);
          resolve(JSON.parse(out.slice(0, nl)));
        }
      });
    });
    expect(info.instanceId).toMatch(/^i-/);
    const src = await openSnapshotSource({
      snapshotId: info.volumes[0]!.snapshotId,
      endpoint: info.endpoint,
      ...EBS_TEST_OPTIONS,
    });
    expect(src.listedBlocks()).toHaveLength(info.volumes[0]!.blocks);
    src.close();
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await closed).toBe(0);
  });
});
