/**
 * snapscan's CDK app. Context (`-c key=value` or cdk.json) selects structure; CloudFormation
 * parameters (`--parameters Stack:Name=value`) tune a deployed stack without a new synth.
 *
 *   npx cdk deploy SnapscanScanner -c vpcId=vpc-… -c subnetIds=subnet-a,subnet-b -c availabilityZones=eu-west-1a,eu-west-1b \
 *       --parameters SnapscanScanner:MaxWorkers=8 --parameters SnapscanScanner:MemberExternalId=…
 *   npx cdk deploy SnapscanMember --parameters SnapscanMember:CentralAccountId=111111111111 \
 *       --parameters SnapscanMember:ExternalId=…
 *
 * Context keys: image (an image URI; default: built from ../Dockerfile), vpcId + subnetIds +
 * availabilityZones (existing VPC; default: a minimal VPC with endpoints), exportKeyArn,
 * exportPrefix, logRetentionDays, accounts (comma list) or organization=true, scaleOut=true (queue +
 * worker service), nag=false.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { ContainerImage } from 'aws-cdk-lib/aws-ecs';
import { MemberStack } from '../lib/member-stack.js';
import { addNag } from '../lib/nag.js';
import { ScannerStack } from '../lib/scanner-stack.js';

const app = new App();
const ctx = (key: string): string | undefined => {
  const v = app.node.tryGetContext(key);
  return v === undefined || v === '' ? undefined : String(v);
};
const list = (key: string) =>
  ctx(key)
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const image = ctx('image');
const vpcId = ctx('vpcId');
const subnetIds = list('subnetIds');
const azs = list('availabilityZones');
if (vpcId && (!subnetIds?.length || subnetIds.length !== azs?.length)) {
  throw new Error('vpcId needs subnetIds and availabilityZones, one zone per subnet');
}

new ScannerStack(app, 'SnapscanScanner', {
  description: 'snapscan agentless vulnerability scanner: scheduler, scan workers, queue, export bucket',
  image: image ? ContainerImage.fromRegistry(image) : ContainerImage.fromAsset(repoRoot),
  ...(vpcId ? { existingVpc: { vpcId, subnetIds: subnetIds!, availabilityZones: azs! } } : {}),
  ...(ctx('exportKeyArn') ? { exportKeyArn: ctx('exportKeyArn')! } : {}),
  ...(ctx('exportPrefix') ? { exportPrefix: ctx('exportPrefix')! } : {}),
  ...(ctx('logRetentionDays') ? { logRetentionDays: Number(ctx('logRetentionDays')) } : {}),
  ...(list('accounts') ? { accounts: list('accounts')! } : {}),
  organization: ctx('organization') === 'true',
  scaleOut: ctx('scaleOut') === 'true',
});
new MemberStack(app, 'SnapscanMember', {
  description: 'snapscan member-account role (trusted by the central scanner account with an external id)',
});

if (ctx('nag') !== 'false') addNag(app);
