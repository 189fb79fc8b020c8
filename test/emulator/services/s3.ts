/**
 * Amazon S3 (REST-XML, API 2006-03-01), path-style (`/BUCKET/KEY`, the clients use
 * `forcePathStyle: true` against the emulator) or virtual-hosted on `BUCKET.localhost`:
 *   PUT    /B                     CreateBucket         HEAD /B              HeadBucket
 *   GET    /B?list-type=2&…       ListObjectsV2 (prefix, delimiter, max-keys, continuation-token, start-after)
 *   PUT    /B/K                   PutObject: x-amz-checksum-{sha256,sha1,crc32,crc32c} and Content-MD5
 *                                 verified (BadDigest), aws-chunked bodies with trailing checksums decoded,
 *                                 SSE headers recorded and echoed, If-None-Match: * / If-Match conditional
 *                                 writes (412 PreconditionFailed)
 *   GET    /B/K                   GetObject (Range, x-amz-checksum-mode: ENABLED echoes the stored checksums;
 *                                 faults corruptRate flips a body byte, truncateRate drops the connection mid-body)
 *   HEAD   /B/K                   HeadObject
 *   DELETE /B/K                   DeleteObject (204 whether or not the key exists)
 * Errors are the S3 XML <Error> document; HEAD errors have no body. Throttling is `SlowDown` 503.
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html (aws-chunked)
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { crc32, crc32c } from '../../../readers/bytes/crc32.js';
import { unit } from '../faults.js';
import { HttpFault, readBody, sendS3Error, sendXml } from '../protocol.js';
import type { Emulator } from '../server.js';
import { esc } from '../xml.js';
import type { EmulatorCall, EmulatorService, RestMatch } from './types.js';

const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';
/** The emulator keeps objects in memory: one object at most this large (real S3: 5 GiB per PUT). */
export const MAX_S3_OBJECT_BYTES = 64 * 1024 * 1024;
const MAX_KEYS = 1000;
const MAX_CHUNKS = 1 << 20;

export type S3Checksums = Partial<Record<'sha256' | 'sha1' | 'crc32' | 'crc32c' | 'crc64nvme', string>>;

export interface S3ObjectRecord {
  bucket: string;
  key: string;
  body: Buffer;
  contentType: string;
  etag: string;
  lastModified: Date;
  /** `AES256` (the bucket default when none is asked), `aws:kms`, `aws:kms:dsse`. */
  serverSideEncryption: string;
  kmsKeyId?: string;
  bucketKeyEnabled?: boolean;
  /** Checksums the client sent (base64), each verified against the body before the object was stored. */
  checksums: S3Checksums;
  metadata: Record<string, string>;
  /** Every request header of the PutObject that stored it (lower-case names), for assertions. */
  requestHeaders: Record<string, string>;
}

export interface S3PutAttempt {
  bucket: string;
  key: string;
  status: number;
  code?: string;
}

interface PutFailure {
  match: (key: string) => boolean;
  remaining: number;
  status: number;
  code: string;
}

interface Bucket {
  name: string;
  created: Date;
  objects: Map<string, S3ObjectRecord>;
}

export class S3Service implements EmulatorService {
  readonly id = 's3';
  private readonly buckets = new Map<string, Bucket>();
  private readonly failures: PutFailure[] = [];
  /** Every PutObject that reached the handler, in order, with the status it was answered with. */
  readonly puts: S3PutAttempt[] = [];

  constructor(private readonly emu: Emulator) {}

  // ---- test accessors -----------------------------------------------------------------------

  createBucket(name: string): void {
    if (!this.buckets.has(name)) this.buckets.set(name, { name, created: new Date(), objects: new Map() });
  }

  bucketNames(): string[] {
    return [...this.buckets.keys()].sort();
  }

  /** One stored object, or undefined. */
  object(bucket: string, key: string): S3ObjectRecord | undefined {
    return this.buckets.get(bucket)?.objects.get(key);
  }

  /** Stored objects of a bucket under a prefix, sorted by key. */
  objects(bucket: string, prefix = ''): S3ObjectRecord[] {
    const b = this.buckets.get(bucket);
    if (!b) return [];
    return [...b.objects.values()]
      .filter((o) => o.key.startsWith(prefix))
      .sort((x, y) => cmpKey(x.key, y.key));
  }

