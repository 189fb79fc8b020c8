/**
 * The central account's stack: ECS cluster with the scheduler (a Fargate service with one task: the
 * planner) and the scan workers (a Fargate service scaled on the queue's depth), the SQS queue and
 * its dead-letter queue, the S3 export bucket, log groups, and least-privilege task roles
 * (lib/permissions.ts). Networking: an existing VPC's private subnets (context `vpcId` +
 * `subnetIds`), or a minimal VPC with isolated subnets and VPC endpoints for every service the
 * tasks call, so no NAT gateway is needed.
 */
import {
  CfnOutput,
  CfnParameter,
  Duration,
  RemovalPolicy,
  SecretValue,
  Stack,
  type StackProps,
} from 'aws-cdk-lib';
import { AdjustmentType } from 'aws-cdk-lib/aws-applicationautoscaling';
import { MathExpression } from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { acknowledge } from './nag.js';
import {
  assumeMemberStatement,
  deadLetterReadStatement,
  deleteManagedStatement,
  describeStatement,
  exportStatements,
  listAccountsStatement,
  queueConsumeStatement,
  queueSendStatement,
  scanStatements,
  ssmInventoryStatements,
} from './permissions.js';

export interface ScannerStackProps extends StackProps {
  /** Container image; default: built from the repository's Dockerfile at deploy time. */
  image: ecs.ContainerImage;
  /** Existing VPC and its private subnets (with a route to the AWS APIs); default: a minimal VPC. */
  existingVpc?: { vpcId: string; subnetIds: string[]; availabilityZones: string[] };
  /** Customer-managed KMS key for the export bucket (default: the AWS-managed aws/s3 key). */
  exportKeyArn?: string;
  /** Key prefix of every exported object (default `snapscan/`). */
  exportPrefix?: string;
  /** CloudWatch log retention in days (a value CloudWatch accepts; default 90). */
  logRetentionDays?: number;
  /** Member accounts: a list, or the whole organization (AWS Organizations ListAccounts). */
  accounts?: string[];
  organization?: boolean;
  /**
   * Scale-out layout: the scheduler plans and sends one SQS message per due instance, a worker
   * service scaled on the queue's depth scans them. Default (false): one scheduler task plans and
   * scans in process (the single-task scheduler of `snapscan scheduler`).
   */
  scaleOut?: boolean;
  /**
   * Record the cdk-nag acknowledgments (default true). Tests turn it off to check that every
   * acknowledgment answers a finding the AwsSolutions pack really reports.
   */
  acknowledgeNagFindings?: boolean;
}

const HOME = '/var/lib/snapscan';
const CLI = ['node', '/opt/snapscan/bin/snapscan.js'];

export class ScannerStack extends Stack {
  /** Scale-out layout only (`scaleOut`): the plan → SQS → workers split. */
  readonly queue?: sqs.Queue;
  readonly deadLetterQueue?: sqs.Queue;
  readonly workerRole?: iam.Role;
  /** Member accounts only: the external id, read by the tasks as SNAPSCAN_EXTERNAL_ID. */
  readonly externalIdSecret?: secretsmanager.Secret;
  readonly bucket: s3.Bucket;
  readonly schedulerRole: iam.Role;

  constructor(scope: Construct, id: string, props: ScannerStackProps) {
    super(scope, id, props);
    // Server access logs delivered through a bucket policy, not the LogDeliveryWrite ACL (ACLs stay off).
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);

