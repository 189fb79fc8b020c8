/** Real SDK clients pointed at an emulator (static credentials; no chain lookups, no IMDS). */
import type { EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { createEc2Client, createS3Client, createStsClient } from '../../engine/aws/clients.js';
import { httpHandler } from '../../readers/block/ebs/client.js';
import { EMULATOR_CREDENTIALS } from './index.js';

/** Retries wait this long against the emulator: throttling and 5xx are exercised, real backoff is not. */
export const TEST_RETRY_DELAY_MS = 1;

export function ec2For(endpoint: string, maxAttempts = 3): EC2Client {
  return createEc2Client({
    endpoint,
    region: 'us-east-1',
    credentials: EMULATOR_CREDENTIALS,
    maxAttempts,
    retryDelayMs: TEST_RETRY_DELAY_MS,
  });
}

export function stsFor(endpoint: string) {
  return createStsClient({ endpoint, region: 'us-east-1', credentials: EMULATOR_CREDENTIALS });
}

/** Path-style S3 client (engine/aws/clients.ts sets forcePathStyle for a custom endpoint). */
export function s3For(endpoint: string, maxAttempts = 3): S3Client {
  return createS3Client({
    endpoint,
    region: 'us-east-1',
    credentials: EMULATOR_CREDENTIALS,
    maxAttempts,
    retryDelayMs: TEST_RETRY_DELAY_MS,
  });
}

export function ssmFor(endpoint: string, maxAttempts = 3): SSMClient {
  return new SSMClient({
    endpoint,
    region: 'us-east-1',
    credentials: EMULATOR_CREDENTIALS,
    maxAttempts,
    requestHandler: httpHandler({ maxSockets: 8 }),
  });
}

export function eventsFor(endpoint: string, maxAttempts = 3): EventBridgeClient {
  return new EventBridgeClient({
    endpoint,
    region: 'us-east-1',
    credentials: EMULATOR_CREDENTIALS,
    maxAttempts,
    requestHandler: httpHandler({ maxSockets: 8 }),
  });
}

export const EBS_TEST_OPTIONS = {
  region: 'us-east-1',
  credentials: EMULATOR_CREDENTIALS,
  baseDelayMs: 1,
  maxDelayMs: 20,
};

export function sqsFor(endpoint: string, maxAttempts = 3): SQSClient {
  return new SQSClient({
    endpoint,
    region: 'us-east-1',
    credentials: EMULATOR_CREDENTIALS,
    maxAttempts,
    requestHandler: httpHandler({ maxSockets: 8 }),
  });
}
