/**
 * Real SDK clients pointed at an emulator (static credentials; no chain lookups, no IMDS), built by
 * the product's own factories (engine/aws/clients.ts) where it has one. Retries wait a fixed
 * TEST_RETRY_DELAY_MS: throttling and 5xx are exercised, the SDK's real backoff is not slept through.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SSMClient } from '@aws-sdk/client-ssm';
import {
  type ControlPlaneOptions,
  createEc2Client,
  createEventBridgeClient,
  createS3Client,
  createSsmClient,
  createStsClient,
  fixedDelayRetryStrategy,
} from '../../engine/aws/clients.js';
import { httpHandler } from '../../readers/block/ebs/client.js';
import { EMULATOR_CREDENTIALS } from './index.js';

/** Retries wait this long against the emulator: throttling and 5xx are exercised, real backoff is not. */
export const TEST_RETRY_DELAY_MS = 1;

/** The options of every emulator client: its endpoint, us-east-1, static credentials, fixed retry delay. */
function emulatorOptions(endpoint: string, maxAttempts: number): ControlPlaneOptions {
  return {
    endpoint,
    region: 'us-east-1',
    credentials: EMULATOR_CREDENTIALS,
    maxAttempts,
    retryDelayMs: TEST_RETRY_DELAY_MS,
  };
}

export function ec2For(endpoint: string, maxAttempts = 3): EC2Client {
  return createEc2Client(emulatorOptions(endpoint, maxAttempts));
}

export function stsFor(endpoint: string, maxAttempts = 3) {
  return createStsClient(emulatorOptions(endpoint, maxAttempts));
}

/** Path-style S3 client (engine/aws/clients.ts sets forcePathStyle for a custom endpoint). */
export function s3For(endpoint: string, maxAttempts = 3): S3Client {
  return createS3Client(emulatorOptions(endpoint, maxAttempts));
}

export function ssmFor(endpoint: string, maxAttempts = 3): SSMClient {
  return createSsmClient(emulatorOptions(endpoint, maxAttempts));
}

export function eventsFor(endpoint: string, maxAttempts = 3): EventBridgeClient {
  return createEventBridgeClient(emulatorOptions(endpoint, maxAttempts));
}

export const EBS_TEST_OPTIONS = {
  region: 'us-east-1',
  credentials: EMULATOR_CREDENTIALS,
  baseDelayMs: 1,
  maxDelayMs: 20,
};

/** SQS has no factory in engine/aws (the scheduler's scale-out takes a client): built here the same way. */
export function sqsFor(endpoint: string, maxAttempts = 3): SQSClient {
  return new SQSClient({
    endpoint,
    region: 'us-east-1',
    credentials: EMULATOR_CREDENTIALS,
    maxAttempts,
    retryStrategy: fixedDelayRetryStrategy(maxAttempts, TEST_RETRY_DELAY_MS),
    requestHandler: httpHandler({ maxSockets: 8 }),
  });
}

/**
 * A job queue with a dead-letter queue after `maxReceiveCount` receives (the layout the scale-out
 * CDK stack deploys), created through the SQS API: `{ url, dlq }`.
 */
export async function createJobQueue(
  sqs: SQSClient,
  name: string,
  o: { visibilityS?: number; maxReceiveCount: number },
): Promise<{ url: string; dlq: string }> {
  const dlq = (await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }))).QueueUrl!;
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq, AttributeNames: ['QueueArn'] })))
    .Attributes!.QueueArn!;
  const url = (
    await sqs.send(
      new CreateQueueCommand({
        QueueName: name,
        Attributes: {
          ...(o.visibilityS !== undefined ? { VisibilityTimeout: String(o.visibilityS) } : {}),
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: o.maxReceiveCount }),
        },
      }),
    )
  ).QueueUrl!;
  return { url, dlq };
}
