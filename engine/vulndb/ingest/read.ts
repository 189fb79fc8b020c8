/**
 * Bounded file access for ingest: whole-file reads with a byte cap, gunzip with an output cap (a gzip
 * bomb stops at the cap with LimitExceededError), zip iteration through yauzl (which checks every
 * entry's declared size against the bytes it inflates), and a bounded directory walk.
 */
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, inflateRawSync } from 'node:zlib';
import yauzl from 'yauzl';
import { CorruptError, LimitExceededError } from '../../errors.js';
import { VULNDB_LIMITS } from '../limits.js';

export function isGzip(buf: Buffer): boolean {
  return buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
}

/** Reads a file whole (gunzipped when it is gzip), refusing files over `maxBytes`. */
export function readBounded(path: string, maxBytes: number = VULNDB_LIMITS.MAX_DOCUMENT_BYTES): Buffer {
  const size = statSync(path).size;
  if (size > maxBytes) {
    throw new LimitExceededError(
      { format: 'vulndb', struct: 'file', offset: 0, field: path },
      'MAX_DOCUMENT_BYTES',
      size,
      maxBytes,
    );
  }
  const buf = readFileSync(path);
  return isGzip(buf) ? gunzipBounded(buf, path) : buf;
}

export function gunzipBounded(
  buf: Buffer,
  where: string,
  max: number = VULNDB_LIMITS.MAX_GUNZIP_BYTES,
): Buffer {
  try {
    return gunzipSync(buf, { maxOutputLength: max });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new LimitExceededError(
        { format: 'gzip', struct: 'stream', offset: 0, field: where },
        'MAX_GUNZIP_BYTES',
        max + 1,
        max,
      );
    }
    throw err;
  }
}

/** The first `n` bytes of a file as text (gunzipped first when the file is gzip), for sniffing its kind. */
export function readHead(path: string, n = 4096): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const got = readSync(fd, buf, 0, n, 0);
    const head = buf.subarray(0, got);
    if (isGzip(head)) {
      // Small prefix of a gzip stream: inflate just what is needed for the sniff.
      const whole = readBounded(path);
      return whole.subarray(0, n).toString('utf8');
    }
    return head.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Files below `root`, depth-first in sorted order (deterministic ingest), hidden entries skipped. */
export function walkFiles(root: string): string[] {
  const out: string[] = [];
  const visit = (dir: string, depth: number): void => {
    if (depth > VULNDB_LIMITS.MAX_WALK_DEPTH) {
      throw new LimitExceededError(
        { format: 'vulndb', struct: 'directory', offset: 0, field: dir },
        'MAX_WALK_DEPTH',
        depth,
        VULNDB_LIMITS.MAX_WALK_DEPTH,
      );
    }
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) visit(p, depth + 1);
      else if (e.isFile()) {
        out.push(p);
        if (out.length > VULNDB_LIMITS.MAX_WALK_FILES) {
          throw new LimitExceededError(
            { format: 'vulndb', struct: 'directory', offset: 0, field: root },
            'MAX_WALK_FILES',
            out.length,
            VULNDB_LIMITS.MAX_WALK_FILES,
          );
        }
      }
      // symlinks are not followed: a walk stays inside the folder it was given
    }
  };
  visit(root, 0);
  return out;
}

/** Calls `onEntry(name, bytes)` for every file entry of a zip, one at a time, in archive order. */
export function forEachZipEntry(
  path: string,
  onEntry: (name: string, data: Buffer) => void,
  wants: (name: string) => boolean = () => true,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const options = { lazyEntries: true, autoClose: true, validateEntrySizes: true, strictFileNames: false };
    // In memory when it fits under the cap: yauzl's positional reads through the fd cost a thread-pool
    // round trip per read, which dominated ingest time of an OSV zip.
    const open = (cb: (err: Error | null, zip: yauzl.ZipFile) => void): void => {
      if (statSync(path).size <= VULNDB_LIMITS.MAX_ZIP_IN_MEMORY_BYTES)
        yauzl.fromBuffer(readFileSync(path), options, cb);
      else yauzl.open(path, options, cb);
    };
    open((err, zip) => {
      if (err || !zip) return reject(err ?? new Error(`zip: cannot open ${path}`));
      let count = 0;
      let failed = false;
      const fail = (e: unknown): void => {
        if (failed) return;
        failed = true;
        zip.close();
        reject(e);
      };
      if (zip.entryCount > VULNDB_LIMITS.MAX_ZIP_ENTRIES) {
        return fail(
          new LimitExceededError(
            { format: 'zip', struct: 'central directory', offset: 0, field: path },
            'MAX_ZIP_ENTRIES',
            zip.entryCount,
            VULNDB_LIMITS.MAX_ZIP_ENTRIES,
          ),
        );
      }
      zip.on('error', fail);
      zip.on('end', () => {
        if (!failed) resolve(count);
      });
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName.endsWith('/') || !wants(entry.fileName)) {
          zip.readEntry();
          return;
        }
        if (entry.uncompressedSize > VULNDB_LIMITS.MAX_ZIP_ENTRY_BYTES) {
          return fail(
            new LimitExceededError(
              {
                format: 'zip',
                struct: 'entry',
                offset: entry.relativeOffsetOfLocalHeader,
                field: entry.fileName,
              },
              'MAX_ZIP_ENTRY_BYTES',
              entry.uncompressedSize,
              VULNDB_LIMITS.MAX_ZIP_ENTRY_BYTES,
            ),
          );
        }
        // Raw (compressed) bytes, inflated here synchronously with an output cap: yauzl's async
        // inflate stream costs a thread-pool round trip per entry, which dominated ingest time.
        const deflated = entry.compressionMethod === 8;
        zip.openReadStream(entry, deflated ? { decompress: false } : {}, (e2, stream) => {
          if (e2 || !stream) return fail(e2 ?? new Error(`zip: cannot read ${entry.fileName}`));
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('error', fail);
          stream.on('end', () => {
            try {
              const raw = Buffer.concat(chunks);
              const data = deflated
                ? inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.uncompressedSize) })
                : raw;
              if (data.length !== entry.uncompressedSize) {
                throw new CorruptError(
                  {
                    format: 'zip',
                    struct: 'entry',
                    offset: entry.relativeOffsetOfLocalHeader,
                    field: entry.fileName,
                  },
                  data.length,
                  '!=',
                  entry.uncompressedSize,
                );
              }
              onEntry(entry.fileName, data);
              count++;
              zip.readEntry();
            } catch (e3) {
              fail(e3);
            }
          });
        });
      });
      zip.readEntry();
    });
  });
}
