/**
 * EBS client construction. Region, credentials and endpoint come from the SDK's standard chain
 * (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL_EBS / AWS_ENDPOINT_URL, instance roles); an explicit
 * endpoint or region overrides it. The SDK's own retries are off (maxAttempts 1): the source retries
 * itself so every attempt is counted and abortable.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { EBSClient } from '@aws-sdk/client-ebs';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { NodeHttpHandler } from '@smithy/node-http-handler';

export interface AwsClientOptions {
  region?: string;
  endpoint?: string;
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Sockets per host: at least the number of requests in flight. */
  maxSockets?: number;
  /** Milliseconds to establish a connection. */
  connectionTimeoutMs?: number;
  /** Milliseconds of socket inactivity before an attempt fails with TimeoutError. */
  requestTimeoutMs?: number;
}

export function httpHandler(o: AwsClientOptions): NodeHttpHandler {
  const maxSockets = o.maxSockets ?? 64;
  return new NodeHttpHandler({
    httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
    httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }),
    connectionTimeout: o.connectionTimeoutMs ?? 5_000,
    requestTimeout: o.requestTimeoutMs ?? 30_000,
  });
}

export function createEbsClient(o: AwsClientOptions = {}): EBSClient {
  return new EBSClient({
    ...(o.region ? { region: o.region } : {}),
    ...(o.endpoint ? { endpoint: o.endpoint } : {}),
    ...(o.credentials ? { credentials: o.credentials } : {}),
    maxAttempts: 1,
    requestHandler: httpHandler(o),
  });
}
