/**
 * Copies one file of a scanned filesystem to a private temporary file, so a reader that needs
 * random access to a large database (SQLite) works from local disk instead of holding the file in
 * memory. The copy is written in fixed chunks (memory: one chunk), all-zero chunks are skipped so a
 * sparse file stays sparse, and the file is removed by `dispose()` — which callers run in `finally`,
 * so also on error and abort — and, as a last resort, when the process or worker thread exits.
 *
 *   os.tmpdir()/snapscan-spill-XXXXXX/   (mode 0700, made by mkdtemp)
 *     data                               (mode 0600, the copy; opened read-only by the reader)
 */
import { rmSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkAborted, LimitExceededError, TruncatedError } from '../../engine/errors.js';
import { MiB } from '../../engine/limits.js';
import type { FileSystem } from './types.js';

/** Bytes copied per read: the only memory a spill holds. */
export const SPILL_CHUNK_BYTES = 1 * MiB;

export interface SpilledFile {
  /** Local path of the copy. */
  path: string;
  size: number;
  /** Removes the copy (idempotent). */
  dispose(): Promise<void>;
}

const live = new Set<string>();
let exitHook = false;

function removeAllSync(): void {
  for (const dir of live) rmSync(dir, { recursive: true, force: true });
  live.clear();
}

/** Copies `path` (symlinks followed) of `fs` to a temporary file; fails above `maxBytes`. */
export async function spillFile(
  fs: FileSystem,
  path: string,
  opts: { maxBytes: number; signal?: AbortSignal | undefined },
): Promise<SpilledFile> {
  const st = await fs.stat(path);
  if (st.size > opts.maxBytes) {
    throw new LimitExceededError(
      { format: fs.type, struct: `file ${path}`, offset: 0, field: 'size' },
      'maxBytes',
      st.size,
      opts.maxBytes,
    );
  }
  if (!exitHook) {
    exitHook = true;
    process.once('exit', removeAllSync);
  }
  const dir = await mkdtemp(join(tmpdir(), 'snapscan-spill-'));
  live.add(dir);
  const dispose = async () => {
    if (!live.delete(dir)) return;
    await rm(dir, { recursive: true, force: true });
  };
  const file = join(dir, 'data');
  try {
    const fh = await open(file, 'wx', 0o600);
    try {
      for (let off = 0; off < st.size; off += SPILL_CHUNK_BYTES) {
        checkAborted(opts.signal);
        const len = Math.min(SPILL_CHUNK_BYTES, st.size - off);
        const chunk = await fs.store.readData(st.ino, off, len, opts.signal);
        if (chunk.length !== len) {
          throw new TruncatedError(
            { format: fs.type, struct: `file ${path}`, offset: off },
            len,
            chunk.length,
          );
        }
        // Holes (and zero runs) are not written: the copy stays as sparse as the original.
        if (!isZero(chunk)) await fh.write(chunk, 0, len, off);
      }
      await fh.truncate(st.size);
    } finally {
      await fh.close();
    }
  } catch (err) {
    await dispose();
    throw err;
  }
  return { path: file, size: st.size, dispose };
}

function isZero(b: Buffer): boolean {
  // Compare 8 bytes at a time through a BigUint64Array view when aligned; fall back per byte.
  if (b.byteOffset % 8 === 0 && b.length % 8 === 0) {
    const w = new BigUint64Array(b.buffer, b.byteOffset, b.length / 8);
    for (let i = 0; i < w.length; i++) if (w[i] !== 0n) return false;
    return true;
  }
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}
