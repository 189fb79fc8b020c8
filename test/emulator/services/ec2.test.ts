import { ListSnapshotBlocksCommand } from '@aws-sdk/client-ebs';
import {
  CreateSnapshotsCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  type EC2Client,
  paginateDescribeInstances,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEbsClient } from '../../../readers/block/ebs/index.js';
import { ec2For } from '../clients.js';
import { EMULATOR_CREDENTIALS, type Emulator, startEmulator } from '../index.js';
import { buildTestImage } from '../test-image.js';

describe('test/emulator/services/ec2', () => {
  let emu: Emulator;
  let ec2: EC2Client;
  const ids: Record<string, string> = {};
  const vols: Record<string, string> = {};

  beforeAll(async () => {
    const image = buildTestImage();
    emu = await startEmulator();
    // One image file backs every volume: volumes share it, the emulator opens it once.
    for (const [name, state] of [
      ['web', 'running'],
      ['db', 'running'],
      ['batch', 'stopped'],
      ['old', 'terminated'],
      ['new', 'pending'],
      ['x1', 'running'],
      ['x2', 'running'],
    ] as const) {
      vols[name] = await emu.addVolume({ imagePath: image, kmsDenied: name === 'db' });
      ids[name] = emu.addInstance({
        volumes: [{ volumeId: vols[name]!, device: '/dev/xvda' }],
        state,
        tags: { Name: name, ...(name === 'x1' ? { 'snapscan:exclude': 'true' } : {}) },
      });
    }
    ec2 = ec2For(emu.endpoint, 1);
  });
  afterAll(async () => {
    ec2?.destroy();
    await emu?.close();
  });

  it.each([
    { filter: 'instance-state-name', values: ['running'], names: ['web', 'db', 'x1', 'x2'] },
    { filter: 'instance-state-name', values: ['stopped', 'terminated'], names: ['batch', 'old'] },
    { filter: 'instance-state-code', values: ['80'], names: ['batch'] },
    { filter: 'tag:snapscan:exclude', values: ['true'], names: ['x1'] },
    { filter: 'tag:Name', values: ['x*'], names: ['x1', 'x2'] },
    { filter: 'tag-key', values: ['snapscan:exclude'], names: ['x1'] },
  ])('DescribeInstances filter $filter=$values', async ({ filter, values, names }) => {
    const out = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: filter, Values: values }] }));
    const got = out.Reservations?.flatMap((r) => r.Instances ?? []) ?? [];
    expect(got.map((i) => i.Tags?.find((t) => t.Key === 'Name')?.Value)).toEqual(names);
  });

  it('DescribeInstances: states with their codes, paged by MaxResults, terminated without volumes', async () => {
    const seen: { id: string; state: string; code: number; devices: number }[] = [];
    for await (const page of paginateDescribeInstances({ client: ec2, pageSize: 5 }, {})) {
      for (const i of page.Reservations?.flatMap((r) => r.Instances ?? []) ?? []) {
        seen.push({
          id: i.InstanceId!,
          state: i.State!.Name!,
          code: i.State!.Code!,
          devices: i.BlockDeviceMappings?.length ?? 0,
        });
      }
    }
    expect(seen).toHaveLength(7);
    expect(seen.find((s) => s.id === ids.batch)).toMatchObject({ state: 'stopped', code: 80, devices: 1 });
    expect(seen.find((s) => s.id === ids.old)).toMatchObject({ state: 'terminated', code: 48, devices: 0 });
    expect(emu.counts.DescribeInstances).toBeGreaterThanOrEqual(2);
    const bad = await ec2.send(new DescribeInstancesCommand({ MaxResults: 2 })).catch((e) => e);
    expect(bad.name).toBe('InvalidParameterValue');
  });

  it('an instance removed mid-scan answers InvalidInstanceID.NotFound; a terminated one cannot be snapshotted', async () => {
    const gone = emu.addInstance({ volumes: [{ volumeId: vols.web!, device: '/dev/xvda' }] });
    const off = emu.onRequest((action, n) => {
      if (action === 'DescribeInstances' && n >= 1) emu.removeInstance(gone);
    });
    const err = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [gone] })).catch((e) => e);
    off();
    expect(err.name).toBe('InvalidInstanceID.NotFound');
    const created = await ec2
      .send(new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: gone } }))
      .catch((e) => e);
    expect(created.name).toBe('InvalidInstanceID.NotFound');
    const term = await ec2
      .send(new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: ids.old } }))
      .catch((e) => e);
    expect(term.name).toBe('IncorrectState');
  });

  it('backup snapshots: found by volume-id, status, owner-id, start-time and their own tags; never snapscan-tagged', async () => {
    const recent = emu.addBackupSnapshot(vols.web!, { ageMs: 2 * 3600_000 });
    const old = emu.addBackupSnapshot(vols.web!, { tool: 'dlm', ageMs: 3 * 86400_000 });
    const pending = emu.addBackupSnapshot(vols.web!, { state: 'pending' });
    emu.addBackupSnapshot(vols.x2!);
    const out = await ec2.send(
      new DescribeSnapshotsCommand({
        OwnerIds: ['self'],
        Filters: [
          { Name: 'volume-id', Values: [vols.web!] },
          { Name: 'status', Values: ['completed'] },
          { Name: 'owner-id', Values: [emu.options.accountId] },
        ],
      }),
    );
    const got = out.Snapshots ?? [];
    expect(got.map((s) => s.SnapshotId).sort()).toEqual([recent, old].sort());
    expect(got.map((s) => s.SnapshotId)).not.toContain(pending);
    const r = got.find((s) => s.SnapshotId === recent)!;
    expect(Date.now() - r.StartTime!.getTime()).toBeGreaterThan(2 * 3600_000 - 60_000);
    expect(r.Tags?.map((t) => t.Key)).toEqual(['aws:backup:source-resource']);
    expect(r.Description).toContain('AWS Backup');
    const dlm = await ec2.send(
      new DescribeSnapshotsCommand({ Filters: [{ Name: 'tag-key', Values: ['aws:dlm:*'] }] }),
    );
    expect(dlm.Snapshots?.map((s) => s.SnapshotId)).toEqual([old]);
    const day = r.StartTime!.toISOString().slice(0, 10);
    const byDay = await ec2.send(
      new DescribeSnapshotsCommand({ Filters: [{ Name: 'start-time', Values: [`${day}*`] }] }),
    );
    expect(byDay.Snapshots?.map((s) => s.SnapshotId)).toContain(recent);
    const unknown = await ec2
      .send(new DescribeSnapshotsCommand({ Filters: [{ Name: 'no-such-filter', Values: ['x'] }] }))
      .catch((e) => e);
    expect(unknown.name).toBe('InvalidParameterValue');
  });

  it('a KMS-denied volume: encrypted with a key id; EBS direct answers AccessDeniedException (DEPENDENCY_ACCESS_DENIED)', async () => {
    const v = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [vols.db!] }));
    expect(v.Volumes?.[0]).toMatchObject({ Encrypted: true });
    expect(v.Volumes?.[0]?.KmsKeyId).toMatch(/^arn:aws:kms:us-east-1:123456789012:key\//);
    const snap = emu.addSnapshot(vols.db!);
    const ebs = createEbsClient({
      endpoint: emu.endpoint,
      region: 'us-east-1',
      credentials: EMULATOR_CREDENTIALS,
    });
    const err = await ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: snap })).catch((e) => e);
    ebs.destroy();
    expect(err.name).toBe('AccessDeniedException');
    expect(err.Reason).toBe('DEPENDENCY_ACCESS_DENIED');
    expect(err.$metadata.httpStatusCode).toBe(403);
  });
});
