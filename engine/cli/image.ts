/**
 * Opens a local disk image for scanning. A gzipped image (`.gz`) is unpacked once, sparsely, into
 * the cache folder (keyed by the compressed file's size and mtime) because a filesystem reader
 * needs random access.
 */
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { RawFileSource } from '../../readers/block/raw-file/index.js';
import { BadMagicError, FormatError, fsErrorText, SourceError } from '../errors.js';
import { snapscanHome } from '../home.js';

export function cacheDir(): string {
  return process.env.SNAPSCAN_CACHE ?? snapscanHome();
}

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);

/**
 * Writes a gzip file's contents to `dest`, seeking over all-zero 64 KiB chunks so the result stays
 * sparse. Not gzip, truncated or corrupt input gives one typed line (format gzip, the offset) and
 * leaves nothing behind: the temp file is removed on every failure, and only a complete stream is
 * renamed into the cache.
 */
async function gunzipSparse(src: string, dest: string): Promise<void> {
  const head = Buffer.alloc(2);
  const probe = await open(src, 'r');
  let headLen: number;
  try {
    headLen = (await probe.read(head, 0, 2, 0)).bytesRead;
  } finally {
    await probe.close();
  }
  if (headLen < 2 || !head.equals(GZIP_MAGIC)) {
    throw new BadMagicError(
      { format: 'gzip', struct: `member header of ${src}`, offset: 0, field: 'ID1 ID2' },
      head.subarray(0, headLen).toString('hex') || 'empty file',
      '1f8b (RFC 1952 §2.3.1)',
    );
  }
  const tmp = `${dest}.${process.pid}.tmp`;
  const fh = await open(tmp, 'w');
  let pos = 0;
  let consumed = 0;
  try {
    const CHUNK = 64 * 1024;
    let pending: Buffer = Buffer.alloc(0);
    const flush = async (buf: Buffer) => {
      for (let i = 0; i < buf.length; i += CHUNK) {
        const part = buf.subarray(i, Math.min(buf.length, i + CHUNK));
        if (part.some((b) => b !== 0)) await fh.write(part, 0, part.length, pos);
        pos += part.length;
      }
    };
    const input = createReadStream(src);
    input.on('data', (c) => {
      consumed += c.length;
    });
    for await (const chunk of input.pipe(createGunzip())) {
      pending = pending.length ? Buffer.concat([pending, chunk as Buffer]) : (chunk as Buffer);
      const whole = pending.length - (pending.length % CHUNK);
      if (whole > 0) {
        await flush(pending.subarray(0, whole));
        pending = pending.subarray(whole);
      }
    }
    await flush(pending);
    await fh.truncate(pos);
  } catch (err) {
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    const code = (err as { code?: unknown }).code;
    const loc = { format: 'gzip', struct: `deflate stream of ${src}`, offset: consumed };
    if (code === 'Z_BUF_ERROR' || /unexpected end/i.test((err as Error).message)) {
      throw new FormatError(
        'truncated',
        loc,
        `the file ends inside the compressed stream (${pos} bytes unpacked)`,
      );
    }
    if (typeof code === 'string' && code.startsWith('Z_')) {
      throw new FormatError('corrupt', loc, `${(err as Error).message} (${pos} bytes unpacked)`);
    }
    throw new SourceError(`cannot unpack ${src} into ${tmp}: ${fsErrorText(err)}`, { cause: err });
  }
  await fh.close();
  await rename(tmp, dest);
}

export async function openImage(path: string): Promise<RawFileSource> {
  return RawFileSource.open(await rawImagePath(path));
}

/** The path of a raw image to read: the file itself, or its unpacked copy in the cache for `.gz`. */
export async function rawImagePath(path: string): Promise<string> {
  if (!path.endsWith('.gz')) return path;
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(path);
  } catch (err) {
    throw new SourceError(`cannot open image ${path}: ${fsErrorText(err)}`, { cause: err });
  }
  // Reading a FIFO without a writer would block forever: a compressed image is a regular file.
  if (!st.isFile()) throw new SourceError(`cannot open image ${path}: not a regular file`);
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
