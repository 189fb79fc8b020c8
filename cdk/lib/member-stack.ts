/**
 * A member account's stack (deploy it in every scanned account, or as a StackSet from the
 * organization's management account: it has no assets and only parameters): the `snapscan-member`
 * role with the same least-privilege discovery and scanning statements as the central workers
 * (lib/permissions.ts), trusted by the central account only, and only with the external id.
 * Snapshots are taken, read and deleted inside the member account; nothing is shared out.
 */
import { CfnOutput, CfnParameter, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { acknowledge } from './nag.js';
import { memberStatements } from './permissions.js';
import { IAM_PATTERNS, IAM_PATTERNS_REASON, KMS_PATTERNS, KMS_REASON } from './scanner-stack.js';

export class MemberStack extends Stack {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: StackProps & { acknowledgeNagFindings?: boolean } = {}) {
    super(scope, id, props);
    const central = new CfnParameter(this, 'CentralAccountId', {
      type: 'String',
      allowedPattern: '^\\d{12}$',
      description: 'Account that runs the snapscan scanner stack',
    });
    const roleName = new CfnParameter(this, 'RoleName', {
      type: 'String',
      default: 'snapscan-member',
      allowedPattern: '^[\\w+=,.@-]{1,64}$',
    });
    const externalId = new CfnParameter(this, 'ExternalId', {
      type: 'String',
      minLength: 2,
      noEcho: true,
      description: 'Shared secret the central account passes in sts:AssumeRole',
    });
    this.role = new iam.Role(this, 'MemberRole', {
      roleName: roleName.valueAsString,
      description:
        'snapscan: discovery, SSM inventory reads and agentless snapshot scans for the central account',
      assumedBy: new iam.AccountPrincipal(central.valueAsString),
      externalIds: [externalId.valueAsString],
      inlinePolicies: { snapscan: new iam.PolicyDocument({ statements: memberStatements() }) },
    });
    new CfnOutput(this, 'MemberRoleArn', { value: this.role.roleArn });
    if (props.acknowledgeNagFindings !== false) {
      acknowledge(this.role, 'AwsSolutions-IAM5', IAM_PATTERNS, IAM_PATTERNS_REASON);
      acknowledge(this.role, 'AwsSolutions-IAM5', KMS_PATTERNS, KMS_REASON);
    }
  }
}
