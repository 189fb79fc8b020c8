import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3For } from '../clients.js';
import { type Emulator, startEmulator } from '../index.js';
import { decodeAwsChunked } from '../services/s3.js';

const b64 = (alg: string, body: Buffer | string) => createHash(alg).update(body).digest('base64');

describe('test/emulator/services/s3', () => {
  let emu: Emulator;
  let s3: S3Client;

  beforeAll(async () => {
    emu = await startEmulator({ seed: 3 });
    s3 = s3For(emu.endpoint, 1);
    await s3.send(new CreateBucketCommand({ Bucket: 'exports' }));
  });
  afterAll(async () => {
    s3?.destroy();
    await emu?.close();
  });

  it('CreateBucket, HeadBucket; a second CreateBucket is BucketAlreadyOwnedByYou; unknown bucket NoSuchBucket', async () => {
    await s3.send(new HeadBucketCommand({ Bucket: 'exports' }));
    const again = await s3.send(new CreateBucketCommand({ Bucket: 'exports' })).catch((e) => e);
    expect(again.name).toBe('BucketAlreadyOwnedByYou');
    const missing = await s3
      .send(new PutObjectCommand({ Bucket: 'nope-bucket', Key: 'k', Body: 'x' }))
      .catch((e) => e);
    expect(missing.name).toBe('NoSuchBucket');
    expect(emu.services.s3.bucketNames()).toEqual(['exports']);
  });

  it('PutObject with SHA-256 and SSE-KMS: verified, stored, headers recorded and echoed; GetObject/HeadObject return them', async () => {
    const body = Buffer.from('{"a":1}\n{"a":2}\n');
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: 'exports',
        Key: 'run=1/acct/i-1.ndjson',
        Body: body,
        ContentType: 'application/x-ndjson',
        ChecksumSHA256: b64('sha256', body),
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: 'arn:aws:kms:us-east-1:123456789012:key/abc',
        BucketKeyEnabled: true,
        Metadata: { run: '1' },
      }),
    );
    expect(put.ETag).toBe(`"${createHash('md5').update(body).digest('hex')}"`);
    expect(put.ServerSideEncryption).toBe('aws:kms');
    expect(put.SSEKMSKeyId).toBe('arn:aws:kms:us-east-1:123456789012:key/abc');
    expect(put.BucketKeyEnabled).toBe(true);
    expect(put.ChecksumSHA256).toBe(b64('sha256', body));
    const stored = emu.services.s3.object('exports', 'run=1/acct/i-1.ndjson')!;
    expect(stored.body.equals(body)).toBe(true);
    expect(stored.checksums.sha256).toBe(b64('sha256', body));
    expect(stored.requestHeaders['x-amz-server-side-encryption']).toBe('aws:kms');
    expect(stored.requestHeaders['x-amz-server-side-encryption-bucket-key-enabled']).toBe('true');
    expect(stored.metadata).toEqual({ run: '1' });
    const got = await s3.send(
      new GetObjectCommand({ Bucket: 'exports', Key: 'run=1/acct/i-1.ndjson', ChecksumMode: 'ENABLED' }),
    );
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
    expect(got.ContentType).toBe('application/x-ndjson');
    expect(got.ChecksumSHA256).toBe(b64('sha256', body));
    expect(got.ServerSideEncryption).toBe('aws:kms');
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'exports', Key: 'run=1/acct/i-1.ndjson' }));
    expect(head.ContentLength).toBe(body.length);
    expect(head.Metadata).toEqual({ run: '1' });
    const range = await s3.send(
      new GetObjectCommand({ Bucket: 'exports', Key: 'run=1/acct/i-1.ndjson', Range: 'bytes=0-6' }),
    );
    expect(await range.Body!.transformToString()).toBe('{"a":1}');
  });

  it('PutObject without SSE gets the bucket default (AES256); with the SDK default CRC32 checksum', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: 'exports', Key: 'plain.txt', Body: 'hello' }));
    expect(put.ServerSideEncryption).toBe('AES256');
    const o = emu.services.s3.object('exports', 'plain.txt')!;
    expect(o.serverSideEncryption).toBe('AES256');
    expect(Object.keys(o.checksums).length).toBeGreaterThan(0);
  });

  it.each([
    { name: 'SHA-256', input: { ChecksumSHA256: b64('sha256', 'other') } },
    { name: 'Content-MD5', input: { ContentMD5: b64('md5', 'other') } },
  ])('PutObject with a wrong $name → BadDigest, nothing stored', async ({ input }) => {
    const err = await s3
      .send(new PutObjectCommand({ Bucket: 'exports', Key: 'bad.txt', Body: 'payload', ...input }))
      .catch((e) => e);
    expect(err.name).toBe('BadDigest');
    expect(err.$metadata.httpStatusCode).toBe(400);
    expect(emu.services.s3.object('exports', 'bad.txt')).toBeUndefined();
  });

  it('a streamed body of unknown length goes aws-chunked with a trailing checksum, decoded and verified', async () => {
    const parts = [Buffer.alloc(70_000, 1), Buffer.alloc(5, 2)];
    await s3.send(
      new PutObjectCommand({
        Bucket: 'exports',
        Key: 'streamed.bin',
        Body: Readable.from(parts),
        ContentLength: 70_005,
        ChecksumAlgorithm: 'SHA256',
      }),
    );
    const o = emu.services.s3.object('exports', 'streamed.bin')!;
    expect(o.body.equals(Buffer.concat(parts))).toBe(true);
    expect(o.checksums.sha256).toBe(b64('sha256', Buffer.concat(parts)));
  });

  it('aws-chunked decoding refuses a chunk larger than the body', () => {
    expect(() => decodeAwsChunked(Buffer.from('ffff\r\nabc\r\n0\r\n\r\n'))).toThrow(/exceeds the body/);
    const ok = decodeAwsChunked(Buffer.from('3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAA\r\n\r\n'));
    expect(ok.body.toString()).toBe('abc');
    expect(ok.trailers).toEqual({ 'x-amz-checksum-crc32': 'AAAA' });
  });

  it('conditional writes: If-None-Match * refuses an existing key (412); If-Match needs the current ETag', async () => {
    const first = await s3.send(
      new PutObjectCommand({ Bucket: 'exports', Key: 'state.json', Body: '1', IfNoneMatch: '*' }),
    );
    const dup = await s3
      .send(new PutObjectCommand({ Bucket: 'exports', Key: 'state.json', Body: '2', IfNoneMatch: '*' }))
      .catch((e) => e);
    expect(dup.$metadata.httpStatusCode).toBe(412);
    const stale = await s3
      .send(new PutObjectCommand({ Bucket: 'exports', Key: 'state.json', Body: '2', IfMatch: '"0000"' }))
      .catch((e) => e);
    expect(stale.$metadata.httpStatusCode).toBe(412);
    await s3.send(
      new PutObjectCommand({ Bucket: 'exports', Key: 'state.json', Body: '2', IfMatch: first.ETag }),
    );
    expect(emu.services.s3.object('exports', 'state.json')!.body.toString()).toBe('2');
  });

  it('ListObjectsV2: prefix, delimiter (common prefixes), max-keys and continuation tokens; DeleteObject', async () => {
    const keys = [
      'f/dt=2026-12-01/run=a/111/i-1.ndjson',
      'f/dt=2026-12-01/run=a/111/i-2.ndjson',
      'f/dt=2026-12-01/run=a/manifest.json',
      'f/dt=2026-12-02/run=b/111/i-1.ndjson',
      'f/dt=2026-12-02/run=b/manifest.json',
      'f/dt=2026-12-02/run=c/111/i-1.ndjson',
      'f/top.txt',
    ];
    for (const k of keys) emu.services.s3.putObject('exports', k, k);
    const top = await s3.send(new ListObjectsV2Command({ Bucket: 'exports', Prefix: 'f/', Delimiter: '/' }));
    expect(top.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['f/dt=2026-12-01/', 'f/dt=2026-12-02/']);
    expect(top.Contents?.map((c) => c.Key)).toEqual(['f/top.txt']);
    expect(top.KeyCount).toBe(3);
    const runs: string[] = [];
    for await (const page of paginateListObjectsV2(
      { client: s3, pageSize: 1 },
      { Bucket: 'exports', Prefix: 'f/dt=2026-12-02/', Delimiter: '/' },
    ))
      runs.push(...(page.CommonPrefixes ?? []).map((p) => p.Prefix!));
    expect(runs).toEqual(['f/dt=2026-12-02/run=b/', 'f/dt=2026-12-02/run=c/']);
    const all: string[] = [];
    let pages = 0;
    for await (const page of paginateListObjectsV2(
      { client: s3, pageSize: 2 },
      { Bucket: 'exports', Prefix: 'f/' },
    )) {
      pages++;
      all.push(...(page.Contents ?? []).map((c) => c.Key!));
      for (const c of page.Contents ?? []) expect(c.Size).toBe(c.Key!.length);
    }
    expect(all).toEqual(keys);
    expect(pages).toBe(4);
    await s3.send(new DeleteObjectCommand({ Bucket: 'exports', Key: 'f/top.txt' }));
    await s3.send(new DeleteObjectCommand({ Bucket: 'exports', Key: 'f/never-there' }));
    const after = await s3.send(new ListObjectsV2Command({ Bucket: 'exports', Prefix: 'f/t' }));
    expect(after.KeyCount).toBe(0);
    const miss = await s3.send(new GetObjectCommand({ Bucket: 'exports', Key: 'f/top.txt' })).catch((e) => e);
    expect(miss.name).toBe('NoSuchKey');
    const headMiss = await s3
      .send(new HeadObjectCommand({ Bucket: 'exports', Key: 'f/top.txt' }))
      .catch((e) => e);
    expect(headMiss.$metadata.httpStatusCode).toBe(404);
  });

  it.each([
    { fault: 'throttling', faults: { throttleRate: 1 }, name: 'SlowDown', status: 503 },
    { fault: '5xx', faults: { serverErrorRate: 1 }, name: undefined, status: undefined },
  ])(
    '$fault on PutObject answers the S3 error shape; the SDK retries until the fault stops',
    async ({ faults, name, status }) => {
      emu.configure({ faults: { ...faults, actions: ['PutObject'] } });
      const err = await s3
        .send(new PutObjectCommand({ Bucket: 'exports', Key: 'f.txt', Body: 'x' }))
        .catch((e) => e);
      if (name) expect(err.name).toBe(name);
      if (status) expect(err.$metadata.httpStatusCode).toBe(status);
      else expect(err.$metadata.httpStatusCode).toBeGreaterThanOrEqual(500);
      // 50% throttling with the SDK's own retries (5 attempts): the object lands.
      emu.configure({ faults: { ...faults, throttleRate: 0.5, serverErrorRate: 0, actions: ['s3:*'] } });
      const retrying = s3For(emu.endpoint, 8);
      await retrying.send(new PutObjectCommand({ Bucket: 'exports', Key: 'f.txt', Body: 'x' }));
      retrying.destroy();
      emu.configure({ faults: {} });
      expect(emu.services.s3.object('exports', 'f.txt')?.body.toString()).toBe('x');
    },
  );

  it('failPuts: the chosen keys fail N times (recorded in puts), then succeed', async () => {
    emu.services.s3.failPuts(/manifest\.json$/, { times: 2 });
    const a = await s3
      .send(new PutObjectCommand({ Bucket: 'exports', Key: 'r/manifest.json', Body: '{}' }))
      .catch((e) => e);
    expect(a.$metadata.httpStatusCode).toBe(500);
    await s3.send(new PutObjectCommand({ Bucket: 'exports', Key: 'r/data.ndjson', Body: '' }));
    const b = await s3
      .send(new PutObjectCommand({ Bucket: 'exports', Key: 'r/manifest.json', Body: '{}' }))
      .catch((e) => e);
    expect(b.$metadata.httpStatusCode).toBe(500);
    await s3.send(new PutObjectCommand({ Bucket: 'exports', Key: 'r/manifest.json', Body: '{}' }));
    expect(emu.services.s3.puts.filter((p) => p.key.startsWith('r/')).map((p) => [p.key, p.status])).toEqual([
      ['r/manifest.json', 500],
      ['r/data.ndjson', 200],
      ['r/manifest.json', 500],
      ['r/manifest.json', 200],
    ]);
  });
});
