/**
 * snapscan's IAM statements, one builder per duty, shared by the scanner stack (scheduler and worker
 * task roles) and the member-account role. Every action is named (no `*` action anywhere); where a
 * resource must be `*` or an ARN pattern, the reason is the one the cdk-nag suppressions repeat.
 *
 * Actions follow what the code calls (engine/aws, readers/block/ebs, engine/snapshots, scheduler):
 * - EBS direct: https://docs.aws.amazon.com/ebs/latest/userguide/ebsapi-permissions.html
 * - tag on create: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html
 * - KMS via EBS: https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
 */
import { Aws } from 'aws-cdk-lib';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';

/** The tag every snapshot snapscan creates carries at creation (engine/snapshots). */
export const MANAGED_TAG = 'snapscan:managed';
export const EXPIRES_TAG = 'snapscan:expires-at';

const snapshots = `arn:${Aws.PARTITION}:ec2:${Aws.REGION}::snapshot/*`;
const instances = `arn:${Aws.PARTITION}:ec2:${Aws.REGION}:${Aws.ACCOUNT_ID}:instance/*`;
const volumes = `arn:${Aws.PARTITION}:ec2:${Aws.REGION}:${Aws.ACCOUNT_ID}:volume/*`;
const anyKey = `arn:${Aws.PARTITION}:kms:${Aws.REGION}:*:key/*`;
const viaEbs = [`ec2.${Aws.REGION}.amazonaws.com`, `ebs.${Aws.REGION}.amazonaws.com`];

/** Discovery: Describe calls support no resource-level permissions (resource `*`). */
export function describeStatement(): PolicyStatement {
  return new PolicyStatement({
    sid: 'Ec2DescribeReads',
    effect: Effect.ALLOW,
    actions: ['ec2:DescribeInstances', 'ec2:DescribeSnapshots', 'ec2:DescribeVolumes'],
    resources: ['*'],
  });
}

/** Deleting a snapshot: only one that carries snapscan:managed=true (snapscan's own, the janitor's). */
export function deleteManagedStatement(): PolicyStatement {
  return new PolicyStatement({
    sid: 'DeleteOnlySnapscanSnapshots',
    effect: Effect.ALLOW,
    actions: ['ec2:DeleteSnapshot'],
    resources: [snapshots],
    conditions: { StringEquals: { [`aws:ResourceTag/${MANAGED_TAG}`]: 'true' } },
  });
}

/** SSM inventory reads for the hybrid mode. */
export function ssmInventoryStatements(): PolicyStatement[] {
  return [
    new PolicyStatement({
      sid: 'SsmDescribeInstanceInformation',
      effect: Effect.ALLOW,
      actions: ['ssm:DescribeInstanceInformation'],
      resources: ['*'],
    }),
    new PolicyStatement({
      sid: 'SsmListInventoryEntries',
      effect: Effect.ALLOW,
      actions: ['ssm:ListInventoryEntries'],
      resources: [instances, `arn:${Aws.PARTITION}:ssm:${Aws.REGION}:${Aws.ACCOUNT_ID}:managed-instance/*`],
    }),
  ];
}

