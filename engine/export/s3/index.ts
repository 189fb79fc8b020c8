/**
 * S3 sink: the same keys as the local folder (engine/export/layout.ts) under s3://BUCKET/PREFIX/.
 * Server-side encryption is always requested: SSE-KMS with the configured key, else SSE-S3 (AES256).
 * Each PutObject sends a SHA-256 checksum, so S3 rejects a body corrupted in transit, and the
 * manifest's digests can be compared with the object's stored checksum.
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
 */
import { PutObjectCommand, type PutObjectCommandInput, type S3Client } from '@aws-sdk/client-s3';
import { type ExportSink, type PutResult, sha256Hex } from '../sink.js';

export const id = 's3';
export const displayName = 'Amazon S3 sink (SSE-KMS when a key is configured)';
export const specUrls = ['https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html'];
export const version = 1;

export interface S3SinkOptions {
  client: Pick<S3Client, 'send'>;
  bucket: string;
  /** Key prefix without leading/trailing slash; layout.ts adds it to every key when given there. */
  prefix?: string;
  /** KMS key id/ARN/alias: SSE-KMS when set, else SSE-S3. */
  kmsKeyId?: string;
}

export class S3Sink implements ExportSink {
  readonly location: string;
  private readonly opts: S3SinkOptions;

  constructor(opts: S3SinkOptions) {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(opts.bucket)) {
      throw new RangeError(`s3 sink: invalid bucket name ${JSON.stringify(opts.bucket)}`);
    }
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
    await this.opts.client.send(new PutObjectCommand(input));
    return { key, bytes: body.length, sha256 };
  }
}
