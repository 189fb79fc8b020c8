/**
 * The emulator's accounts: EC2, EBS direct and SSM state partitioned by the caller's account, derived
 * from the SigV4 access key id (an STS AssumeRole session's account, else the default account), and
 * sessions refused with ExpiredToken once expired. Real SDK clients over HTTP.
 */
import { GetSnapshotBlockCommand, ListSnapshotBlocksCommand } from '@aws-sdk/client-ebs';
import {
  CreateSnapshotsCommand,
  DeleteSnapshotCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { DescribeInstanceInformationCommand, ListInventoryEntriesCommand } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEc2Client, createSsmClient, createStsClient } from '../../engine/aws/clients.js';
import { createEbsClient } from '../../readers/block/ebs/index.js';
import { ec2For, ssmFor, stsFor } from './clients.js';
import { EMULATOR_CREDENTIALS, type Emulator, startEmulator } from './index.js';
import { buildTestImage } from './test-image.js';

const CENTRAL = '123456789012';
const MEMBER = '222222222222';

describe('test/emulator/server (accounts)', () => {
  let emu: Emulator;
  let central: EC2Client;
  let memberCreds: AwsCredentialIdentity;
  let member: EC2Client;
  let centralInstance: string;
  let memberInstance: string;

  beforeAll(async () => {
    const image = buildTestImage();
    emu = await startEmulator({ accountId: CENTRAL });
    const v1 = await emu.addVolume({ imagePath: image });
    centralInstance = emu.addInstance({ volumes: [{ volumeId: v1, device: '/dev/xvda' }] });
    const v2 = await emu.addVolume({ imagePath: image, accountId: MEMBER });
    memberInstance = emu.addInstance({ volumes: [{ volumeId: v2, device: '/dev/xvda' }] });
    emu.services.ssm.manage(memberInstance, { platformName: 'Debian GNU/Linux', platformVersion: '12' });
    emu.services.ssm.setInventory(memberInstance, { captureTime: new Date(), entries: [{ Name: 'bash' }] });
    const roleArn = emu.services.sts.addRole(MEMBER, 'snapscan-member', { externalId: 'x' });
    const sts = stsFor(emu.endpoint);
    const r = await sts.send(
      new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'snapscan', ExternalId: 'x' }),
    );
    sts.destroy();
    memberCreds = {
      accessKeyId: r.Credentials!.AccessKeyId!,
      secretAccessKey: r.Credentials!.SecretAccessKey!,
      sessionToken: r.Credentials!.SessionToken!,
    };
    central = ec2For(emu.endpoint, 1);
    member = createEc2Client({
      endpoint: emu.endpoint,
      region: 'us-east-1',
      credentials: memberCreds,
      maxAttempts: 1,
    });
  });
  afterAll(async () => {
    central?.destroy();
    member?.destroy();
    await emu?.close();
  });

  const instanceIds = async (ec2: EC2Client) =>
    ((await ec2.send(new DescribeInstancesCommand({}))).Reservations ?? []).flatMap((r) =>
      (r.Instances ?? []).map((i) => `${r.OwnerId}/${i.InstanceId}`),
    );

  it('each account sees only its own instances; naming another account’s is NotFound', async () => {
    expect(await instanceIds(central)).toEqual([`${CENTRAL}/${centralInstance}`]);
    expect(await instanceIds(member)).toEqual([`${MEMBER}/${memberInstance}`]);
    await expect(
      central.send(new DescribeInstancesCommand({ InstanceIds: [memberInstance] })),
    ).rejects.toMatchObject({ name: 'InvalidInstanceID.NotFound' });
  });

  it('a snapshot is created in the caller’s account, read and deleted only with its credentials', async () => {
    await expect(
      central.send(new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: memberInstance } })),
    ).rejects.toMatchObject({ name: 'InvalidInstanceID.NotFound' });
    const made = await member.send(
      new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: memberInstance } }),
    );
    const snapshotId = made.Snapshots![0]!.SnapshotId!;
    expect(made.Snapshots![0]!.OwnerId).toBe(MEMBER);
    expect(emu.snapshots(MEMBER).map((s) => s.snapshotId)).toEqual([snapshotId]);
    expect(emu.snapshots(CENTRAL)).toEqual([]);
    const self = async (ec2: EC2Client) =>
      ((await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }))).Snapshots ?? []).map(
        (s) => s.SnapshotId,
      );
    expect(await self(member)).toEqual([snapshotId]);
    expect(await self(central)).toEqual([]);

    const ebsCentral = createEbsClient({
      endpoint: emu.endpoint,
      region: 'us-east-1',
      credentials: EMULATOR_CREDENTIALS,
    });
    const ebsMember = createEbsClient({
      endpoint: emu.endpoint,
      region: 'us-east-1',
      credentials: memberCreds,
    });
    try {
      await expect(
        ebsCentral.send(new ListSnapshotBlocksCommand({ SnapshotId: snapshotId })),
      ).rejects.toMatchObject({ name: 'AccessDeniedException', Reason: 'UNAUTHORIZED_ACCOUNT' });
      const blocks = await ebsMember.send(new ListSnapshotBlocksCommand({ SnapshotId: snapshotId }));
      const b = blocks.Blocks![0]!;
      const block = await ebsMember.send(
        new GetSnapshotBlockCommand({
          SnapshotId: snapshotId,
          BlockIndex: b.BlockIndex!,
          BlockToken: b.BlockToken!,
        }),
      );
      expect(block.DataLength).toBe(512 * 1024);
      await block.BlockData?.transformToByteArray();
      // A valid block token does not let another account read the block either.
      await expect(
        ebsCentral.send(
          new GetSnapshotBlockCommand({
            SnapshotId: snapshotId,
            BlockIndex: b.BlockIndex!,
            BlockToken: b.BlockToken!,
          }),
        ),
      ).rejects.toMatchObject({ name: 'AccessDeniedException' });
    } finally {
      ebsCentral.destroy();
      ebsMember.destroy();
    }

    await expect(central.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }))).rejects.toMatchObject({
      name: 'InvalidSnapshot.NotFound',
    });
    await member.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }));
    expect(emu.snapshots(MEMBER)).toEqual([]);
  });

  it('SSM shows an agent and its inventory to its own account only', async () => {
    const ssmCentral = ssmFor(emu.endpoint, 1);
    const ssmMember = createSsmClient({
      endpoint: emu.endpoint,
      region: 'us-east-1',
      credentials: memberCreds,
      maxAttempts: 1,
    });
    try {
      const ids = async (c: typeof ssmCentral) =>
        ((await c.send(new DescribeInstanceInformationCommand({}))).InstanceInformationList ?? []).map(
          (i) => i.InstanceId,
        );
      expect(await ids(ssmCentral)).toEqual([]);
      expect(await ids(ssmMember)).toEqual([memberInstance]);
      const inv = { InstanceId: memberInstance, TypeName: 'AWS:Application' };
      await expect(ssmCentral.send(new ListInventoryEntriesCommand(inv))).rejects.toMatchObject({
        name: 'InvalidInstanceId',
      });
      expect((await ssmMember.send(new ListInventoryEntriesCommand(inv))).Entries).toEqual([
        { Name: 'bash' },
      ]);
    } finally {
      ssmCentral.destroy();
      ssmMember.destroy();
    }
  });

  it('a session past its expiration is refused with ExpiredToken', async () => {
    emu.services.sts.sessionLifetimeMs = 50;
    try {
      const sts = stsFor(emu.endpoint);
      const r = await sts.send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${MEMBER}:role/snapscan-member`,
          RoleSessionName: 'short',
          ExternalId: 'x',
        }),
      );
      sts.destroy();
      expect(r.Credentials!.Expiration!.getTime()).toBeLessThanOrEqual(Date.now() + 50);
      await new Promise((resolve) => setTimeout(resolve, 80));
      const expired = createStsClient({
        endpoint: emu.endpoint,
        region: 'us-east-1',
        credentials: {
          accessKeyId: r.Credentials!.AccessKeyId!,
          secretAccessKey: r.Credentials!.SecretAccessKey!,
          sessionToken: r.Credentials!.SessionToken!,
        },
        maxAttempts: 1,
      });
      try {
        await expect(expired.send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({
          name: 'ExpiredToken',
          $metadata: { httpStatusCode: 400 },
        });
      } finally {
        expired.destroy();
      }
    } finally {
      emu.services.sts.sessionLifetimeMs = undefined;
    }
  });
});
