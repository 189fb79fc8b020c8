/**
 * EC2 and STS clients (instance scans, the janitor, the scheduler). Region, credentials and endpoint come from the SDK's
 * standard chain (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL, instance roles);
 * explicit options override it. Control-plane calls are few, so the SDK's standard retry is kept.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import { type AwsClientOptions, httpHandler } from '../../readers/block/ebs/client.js';

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
  return new EC2Client(common(o));
}

export function createStsClient(o: AwsClientOptions & { maxAttempts?: number } = {}): STSClient {
  return new STSClient(common(o));
}

/**
 * S3 client. Path-style addressing when an endpoint is configured (an emulator or an
 * S3-compatible store has no per-bucket DNS names); virtual-hosted on AWS.
 */
export function createS3Client(o: AwsClientOptions & { maxAttempts?: number } = {}): S3Client {
  const custom = o.endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
  return new S3Client({ ...common(o), forcePathStyle: custom !== undefined && custom !== '' });
}