  /** Seeds an object without a request (SSE-S3, no client checksum). */
  putObject(
    bucket: string,
    key: string,
    body: Buffer | string,
    contentType = 'application/octet-stream',
  ): void {
    this.createBucket(bucket);
    const data = Buffer.isBuffer(body) ? body : Buffer.from(body);
    this.buckets.get(bucket)!.objects.set(key, {
      bucket,
      key,
      body: data,
      contentType,
      etag: `"${createHash('md5').update(data).digest('hex')}"`,
      lastModified: new Date(),
      serverSideEncryption: 'AES256',
      checksums: {},
      metadata: {},
      requestHeaders: {},
    });
  }

  deleteObject(bucket: string, key: string): void {
    this.buckets.get(bucket)?.objects.delete(key);
  }

  /**
   * The next `times` PutObject requests whose key matches fail with `status`/`code` (default 500
   * InternalError) after the body was received: "the manifest's PUT fails", "every findings PUT fails".
   */
  failPuts(
    match: RegExp | ((key: string) => boolean),
    o: { times?: number; status?: number; code?: string } = {},
  ) {
    this.failures.push({
      match: typeof match === 'function' ? match : (k) => match.test(k),
      remaining: o.times ?? Number.POSITIVE_INFINITY,
      status: o.status ?? 500,
      code: o.code ?? (o.status === 503 ? 'SlowDown' : 'InternalError'),
    });
  }

  clearFailures(): void {
    this.failures.length = 0;
  }

  // ---- routing ------------------------------------------------------------------------------

  restOperation(req: IncomingMessage, url: URL, signing: string | undefined): RestMatch | undefined {
    if (signing && signing !== 's3') return undefined;
    const { bucket, key } = this.locate(req, url);
    const q = url.searchParams;
    const m = req.method;
    let action: string | undefined;
    if (!bucket) action = m === 'GET' ? 'ListBuckets' : undefined;
    else if (key === '') {
      if (m === 'PUT') action = 'CreateBucket';
      else if (m === 'HEAD') action = 'HeadBucket';
      else if (m === 'DELETE') action = 'DeleteBucket';
      else if (m === 'GET') action = q.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects';
      else if (m === 'POST' && q.has('delete')) action = 'DeleteObjects';
    } else if (m === 'PUT') action = req.headers['x-amz-copy-source'] ? 'CopyObject' : 'PutObject';
    else if (m === 'GET') action = 'GetObject';
    else if (m === 'HEAD') action = 'HeadObject';
    else if (m === 'DELETE') action = 'DeleteObject';
    if (!action) return undefined;
    return { action, faultKey: `${bucket}/${key}/${q.get('continuation-token') ?? ''}` };
  }

  private locate(req: IncomingMessage, url: URL): { bucket: string; key: string } {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    const vhost = /^([a-z0-9][a-z0-9.-]*)\.localhost$/.exec(host);
    const path = url.pathname;
    if (vhost) return { bucket: vhost[1]!, key: decodeKey(path.slice(1)) };
    const slash = path.indexOf('/', 1);
    if (slash < 0) return { bucket: decodeURIComponent(path.slice(1)), key: '' };
    return { bucket: decodeURIComponent(path.slice(1, slash)), key: decodeKey(path.slice(slash + 1)) };
  }

  readonly faultReplies = {
    throttle: (res: ServerResponse) => sendS3Error(res, 503, 'SlowDown', 'Please reduce your request rate.'),
    serverError: (res: ServerResponse, pick: number) => {
      if (pick < 0.5)
        sendS3Error(res, 500, 'InternalError', 'We encountered an internal error. Please try again.');
      else sendS3Error(res, 503, 'ServiceUnavailable', 'Service is unable to handle request.');
    },
  };

  sendFault(call: EmulatorCall, status: number, code: string, message: string): void {
    if (call.action === 'PutObject') {
      const { bucket, key } = this.locate(call.req, call.url);
      this.puts.push({ bucket, key, status, code });
    }
    if (call.req.method === 'HEAD') {
      call.res.writeHead(status, { 'x-amz-request-id': 'emulator', 'content-length': 0 });
      call.res.end();
      return;
    }
    sendS3Error(call.res, status, code, message, call.url.pathname);
  }

  // ---- operations ---------------------------------------------------------------------------

