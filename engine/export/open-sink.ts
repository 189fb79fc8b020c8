/**
 * `--out-dir` / `--output` destinations: `s3://BUCKET[/PREFIX]` goes through the S3 sink (client from
 * the SDK's standard chain, so AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL are honoured), anything else
 * is a local folder.
 */
import type { AwsClientOptions } from '../../readers/block/ebs/client.js';
import { createS3Client } from '../aws/clients.js';
import { ScanError } from '../errors.js';
import { S3Sink } from './s3/index.js';
import { type ExportSink, LocalFolderSink } from './sink.js';

export interface OpenedSink {
  sink: ExportSink;
  /** Key prefix every object goes under (the S3 URL's path); empty for a folder. */
  prefix: string;
  /** Release the client's sockets. */
  close(): void;
}

export function parseS3Url(url: string): { bucket: string; prefix: string } | undefined {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m) return undefined;
  return { bucket: m[1]!, prefix: m[2]!.replace(/^\/+|\/+$/g, '') };
}

export function openSink(
  dest: string,
  o: { kmsKeyId?: string; aws?: Omit<AwsClientOptions, 'endpoint'> } = {},
): OpenedSink {
  const s3 = parseS3Url(dest);
  if (!s3) {
    if (dest.startsWith('s3:'))
      throw new ScanError('invalid-argument', `not an S3 URL: "${dest}" (s3://BUCKET/PREFIX)`);
    return { sink: new LocalFolderSink(dest), prefix: '', close: () => {} };
  }
  // The sink retries each PutObject itself (counted, jittered); the SDK's retries would multiply them.
  const client = createS3Client({ ...(o.aws ?? {}), maxAttempts: 1 });
  try {
    const sink = new S3Sink({
      client,
      bucket: s3.bucket,
      prefix: s3.prefix,
      ...(o.kmsKeyId ? { kmsKeyId: o.kmsKeyId } : {}),
    });
    return { sink, prefix: s3.prefix, close: () => client.destroy() };
  } catch (err) {
    client.destroy();
    throw new ScanError('invalid-argument', (err as Error).message);
  }
}