    const scaleOut = props.scaleOut === true;
    const minWorkers = !scaleOut
      ? undefined
      : new CfnParameter(this, 'MinWorkers', {
          type: 'Number',
          default: 0,
          minValue: 0,
          maxValue: 100,
          description: 'Scan worker tasks kept running when the queue is empty',
        });
    const maxWorkers = !scaleOut
      ? undefined
      : new CfnParameter(this, 'MaxWorkers', {
          type: 'Number',
          default: 4,
          minValue: 1,
          maxValue: 100,
          description: 'Upper bound of scan worker tasks while the queue has work',
        });
    const mode = new CfnParameter(this, 'ScanMode', {
      type: 'String',
      default: 'hybrid',
      allowedValues: ['hybrid', 'agentless', 'ssm-only'],
      description: 'hybrid: SSM inventory when fresh, else a snapshot scan',
    });
    const interval = new CfnParameter(this, 'ScanInterval', {
      type: 'String',
      default: '24h',
      allowedPattern: '^[0-9]+[smhd]$',
      description: 'Each instance is scanned again after this long',
    });
    const retentionDays = new CfnParameter(this, 'ExportRetentionDays', {
      type: 'Number',
      default: 400,
      minValue: 1,
      description: 'Export runs (findings, SBOMs, coverage) older than this are deleted from the bucket',
    });
    // Member accounts (only when configured: the role may assume nothing otherwise).
    const members = props.organization === true || (props.accounts?.length ?? 0) > 0;
    const memberRoleName = members
      ? new CfnParameter(this, 'MemberRoleName', {
          type: 'String',
          default: 'snapscan-member',
          allowedPattern: '^[\\w+=,.@-]{1,64}$',
          description: 'Name of the role the member-account stack creates',
        })
      : undefined;
    const externalId = members
      ? new CfnParameter(this, 'MemberExternalId', {
          type: 'String',
          minLength: 2,
          noEcho: true,
          description: 'External id the member roles require (same value as in the member stack)',
        })
      : undefined;
    const prefix = props.exportPrefix ?? 'snapscan/';
    const retention = logRetention(props.logRetentionDays ?? 90);

