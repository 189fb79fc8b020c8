import { request } from 'node:http';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStsClient } from '../../engine/aws/clients.js';
import { EMULATOR_CREDENTIALS, type Emulator, startEmulator } from './index.js';
import { signingService } from './protocol.js';

function raw(
  endpoint: string,
  o: { method: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(`${endpoint}${o.path}`, { method: o.method, headers: o.headers ?? {} }, (res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

const auth = (service: string) =>
  `AWS4-HMAC-SHA256 Credential=AKIAEMULATOR/20261206/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=00`;

describe('test/emulator/server (routing)', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator();
    emu.services.s3.createBucket('snapshots');
  });
  afterAll(async () => {
    await emu?.close();
  });

  it.each([
    { header: auth('s3'), service: 's3' },
    { header: auth('ebs'), service: 'ebs' },
    { header: 'Bearer x', service: undefined },
  ])('reads the SigV4 credential scope: $service', ({ header, service }) => {
    const req = { headers: { authorization: header } } as never;
    expect(signingService(req, new URL('http://x/'))).toBe(service);
  });

  it('the signing scope decides between EBS and S3 on a path both could claim', async () => {
    emu.resetCounts();
    const asS3 = await raw(emu.endpoint, {
      method: 'GET',
      path: '/snapshots/snap-1/blocks',
      headers: { authorization: auth('s3') },
    });
    expect(asS3.status).toBe(404);
    expect(asS3.body).toContain('<Code>NoSuchKey</Code>');
    const asEbs = await raw(emu.endpoint, {
      method: 'GET',
      path: '/snapshots/snap-1/blocks',
      headers: { authorization: auth('ebs') },
    });
    expect(asEbs.status).toBe(404);
    expect(asEbs.headers['x-amzn-errortype']).toBe('ResourceNotFoundException');
    expect(emu.countsByService).toEqual({ s3: { GetObject: 1 }, ebs: { ListSnapshotBlocks: 1 } });
  });

  it('an unknown X-Amz-Target prefix and an unknown Query action are refused, not misrouted', async () => {
    const json = await raw(emu.endpoint, {
      method: 'POST',
      path: '/',
      headers: { 'x-amz-target': 'AmazonNoSuchService.DoIt', 'content-type': 'application/x-amz-json-1.1' },
      body: '{}',
    });
    expect(json.status).toBe(404);
    const query = await raw(emu.endpoint, {
      method: 'POST',
      path: '/',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=RunInstances&Version=2016-11-15',
    });
    expect(query.status).toBe(400);
    expect(query.body).toContain('<Code>InvalidAction</Code>');
  });

  it('a JSON-protocol body that is not a JSON object → SerializationException', async () => {
    const bad = await raw(emu.endpoint, {
      method: 'POST',
      path: '/',
      headers: {
        'x-amz-target': 'AmazonSSM.DescribeInstanceInformation',
        'content-type': 'application/x-amz-json-1.1',
      },
      body: '{"Filters": [',
    });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).__type).toBe('SerializationException');
  });

  it('an oversized JSON body is cut off, not buffered', async () => {
    const big = await raw(emu.endpoint, {
      method: 'POST',
      path: '/',
      headers: {
        'x-amz-target': 'AmazonSSM.DescribeInstanceInformation',
        'content-type': 'application/x-amz-json-1.1',
      },
      body: `{"pad":"${'x'.repeat(2 * 1024 * 1024)}"}`,
    }).catch((e) => e);
    expect(big instanceof Error ? 'reset' : big.status).not.toBe(200);
  });

  it('STS faults come in the awsQuery error shape the SDK parses', async () => {
    emu.configure({ faults: { throttleRate: 1, actions: ['sts:*'] } });
    const sts = createStsClient({
      endpoint: emu.endpoint,
      region: 'us-east-1',
      credentials: EMULATOR_CREDENTIALS,
      maxAttempts: 1,
    });
    const err = await sts.send(new GetCallerIdentityCommand({}), {}).catch((e) => e);
    sts.destroy();
    emu.configure({ faults: {} });
    expect(err.name).toBe('Throttling');
  });
});