/** Snapshot an instance's volumes (tagged at creation), read the blocks, delete afterwards. */
export function scanStatements(): PolicyStatement[] {
  return [
    new PolicyStatement({
      sid: 'EbsDirectRead',
      effect: Effect.ALLOW,
      actions: ['ebs:ListSnapshotBlocks', 'ebs:GetSnapshotBlock'],
      resources: [snapshots],
    }),
    describeStatement(),
    // CreateSnapshot(s) authorises the source instance/volume and the new snapshot separately; the
    // request tags apply to the snapshot, so the tag condition sits on the snapshot resource.
    new PolicyStatement({
      sid: 'CreateSnapshotsFromOwnVolumes',
      effect: Effect.ALLOW,
      actions: ['ec2:CreateSnapshots', 'ec2:CreateSnapshot'],
      resources: [instances, volumes],
    }),
    new PolicyStatement({
      sid: 'CreateSnapshotsOnlyTagged',
      effect: Effect.ALLOW,
      actions: ['ec2:CreateSnapshots', 'ec2:CreateSnapshot'],
      resources: [snapshots],
      conditions: {
        StringEquals: { [`aws:RequestTag/${MANAGED_TAG}`]: 'true' },
        Null: { [`aws:RequestTag/${EXPIRES_TAG}`]: 'false' },
      },
    }),
    new PolicyStatement({
      sid: 'TagOnlyAtSnapshotCreation',
      effect: Effect.ALLOW,
      actions: ['ec2:CreateTags'],
      resources: [snapshots],
      conditions: {
        StringEquals: {
          'ec2:CreateAction': ['CreateSnapshots', 'CreateSnapshot'],
          [`aws:RequestTag/${MANAGED_TAG}`]: 'true',
        },
      },
    }),
    deleteManagedStatement(),
    new PolicyStatement({
      sid: 'KmsDecryptViaEbs',
      effect: Effect.ALLOW,
      actions: ['kms:Decrypt'],
      resources: [anyKey],
      conditions: { StringEquals: { 'kms:ViaService': viaEbs } },
    }),
    new PolicyStatement({
      sid: 'KmsGrantForEbsOnly',
      effect: Effect.ALLOW,
      actions: ['kms:CreateGrant'],
      resources: [anyKey],
      conditions: {
        StringEquals: { 'kms:ViaService': viaEbs },
        Bool: { 'kms:GrantIsForAWSResource': 'true' },
      },
    }),
  ];
}

/** Everything a role in a scanned account needs: discovery, SSM inventory, scanning, the janitor. */
export function memberStatements(): PolicyStatement[] {
  return [...scanStatements(), ...ssmInventoryStatements()];
}

/** Reads and writes under the export prefix only (findings, SBOMs, coverage, state, manifests). */
export function exportStatements(bucketArn: string, prefix: string, keyArn?: string): PolicyStatement[] {
  const out = [
    new PolicyStatement({
      sid: 'ExportObjects',
      effect: Effect.ALLOW,
      actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      resources: [`${bucketArn}/${prefix}*`],
    }),
    new PolicyStatement({
      sid: 'ExportList',
      effect: Effect.ALLOW,
      actions: ['s3:ListBucket'],
      resources: [bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } },
    }),
  ];
  if (keyArn) {
    out.push(
      new PolicyStatement({
        sid: 'ExportKeyViaS3',
        effect: Effect.ALLOW,
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${Aws.REGION}.amazonaws.com` } },
      }),
    );
  }
  return out;
}

/** The planner's side of the queue. */
export function queueSendStatement(queueArn: string): PolicyStatement {
  return new PolicyStatement({
    sid: 'QueueSend',
    effect: Effect.ALLOW,
    actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes'],
    resources: [queueArn],
  });
}

/**
 * The planner reads the dead-letter queue: a job no worker could complete becomes a failed coverage
 * record, and its message is removed (GetQueueUrl: the planner finds it from the RedrivePolicy).
 */
export function deadLetterReadStatement(deadLetterQueueArn: string): PolicyStatement {
  return new PolicyStatement({
    sid: 'DeadLetterRead',
    effect: Effect.ALLOW,
    actions: ['sqs:GetQueueUrl', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility'],
    resources: [deadLetterQueueArn],
  });
}

/** A worker's side of the queue (visibility extended while a scan runs). */
export function queueConsumeStatement(queueArn: string): PolicyStatement {
  return new PolicyStatement({
    sid: 'QueueConsume',
    effect: Effect.ALLOW,
    actions: [
      'sqs:ReceiveMessage',
      'sqs:DeleteMessage',
      'sqs:ChangeMessageVisibility',
      'sqs:GetQueueAttributes',
    ],
    resources: [queueArn],
  });
}

/** Assume the member role (by name, in any member account; the external id is checked by its trust). */
export function assumeMemberStatement(roleName: string): PolicyStatement {
  return new PolicyStatement({
    sid: 'AssumeMemberRole',
    effect: Effect.ALLOW,
    actions: ['sts:AssumeRole'],
    resources: [`arn:${Aws.PARTITION}:iam::*:role/${roleName}`],
  });
}

/** `--organization`: the member accounts come from AWS Organizations (no resource-level permissions). */
export function listAccountsStatement(): PolicyStatement {
  return new PolicyStatement({
    sid: 'OrganizationsListAccounts',
    effect: Effect.ALLOW,
    actions: ['organizations:ListAccounts'],
    resources: ['*'],
  });
}
