/**
 * EC2 and STS clients (instance scans, the janitor, the scheduler). Region, credentials and endpoint come from the SDK's
 * standard chain (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL, instance roles);
 * explicit options override it. Control-plane calls are few, so the SDK's standard retry is kept.
 */
import { createRequire } from 'node:module';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { S3Client } from '@aws-sdk/client-s3';
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
const ssmSdk = () => requireSdk('@aws-sdk/client-ssm') as typeof import('@aws-sdk/client-ssm');
const eventBridgeSdk = () =>
  requireSdk('@aws-sdk/client-eventbridge') as typeof import('@aws-sdk/client-eventbridge');

export type { AwsClientOptions };

function common(o: AwsClientOptions & { maxAttempts?: number }) {
  return {
    ...(o.region ? { region: o.region } : {}),
    ...(o.endpoint ? { endpoint: o.endpoint } : {}),
    ...(o.credentials ? { credentials: o.credentials } : {}),
    maxAttempts: o.maxAttempts ?? 5,
    requestHandler: httpHandler({ maxSockets: 8, ...o }),
  };
}

export function createEc2Client(o: AwsClientOptions & { maxAttempts?: number } = {}): EC2Client {
  return new (ec2Sdk().EC2Client)(common(o));
}

export function createStsClient(o: AwsClientOptions & { maxAttempts?: number } = {}): STSClient {
  return new (stsSdk().STSClient)(common(o));
}

/**
 * S3 client. Path-style addressing when an endpoint is configured (an emulator or an
 * S3-compatible store has no per-bucket DNS names); virtual-hosted on AWS.
 */
export function createS3Client(o: AwsClientOptions & { maxAttempts?: number } = {}): S3Client {
  const custom = o.endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
  return new (s3Sdk().S3Client)({ ...common(o), forcePathStyle: custom !== undefined && custom !== '' });
}

export function createSsmClient(o: AwsClientOptions & { maxAttempts?: number } = {}): SSMClient {
  return new (ssmSdk().SSMClient)(common(o));
}

export function createEventBridgeClient(
  o: AwsClientOptions & { maxAttempts?: number } = {},
): EventBridgeClient {
  return new (eventBridgeSdk().EventBridgeClient)(common(o));
}
