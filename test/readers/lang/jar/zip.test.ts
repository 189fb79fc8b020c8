/**
 * readers/lang/jar/zip.ts: the bounded zip reader, on archives built by test/helpers/zip-builder
 * (valid and hostile) — sizes from the central directory only, ratio and declared-size bombs,
 * budgets, counts, zip64, a launch-script prefix, CRC, truncation.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, type Limits, MiB } from '../../../../engine/limits.js';
import { bufferAccess } from '../../../../readers/bytes/random-access.js';
import { newZipBudget, ZipArchive } from '../../../../readers/lang/jar/zip.js';
import { buildZip } from '../../../helpers/zip-builder.js';

const limits: Limits = { ...DEFAULT_LIMITS };
const open = (b: Buffer, l: Limits = limits) => ZipArchive.open(bufferAccess(b, 't.zip'), l, newZipBudget(l));
const text = 'groupId=g\nartifactId=a\nversion=1\n';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return (err as { code: string }).code;
  }
}

describe('readers/lang/jar/zip', () => {
  it.each([
    { case: 'deflated', opts: {}, method: 'deflate' as const },
    { case: 'stored', opts: {}, method: 'store' as const },
    { case: 'zip64 records and extra field', opts: { zip64: true }, method: 'deflate' as const },
    {
      case: 'launch-script prefix (fully executable jar)',
      opts: { prefix: '#!/bin/bash\nexec java -jar "$0"\n' },
      method: 'deflate' as const,
    },
    {
      case: 'archive comment',
      opts: { comment: 'PK\x05\x06 looks like a record' },
      method: 'deflate' as const,
    },
  ])('reads entries: $case', async ({ opts, method }) => {
    const z = await open(
      buildZip(
        [
          { name: 'a/pom.properties', data: text, method },
          { name: 'b.txt', data: 'x'.repeat(3000) },
        ],
        opts,
      ),
    );
    expect(z.entries.map((e) => e.name)).toEqual(['a/pom.properties', 'b.txt']);
    expect((await z.read(z.entries[0]!, 1 * MiB)).toString()).toBe(text);
    expect((await z.read(z.entries[1]!, 1 * MiB)).toString()).toBe('x'.repeat(3000));
  });

  it('a stored entry is served in place, as a window of the archive', async () => {
    const inner = buildZip([{ name: 'x', data: 'inner' }]);
    const z = await open(
      buildZip([{ name: 'lib/x.jar', data: inner, method: 'store' }], { prefix: 'SCRIPT' }),
    );
    const ra = await z.storedAccess(z.entries[0]!, 'lib/x.jar');
    expect(ra?.size).toBe(inner.length);
    expect(await ra!.read(0, inner.length, 't')).toEqual(inner);
  });

  it.each([
    {
      case: 'declared ratio above MAX_ZIP_COMPRESSION_RATIO',
      entry: { name: 'bomb', data: Buffer.alloc(2 * MiB), declaredSize: 4000 * MiB },
      code: 'zip-bomb',
    },
    {
      // 16 MiB of zeros deflate to ~16 KiB (ratio ~1000) but the entry declares 16 KiB: the reader
      // stops one byte past the declared size instead of inflating 16 MiB.
      case: 'inflates past its declared size',
      entry: { name: 'liar', data: Buffer.alloc(16 * MiB), declaredSize: 16 * 1024 },
      code: 'zip-bomb',
    },
    {
      case: 'declared size larger than the data',
      entry: { name: 'short', data: 'abc', declaredSize: 10 },
      code: 'corrupt',
    },
    { case: 'CRC-32 mismatch', entry: { name: 'crc', data: 'abc', declaredCrc: 1 }, code: 'corrupt' },
    { case: 'encrypted entry', entry: { name: 'enc', data: 'abc', flags: 0x801 }, code: 'unsupported' },
    { case: 'unknown method (bzip2)', entry: { name: 'bz', data: 'abc', methodId: 12 }, code: 'unsupported' },
    {
      case: 'entry above maxBytes',
      entry: { name: 'big', data: Buffer.alloc(2 * MiB, 1), method: 'store' as const },
      code: 'limit-exceeded',
    },
  ])('entry read: $case → $code', async ({ entry, code }) => {
    const z = await open(buildZip([entry]));
    expect(await codeOf(z.read(z.entries[0]!, 1 * MiB))).toBe(code);
  });

  it('the inflated-bytes budget is shared by every read of one file', async () => {
    const l = { ...limits, MAX_ZIP_INFLATED_BYTES: 10_000 };
    const budget = newZipBudget(l);
    const b = buildZip([
      { name: 'a', data: 'a'.repeat(6000) },
      { name: 'b', data: 'b'.repeat(6000) },
    ]);
    const z = await ZipArchive.open(bufferAccess(b, 't'), l, budget);
    await z.read(z.entries[0]!, MiB);
    expect(await codeOf(z.read(z.entries[1]!, MiB))).toBe('limit-exceeded');
    const cdSize = z.entries.length * 46 + 2; // two one-letter names
    expect(budget.inflatedBytesLeft).toBe(4000 - cdSize);
  });

  it.each([
    {
      case: 'entries above MAX_ZIP_ENTRIES',
      zip: buildZip([
        { name: 'a', data: 'a' },
        { name: 'b', data: 'b' },
      ]),
      l: { MAX_ZIP_ENTRIES: 1 },
      code: 'limit-exceeded',
    },
    {
      case: 'at MAX_ZIP_ENTRIES',
      zip: buildZip([
        { name: 'a', data: 'a' },
        { name: 'b', data: 'b' },
      ]),
      l: { MAX_ZIP_ENTRIES: 2 },
      code: 'ok',
    },
    {
      case: 'directory above MAX_ZIP_CENTRAL_DIR_BYTES',
      zip: buildZip([{ name: 'a', data: 'a' }]),
      l: { MAX_ZIP_CENTRAL_DIR_BYTES: 10 },
      code: 'limit-exceeded',
    },
    {
      case: 'entry count larger than the directory holds',
      zip: buildZip([{ name: 'a', data: 'a' }], { declaredEntries: 9000 }),
      l: {},
      code: 'corrupt',
    },
    {
      case: 'directory size beyond the file',
      zip: buildZip([{ name: 'a', data: 'a' }], { declaredCdSize: 1 << 30 }),
      l: {},
      code: 'limit-exceeded',
    },
    { case: 'no end of central directory', zip: Buffer.alloc(4096, 0x41), l: {}, code: 'corrupt' },
    { case: 'shorter than an EOCD', zip: Buffer.from('PK'), l: {}, code: 'corrupt' },
    {
      case: 'archives above MAX_JARS_PER_FILE',
      zip: buildZip([]),
      l: { MAX_JARS_PER_FILE: 0 },
      code: 'limit-exceeded',
    },
  ])('open: $case → $code', async ({ zip, l, code }) => {
    expect(await codeOf(open(zip, { ...limits, ...l }))).toBe(code);
  });

  it('a central directory truncated mid-header is a typed error naming its offset', async () => {
    const z = buildZip([
      { name: 'a', data: 'a' },
      { name: 'b', data: 'b' },
    ]);
    // The second header's name length runs past the end of the directory.
    const second = z.readUInt32LE(z.length - 22 + 16) + 46 + 1;
    expect(z.readUInt32LE(second)).toBe(0x02014b50);
    z.writeUInt16LE(60_000, second + 28);
    const err = await open(z).catch((e: unknown) => e as { code: string; message: string });
    expect((err as { code: string }).code).toBe('truncated');
    expect((err as { message: string }).message).toMatch(/^zip: central directory header at 0x[0-9a-f]+/);
  });

  it('a local header offset pointing into the directory is corrupt', async () => {
    const z = buildZip([{ name: 'a', data: 'a' }]);
    const cd = z.readUInt32LE(z.length - 22 + 16);
    z.writeUInt32LE(cd, cd + 42);
    expect(await codeOf(open(z))).toBe('corrupt');
  });
});
