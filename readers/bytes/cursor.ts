/**
 * Bounds-checked little/big-endian reads over a Buffer holding bytes of untrusted origin.
 * Every read checks `pos + len <= end` and throws TruncatedError with the absolute offset.
 * u64 fields are returned as bigint; `toSafeNumber` converts with an explicit bound.
 */
import { CorruptError, type FormatLocation, TruncatedError } from '../../engine/errors.js';

export class Cursor {
  readonly buf: Buffer;
  /** Absolute offset of buf[0] in the source, for error messages. */
  readonly base: number | bigint;
  readonly format: string;
  readonly struct: string;
  pos = 0;

  constructor(buf: Buffer, opts: { base?: number | bigint; format: string; struct: string }) {
    this.buf = buf;
    this.base = opts.base ?? 0;
    this.format = opts.format;
    this.struct = opts.struct;
  }

  get length(): number {
    return this.buf.length;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  loc(field?: string, at = this.pos): FormatLocation {
    const offset = typeof this.base === 'bigint' ? this.base + BigInt(at) : this.base + at;
    return { format: this.format, struct: this.struct, offset, field };
  }

  /** Throws unless [at, at+len) lies inside the buffer. */
  need(at: number, len: number, field?: string): void {
    if (!Number.isInteger(at) || !Number.isInteger(len) || at < 0 || len < 0 || at + len > this.buf.length) {
      throw new TruncatedError(
        this.loc(field, Math.max(0, Math.min(at, this.buf.length))),
        len,
        Math.max(0, this.buf.length - at),
      );
    }
  }

  seek(at: number, field?: string): this {
    this.need(at, 0, field);
    this.pos = at;
    return this;
  }

  skip(n: number, field?: string): this {
    this.need(this.pos, n, field);
    this.pos += n;
    return this;
  }

  u8(field?: string): number {
    const v = this.u8At(this.pos, field);
    this.pos += 1;
    return v;
  }
  u16le(field?: string): number {
    const v = this.u16leAt(this.pos, field);
    this.pos += 2;
    return v;
  }
  u16be(field?: string): number {
    const v = this.u16beAt(this.pos, field);
    this.pos += 2;
    return v;
  }
  u32le(field?: string): number {
    const v = this.u32leAt(this.pos, field);
    this.pos += 4;
    return v;
  }
  u32be(field?: string): number {
    const v = this.u32beAt(this.pos, field);
    this.pos += 4;
    return v;
  }
  i32be(field?: string): number {
    this.need(this.pos, 4, field);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  u64le(field?: string): bigint {
    const v = this.u64leAt(this.pos, field);
    this.pos += 8;
    return v;
  }
  u64be(field?: string): bigint {
    const v = this.u64beAt(this.pos, field);
    this.pos += 8;
    return v;
  }
  bytes(n: number, field?: string): Buffer {
    const v = this.bytesAt(this.pos, n, field);
    this.pos += n;
    return v;
  }

  u8At(at: number, field?: string): number {
    this.need(at, 1, field);
    return this.buf[at]!;
  }
  u16leAt(at: number, field?: string): number {
    this.need(at, 2, field);
    return this.buf.readUInt16LE(at);
  }
  u16beAt(at: number, field?: string): number {
    this.need(at, 2, field);
    return this.buf.readUInt16BE(at);
  }
  u32leAt(at: number, field?: string): number {
    this.need(at, 4, field);
    return this.buf.readUInt32LE(at);
  }
  u32beAt(at: number, field?: string): number {
    this.need(at, 4, field);
    return this.buf.readUInt32BE(at);
  }
  i32beAt(at: number, field?: string): number {
    this.need(at, 4, field);
    return this.buf.readInt32BE(at);
  }
  u64leAt(at: number, field?: string): bigint {
    this.need(at, 8, field);
    return this.buf.readBigUInt64LE(at);
  }
  u64beAt(at: number, field?: string): bigint {
    this.need(at, 8, field);
    return this.buf.readBigUInt64BE(at);
  }
  /** A view (no copy) of [at, at+n). */
  bytesAt(at: number, n: number, field?: string): Buffer {
    this.need(at, n, field);
    return this.buf.subarray(at, at + n);
  }
  /** NUL-terminated (or full-width) latin1/utf8 string in a fixed-size field. */
  cstringAt(at: number, width: number, field?: string, encoding: BufferEncoding = 'utf8'): string {
    const b = this.bytesAt(at, width, field);
    const nul = b.indexOf(0);
    return b.subarray(0, nul < 0 ? b.length : nul).toString(encoding);
  }
  /** A sub-cursor over [at, at+n) with correct absolute offsets. */
  sub(at: number, n: number, struct = this.struct): Cursor {
    const b = this.bytesAt(at, n, struct);
    const base = typeof this.base === 'bigint' ? this.base + BigInt(at) : this.base + at;
    return new Cursor(b, { base, format: this.format, struct });
  }
}

/**
 * Converts an on-disk u64 to a number, checking it is <= max (e.g. the device size) and <= 2^53-1.
 */
export function toSafeNumber(v: bigint, max: number | bigint, loc: FormatLocation): number {
  const m = typeof max === 'bigint' ? max : BigInt(max);
  if (v > m) throw new CorruptError(loc, v, '>', m);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new CorruptError(loc, v, '>', Number.MAX_SAFE_INTEGER);
  return Number(v);
}
