import { describe, expect, it } from 'vitest';
import { crc32, crc32c } from '../../../readers/bytes/crc32.js';

describe('readers/bytes/crc32', () => {
  // Check values from the CRC catalogue (reveng): CRC-32/ISO-HDLC and CRC-32/ISCSI of "123456789".
  it.each([
    { name: 'crc32', fn: crc32, want: 0xcbf43926 },
    { name: 'crc32c', fn: crc32c, want: 0xe3069283 },
  ])('$name of "123456789" is the catalogue check value', ({ fn, want }) => {
    expect(fn(Buffer.from('123456789'))).toBe(want);
  });

  it.each([
    { name: 'crc32', fn: crc32 },
    { name: 'crc32c', fn: crc32c },
  ])('$name chains: crc(a+b) == crc(b, crc(a))', ({ fn }) => {
    const a = Buffer.from('hello, ');
    const b = Buffer.from('world');
    expect(fn(b, fn(a))).toBe(fn(Buffer.concat([a, b])));
  });
});
