/**
 * S3 sink: the same keys as the local folder (engine/export/layout.ts) under s3://BUCKET/PREFIX/.
 * Server-side encryption is always requested: SSE-KMS with the configured key, else SSE-S3 (AES256).
 * Each PutObject sends a SHA-256 checksum, so S3 rejects a body corrupted in transit (BadDigest), and
 * the manifest's digests can be compared with the object's stored checksum.
 *
 * Retries are the sink's own (the client it is given should have the SDK's retries off, as
 * open-sink.ts does: maxAttempts 1), so every attempt is counted: throttling (SlowDown, 503),
 * 5xx, connection resets/timeouts and BadDigest are retried with full-jitter exponential backoff
 * (readers/block/ebs/retry.ts); access denied, a missing bucket or a bad argument are not. When the
 * attempts run out, put() rejects with ExportIncompleteError (code `export-incomplete`): exportRun
 * stops before the manifest, so the run stays incomplete for every consumer that follows manifests,
 * and the caller knows which key failed and why.
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
 */
import { PutObjectCommand, type PutObjectCommandInput, type S3Client } from '@aws-sdk/client-s3';
import { backoffMs, classify, isRetryable, sleep } from '../../../readers/block/ebs/retry.js';
import { ScanError } from '../../errors.js';
import { type ExportSink, type PutResult, sha256Hex } from '../sink.js';

export const id = 's3';
export const displayName = 'Amazon S3 sink (SSE-KMS when a key is configured)';
export const specUrls = ['https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html'];
export const version = 2;

export interface S3SinkOptions {
  client: Pick<S3Client, 'send'>;
  bucket: string;
  /** Key prefix without leading/trailing slash; layout.ts adds it to every key when given there. */
  prefix?: string;
  /** KMS key id/ARN/alias: SSE-KMS when set, else SSE-S3. */
  kmsKeyId?: string;
  /** Attempts per object, first included (default 6). */
  maxAttempts?: number;
  /** Full-jitter backoff base and cap (defaults 200 ms and 20 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Jitter source and sleep (tests inject both to run without waiting). */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  signal?: AbortSignal;
}

/** An object could not be stored after every attempt: the export run is incomplete. */
export class ExportIncompleteError extends ScanError {
  constructor(
    readonly location: string,
    readonly key: string,
    readonly attempts: number,
    cause: unknown,
  ) {
    const why = (cause as { name?: string; message?: string })?.name ?? 'Error';
    super(
      'export-incomplete',
      `export to ${location}: PutObject ${key} failed after ${attempts} attempt(s) (${why}: ${(cause as Error)?.message ?? cause}); the run has no manifest and is incomplete`,
      { cause },
    );
  }
}

/** S3 answers that mean the body arrived damaged: sending it again is the fix. */
const INTEGRITY_NAMES = new Set([
  'BadDigest',
  'XAmzContentSHA256Mismatch',
  'InvalidDigest',
  'IncompleteBody',
]);

export class S3Sink implements ExportSink {
  readonly location: string;
  /** PutObject attempts made, and retries among them (figures for the run). */
  readonly stats = { attempts: 0, retries: 0, objects: 0, bytes: 0 };
  private readonly opts: S3SinkOptions;

  constructor(opts: S3SinkOptions) {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(opts.bucket)) {
      throw new RangeError(`s3 sink: invalid bucket name ${JSON.stringify(opts.bucket)}`);
    }
    const attempts = opts.maxAttempts ?? 6;
    if (!Number.isInteger(attempts) || attempts < 1 || attempts > 100)
      throw new RangeError(`s3 sink: maxAttempts must be an integer in 1..100, got ${attempts}`);
    this.opts = opts;
    this.location = `s3://${opts.bucket}/${(opts.prefix ?? '').replace(/^\/+|\/+$/g, '')}`;
  }

  async put(key: string, body: Buffer, contentType: string): Promise<PutResult> {
    const sha256 = sha256Hex(body);
    const input: PutObjectCommandInput = {
      Bucket: this.opts.bucket,
      Key: key,
      Body: body,
      ContentType: contentType,
      ChecksumSHA256: Buffer.from(sha256, 'hex').toString('base64'),
      ServerSideEncryption: this.opts.kmsKeyId ? 'aws:kms' : 'AES256',
    };
    if (this.opts.kmsKeyId) {
      input.SSEKMSKeyId = this.opts.kmsKeyId;
      input.BucketKeyEnabled = true;
    }
    const max = this.opts.maxAttempts ?? 6;
    const backoff = {
      baseDelayMs: this.opts.baseDelayMs ?? 200,
      maxDelayMs: this.opts.maxDelayMs ?? 20_000,
      random: this.opts.random ?? Math.random,
    };
    const wait = this.opts.sleep ?? ((ms: number) => sleep(ms, this.opts.signal));
    for (let attempt = 0; ; attempt++) {
      this.stats.attempts++;
      try {
        await this.opts.client.send(new PutObjectCommand(input), { abortSignal: this.opts.signal });
        this.stats.objects++;
        this.stats.bytes += body.length;
        return { key, bytes: body.length, sha256 };
      } catch (err) {
        const name = (err as { name?: string }).name ?? '';
        const kind = INTEGRITY_NAMES.has(name) ? 'integrity' : classify(err, this.opts.signal);
        if (kind === 'aborted') throw err;
        if (!isRetryable(kind) || attempt + 1 >= max)
          throw new ExportIncompleteError(this.location, key, attempt + 1, err);
        this.stats.retries++;
        await wait(backoffMs(attempt, backoff));
      }
    }
  }
}
