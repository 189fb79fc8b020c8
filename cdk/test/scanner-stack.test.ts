import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ContainerImage } from 'aws-cdk-lib/aws-ecs';
import type { CfnBucket } from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { ScannerStack, type ScannerStackProps } from '../lib/scanner-stack.js';
import { allActions, flat, resourceCounts, roleStatements } from './helpers.js';
import {
  ASSUME_MEMBER,
  DELETE_MANAGED,
  DESCRIBE,
  exportStmts,
  LIST_ACCOUNTS,
  SCAN,
  SSM,
} from './permissions.js';

const IMAGE = 'public.ecr.aws/example/snapscan:1.0.0';

function synth(extra: Partial<ScannerStackProps> = {}) {
  const app = new App();
  const stack = new ScannerStack(app, 'Scanner', {
    image: ContainerImage.fromRegistry(IMAGE),
    scaleOut: true,
    ...extra,
  });
  const bucketId = Stack.of(stack).getLogicalId(stack.bucket.node.defaultChild as CfnBucket);
  return { stack, t: Template.fromStack(stack), bucketId };
}

describe('cdk/lib/scanner-stack (single task, the default)', () => {
  const { t, bucketId } = synth({ scaleOut: false });

  it('one scheduler service that plans and scans in process: no queue, no workers', () => {
    const counts = resourceCounts(t);
    expect(counts).toMatchObject({
      'AWS::ECS::Service': 1,
      'AWS::ECS::TaskDefinition': 1,
      'AWS::Logs::LogGroup': 2,
    });
    for (const type of [
      'AWS::SQS::Queue',
      'AWS::ApplicationAutoScaling::ScalableTarget',
      'AWS::CloudWatch::Alarm',
    ])
      expect(counts[type]).toBeUndefined();
    expect(t.findParameters('MinWorkers')).toEqual({});
    const [def] = Object.values(t.findResources('AWS::ECS::TaskDefinition'));
    expect(flat(def!.Properties.ContainerDefinitions[0].Command)).toEqual([
      'scheduler',
      '--output',
      `s3://<${bucketId}>/snapscan/`,
      '--mode',
      '<ScanMode>',
      '--interval',
      '<ScanInterval>',
      '--db-update',
      'daily',
    ]);
    console.log(
      `SnapscanScanner (single task, minimal VPC): ${Object.values(counts).reduce((a, b) => a + b, 0)} resources`,
    );
  });

  it('scheduler task role: the scanning statements plus SSM inventory and export — every statement', () => {
    expect(roleStatements(t, 'SchedulerTaskRole')).toEqual([
      ...SCAN,
      ...SSM,
      ...exportStmts(bucketId, 'snapscan/'),
    ]);
    expect(allActions(t).filter((a) => a.includes('*'))).toEqual([]);
  });
});

