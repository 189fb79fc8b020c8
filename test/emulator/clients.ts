/** Real SDK clients pointed at an emulator (static credentials; no chain lookups, no IMDS). */
import type { EC2Client } from '@aws-sdk/client-ec2';
import { createEc2Client, createStsClient } from '../../engine/aws/clients.js';
import { EMULATOR_CREDENTIALS } from './index.js';

export function ec2For(endpoint: string, maxAttempts = 3): EC2Client {
  return createEc2Client({ endpoint, region: 'us-east-1', credentials: EMULATOR_CREDENTIALS, maxAttempts });
}

export function stsFor(endpoint: string) {
  return createStsClient({ endpoint, region: 'us-east-1', credentials: EMULATOR_CREDENTIALS });
}

export const EBS_TEST_OPTIONS = {
  region: 'us-east-1',
  credentials: EMULATOR_CREDENTIALS,
  baseDelayMs: 1,
  maxDelayMs: 20,
};
