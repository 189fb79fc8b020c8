/**
 * Error hierarchy shared by every stage. Codes are stable kebab-case strings: tests and
 * consumers assert `code`, never message text.
 *
 *   ScanError (code, cause)
 *   ├── FormatError (format, offset, struct, field)   bytes on disk are not what the spec says
 *   │   ├── BadMagicError        probe: "this is not my format" (the only error a probe loop swallows)
 *   │   ├── TruncatedError       a structure runs past the end of its container
 *   │   ├── CorruptError         a field contradicts the spec or another field (expected vs actual)
 *   │   ├── LimitExceededError   a count/length/depth exceeds a hard limit from engine/limits.ts
 *   │   └── ZipBombError         a compressed entry inflates past the ratio limit or its declared size
 *   ├── UnsupportedError         a real feature we do not implement (ext4 encryption, LVM raid…)
 *   ├── NotFoundError            path lookups (ENOENT-like)
 *   ├── SourceError              the block source failed (I/O, EBS API)
 *   └── AbortedError             the scan was cancelled
 *
 * Message shape: `<format>: <struct> at 0x<offset>: <detail>`.
 */

/**
 * Every error code, closed: a code not in this list does not compile (`ScanError(code)` takes only
 * these). Consumers switch on them; `internal` marks an error that is not one of ours.
 */
export const ERROR_CODES = [
  'scan-error',
  'format-error',
  'bad-magic',
  'truncated',
  'corrupt',
  'limit-exceeded',
  'zip-bomb',
  'unsupported',
  'not-found',
  'not-a-directory',
  'is-a-directory',
  'symlink-loop',
  'source-error',
  'checksum-mismatch',
  'aborted',
  'invalid-argument',
  'output-error',
  'aws-error',
  'truncated-block',
  'kms-access-denied',
  'export-incomplete',
  'snapshot-failed',
  'snapshot-not-found',
  'snapshot-poll',
  'snapshot-timeout',
  'snapshot-ttl',
  'invalid-version',
  'unknown-ecosystem',
  'vulndb-missing',
  'vulndb-schema-mismatch',
  'vulndb-feed-kind',
  'lvm2-missing-pv',
  'state-error',
  'db-error',
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

const CODE_SET: ReadonlySet<string> = new Set(ERROR_CODES);

/** A code read back from plain data (the worker boundary): one of ours, else `internal`. */
export function asErrorCode(code: string): ErrorCode {
  return CODE_SET.has(code) ? (code as ErrorCode) : 'internal';
}

export class ScanError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

export interface FormatLocation {
  /** Format id, e.g. `ext4`, `gpt`, `rpm/bdb`. */
  format: string;
  /** On-disk structure, e.g. `superblock`, `extent header`. */
  struct: string;
  /** Absolute byte offset in the source the structure was read from (bigint for > 2^53). */
  offset: number | bigint;
  field?: string;
}

function hex(offset: number | bigint): string {
  return `0x${offset.toString(16)}`;
}

export class FormatError extends ScanError {
  readonly format: string;
  readonly struct: string;
  readonly offset: number | bigint;
  readonly field: string | undefined;
  constructor(code: ErrorCode, loc: FormatLocation, detail: string, options?: { cause?: unknown }) {
    super(code, `${loc.format}: ${loc.struct} at ${hex(loc.offset)}: ${detail}`, options);
    this.format = loc.format;
    this.struct = loc.struct;
    this.offset = loc.offset;
    this.field = loc.field;
  }
}

export class BadMagicError extends FormatError {
  constructor(loc: FormatLocation, actual: string, expected: string) {
    super('bad-magic', loc, `${loc.field ?? 'magic'} ${actual} != ${expected}`);
  }
}

export class TruncatedError extends FormatError {
  constructor(loc: FormatLocation, need: number | bigint, have: number | bigint) {
    // Bytes available are never negative, whatever arithmetic the caller did (offset past the end).
    const avail = typeof have === 'bigint' ? (have < 0n ? 0n : have) : Math.max(0, have);
    super('truncated', loc, `${loc.field ?? 'data'} needs ${need} bytes, ${avail} available`);
  }
}

export class CorruptError extends FormatError {
  readonly expected: string;
  readonly actual: string;
  constructor(loc: FormatLocation, actual: unknown, relation: string, expected: unknown) {
    super('corrupt', loc, `${loc.field ?? 'value'} ${String(actual)} ${relation} ${String(expected)}`);
    this.expected = String(expected);
    this.actual = String(actual);
  }
}

export class LimitExceededError extends FormatError {
  readonly limit: string;
  readonly value: number | bigint;
  readonly max: number | bigint;
  constructor(loc: FormatLocation, limit: string, value: number | bigint, max: number | bigint) {
    super('limit-exceeded', loc, `${loc.field ?? limit} ${value} > ${limit} (${max})`);
    this.limit = limit;
    this.value = value;
    this.max = max;
  }
}

/**
 * A compressed archive entry whose declared or actual inflated size exceeds its compressed size by
 * more than the ratio limit, or inflates past the size its header declares: a decompression bomb.
 */
export class ZipBombError extends FormatError {
  readonly compressedBytes: number;
  readonly inflatedBytes: number;
  constructor(loc: FormatLocation, compressedBytes: number, inflatedBytes: number, detail: string) {
    super('zip-bomb', loc, `${compressedBytes} compressed bytes ${detail}`);
    this.compressedBytes = compressedBytes;
    this.inflatedBytes = inflatedBytes;
  }
}

export class UnsupportedError extends ScanError {
  readonly feature: string;
  constructor(feature: string, message: string) {
    super('unsupported', message);
    this.feature = feature;
  }
}

export class NotFoundError extends ScanError {
  readonly path: string;
  constructor(path: string, message = `no such file or directory: ${path}`) {
    super('not-found', message);
    this.path = path;
  }
}

export class SourceError extends ScanError {
  constructor(message: string, options?: { cause?: unknown; code?: ErrorCode }) {
    super(options?.code ?? 'source-error', message, options);
  }
}

export class AbortedError extends ScanError {
  constructor(message = 'scan aborted') {
    super('aborted', message);
  }
}

const FS_ERRNO_TEXT: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a component of the path is not a directory',
  EISDIR: 'it is a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only filesystem',
  EEXIST: 'already exists',
  EMFILE: 'too many open files',
  EIO: 'I/O error',
  ENXIO: 'no such device',
  ENAMETOOLONG: 'file name too long',
  ELOOP: 'too many symbolic links',
};