describe('cdk/lib/scanner-stack (scale-out)', () => {
  const { t, bucketId } = synth();

  it('has the resources of the minimal-VPC layout and no NAT gateway or internet gateway', () => {
    const counts = resourceCounts(t);
    expect(counts).toMatchObject({
      'AWS::EC2::VPC': 1,
      'AWS::EC2::Subnet': 2,
      'AWS::EC2::VPCEndpoint': 10,
      'AWS::EC2::FlowLog': 1,
      'AWS::ECS::Cluster': 1,
      'AWS::ECS::TaskDefinition': 2,
      'AWS::ECS::Service': 2,
      'AWS::SQS::Queue': 2,
      'AWS::S3::Bucket': 2,
      'AWS::Logs::LogGroup': 3,
      'AWS::ApplicationAutoScaling::ScalableTarget': 1,
      'AWS::ApplicationAutoScaling::ScalingPolicy': 2,
    });
    expect(counts['AWS::EC2::NatGateway']).toBeUndefined();
    expect(counts['AWS::EC2::InternetGateway']).toBeUndefined();
    expect(counts['AWS::Lambda::Function']).toBeUndefined();
    console.log(
      `SnapscanScanner (minimal VPC): ${Object.values(counts).reduce((a, b) => a + b, 0)} resources`,
      counts,
    );
  });

  it('has VPC endpoints for EBS, EC2, SSM, SQS, STS, KMS, Logs, ECR (API and registry) and an S3 gateway, reachable from the tasks only', () => {
    const services = Object.values(t.findResources('AWS::EC2::VPCEndpoint')).map((e) => {
      const name = flat(e.Properties.ServiceName) as string;
      return `${e.Properties.VpcEndpointType}:${name.replace('com.amazonaws.<AWS::Region>.', '')}`;
    });
    expect(services.sort()).toEqual(
      [
        'Gateway:s3',
        'Interface:ebs',
        'Interface:ec2',
        'Interface:ecr.api',
        'Interface:ecr.dkr',
        'Interface:kms',
        'Interface:logs',
        'Interface:sqs',
        'Interface:ssm',
        'Interface:sts',
      ].sort(),
    );
    const sgs = t.findResources('AWS::EC2::SecurityGroup');
    const endpointsSg = Object.entries(sgs).find(([k]) => k.startsWith('EndpointsSecurityGroup'))!;
    const tasksSg = Object.keys(sgs).find((k) => k.startsWith('TasksSecurityGroup'))!;
    t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: { 'Fn::GetAtt': [endpointsSg[0], 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [tasksSg, 'GroupId'] },
      FromPort: 443,
      ToPort: 443,
      IpProtocol: 'tcp',
    });
    // The tasks accept nothing and send HTTPS only.
    expect(sgs[tasksSg]!.Properties.SecurityGroupIngress).toBeUndefined();
    expect(sgs[tasksSg]!.Properties.SecurityGroupEgress).toEqual([
      {
        CidrIp: '0.0.0.0/0',
        Description: 'HTTPS to AWS APIs',
        FromPort: 443,
        IpProtocol: 'tcp',
        ToPort: 443,
      },
    ]);
    t.allResourcesProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: false });
  });

  it('queue and dead-letter queue: encrypted, TLS only, redrive after 3 receives', () => {
    const queues = t.findResources('AWS::SQS::Queue');
    const dlq = Object.keys(queues).find((k) => k.startsWith('DeadLetterQueue'))!;
    t.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 900,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlq, 'Arn'] }, maxReceiveCount: 3 },
    });
    t.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1209600,
    });
    for (const id of Object.keys(queues)) {
      t.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });

  it('export bucket: SSE-KMS (aws/s3 by default), public access blocked, TLS only, versioned, old runs expire, access-logged', () => {
    t.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' }, BucketKeyEnabled: true },
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: {
        Rules: [
          {
            Id: 'expire-old-runs',
            Prefix: 'snapscan/',
            Status: 'Enabled',
            ExpirationInDays: { Ref: 'ExportRetentionDays' },
            NoncurrentVersionExpiration: { NoncurrentDays: 30 },
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
          },
        ],
      },
      LoggingConfiguration: { DestinationBucketName: Match.anyValue(), LogFilePrefix: 'export-bucket/' },
    });
    t.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
    t.allResourcesProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: Match.objectLike({
        BlockPublicAcls: true,
        RestrictPublicBuckets: true,
      }),
    });
  });

  it('log groups keep 90 days by default', () => {
    t.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  it('task definitions: read-only root, writable home and /tmp volumes, health check, no environment variables, commands', () => {
    const defs = Object.values(t.findResources('AWS::ECS::TaskDefinition'));
    const commands = defs.map((d) => {
      const [c] = d.Properties.ContainerDefinitions;
      expect(c.Image).toBe(IMAGE);
      expect(c.ReadonlyRootFilesystem).toBe(true);
      expect(c.Environment).toBeUndefined();
      expect(c.HealthCheck.Command).toEqual(['CMD', 'node', '/opt/snapscan/bin/snapscan.js', 'health']);
      expect(c.MountPoints).toEqual([
        { ContainerPath: '/var/lib/snapscan', ReadOnly: false, SourceVolume: 'home' },
        { ContainerPath: '/tmp', ReadOnly: false, SourceVolume: 'tmp' },
      ]);
      expect(c.StopTimeout).toBe(30);
      expect(d.Properties.RequiresCompatibilities).toEqual(['FARGATE']);
      return flat(c.Command) as string[];
    });
    const queueId = Object.keys(t.findResources('AWS::SQS::Queue')).find((k) => k.startsWith('ScanQueue'))!;
    expect(commands.map((c) => c.slice(0, 1)[0]).sort()).toEqual(['scheduler', 'worker']);
    for (const c of commands) {
      expect(c).toEqual(
        expect.arrayContaining(['--queue', `<${queueId}>`, '--output', `s3://<${bucketId}>/snapscan/`]),
      );
      expect(c).toEqual(expect.arrayContaining(['--mode', '<ScanMode>', '--db-update', 'daily']));
    }
    expect(commands.find((c) => c[0] === 'scheduler')).toEqual(
      expect.arrayContaining(['--interval', '<ScanInterval>']),
    );
  });

  it('scheduler: one task, never two; workers scale between MinWorkers and MaxWorkers on queue depth (visible + in flight)', () => {
    const services = Object.entries(t.findResources('AWS::ECS::Service'));
    const scheduler = services.find(([k]) => k.startsWith('SchedulerService'))![1].Properties;
    expect(scheduler.DesiredCount).toBe(1);
    expect(scheduler.DeploymentConfiguration).toMatchObject({
      MaximumPercent: 100,
      MinimumHealthyPercent: 0,
    });
    expect(scheduler.LaunchType).toBe('FARGATE');
    expect(scheduler.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp).toBe('DISABLED');
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: { Ref: 'MinWorkers' },
      MaxCapacity: { Ref: 'MaxWorkers' },
      ScalableDimension: 'ecs:service:DesiredCount',
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'visible + inflight' })]),
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'visible + inflight' })]),
      ComparisonOperator: 'LessThanOrEqualToThreshold',
      Threshold: 0,
    });
    t.hasParameter('MinWorkers', { Type: 'Number', Default: 0 });
    t.hasParameter('MaxWorkers', { Type: 'Number', Default: 4 });
  });

  it('scheduler task role: discovery, SSM inventory, janitor, export, queue send, dead-letter read — every statement', () => {
    const queueId = Object.keys(t.findResources('AWS::SQS::Queue')).find((k) => k.startsWith('ScanQueue'))!;
    const dlqId = Object.keys(t.findResources('AWS::SQS::Queue')).find((k) =>
      k.startsWith('DeadLetterQueue'),
    )!;
    expect(roleStatements(t, 'SchedulerTaskRole')).toEqual([
      DESCRIBE,
      ...SSM,
      DELETE_MANAGED,
      ...exportStmts(bucketId, 'snapscan/'),
      {
        Sid: 'QueueSend',
        Effect: 'Allow',
        Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes'],
        Resource: `<${queueId}.Arn>`,
      },
      {
        Sid: 'DeadLetterRead',
        Effect: 'Allow',
        Action: ['sqs:GetQueueUrl', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility'],
        Resource: `<${dlqId}.Arn>`,
      },
    ]);
  });

  it('worker task role: snapshot with tags, EBS direct reads, KMS via EBS, SSM inventory, export, queue consume — every statement', () => {
    const queueId = Object.keys(t.findResources('AWS::SQS::Queue')).find((k) => k.startsWith('ScanQueue'))!;
    expect(roleStatements(t, 'WorkerTaskRole')).toEqual([
      ...SCAN,
      ...SSM,
      ...exportStmts(bucketId, 'snapscan/'),
      {
        Sid: 'QueueConsume',
        Effect: 'Allow',
        Action: [
          'sqs:ReceiveMessage',
          'sqs:DeleteMessage',
          'sqs:ChangeMessageVisibility',
          'sqs:GetQueueAttributes',
        ],
        Resource: `<${queueId}.Arn>`,
      },
    ]);
  });

  it('task roles are assumable by ECS tasks only; execution roles only pull the image and write logs', () => {
    for (const prefix of ['SchedulerTaskRole', 'WorkerTaskRole']) {
      const role = Object.entries(t.findResources('AWS::IAM::Role')).find(([k]) => k.startsWith(prefix))![1];
      expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' } },
      ]);
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
    const policies = Object.values(t.findResources('AWS::IAM::Policy'));
    for (const p of policies) {
      for (const s of p.Properties.PolicyDocument.Statement as { Action: string | string[] }[]) {
        const actions = Array.isArray(s.Action) ? s.Action : [s.Action];
        for (const a of actions)
          expect(a).toMatch(/^(logs:(CreateLogStream|PutLogEvents|DescribeLogStreams)|iam:PassRole|ecr:.+)$/);
      }
    }
  });

  it('no IAM statement anywhere has a wildcard action', () => {
    const actions = allActions(t);
    expect(actions.length).toBeGreaterThan(20);
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
  });

  it('a customer-managed key encrypts the export bucket and the roles may use it through S3 only', () => {
    const keyArn = 'arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const c = synth({ exportKeyArn: keyArn });
    c.t.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn },
            BucketKeyEnabled: true,
          },
        ],
      },
    });
    for (const role of ['SchedulerTaskRole', 'WorkerTaskRole']) {
      expect(roleStatements(c.t, role)).toEqual(
        expect.arrayContaining(exportStmts(c.bucketId, 'snapscan/', keyArn)),
      );
    }
  });

  it('an existing VPC: no VPC, subnets or endpoints created; services run in the given subnets', () => {
    const c = synth({
      existingVpc: {
        vpcId: 'vpc-0abc',
        subnetIds: ['subnet-a1', 'subnet-b2'],
        availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      },
    });
    const counts = resourceCounts(c.t);
    for (const type of ['AWS::EC2::VPC', 'AWS::EC2::Subnet', 'AWS::EC2::VPCEndpoint', 'AWS::EC2::FlowLog'])
      expect(counts[type]).toBeUndefined();
    c.t.allResourcesProperties('AWS::ECS::Service', {
      NetworkConfiguration: {
        AwsvpcConfiguration: Match.objectLike({ Subnets: ['subnet-a1', 'subnet-b2'] }),
      },
    });
    console.log(
      `SnapscanScanner (existing VPC): ${Object.values(counts).reduce((a, b) => a + b, 0)} resources`,
    );
  });

  it('member accounts: the scheduler gets --accounts or --organization, both commands the role name and external id (a worker takes the account from each job); the roles may assume the member role (and list the organization) only then', () => {
    const a = synth({ accounts: ['111111111111', '222222222222'] });
    const org = synth({ organization: true });
    for (const [tpl, flag] of [
      [a.t, ['--accounts', '111111111111,222222222222']],
      [org.t, ['--organization']],
    ] as const) {
      for (const d of Object.values(tpl.findResources('AWS::ECS::TaskDefinition'))) {
        const cmd = flat(d.Properties.ContainerDefinitions[0].Command) as string[];
        if (cmd[0] === 'worker') {
          expect(cmd).not.toContain('--accounts');
          expect(cmd).not.toContain('--organization');
        }
        expect(cmd).toEqual(
          expect.arrayContaining([...(cmd[0] === 'worker' ? [] : flag), '--role-name', '<MemberRoleName>']),
        );
        // The external id is never on a command line nor a plain variable: a secret the task reads.
        expect(cmd).not.toContain('--external-id');
        expect(JSON.stringify(d.Properties)).not.toContain('"Ref":"MemberExternalId"');
        const [c] = d.Properties.ContainerDefinitions;
        expect(c.Environment).toBeUndefined();
        expect(c.Secrets).toEqual([
          {
            Name: 'SNAPSCAN_EXTERNAL_ID',
            ValueFrom: { Ref: expect.stringMatching(/^MemberExternalIdSecret/) },
          },
        ]);
      }
    }
    a.t.hasParameter('MemberExternalId', { NoEcho: true });
    a.t.hasResourceProperties('AWS::SecretsManager::Secret', { SecretString: { Ref: 'MemberExternalId' } });
    // Only the execution roles (which hand the secret to the container) may read it, and only it.
    const secretReads = Object.values(a.t.findResources('AWS::IAM::Policy')).flatMap((p) =>
      (p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
        .filter((st) => JSON.stringify(st.Action).includes('secretsmanager:'))
        .map((st) => ({ roles: p.Properties.Roles, action: st.Action, resource: st.Resource })),
    );
    expect(secretReads.length).toBeGreaterThan(0);
    for (const r of secretReads) {
      expect(r.action).toEqual(['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret']);
      expect(r.resource).toEqual({ Ref: expect.stringMatching(/^MemberExternalIdSecret/) });
      expect(JSON.stringify(r.roles)).toMatch(/ExecutionRole/);
    }
    expect(t.findParameters('MemberExternalId')).toEqual({});
    for (const role of ['SchedulerTaskRole', 'WorkerTaskRole']) {
      expect(roleStatements(t, role)).not.toContainEqual(ASSUME_MEMBER);
      expect(roleStatements(a.t, role)).toContainEqual(ASSUME_MEMBER);
      expect(roleStatements(org.t, role)).toContainEqual(ASSUME_MEMBER);
    }
    expect(roleStatements(org.t, 'SchedulerTaskRole')).toContainEqual(LIST_ACCOUNTS);
    expect(roleStatements(a.t, 'SchedulerTaskRole')).not.toContainEqual(LIST_ACCOUNTS);
    expect(roleStatements(org.t, 'WorkerTaskRole')).not.toContainEqual(LIST_ACCOUNTS);
  });

  it('rejects a log retention CloudWatch does not offer', () => {
    expect(() => synth({ logRetentionDays: 45 })).toThrow(/logRetentionDays must be one of/);
  });
});
