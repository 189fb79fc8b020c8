/**
 * The expected IAM statements, written out literally (not derived from lib/permissions.ts) so a
 * change to a permission fails a test until this file is changed with it.
 */
import type { Stmt } from './helpers.js';

const snap = 'arn:<AWS::Partition>:ec2:<AWS::Region>::snapshot/*';
const inst = 'arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:instance/*';
const vol = 'arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:volume/*';
const key = 'arn:<AWS::Partition>:kms:<AWS::Region>:*:key/*';
const via = ['ec2.<AWS::Region>.amazonaws.com', 'ebs.<AWS::Region>.amazonaws.com'];

export const DESCRIBE: Stmt = {
  Sid: 'Ec2DescribeReads',
  Effect: 'Allow',
  Action: ['ec2:DescribeInstances', 'ec2:DescribeSnapshots', 'ec2:DescribeVolumes'],
  Resource: '*',
};
export const DELETE_MANAGED: Stmt = {
  Sid: 'DeleteOnlySnapscanSnapshots',
  Effect: 'Allow',
  Action: 'ec2:DeleteSnapshot',
  Resource: snap,
  Condition: { StringEquals: { 'aws:ResourceTag/snapscan:managed': 'true' } },
};
export const SSM: Stmt[] = [
  {
    Sid: 'SsmDescribeInstanceInformation',
    Effect: 'Allow',
    Action: 'ssm:DescribeInstanceInformation',
    Resource: '*',
  },
  {
    Sid: 'SsmListInventoryEntries',
    Effect: 'Allow',
    Action: 'ssm:ListInventoryEntries',
    Resource: [inst, 'arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:managed-instance/*'],
  },
];
export const SCAN: Stmt[] = [
  {
    Sid: 'EbsDirectRead',
    Effect: 'Allow',
    Action: ['ebs:ListSnapshotBlocks', 'ebs:GetSnapshotBlock'],
    Resource: snap,
  },
  DESCRIBE,
  {
    Sid: 'CreateSnapshotsFromOwnVolumes',
    Effect: 'Allow',
    Action: ['ec2:CreateSnapshots', 'ec2:CreateSnapshot'],
    Resource: [inst, vol],
  },
  {
    Sid: 'CreateSnapshotsOnlyTagged',
    Effect: 'Allow',
    Action: ['ec2:CreateSnapshots', 'ec2:CreateSnapshot'],
    Resource: snap,
    Condition: {
      StringEquals: { 'aws:RequestTag/snapscan:managed': 'true' },
      Null: { 'aws:RequestTag/snapscan:expires-at': 'false' },
    },
  },
  {
    Sid: 'TagOnlyAtSnapshotCreation',
    Effect: 'Allow',
    Action: 'ec2:CreateTags',
    Resource: snap,
    Condition: {
      StringEquals: {
        'ec2:CreateAction': ['CreateSnapshots', 'CreateSnapshot'],
        'aws:RequestTag/snapscan:managed': 'true',
      },
    },
  },
  DELETE_MANAGED,
  {
    Sid: 'KmsDecryptViaEbs',
    Effect: 'Allow',
    Action: 'kms:Decrypt',
    Resource: key,
    Condition: { StringEquals: { 'kms:ViaService': via } },
  },
  {
    Sid: 'KmsGrantForEbsOnly',
    Effect: 'Allow',
    Action: 'kms:CreateGrant',
    Resource: key,
    Condition: { StringEquals: { 'kms:ViaService': via }, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
  },
];

export function exportStmts(bucketId: string, prefix: string, keyArn?: string): Stmt[] {
  const out: Stmt[] = [
    {
      Sid: 'ExportObjects',
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      Resource: `<${bucketId}.Arn>/${prefix}*`,
    },
    {
      Sid: 'ExportList',
      Effect: 'Allow',
      Action: 's3:ListBucket',
      Resource: `<${bucketId}.Arn>`,
      Condition: { StringLike: { 's3:prefix': [`${prefix}*`] } },
    },
  ];
  if (keyArn)
    out.push({
      Sid: 'ExportKeyViaS3',
      Effect: 'Allow',
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Resource: keyArn,
      Condition: { StringEquals: { 'kms:ViaService': 's3.<AWS::Region>.amazonaws.com' } },
    });
  return out;
}

export const ASSUME_MEMBER: Stmt = {
  Sid: 'AssumeMemberRole',
  Effect: 'Allow',
  Action: 'sts:AssumeRole',
  Resource: 'arn:<AWS::Partition>:iam::*:role/<MemberRoleName>',
};

export const LIST_ACCOUNTS: Stmt = {
  Sid: 'OrganizationsListAccounts',
  Effect: 'Allow',
  Action: 'organizations:ListAccounts',
  Resource: '*',
};