    // ---- network ----
    let vpc: ec2.IVpc;
    let subnets: ec2.SubnetSelection;
    let created: ec2.Vpc | undefined;
    if (props.existingVpc) {
      vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
        vpcId: props.existingVpc.vpcId,
        availabilityZones: props.existingVpc.availabilityZones,
        privateSubnetIds: props.existingVpc.subnetIds,
      });
      subnets = { subnets: vpc.privateSubnets };
    } else {
      const flowLogs = new logs.LogGroup(this, 'VpcFlowLogs', {
        retention,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      created = new ec2.Vpc(this, 'Vpc', {
        maxAzs: 2,
        natGateways: 0,
        subnetConfiguration: [{ name: 'tasks', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
        flowLogs: {
          rejected: {
            destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs),
            trafficType: ec2.FlowLogTrafficType.REJECT,
          },
        },
        gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
      });
      vpc = created;
      subnets = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    }
    const tasksSg = new ec2.SecurityGroup(this, 'TasksSecurityGroup', {
      vpc,
      description: 'snapscan tasks: no inbound; HTTPS out to the AWS APIs (VPC endpoints)',
      allowAllOutbound: false,
    });
    tasksSg.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS APIs');
    if (created) {
      // Interface endpoints take HTTPS from the tasks only.
      const endpointsSg = new ec2.SecurityGroup(this, 'EndpointsSecurityGroup', {
        vpc,
        description: 'snapscan VPC interface endpoints: HTTPS from the snapscan tasks only',
        allowAllOutbound: false,
      });
      endpointsSg.addIngressRule(tasksSg, ec2.Port.tcp(443), 'HTTPS from snapscan tasks');
      for (const [name, service] of [
        ['Ebs', ec2.InterfaceVpcEndpointAwsService.EBS_DIRECT],
        ['Ec2', ec2.InterfaceVpcEndpointAwsService.EC2],
        ['Ssm', ec2.InterfaceVpcEndpointAwsService.SSM],
        ['Sqs', ec2.InterfaceVpcEndpointAwsService.SQS],
        ['Sts', ec2.InterfaceVpcEndpointAwsService.STS],
        ['Kms', ec2.InterfaceVpcEndpointAwsService.KMS],
        ['Logs', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS],
        ['Ecr', ec2.InterfaceVpcEndpointAwsService.ECR],
        ['EcrDocker', ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER],
      ] as const) {
        created.addInterfaceEndpoint(name, {
          service,
          privateDnsEnabled: true,
          open: false,
          securityGroups: [endpointsSg],
        });
      }
    }

    // ---- queue (scale-out) ----
    if (scaleOut) {
      this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });
      this.queue = new sqs.Queue(this, 'ScanQueue', {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        visibilityTimeout: Duration.minutes(15),
        retentionPeriod: Duration.days(4),
        deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 3 },
      });
    }
    const queue = this.queue;

    // ---- export bucket ----
    const accessLogs = new s3.Bucket(this, 'AccessLogsBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const exportKey = props.exportKeyArn
      ? kms.Key.fromKeyArn(this, 'ExportKey', props.exportKeyArn)
      : undefined;
    this.bucket = new s3.Bucket(this, 'ExportBucket', {
      encryption: exportKey ? s3.BucketEncryption.KMS : s3.BucketEncryption.KMS_MANAGED,
      ...(exportKey ? { encryptionKey: exportKey } : {}),
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'export-bucket/',
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'expire-old-runs',
          prefix,
          expiration: Duration.days(retentionDays.valueAsNumber),
          noncurrentVersionExpiration: Duration.days(30),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
    });
    const output = `s3://${this.bucket.bucketName}/${prefix}`;

    // ---- roles ----
    const exportPolicy = exportStatements(this.bucket.bucketArn, prefix, exportKey?.keyArn);
    this.schedulerRole = new iam.Role(this, 'SchedulerTaskRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: queue
        ? 'snapscan scheduler: discovery, SSM inventory, janitor, export, queue producer'
        : 'snapscan scheduler: discovery, SSM inventory, snapshot scans, janitor, export',
      inlinePolicies: {
        snapscan: new iam.PolicyDocument({
          statements: [
            // Single task: it scans too (scanStatements includes the Describe reads and the janitor's delete).
            ...(queue ? [describeStatement()] : scanStatements()),
            ...ssmInventoryStatements(),
            ...(queue ? [deleteManagedStatement()] : []),
            ...exportPolicy,
            ...(queue ? [queueSendStatement(queue.queueArn)] : []),
            ...(this.deadLetterQueue ? [deadLetterReadStatement(this.deadLetterQueue.queueArn)] : []),
            ...(memberRoleName ? [assumeMemberStatement(memberRoleName.valueAsString)] : []),
            ...(props.organization ? [listAccountsStatement()] : []),
          ],
        }),
      },
    });
    this.workerRole = !queue
      ? undefined
      : new iam.Role(this, 'WorkerTaskRole', {
          assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
          description: 'snapscan workers: snapshot, EBS direct reads, export, queue consumer',
          inlinePolicies: {
            snapscan: new iam.PolicyDocument({
              statements: [
                ...scanStatements(),
                // SSM jobs (hybrid): the worker reads the instance's inventory.
                ...ssmInventoryStatements(),
                ...exportPolicy,
                queueConsumeStatement(queue.queueArn),
                ...(memberRoleName ? [assumeMemberStatement(memberRoleName.valueAsString)] : []),
              ],
            }),
          },
        });

    // ---- ECS ----
    const cluster = new ecs.Cluster(this, 'Cluster', {
      vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });
    const accountArgs =
      memberRoleName && externalId
        ? [
            ...(props.organization ? ['--organization'] : ['--accounts', props.accounts!.join(',')]),
            '--role-name',
            memberRoleName.valueAsString,
          ]
        : [];
    const memberArgs = memberRoleName && externalId ? ['--role-name', memberRoleName.valueAsString] : [];
    // The external id reaches the tasks as SNAPSCAN_EXTERNAL_ID from Secrets Manager, never in a
    // command line or a plain environment variable of the task definition (both are readable by
    // anyone who may describe it).
    this.externalIdSecret = externalId
      ? new secretsmanager.Secret(this, 'MemberExternalIdSecret', {
          description: 'snapscan: external id the member roles require',
          secretStringValue: SecretValue.cfnParameter(externalId),
          removalPolicy: RemovalPolicy.DESTROY,
        })
      : undefined;
    const externalIdSecret = this.externalIdSecret;
    const common = [
      ...(queue ? ['--queue', queue.queueUrl] : []),
      '--output',
      output,
      ...(props.exportKeyArn ? ['--kms-key', props.exportKeyArn] : []),
      '--mode',
      mode.valueAsString,
    ];
    const schedulerLogs = new logs.LogGroup(this, 'SchedulerLogs', {
      retention,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const ack = props.acknowledgeNagFindings !== false;
    const task = (name: string, role: iam.Role, command: string[], logGroup: logs.LogGroup) => {
      const def = new ecs.FargateTaskDefinition(this, `${name}Task`, {
        cpu: 1024,
        memoryLimitMiB: 2048,
        taskRole: role,
        runtimePlatform: {
          cpuArchitecture: ecs.CpuArchitecture.X86_64,
          operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
        },
        volumes: [{ name: 'home' }, { name: 'tmp' }],
      });
      const container = def.addContainer('snapscan', {
        image: props.image,
        command,
        ...(externalIdSecret
          ? { secrets: { SNAPSCAN_EXTERNAL_ID: ecs.Secret.fromSecretsManager(externalIdSecret) } }
          : {}),
        readonlyRootFilesystem: true,
        stopTimeout: Duration.seconds(30),
        logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: name.toLowerCase() }),
        healthCheck: {
          command: ['CMD', ...CLI, 'health'],
          interval: Duration.seconds(60),
          timeout: Duration.seconds(10),
          startPeriod: Duration.seconds(120),
          retries: 3,
        },
      });
      container.addMountPoints(
        { sourceVolume: 'home', containerPath: HOME, readOnly: false },
        { sourceVolume: 'tmp', containerPath: '/tmp', readOnly: false },
      );
      // An image in ECR (asset or repository): CDK's pull grant includes ecr:GetAuthorizationToken.
      if (ack && (props.image instanceof ecs.AssetImage || props.image instanceof ecs.EcrImage)) {
        acknowledge(def.obtainExecutionRole(), 'AwsSolutions-IAM5', ['Resource::*'], ECR_TOKEN_REASON);
      }
      return def;
    };

    const schedulerTask = task(
      'Scheduler',
      this.schedulerRole,
      ['scheduler', ...common, '--interval', interval.valueAsString, '--db-update', 'daily', ...accountArgs],
      schedulerLogs,
    );
    new ecs.FargateService(this, 'SchedulerService', {
      cluster,
      taskDefinition: schedulerTask,
      desiredCount: 1,
      // One planner at a time: the old task stops before the new one starts.
      minHealthyPercent: 0,
      maxHealthyPercent: 100,
      vpcSubnets: subnets,
      securityGroups: [tasksSg],
      assignPublicIp: false,
      circuitBreaker: { rollback: true },
    });
    if (queue && this.workerRole && minWorkers && maxWorkers) {
      const workerLogs = new logs.LogGroup(this, 'WorkerLogs', {
        retention,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      const workerTask = task(
        'Worker',
        this.workerRole,
        // Workers take no account list: a job names its account; they assume the member role for it.
        ['worker', ...common, '--db-update', 'daily', ...memberArgs],
        workerLogs,
      );

      const workers = new ecs.FargateService(this, 'WorkerService', {
        cluster,
        taskDefinition: workerTask,
        desiredCount: 0,
        minHealthyPercent: 100,
        maxHealthyPercent: 200,
        vpcSubnets: subnets,
        securityGroups: [tasksSg],
        assignPublicIp: false,
        circuitBreaker: { rollback: true },
      });
      const scaling = workers.autoScaleTaskCount({
        minCapacity: minWorkers.valueAsNumber,
        maxCapacity: maxWorkers.valueAsNumber,
      });
      // Visible + in flight: no scale-in while a worker still holds a message.
      const backlog = new MathExpression({
        expression: 'visible + inflight',
        usingMetrics: {
          visible: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
          inflight: queue.metricApproximateNumberOfMessagesNotVisible({ period: Duration.minutes(1) }),
        },
        period: Duration.minutes(1),
      });
      scaling.scaleOnMetric('QueueDepth', {
        metric: backlog,
        adjustmentType: AdjustmentType.CHANGE_IN_CAPACITY,
        scalingSteps: [
          { upper: 0, change: -1 },
          { lower: 1, change: +1 },
          { lower: 50, change: +2 },
          { lower: 200, change: +4 },
        ],
        cooldown: Duration.minutes(2),
      });
    }
    if (queue && this.deadLetterQueue) {
      new CfnOutput(this, 'QueueUrl', { value: queue.queueUrl });
      new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.deadLetterQueue.queueUrl });
    }
    new CfnOutput(this, 'ExportLocation', { value: output });
    new CfnOutput(this, 'SchedulerRoleArn', { value: this.schedulerRole.roleArn });
    if (this.workerRole) new CfnOutput(this, 'WorkerRoleArn', { value: this.workerRole.roleArn });
    if (props.acknowledgeNagFindings !== false)
      this.acknowledgeFindings(prefix, members, props.organization === true);
  }

  /** cdk-nag findings that are intended, each with its reason (see lib/permissions.ts). */
  private acknowledgeFindings(prefix: string, members: boolean, organization: boolean): void {
    const bucketId = this.getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket);
    const [any, snapshot, instance, volume, managedInstance] = IAM_PATTERNS as [
      string,
      string,
      string,
      string,
      string,
    ];
    const IAM5 = 'AwsSolutions-IAM5';
    if (this.workerRole) {
      acknowledge(this.schedulerRole, IAM5, [any, snapshot, instance, managedInstance], IAM_PATTERNS_REASON);
      acknowledge(
        this.workerRole,
        IAM5,
        [any, snapshot, instance, volume, managedInstance],
        IAM_PATTERNS_REASON,
      );
      acknowledge(this.workerRole, IAM5, KMS_PATTERNS, KMS_REASON);
    } else {
      // Single task: the scheduler scans too.
      acknowledge(this.schedulerRole, IAM5, IAM_PATTERNS, IAM_PATTERNS_REASON);
      acknowledge(this.schedulerRole, IAM5, KMS_PATTERNS, KMS_REASON);
    }
    for (const role of [this.schedulerRole, ...(this.workerRole ? [this.workerRole] : [])]) {
      acknowledge(role, IAM5, [`Resource::<${bucketId}.Arn>/${prefix}*`], EXPORT_REASON);
      if (members)
        acknowledge(
          role,
          IAM5,
          ['Resource::arn:<AWS::Partition>:iam::*:role/<MemberRoleName>'],
          ASSUME_REASON,
        );
    }
    if (organization) acknowledge(this.schedulerRole, IAM5, ['Resource::*'], ORGANIZATIONS_REASON);
    if (this.externalIdSecret)
      acknowledge(this.externalIdSecret, 'AwsSolutions-SMG4', [], EXTERNAL_ID_REASON);
  }
}

