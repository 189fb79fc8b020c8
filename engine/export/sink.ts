/**
 * Where export objects go. A sink only stores bytes under a key; layout.ts decides the keys, run.ts
 * what is written and in which order (the manifest last).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { ScanError } from '../errors.js';

export interface PutResult {
  key: string;
  bytes: number;
  sha256: string;
}

export interface ExportSink {
  /** Human-readable location of the sink (`/path/to/out`, `s3://bucket/prefix`). */
  readonly location: string;
  put(key: string, body: Buffer, contentType: string): Promise<PutResult>;
}

export function sha256Hex(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

/** The default sink: a local folder. Each object is written to a temp file and renamed into place. */
export class LocalFolderSink implements ExportSink {
  readonly location: string;
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.location = this.root;
  }

  async put(key: string, body: Buffer, _contentType: string): Promise<PutResult> {
    const dest = resolve(this.root, key);
    if (!dest.startsWith(this.root + sep)) {
      throw new ScanError('invalid-argument', `export: key ${JSON.stringify(key)} leaves ${this.root}`);
    }
    mkdirSync(dirname(dest), { recursive: true });
    const tmp = `${dest}.tmp-${process.pid}`;
    try {
      writeFileSync(tmp, body);
      renameSync(tmp, dest);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
    return { key, bytes: body.length, sha256: sha256Hex(body) };
  }
}
