/** engine/errors: the closed code list, plain-data round trips, figures and phrases in messages. */
import { describe, expect, it } from 'vitest';
import {
  asErrorCode,
  deserializeError,
  ERROR_CODES,
  fsErrorText,
  ScanError,
  serializeError,
  TruncatedError,
} from '../../engine/errors.js';

describe('engine/errors', () => {
  it('every code is kebab-case and listed once', () => {
    for (const c of ERROR_CODES) expect(c).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
  });

  it('a code missing from the list does not compile', () => {
    // @ts-expect-error 'no-such-code' is not an ErrorCode: typecheck fails if this line compiles.
    const e = new ScanError('no-such-code', 'x');
    expect(e.message).toBe('x');
  });

  it.each([
    { code: 'corrupt', want: 'corrupt' },
    { code: 'kms-access-denied', want: 'kms-access-denied' },
    { code: 'ENOENT', want: 'internal' },
    { code: '', want: 'internal' },
  ])('asErrorCode($code) = $want; deserialized errors keep only known codes', ({ code, want }) => {
    expect(asErrorCode(code)).toBe(want);
    expect(deserializeError({ name: 'Error', code, message: 'm' }).code).toBe(want);
  });

  it('serialize → deserialize keeps code, message and cause', () => {
    const inner = new ScanError('truncated', 'inner');
    const back = deserializeError(serializeError(new ScanError('corrupt', 'outer', { cause: inner })));
    expect([back.code, back.message, (back.cause as ScanError).code]).toEqual([
      'corrupt',
      'outer',
      'truncated',
    ]);
  });

  it.each([
    { have: -14586, want: 'read needs 4 bytes, 0 available' },
    { have: -1n, want: 'read needs 4 bytes, 0 available' },
    { have: 3, want: 'read needs 4 bytes, 3 available' },
  ])('TruncatedError never reports negative bytes available ($have)', ({ have, want }) => {
    const e = new TruncatedError({ format: 'block', struct: 'image', offset: 16n, field: 'read' }, 4, have);
    expect(e.message).toBe(`block: image at 0x10: ${want}`);
  });

  it.each([
    { code: 'ENOENT', want: 'no such file or directory' },
    { code: 'EISDIR', want: 'it is a directory' },
    { code: 'ENOSPC', want: 'no space left on the device' },
    { code: 'EWEIRD', want: 'raw message' },
  ])('fsErrorText($code) = $want', ({ code, want }) => {
    expect(fsErrorText(Object.assign(new Error('raw message'), { code }))).toBe(want);
  });
});