export const IAM_PATTERNS = [
  'Resource::*',
  'Resource::arn:<AWS::Partition>:ec2:<AWS::Region>::snapshot/*',
  'Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:instance/*',
  'Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:volume/*',
  'Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:managed-instance/*',
];
export const IAM_PATTERNS_REASON =
  'ec2:Describe* and ssm:DescribeInstanceInformation support no resource-level permissions; the instances, volumes and snapshots are found at run time, so their ARNs are patterns scoped to this account and region, and creating, tagging and deleting snapshots is further conditioned on the snapscan:managed tag.';
export const KMS_PATTERNS = ['Resource::arn:<AWS::Partition>:kms:<AWS::Region>:*:key/*'];
export const KMS_REASON =
  "EBS volumes may be encrypted with any key (the instance owner's): kms:Decrypt and kms:CreateGrant are allowed only through EC2/EBS (kms:ViaService) and grants only for AWS resources (kms:GrantIsForAWSResource).";
const EXPORT_REASON =
  'Objects are created at run time under the export prefix; the statement is limited to that prefix.';
const ECR_TOKEN_REASON =
  'The task execution role pulls the image from ECR: ecr:GetAuthorizationToken supports no resource-level permissions (the layer actions are scoped to the repository).';
const ORGANIZATIONS_REASON =
  'organizations:ListAccounts supports no resource-level permissions (--organization lists the member accounts).';
const ASSUME_REASON =
  'The member role has a fixed name; the member accounts are listed at run time (--accounts / --organization).';

function logRetention(days: number): logs.RetentionDays {
  const allowed = Object.values(logs.RetentionDays).filter((v): v is number => typeof v === 'number');
  if (!allowed.includes(days)) {
    throw new Error(
      `logRetentionDays must be one of ${allowed.join(', ')} (CloudWatch's values), got ${days}`,
    );
  }
  return days as logs.RetentionDays;
}
const EXTERNAL_ID_REASON =
  'The external id is agreed with every member stack (its trust policy checks it): rotating it means redeploying the member roles with the new value, so Secrets Manager cannot rotate it on its own.';
