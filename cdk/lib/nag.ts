/**
 * cdk-nag (v3) wiring: the AwsSolutions pack runs as a CDK policy-validation plugin, so `cdk synth`
 * fails on any finding that is not acknowledged. Every acknowledgment goes through `acknowledge`
 * here with its reason; test/nag.test.ts lists them all and checks each has one.
 */
import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

export function addNag(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
}

/** Acknowledges findings `RULE[finding]` (or a whole rule) on a construct and its children. */
export function acknowledge(scope: IConstruct, rule: string, findings: string[], reason: string): void {
  const ids = findings.length > 0 ? findings.map((f) => `${rule}[${f}]`) : [rule];
  for (const id of ids) Validations.of(scope).acknowledge({ id, reason });
}
