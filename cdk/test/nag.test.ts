/**
 * cdk-nag's AwsSolutions pack over both stacks and their variants: no finding is left, and every
 * acknowledgment (lib/nag.ts) has a reason and answers a finding the pack really reports (the same
 * stacks built without acknowledgments report exactly the acknowledged findings).
 */
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Repository } from 'aws-cdk-lib/aws-ecr';
import { ContainerImage } from 'aws-cdk-lib/aws-ecs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { MemberStack } from '../lib/member-stack.js';
import { ScannerStack, type ScannerStackProps } from '../lib/scanner-stack.js';

const variants: [string, Partial<ScannerStackProps>][] = [
  ['single task, minimal VPC', { scaleOut: false }],
  ['scale-out, minimal VPC', { scaleOut: true }],
  [
    'existing VPC, customer key, organization',
    {
      existingVpc: { vpcId: 'vpc-1', subnetIds: ['subnet-1'], availabilityZones: ['eu-west-1a'] },
      exportKeyArn: 'arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      organization: true,
    },
  ],
  ['accounts', { accounts: ['111111111111'] }],
  ['accounts, scale-out', { accounts: ['111111111111'], scaleOut: true }],
  ['image in ECR', { ecr: true } as Partial<ScannerStackProps>],
];

function build(kind: 'scanner' | 'member', props: Partial<ScannerStackProps>, acknowledge: boolean): Stack {
  const app = new App();
  return kind === 'scanner'
    ? new ScannerStack(app, 'Scanner', {
        image: (props as { ecr?: boolean }).ecr
          ? ContainerImage.fromEcrRepository(
              Repository.fromRepositoryName(new Stack(app, 'Images'), 'Repo', 'snapscan'),
              '1.0.0',
            )
          : ContainerImage.fromRegistry('public.ecr.aws/example/snapscan:1'),
        ...props,
        acknowledgeNagFindings: acknowledge,
      })
    : new MemberStack(app, 'Member', { acknowledgeNagFindings: acknowledge });
}

function findings(stack: Stack): string[] {
  const report = new AwsSolutionsChecks(stack.node.root).validateScope(stack);
  return report.violations
    .flatMap((v) => v.violatingResources.map((r) => `${r.constructPath} ${v.ruleName}`))
    .sort();
}

function acknowledgments(stack: Stack): { path: string; id: string; reason: string }[] {
  const out: { path: string; id: string; reason: string }[] = [];
  const walk = (c: IConstruct) => {
    for (const m of c.node.metadata) {
      if (m.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      // data: { 'Annotation::RULE[finding]': reason }
      for (const [key, reason] of Object.entries(m.data as Record<string, string>))
        out.push({ path: c.node.path, id: key.replace(/^Annotation::/, ''), reason });
    }
    c.node.children.forEach(walk);
  };
  walk(stack);
  return out;
}

describe('cdk/lib/nag', () => {
  const cases: [string, 'scanner' | 'member', Partial<ScannerStackProps>][] = [
    ...variants.map(
      ([n, p]) => [`scanner stack (${n})`, 'scanner', p] as [string, 'scanner', Partial<ScannerStackProps>],
    ),
    ['member stack', 'member', {}],
  ];

  it.each(cases)('%s: AwsSolutions reports nothing unacknowledged', (_n, kind, props) => {
    expect(findings(build(kind, props, true))).toEqual([]);
  });

  it.each(cases)('%s: every acknowledgment has a reason and matches a real finding', (_n, kind, props) => {
    // Only cdk-nag's (aws-cdk-lib records its own CloudFormation-Validate acknowledgments too).
    const acks = acknowledgments(build(kind, props, true)).filter((a) => a.id.startsWith('AwsSolutions-'));
    expect(acks.length).toBeGreaterThan(0);
    for (const a of acks) expect(a.reason.length, a.id).toBeGreaterThan(40);
    const raw = findings(build(kind, props, false));
    // A finding on a role's Resource is acknowledged on the role (its ancestor).
    const acked = [...new Set(acks.map((a) => `${a.path} ${a.id}`))].sort();
    const reported = [
      ...new Set(raw.map((f) => f.replace(/^(\S+?)\/(Resource|DefaultPolicy\/Resource) /, '$1 '))),
    ].sort();
    expect(acked).toEqual(reported);
  });
});