/**
 * A filesystem error (ENOENT, EISDIR, ENOSPC…) as a short human phrase, without Node's
 * "ENOENT: no such file or directory, open '…'" noise: the caller names the path.
 */
export function fsErrorText(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && FS_ERRNO_TEXT[code]) return FS_ERRNO_TEXT[code]!;
  return err instanceof Error ? err.message : String(err);
}

/** Throws AbortedError when the signal has fired. Call once per record/block/directory entry. */
export function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortedError();
}

/** Plain, structured-clone-safe form of an error, for the worker boundary and JSON reports. */
export interface SerializedError {
  name: string;
  code: string;
  message: string;
  format?: string;
  struct?: string;
  offset?: string;
  path?: string;
  cause?: SerializedError;
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof ScanError) {
    const out: SerializedError = { name: err.name, code: err.code, message: err.message };
    if (err instanceof FormatError) {
      out.format = err.format;
      out.struct = err.struct;
      out.offset = `0x${err.offset.toString(16)}`;
    }
    if (err instanceof NotFoundError) out.path = err.path;
    if (err.cause !== undefined) out.cause = serializeError(err.cause);
    return out;
  }
  if (err instanceof Error) {
    const maybe = (err as unknown as { code?: unknown }).code;
    const code = typeof maybe === 'string' ? maybe : 'internal';
    return { name: err.name, code, message: err.message };
  }
  return { name: 'Error', code: 'internal', message: String(err) };
}

/** Rebuilds a ScanError on the main thread from its serialized form (instanceof survives). */
export function deserializeError(e: SerializedError): ScanError {
  const err = new ScanError(
    asErrorCode(e.code),
    e.message,
    e.cause ? { cause: deserializeError(e.cause) } : undefined,
  );
  Object.defineProperty(err, 'name', { value: e.name });
  return err;
}