  async handle(call: EmulatorCall): Promise<void> {
    const { bucket, key } = this.locate(call.req, call.url);
    const { req, res } = call;
    if (call.action !== 'PutObject') req.resume();
    switch (call.action) {
      case 'CreateBucket': {
        if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket))
          throw new HttpFault(400, 'InvalidBucketName', 'The specified bucket is not valid.');
        if (this.buckets.has(bucket))
          throw new HttpFault(
            409,
            'BucketAlreadyOwnedByYou',
            'Your previous request to create the named bucket succeeded and you already own it.',
          );
        this.createBucket(bucket);
        res.writeHead(200, { location: `/${bucket}`, 'content-length': 0 });
        res.end();
        return;
      }
      case 'HeadBucket':
        this.bucket(bucket);
        res.writeHead(200, { 'x-amz-bucket-region': this.emu.options.region, 'content-length': 0 });
        res.end();
        return;
      case 'ListObjectsV2':
        this.listObjectsV2(this.bucket(bucket), call.url.searchParams, res);
        return;
      case 'PutObject':
        await this.put(bucket, key, req, res);
        return;
      case 'GetObject':
      case 'HeadObject':
        this.get(bucket, key, req, res, call.action === 'HeadObject');
        return;
      case 'DeleteObject':
        this.bucket(bucket).objects.delete(key);
        res.writeHead(204, {});
        res.end();
        return;
      default:
        throw new HttpFault(501, 'NotImplemented', `${call.action} is not implemented by the emulator.`);
    }
  }

  private bucket(name: string): Bucket {
    const b = this.buckets.get(name);
    if (!b) throw new HttpFault(404, 'NoSuchBucket', 'The specified bucket does not exist');
    return b;
  }

  private async put(bucketName: string, key: string, req: IncomingMessage, res: ServerResponse) {
    const h = req.headers;
    const raw = await readBody(req, MAX_S3_OBJECT_BYTES + 64 * 1024);
    const bucket = this.bucket(bucketName);
    if (key.length > 1024) throw new HttpFault(400, 'KeyTooLongError', 'Your key is too long');
    const encodings = String(h['content-encoding'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const chunked =
      encodings.includes('aws-chunked') || String(h['x-amz-content-sha256'] ?? '').startsWith('STREAMING-');
    const { body, trailers } = chunked
      ? decodeAwsChunked(raw)
      : { body: raw, trailers: {} as Record<string, string> };
    if (chunked && h['x-amz-decoded-content-length'] !== undefined) {
      if (Number(h['x-amz-decoded-content-length']) !== body.length)
        throw new HttpFault(
          400,
          'IncompleteBody',
          'You did not provide the number of bytes specified by the Content-Length HTTP header.',
        );
    }
    if (body.length > MAX_S3_OBJECT_BYTES)
      throw new HttpFault(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size');
    const header = (name: string): string | undefined => {
      const v = trailers[name] ?? h[name];
      return Array.isArray(v) ? v[0] : v;
    };
    // Integrity: every checksum the client sent must match the bytes received.
    const checksums: S3Checksums = {};
    const computed: Record<keyof S3Checksums, (() => string) | undefined> = {
      sha256: () => createHash('sha256').update(body).digest('base64'),
      sha1: () => createHash('sha1').update(body).digest('base64'),
      crc32: () => u32b64(crc32(body)),
      crc32c: () => u32b64(crc32c(body)),
      crc64nvme: undefined, // recorded, not verified (needs the CRT)
    };
    for (const alg of Object.keys(computed) as (keyof S3Checksums)[]) {
      const sent = header(`x-amz-checksum-${alg}`);
      if (sent === undefined) continue;
      const calc = computed[alg];
      if (calc && calc() !== sent) {
        throw new HttpFault(
          400,
          'BadDigest',
          `The ${alg.toUpperCase()} you specified did not match the calculated checksum.`,
        );
      }
      checksums[alg] = sent;
    }
    const md5 = createHash('md5').update(body).digest();
    if (h['content-md5'] !== undefined && h['content-md5'] !== md5.toString('base64')) {
      throw new HttpFault(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
    }
    // Server-side encryption as asked; the bucket default is SSE-S3.
    const sse = header('x-amz-server-side-encryption') ?? 'AES256';
    if (!['AES256', 'aws:kms', 'aws:kms:dsse'].includes(sse))
      throw new HttpFault(400, 'InvalidArgument', 'The encryption method specified is not supported');
    let kmsKeyId = header('x-amz-server-side-encryption-aws-kms-key-id');
    if (kmsKeyId && sse === 'AES256')
      throw new HttpFault(
        400,
        'InvalidArgument',
        'Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms',
      );
    if (sse !== 'AES256' && !kmsKeyId)
      kmsKeyId = `arn:aws:kms:${this.emu.options.region}:${this.emu.options.accountId}:key/aws-s3-default`;
    else if (kmsKeyId && !kmsKeyId.startsWith('arn:'))
      kmsKeyId = `arn:aws:kms:${this.emu.options.region}:${this.emu.options.accountId}:${kmsKeyId.startsWith('alias/') ? kmsKeyId : `key/${kmsKeyId}`}`;
    const bucketKey = header('x-amz-server-side-encryption-bucket-key-enabled');
    // Conditional writes (S3 since 2024): create-only and compare-and-swap on the ETag.
    const existing = bucket.objects.get(key);
    const etag = `"${md5.toString('hex')}"`;
    if (h['if-none-match'] === '*' && existing) {
      throw new HttpFault(
        412,
        'PreconditionFailed',
        'At least one of the pre-conditions you specified did not hold',
      );
    }
    if (h['if-match'] !== undefined) {
      if (!existing) {
        throw new HttpFault(404, 'NoSuchKey', 'The specified key does not exist.');
      }
      if (h['if-match'] !== existing.etag && h['if-match'] !== '*') {
        throw new HttpFault(
          412,
          'PreconditionFailed',
          'At least one of the pre-conditions you specified did not hold',
        );
      }
    }
    const failure = this.failures.find((f) => f.remaining > 0 && f.match(key));
    if (failure) {
      failure.remaining--;
      this.emu.inject('s3-put-fail');
      throw new HttpFault(
        failure.status,
        failure.code,
        'We encountered an internal error. Please try again.',
      );
    }
    const requestHeaders: Record<string, string> = {};
    for (const [k, v] of Object.entries(h))
      if (v !== undefined) requestHeaders[k] = Array.isArray(v) ? v.join(',') : v;
    const metadata: Record<string, string> = {};
    for (const [k, v] of Object.entries(requestHeaders))
      if (k.startsWith('x-amz-meta-')) metadata[k.slice(11)] = v;
    const obj: S3ObjectRecord = {
      bucket: bucketName,
      key,
      body,
      contentType: header('content-type') ?? 'binary/octet-stream',
      etag,
      lastModified: new Date(),
      serverSideEncryption: sse,
      ...(kmsKeyId ? { kmsKeyId } : {}),
      ...(bucketKey !== undefined ? { bucketKeyEnabled: bucketKey === 'true' } : {}),
      checksums,
      metadata,
      requestHeaders,
    };
    bucket.objects.set(key, obj);
    this.puts.push({ bucket: bucketName, key, status: 200 });
    res.writeHead(200, { etag, ...this.sseHeaders(obj), ...this.checksumHeaders(obj), 'content-length': 0 });
    res.end();
  }

  private sseHeaders(o: S3ObjectRecord): Record<string, string> {
    return {
      'x-amz-server-side-encryption': o.serverSideEncryption,
      ...(o.kmsKeyId ? { 'x-amz-server-side-encryption-aws-kms-key-id': o.kmsKeyId } : {}),
      ...(o.bucketKeyEnabled !== undefined
        ? { 'x-amz-server-side-encryption-bucket-key-enabled': String(o.bucketKeyEnabled) }
        : {}),
    };
  }

  private checksumHeaders(o: S3ObjectRecord): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [alg, v] of Object.entries(o.checksums)) out[`x-amz-checksum-${alg}`] = v;
    if (Object.keys(out).length) out['x-amz-checksum-type'] = 'FULL_OBJECT';
    return out;
  }

  private get(bucketName: string, key: string, req: IncomingMessage, res: ServerResponse, head: boolean) {
    const o = this.bucket(bucketName).objects.get(key);
    if (!o) throw new HttpFault(404, 'NoSuchKey', 'The specified key does not exist.');
    if (req.headers['if-match'] !== undefined && req.headers['if-match'] !== o.etag)
      throw new HttpFault(
        412,
        'PreconditionFailed',
        'At least one of the pre-conditions you specified did not hold',
      );
    if (req.headers['if-none-match'] === o.etag) {
      res.writeHead(304, { etag: o.etag });
      res.end();
      return;
    }
    const headers: Record<string, string | number> = {
      'content-type': o.contentType,
      etag: o.etag,
      'last-modified': o.lastModified.toUTCString(),
      'accept-ranges': 'bytes',
      ...this.sseHeaders(o),
    };
    for (const [k, v] of Object.entries(o.metadata)) headers[`x-amz-meta-${k}`] = v;
    let body = o.body;
    let status = 200;
    const range = /^bytes=(\d*)-(\d*)$/.exec(String(req.headers.range ?? ''));
    if (range && (range[1] || range[2])) {
      const size = o.body.length;
      let start = range[1] ? Number(range[1]) : Math.max(0, size - Number(range[2]));
      let end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      if (start >= size) throw new HttpFault(416, 'InvalidRange', 'The requested range is not satisfiable');
      end = Math.max(end, start);
      start = Math.min(start, end);
      body = o.body.subarray(start, end + 1);
      status = 206;
      headers['content-range'] = `bytes ${start}-${end}/${size}`;
    } else if (String(req.headers['x-amz-checksum-mode'] ?? '').toUpperCase() === 'ENABLED') {
      Object.assign(headers, this.checksumHeaders(o));
    }
    headers['content-length'] = body.length;
    // Body faults (GetObject only, when the fault actions cover it): a flipped byte under correct
    // headers, or the connection dropped halfway through the body.
    const f = this.emu.options.faults;
    if (!head && this.emu.faultsApply(this.id, 'GetObject') && body.length > 0) {
      const faultKey = `${bucketName}/${key}/`;
      const n = (this.emu.attemptsOf(`GetObject|${faultKey}`) ?? 1) - 1;
      const seed = this.emu.options.seed;
      if ((f.corruptRate ?? 0) > unit(seed, 'corrupt', faultKey, n)) {
        this.emu.inject('corrupt');
        body = Buffer.from(body);
        body[body.length >> 1] = body[body.length >> 1]! ^ 0xff;
      } else if ((f.truncateRate ?? 0) > unit(seed, 'truncate', faultKey, n)) {
        this.emu.inject('truncate');
        res.writeHead(status, headers);
        res.write(body.subarray(0, body.length >> 1), () => res.socket?.destroy());
        return;
      }
    }
    res.writeHead(status, headers);
    res.end(head ? undefined : body);
  }

  private listObjectsV2(b: Bucket, q: URLSearchParams, res: ServerResponse) {
    const prefix = q.get('prefix') ?? '';
    const delimiter = q.get('delimiter') ?? '';
    const maxKeys = q.has('max-keys') ? Number(q.get('max-keys')) : MAX_KEYS;
    if (!Number.isInteger(maxKeys) || maxKeys < 0)
      throw new HttpFault(400, 'InvalidArgument', 'Provided max-keys not an integer or within integer range');
    const limit = Math.min(maxKeys, MAX_KEYS);
    const token = q.get('continuation-token');
    let after = q.get('start-after') ?? '';
    let skipPrefix = '';
    if (token !== null) {
      try {
        const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { a: string; p: string };
        after = t.a;
        skipPrefix = t.p;
      } catch {
        throw new HttpFault(400, 'InvalidArgument', 'The continuation token provided is incorrect');
      }
    }
    const keys = [...b.objects.keys()].sort(cmpKey);
    const contents: S3ObjectRecord[] = [];
    const prefixes: string[] = [];
    let truncated = false;
    let last = { a: '', p: '' };
    for (const k of keys) {
      if (!k.startsWith(prefix) || cmpKey(k, after) <= 0) continue;
      if (skipPrefix && k.startsWith(skipPrefix)) continue;
      const rest = k.slice(prefix.length);
      const d = delimiter ? rest.indexOf(delimiter) : -1;
      const cp = d >= 0 ? prefix + rest.slice(0, d + delimiter.length) : undefined;
      if (cp !== undefined && prefixes[prefixes.length - 1] === cp) continue;
      if (contents.length + prefixes.length >= limit) {
        truncated = true;
        break;
      }
      if (cp !== undefined) {
        prefixes.push(cp);
        last = { a: k, p: cp };
      } else {
        contents.push(b.objects.get(k)!);
        last = { a: k, p: '' };
      }
    }
    const encodeUrl = q.get('encoding-type') === 'url';
    const enc = (s: string) => esc(encodeUrl ? encodeURIComponent(s).replace(/%2F/g, '/') : s);
    const parts = [
      `<Name>${esc(b.name)}</Name>`,
      `<Prefix>${enc(prefix)}</Prefix>`,
      delimiter ? `<Delimiter>${enc(delimiter)}</Delimiter>` : '',
      `<MaxKeys>${maxKeys}</MaxKeys>`,
      `<KeyCount>${contents.length + prefixes.length}</KeyCount>`,
      `<IsTruncated>${truncated}</IsTruncated>`,
      token !== null ? `<ContinuationToken>${esc(token)}</ContinuationToken>` : '',
      truncated
        ? `<NextContinuationToken>${Buffer.from(JSON.stringify(last)).toString('base64url')}</NextContinuationToken>`
        : '',
      q.has('start-after') ? `<StartAfter>${enc(q.get('start-after')!)}</StartAfter>` : '',
      encodeUrl ? '<EncodingType>url</EncodingType>' : '',
      ...contents.map(
        (o) =>
          `<Contents><Key>${enc(o.key)}</Key><LastModified>${o.lastModified.toISOString()}</LastModified>` +
          `<ETag>${esc(o.etag)}</ETag>${Object.keys(o.checksums)
            .map((a) => `<ChecksumAlgorithm>${a.toUpperCase()}</ChecksumAlgorithm>`)
            .join('')}<Size>${o.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
      ),
      ...prefixes.map((p) => `<CommonPrefixes><Prefix>${enc(p)}</Prefix></CommonPrefixes>`),
    ];
    sendXml(
      res,
      200,
      `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="${S3_NS}">${parts.join('')}</ListBucketResult>`,
      { 'content-type': 'application/xml' },
    );
  }
}

/** S3 orders keys by their UTF-8 bytes. */
function cmpKey(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function decodeKey(path: string): string {
  return path
    .split('/')
    .map((s) => decodeURIComponent(s))
    .join('/');
}

function u32b64(v: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b.toString('base64');
}

/**
 * aws-chunked body: `HEX[;chunk-signature=…]\r\n DATA \r\n` … `0[;…]\r\n` then trailer lines
 * `name:value\r\n` and a blank line. Every size is bounded by the bytes that remain.
 */
export function decodeAwsChunked(raw: Buffer): { body: Buffer; trailers: Record<string, string> } {
  const parts: Buffer[] = [];
  const trailers: Record<string, string> = {};
  let pos = 0;
  const line = (): string => {
    const end = raw.indexOf('\r\n', pos);
    if (end < 0 || end - pos > 4096)
      throw new HttpFault(400, 'IncompleteBody', `aws-chunked: no line end at ${pos}`);
    const text = raw.toString('latin1', pos, end);
    pos = end + 2;
    return text;
  };
  for (let n = 0; ; n++) {
    if (n > MAX_CHUNKS) throw new HttpFault(400, 'InvalidRequest', 'aws-chunked: too many chunks');
    const header = line();
    const size = Number.parseInt(header.split(';')[0]!, 16);
    if (!Number.isSafeInteger(size) || size < 0 || size > raw.length - pos)
      throw new HttpFault(
        400,
        'IncompleteBody',
        `aws-chunked: chunk size ${header} at ${pos} exceeds the body`,
      );
    if (size === 0) break;
    parts.push(raw.subarray(pos, pos + size));
    pos += size;
    if (raw.toString('latin1', pos, pos + 2) !== '\r\n')
      throw new HttpFault(400, 'IncompleteBody', `aws-chunked: chunk at ${pos} not followed by CRLF`);
    pos += 2;
  }
  while (pos < raw.length) {
    const l = line();
    if (l === '') break;
    const c = l.indexOf(':');
    if (c > 0) trailers[l.slice(0, c).trim().toLowerCase()] = l.slice(c + 1).trim();
  }
  return { body: Buffer.concat(parts), trailers };
}
