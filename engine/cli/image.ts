/**
 * Opens a local disk image for scanning. A gzipped image (`.gz`) is unpacked once, sparsely, into
 * the cache folder (keyed by the compressed file's size and mtime) because a filesystem reader
 * needs random access.
 */
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { RawFileSource } from '../../readers/block/raw-file/index.js';

export function cacheDir(): string {
  return (
    process.env.SNAPSCAN_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'snapscan')
  );
}

/** Writes a stream to a file, seeking over all-zero 64 KiB chunks so the result stays sparse. */
async function gunzipSparse(src: string, dest: string): Promise<void> {
  const tmp = `${dest}.${process.pid}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    let pos = 0;
    const CHUNK = 64 * 1024;
    let pending: Buffer = Buffer.alloc(0);
    const flush = async (buf: Buffer) => {
      for (let i = 0; i < buf.length; i += CHUNK) {
        const part = buf.subarray(i, Math.min(buf.length, i + CHUNK));
        if (part.some((b) => b !== 0)) await fh.write(part, 0, part.length, pos);
        pos += part.length;
      }
    };
    for await (const chunk of createReadStream(src).pipe(createGunzip())) {
      pending = pending.length ? Buffer.concat([pending, chunk as Buffer]) : (chunk as Buffer);
      const whole = pending.length - (pending.length % CHUNK);
      if (whole > 0) {
        await flush(pending.subarray(0, whole));
        pending = pending.subarray(whole);
      }
    }
    await flush(pending);
    await fh.truncate(pos);
  } finally {
    await fh.close();
  }
  await rename(tmp, dest);
}

export async function openImage(path: string): Promise<RawFileSource> {
  return RawFileSource.open(await rawImagePath(path));
}

/** The path of a raw image to read: the file itself, or its unpacked copy in the cache for `.gz`. */
export async function rawImagePath(path: string): Promise<string> {
  if (!path.endsWith('.gz')) return path;
  const st = await stat(path);
  const dir = join(cacheDir(), 'images');
  await mkdir(dir, { recursive: true });
  const dest = join(dir, `${basename(path, '.gz')}.${st.size}-${Math.floor(st.mtimeMs)}.raw`);
  try {
    await stat(dest);
  } catch {
    await gunzipSparse(path, dest);
  }
  return dest;
}
