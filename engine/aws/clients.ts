/**
 * EC2 and STS clients (instance scans, the janitor, the scheduler). Region, credentials and endpoint come from the SDK's
 * standard chain (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL, instance roles);
 * explicit options override it. Control-plane calls are few, so the SDK's standard retry is kept.
 */
import { createRequire } from 'node:module';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { STSClient } from '@aws-sdk/client-sts';
import { type AwsClientOptions, httpHandler } from '../../readers/block/ebs/client.js';

/**
 * The SDK packages are loaded on first use, through require (their CommonJS build), never at
 * import time: a local image scan then loads no control-plane SDK at all, and an instance scan
 * loads EC2's. Measured (bench/memory.ts, Node 20 with tsx's loader): importing client-ec2 as an
 * ES module peaks at 195 MiB RSS, requiring it at 140 MiB; S3 and STS add 6-12 MiB each.
 */
const requireSdk = createRequire(import.meta.url);
export type Ec2Sdk = typeof import('@aws-sdk/client-ec2');
export type StsSdk = typeof import('@aws-sdk/client-sts');
export const ec2Sdk = (): Ec2Sdk => requireSdk('@aws-sdk/client-ec2') as Ec2Sdk;
export const stsSdk = (): StsSdk => requireSdk('@aws-sdk/client-sts') as StsSdk;
const s3Sdk = () => requireSdk('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3');
export const organizationsSdk = () =>
  requireSdk('@aws-sdk/client-organizations') as typeof import('@aws-sdk/client-organizations');
const ssmSdk = () => requireSdk('@aws-sdk/client-ssm') as typeof import('@aws-sdk/client-ssm');
const sqsSdk = () => requireSdk('@aws-sdk/client-sqs') as typeof import('@aws-sdk/client-sqs');
const eventBridgeSdk = () =>
  requireSdk('@aws-sdk/client-eventbridge') as typeof import('@aws-sdk/client-eventbridge');

export type { AwsClientOptions };

/**
 * Control-plane options: the standard chain plus attempts and, for tests against the emulator, a
 * fixed retry delay (`retryDelayMs`) so that no test sleeps through the SDK's real backoff.
 */
export type ControlPlaneOptions = AwsClientOptions & { maxAttempts?: number; retryDelayMs?: number };

interface RetryToken {
  getRetryCount(): number;
  getRetryDelay(): number;
}

/**
 * A retry strategy (the SDK's RetryStrategyV2 shape) that retries what the standard one retries —
 * THROTTLING and TRANSIENT errors, up to maxAttempts — after a fixed delay. Only used when
 * `retryDelayMs` is given; production clients keep the SDK's standard strategy and its backoff.
 */
export function fixedDelayRetryStrategy(maxAttempts: number, delayMs: number) {
  const token = (count: number, delay: number): RetryToken => ({
    getRetryCount: () => count,
    getRetryDelay: () => delay,
  });
  return {
    mode: 'standard',
    acquireInitialRetryToken: async (_scope: string) => token(0, 0),
    refreshRetryTokenForRetry: async (t: RetryToken, info: { errorType: string }) => {
      const next = t.getRetryCount() + 1;
      if (next >= maxAttempts || (info.errorType !== 'THROTTLING' && info.errorType !== 'TRANSIENT'))
        throw new Error('no retry token available');
      return token(next, delayMs);
    },
    recordSuccess: (_t: RetryToken) => {},
  };
}

function common(o: ControlPlaneOptions) {
  const maxAttempts = o.maxAttempts ?? 5;
  return {
    ...(o.region ? { region: o.region } : {}),
    ...(o.endpoint ? { endpoint: o.endpoint } : {}),
    ...(o.credentials ? { credentials: o.credentials } : {}),
    maxAttempts,
    ...(o.retryDelayMs !== undefined
      ? { retryStrategy: fixedDelayRetryStrategy(maxAttempts, o.retryDelayMs) }
      : {}),
    requestHandler: httpHandler({ maxSockets: 8, ...o }),
  };
}

export function createEc2Client(o: ControlPlaneOptions = {}): EC2Client {
  return new (ec2Sdk().EC2Client)(common(o));
}

export function createStsClient(o: ControlPlaneOptions = {}): STSClient {
  return new (stsSdk().STSClient)(common(o));
}

/**
 * S3 client. Path-style addressing when an endpoint is configured (an emulator or an
 * S3-compatible store has no per-bucket DNS names); virtual-hosted on AWS.
 */
export function createS3Client(o: ControlPlaneOptions = {}): S3Client {
  const custom = o.endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
  return new (s3Sdk().S3Client)({ ...common(o), forcePathStyle: custom !== undefined && custom !== '' });
}

export function createSsmClient(o: ControlPlaneOptions = {}): SSMClient {
  return new (ssmSdk().SSMClient)(common(o));
}

export function createEventBridgeClient(o: ControlPlaneOptions = {}): EventBridgeClient {
  return new (eventBridgeSdk().EventBridgeClient)(common(o));
}

/**
 * Organizations (ListAccounts for the scheduler's --organization). Its API is global: the SDK's
 * endpoint rules send any region of a partition to that partition's one endpoint (us-east-1 in aws).
 */
export function createOrganizationsClient(o: ControlPlaneOptions = {}): OrganizationsClient {
  return new (organizationsSdk().OrganizationsClient)(common(o));
}

export function createSqsClient(o: ControlPlaneOptions = {}): SQSClient {
  return new (sqsSdk().SQSClient)(common(o));
}
