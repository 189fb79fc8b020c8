/**
 * ByteBuilder: a fixed-size buffer with chainable little/big-endian field writers, for crafting
 * on-disk structures (valid and hostile) inside tests. Writes outside the buffer throw: a test that
 * plants a field in the wrong place fails loudly instead of silently growing the buffer.
 */
export class ByteBuilder {
  readonly buf: Buffer;

  constructor(size: number, fill = 0) {
    this.buf = Buffer.alloc(size, fill);
  }

  private check(at: number, n: number): void {
    if (!Number.isInteger(at) || at < 0 || at + n > this.buf.length) {
      throw new RangeError(`ByteBuilder: write of ${n} bytes at ${at} outside [0, ${this.buf.length})`);
    }
  }

  u8(at: number, v: number): this {
    this.check(at, 1);
    this.buf.writeUInt8(v, at);
    return this;
  }
  u16(at: number, v: number): this {
    this.check(at, 2);
    this.buf.writeUInt16LE(v, at);
    return this;
  }
  u32(at: number, v: number): this {
    this.check(at, 4);
    this.buf.writeUInt32LE(v >>> 0, at);
    return this;
  }
  u64(at: number, v: bigint | number): this {
    this.check(at, 8);
    this.buf.writeBigUInt64LE(BigInt(v), at);
    return this;
  }
  u16be(at: number, v: number): this {
    this.check(at, 2);
    this.buf.writeUInt16BE(v, at);
    return this;
  }
  u32be(at: number, v: number): this {
    this.check(at, 4);
    this.buf.writeUInt32BE(v >>> 0, at);
    return this;
  }
  u64be(at: number, v: bigint | number): this {
    this.check(at, 8);
    this.buf.writeBigUInt64BE(BigInt(v), at);
    return this;
  }
  /** Copies bytes (a Buffer, or a string as UTF-8) to `at`. */
  bytes(at: number, b: Buffer | Uint8Array | string): this {
    const src = typeof b === 'string' ? Buffer.from(b, 'utf8') : Buffer.from(b);
    this.check(at, src.length);
    src.copy(this.buf, at);
    return this;
  }
  fill(at: number, n: number, v: number): this {
    this.check(at, n);
    this.buf.fill(v, at, at + n);
    return this;
  }
}
