/**
 * Where the scheduler keeps its state between passes (and between tasks: a restarted ECS task
 * continues where the last one stopped): a local folder or s3://BUCKET/PREFIX.
 *
 * Atomicity: every object is written whole — locally to a temp file renamed into place (rename is
 * atomic on POSIX), on S3 by one PutObject (S3 never shows a partial object). Objects that belong
 * together (an instance's findings and inventory) are written under new, pass-unique keys first, and
 * the index that points at them (`index.json`) is written last: a process killed mid-pass leaves the
 * previous index, which still points at complete objects. Nothing is ever read half-written.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { ScanError } from '../engine/errors.js';
import { parseS3Url } from '../engine/export/open-sink.js';
import { sha256Hex } from '../engine/export/sink.js';

export interface StateStore {
  readonly location: string;
  get(key: string): Promise<Buffer | undefined>;
  put(key: string, body: Buffer): Promise<void>;
  delete(key: string): Promise<void>;
  /** Keys under a prefix (bounded). */
  list(prefix: string): Promise<string[]>;
}

/** State objects are small JSON documents; a larger one is corrupt or hostile. */
export const MAX_STATE_OBJECT_BYTES = 256 * 1024 * 1024;
const MAX_LIST_KEYS = 100_000;

export class LocalStateStore implements StateStore {
  readonly location: string;
  constructor(private readonly root: string) {
    this.root = resolve(root);
    this.location = this.root;
  }
  private path(key: string): string {
    const p = resolve(this.root, key);
    if (!p.startsWith(this.root + sep))
      throw new ScanError('invalid-argument', `state: key ${JSON.stringify(key)} leaves ${this.root}`);
    return p;
  }
  async get(key: string): Promise<Buffer | undefined> {
    try {
      return readFileSync(this.path(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }
  async put(key: string, body: Buffer): Promise<void> {
    const dest = this.path(key);
    mkdirSync(dirname(dest), { recursive: true });
    const tmp = `${dest}.tmp-${process.pid}-${Date.now()}`;
    try {
      writeFileSync(tmp, body, { flush: true });
      renameSync(tmp, dest);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
  }
  async delete(key: string): Promise<void> {
    rmSync(this.path(key), { force: true });
  }
  async list(prefix: string): Promise<string[]> {
    const dir = this.path(prefix.replace(/\/+$/, '') || '.');
    const out: string[] = [];
    const walk = (d: string, rel: string) => {
      let names: string[];
      try {
        names = readdirSync(d);
      } catch {
        return;
      }
      for (const n of names) {
        if (out.length >= MAX_LIST_KEYS) return;
        if (n.includes('.tmp-')) continue;
        const full = `${d}/${n}`;
        const r = rel ? `${rel}/${n}` : n;
        try {
          readdirSync(full);
          walk(full, r);
        } catch {
          out.push(r);
        }
      }
    };
    walk(dir, prefix.replace(/\/+$/, ''));
    return out.sort();
  }
}

export class S3StateStore implements StateStore {
  readonly location: string;
  constructor(
    private readonly client: Pick<S3Client, 'send'>,
    private readonly bucket: string,
    private readonly prefix: string,
    private readonly kmsKeyId?: string,
  ) {
    this.location = `s3://${bucket}/${prefix}`;
  }
  private key(k: string): string {
    return this.prefix ? `${this.prefix}/${k}` : k;
  }
  async get(key: string): Promise<Buffer | undefined> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
      if ((res.ContentLength ?? 0) > MAX_STATE_OBJECT_BYTES)
        throw new ScanError('limit-exceeded', `state: ${key} is ${res.ContentLength} bytes`);
      const bytes = await res.Body?.transformToByteArray();
      return bytes ? Buffer.from(bytes) : Buffer.alloc(0);
    } catch (err) {
      const name = (err as { name?: string }).name;
      if (name === 'NoSuchKey' || name === 'NotFound') return undefined;
      throw err;
    }
  }
  async put(key: string, body: Buffer): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.key(key),
        Body: body,
        ContentType: 'application/json',
        ChecksumSHA256: Buffer.from(sha256Hex(body), 'hex').toString('base64'),
        ServerSideEncryption: this.kmsKeyId ? 'aws:kms' : 'AES256',
        ...(this.kmsKeyId ? { SSEKMSKeyId: this.kmsKeyId } : {}),
      }),
    );
  }
  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
  }
  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    const full = this.key(prefix);
    do {
      const res = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: full,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      for (const o of res.Contents ?? [])
        if (o.Key) out.push(this.prefix ? o.Key.slice(this.prefix.length + 1) : o.Key);
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token && out.length < MAX_LIST_KEYS);
    return out.sort();
  }
}

export function openStateStore(dest: string, o: { s3?: S3Client; kmsKeyId?: string }): StateStore {
  const s3 = parseS3Url(dest);
  if (!s3) return new LocalStateStore(dest);
  if (!o.s3) throw new ScanError('invalid-argument', `state: ${dest} needs an S3 client`);
  return new S3StateStore(o.s3, s3.bucket, s3.prefix, o.kmsKeyId);
}

export async function getJson<T>(store: StateStore, key: string): Promise<T | undefined> {
  const body = await store.get(key);
  if (!body) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as T;
  } catch (err) {
    throw new ScanError(
      'corrupt',
      `state: ${store.location}/${key} is not valid JSON: ${(err as Error).message}`,
    );
  }
}

export async function putJson(store: StateStore, key: string, value: unknown): Promise<void> {
  await store.put(key, Buffer.from(`${JSON.stringify(value)}\n`, 'utf8'));
}
