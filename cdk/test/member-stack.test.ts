import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { MemberStack } from '../lib/member-stack.js';
import { allActions, flat, resourceCounts, roleStatements } from './helpers.js';
import { SCAN, SSM } from './permissions.js';

describe('cdk/lib/member-stack', () => {
  const t = Template.fromStack(new MemberStack(new App(), 'Member'));

  it('is one IAM role and nothing else (StackSet-ready: no assets, parameters only)', () => {
    expect(resourceCounts(t)).toEqual({ 'AWS::IAM::Role': 1 });
    t.hasParameter('CentralAccountId', { Type: 'String', AllowedPattern: '^\\d{12}$' });
    t.hasParameter('RoleName', { Default: 'snapscan-member' });
    t.hasParameter('ExternalId', { NoEcho: true, MinLength: 2 });
    const assets = JSON.stringify(t.toJSON());
    expect(assets).not.toMatch(/AssetParameters|cdk-hnb659fds-assets/);
  });

  it('trusts the central account only, and only with the external id', () => {
    const [role] = Object.values(t.findResources('AWS::IAM::Role'));
    expect(flat(role!.Properties.RoleName)).toBe('<RoleName>');
    expect(flat(role!.Properties.AssumeRolePolicyDocument.Statement)).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { AWS: 'arn:<AWS::Partition>:iam::<CentralAccountId>:root' },
        Condition: { StringEquals: { 'sts:ExternalId': '<ExternalId>' } },
      },
    ]);
    expect(role!.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('has the scanning statements of the central workers plus SSM inventory reads — every statement, no wildcard action', () => {
    expect(roleStatements(t, 'MemberRole')).toEqual([...SCAN, ...SSM]);
    expect(allActions(t).filter((a) => a.includes('*'))).toEqual([]);
    // Nothing that would move data out of the account: no snapshot sharing, copying or S3/SQS access.
    for (const a of allActions(t)) expect(a).not.toMatch(/ModifySnapshotAttribute|CopySnapshot|^s3:|^sqs:/);
  });
});
