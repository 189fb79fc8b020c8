import { describe, expect, it } from 'vitest';
import { ScanError } from '../../../../engine/errors.js';
import { decodeRpmHeaderBlob } from '../../../../readers/pkgdb/rpm/header-blob.js';
import { decodePgpSignature, formatPgpSignature } from '../../../../readers/pkgdb/rpm/pgp.js';
import { decodeRpmPackage } from '../../../../readers/pkgdb/rpm/record.js';
import { RpmType as T, Tag } from '../../../../readers/pkgdb/rpm/tags.js';
import { buildHeaderBlob, minimalPackage } from './builders.js';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (err) {
    if (err instanceof ScanError) return err.code;
    throw err;
  }
  return undefined;
}

/** Index entry i starts at 8 + 16 i: tag, type, offset, count (all BE). */
const entryAt = (i: number, field: 'tag' | 'type' | 'offset' | 'count') =>
  8 + 16 * i + { tag: 0, type: 4, offset: 8, count: 12 }[field];

describe('readers/pkgdb/rpm/header-blob', () => {
  it('decodes a full package header: region, dribbles, i18n, int64, files', () => {
    const blob = buildHeaderBlob(
      [
        { tag: Tag.NAME, type: T.STRING, value: 'bash' },
        { tag: Tag.VERSION, type: T.STRING, value: '5.1.8' },
        { tag: Tag.RELEASE, type: T.STRING, value: '6.el9' },
        { tag: Tag.EPOCH, type: T.INT32, value: [0] },
        {
          tag: Tag.SUMMARY,
          type: T.I18NSTRING,
          value: ['The GNU Bourne Again shell', 'Die GNU Bourne Again Shell'],
        },
        { tag: Tag.ARCH, type: T.STRING, value: 'x86_64' },
        { tag: Tag.LICENSE, type: T.STRING, value: 'GPLv3+' },
        { tag: Tag.VENDOR, type: T.STRING, value: 'Red Hat, Inc.' },
        { tag: Tag.SOURCERPM, type: T.STRING, value: 'bash-5.1.8-6.el9.src.rpm' },
        { tag: Tag.LONGSIZE, type: T.INT64, value: [7738634n] },
        { tag: Tag.MODULARITYLABEL, type: T.STRING, value: 'bash:5:8060020220204:ad008a3a' },
        { tag: Tag.DIRNAMES, type: T.STRING_ARRAY, value: ['/usr/bin/', '/etc/'] },
        { tag: Tag.BASENAMES, type: T.STRING_ARRAY, value: ['bash', 'sh', 'bashrc'] },
        { tag: Tag.DIRINDEXES, type: T.INT32, value: [0, 0, 1] },
        { tag: Tag.FILEMODES, type: T.INT16, value: [0o100755, 0o120777, 0o100644] },
        { tag: Tag.FILEDIGESTALGO, type: T.INT32, value: [8] },
        { tag: Tag.SIGMD5, type: T.BIN, value: Buffer.from('00112233445566778899aabbccddeeff', 'hex') },
        { tag: Tag.PROVIDENAME, type: T.STRING_ARRAY, value: ['bash', '/bin/sh'] },
        { tag: Tag.INSTALLTIME, type: T.INT32, value: [1] },
      ],
      { region: true },
    );
    const r = decodeRpmPackage(blob);
    expect(r).toMatchObject({
      name: 'bash',
      version: '5.1.8',
      release: '6.el9',
      epoch: 0,
      summary: 'The GNU Bourne Again shell',
      arch: 'x86_64',
      license: 'GPLv3+',
      vendor: 'Red Hat, Inc.',
      sourceRpm: 'bash-5.1.8-6.el9.src.rpm',
      size: 7738634,
      modularityLabel: 'bash:5:8060020220204:ad008a3a',
      digestAlgorithm: 'PGPHASHALGO_SHA256',
      sigMD5: '00112233445566778899aabbccddeeff',
      provides: ['bash', '/bin/sh'],
      installTime: 1,
    });
    expect(r.files).toEqual([
      { path: '/usr/bin/bash', mode: 0o100755 },
      { path: '/usr/bin/sh', mode: 0o120777 },
      { path: '/etc/bashrc', mode: 0o100644 },
    ]);
    expect(decodeRpmHeaderBlob(blob).regionEntries).toBe(20);
  });

  it('entries after the region override it (rpm headerImport dribbles), legacy OLDFILENAMES', () => {
    // Region over the first 3 entries; a later INSTALLTIME and a second RELEASE win.
    const blob = buildHeaderBlob([
      { tag: Tag.NAME, type: T.STRING, value: 'old' },
      { tag: Tag.RELEASE, type: T.STRING, value: '1' },
      { tag: Tag.OLDFILENAMES, type: T.STRING_ARRAY, value: ['/bin/old'] },
      { tag: Tag.RELEASE, type: T.STRING, value: '2' },
    ]);
    const r = decodeRpmPackage(blob);
    expect(r.release).toBe('2');
    expect(r.files).toEqual([{ path: '/bin/old' }]);
    expect(decodeRpmHeaderBlob(blob).regionTag).toBeUndefined();
  });

  const good = minimalPackage('x');
  const patch = (f: (b: Buffer) => void) => {
    const b = Buffer.from(good);
    f(b);
    return b;
  };
  const dlOf = (b: Buffer) => b.readUInt32BE(4);

  it.each([
    {
      name: 'entry count huge (0xffffffff)',
      bytes: patch((b) => b.writeUInt32BE(0xffffffff, 0)),
      code: 'limit-exceeded',
    },
    { name: 'entry count past the blob', bytes: patch((b) => b.writeUInt32BE(5000, 0)), code: 'truncated' },
    { name: 'data length huge', bytes: patch((b) => b.writeUInt32BE(0x7fffffff, 4)), code: 'limit-exceeded' },
    { name: 'no entries', bytes: Buffer.from('0000000000000000', 'hex'), code: 'corrupt' },
    { name: 'shorter than 8 bytes', bytes: Buffer.from('000001', 'hex'), code: 'truncated' },
    { name: 'trailing bytes', bytes: Buffer.concat([good, Buffer.alloc(3)]), code: 'corrupt' },
    {
      name: 'offset outside data',
      bytes: patch((b) => b.writeInt32BE(dlOf(b) + 100, entryAt(1, 'offset'))),
      code: 'corrupt',
    },
    {
      name: 'negative offset',
      bytes: patch((b) => b.writeInt32BE(-4, entryAt(1, 'offset'))),
      code: 'corrupt',
    },
    { name: 'type 10', bytes: patch((b) => b.writeUInt32BE(10, entryAt(1, 'type'))), code: 'corrupt' },
    {
      name: 'STRING with count 2',
      bytes: patch((b) => b.writeUInt32BE(2, entryAt(1, 'count'))),
      code: 'corrupt',
    },
    {
      name: 'unterminated string (last string runs to the end)',
      // a BIN entry of 3 non-NUL bytes, then retyped as STRING: no NUL before the end of data
      bytes: buildHeaderBlob([{ tag: Tag.NAME, type: T.BIN, value: Buffer.from('abc') }]),
      patchType: true,
      code: 'corrupt',
    },
    {
      name: 'string array count larger than its strings',
      bytes: (() => {
        const b = buildHeaderBlob([{ tag: Tag.BASENAMES, type: T.STRING_ARRAY, value: ['a', 'b'] }]);
        b.writeUInt32BE(3, entryAt(0, 'count'));
        return b;
      })(),
      code: 'corrupt',
    },
    {
      name: 'INT32 count beyond the data',
      bytes: (() => {
        const b = buildHeaderBlob([{ tag: Tag.DIRINDEXES, type: T.INT32, value: [1, 2] }]);
        b.writeUInt32BE(0x40000000, entryAt(0, 'count'));
        return b;
      })(),
      code: 'corrupt',
    },
    {
      name: 'misaligned INT32',
      bytes: (() => {
        const b = buildHeaderBlob([{ tag: Tag.DIRINDEXES, type: T.INT32, value: [1, 2] }]);
        b.writeInt32BE(2, entryAt(0, 'offset'));
        return b;
      })(),
      code: 'corrupt',
    },
    {
      name: 'region tag not BIN/16',
      bytes: patch((b) => b.writeUInt32BE(15, entryAt(0, 'count'))),
      code: 'corrupt',
    },
    {
      name: 'region trailer offset outside data',
      bytes: patch((b) => b.writeInt32BE(dlOf(b) - 8, entryAt(0, 'offset'))),
      code: 'corrupt',
    },
    {
      name: 'region trailer claims more entries than the index',
      bytes: patch((b) => b.writeInt32BE(-16 * 1000, b.length - 8)),
      code: 'corrupt',
    },
    {
      name: 'region trailer with another tag',
      bytes: patch((b) => b.writeInt32BE(62, b.length - 16)),
      code: 'corrupt',
    },
  ])('$name → $code', ({ bytes, code, patchType }) => {
    const b = Buffer.from(bytes);
    if (patchType) b.writeUInt32BE(T.STRING, entryAt(0, 'type'));
    expect(codeOf(() => decodeRpmHeaderBlob(b))).toBe(code);
  });

  it.each([
    { name: 'no NAME', entries: [{ tag: Tag.VERSION, type: T.STRING, value: '1' }] },
    { name: 'NAME of integer type', entries: [{ tag: Tag.NAME, type: T.INT32, value: [7] }] },
    {
      name: 'DIRINDEXES beyond DIRNAMES',
      entries: [
        { tag: Tag.NAME, type: T.STRING, value: 'x' },
        { tag: Tag.DIRNAMES, type: T.STRING_ARRAY, value: ['/'] },
        { tag: Tag.BASENAMES, type: T.STRING_ARRAY, value: ['a'] },
        { tag: Tag.DIRINDEXES, type: T.INT32, value: [5] },
      ],
    },
    {
      name: 'DIRINDEXES count differs from BASENAMES',
      entries: [
        { tag: Tag.NAME, type: T.STRING, value: 'x' },
        { tag: Tag.DIRNAMES, type: T.STRING_ARRAY, value: ['/'] },
        { tag: Tag.BASENAMES, type: T.STRING_ARRAY, value: ['a', 'b'] },
        { tag: Tag.DIRINDEXES, type: T.INT32, value: [0] },
      ],
    },
    {
      name: 'INT64 size beyond 2^53',
      entries: [
        { tag: Tag.NAME, type: T.STRING, value: 'x' },
        { tag: Tag.LONGSIZE, type: T.INT64, value: [1n << 60n] },
      ],
    },
  ])('package record: $name → corrupt', ({ entries }) => {
    expect(codeOf(() => decodeRpmPackage(buildHeaderBlob(entries, { region: true })))).toBe('corrupt');
  });

  it('a 65535-entry header of one-byte strings is validated quickly (linear NUL scan)', () => {
    const n = 0xffff;
    const values = Array.from({ length: n - 1 }, () => ({
      tag: 5000,
      type: T.STRING_ARRAY,
      value: ['', ''],
    }));
    const blob = buildHeaderBlob([{ tag: Tag.NAME, type: T.STRING, value: 'big' }, ...values]);
    const t0 = performance.now();
    expect(decodeRpmPackage(blob).name).toBe('big');
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});

describe('readers/pkgdb/rpm/pgp', () => {
  it('v4 signature: algorithms, creation time and issuer from subpackets', () => {
    const hashed = Buffer.from([5, 2, 0x61, 0xf2, 0x5f, 0x93]); // creation time subpacket
    const unhashed = Buffer.concat([Buffer.from([9, 16]), Buffer.from('0cd9fed33135ce90', 'hex')]);
    const body = Buffer.concat([
      Buffer.from([4, 0, 1, 8, 0, hashed.length]),
      hashed,
      Buffer.from([0, unhashed.length]),
      unhashed,
      Buffer.from([0xab, 0xcd]),
    ]);
    const pkt = Buffer.concat([Buffer.from([0x89, 0, body.length]), body]); // old format, 2-byte length
    const s = decodePgpSignature(pkt);
    expect(s).toEqual({
      version: 4,
      pubkeyAlgo: 'RSA',
      hashAlgo: 'SHA256',
      created: 0x61f25f93,
      keyId: '0cd9fed33135ce90',
    });
    expect(formatPgpSignature(s)).toBe('RSA/SHA256, Thu Jan 27 09:02:11 2022, Key ID 0cd9fed33135ce90');
  });

  it.each([
    { name: 'not a packet', bytes: Buffer.from([0x00, 1, 2]), code: 'corrupt' },
    { name: 'not a signature packet', bytes: Buffer.from([0x99, 0, 1, 4]), code: 'corrupt' },
    {
      name: 'subpacket area past the packet',
      bytes: Buffer.from([0x88, 8, 4, 0, 1, 8, 0xff, 0xff, 0, 0]),
      code: 'truncated',
    },
    { name: 'version 7', bytes: Buffer.from([0x88, 2, 7, 0]), code: 'unsupported' },
  ])('$name → $code', ({ bytes, code }) => {
    expect(codeOf(() => decodePgpSignature(bytes))).toBe(code);
  });

  it('an unreadable signature tag does not make the package unreadable', () => {
    const blob = minimalPackage('x', [{ tag: Tag.RSAHEADER, type: T.BIN, value: Buffer.from([0x00, 0x01]) }]);
    const r = decodeRpmPackage(blob);
    expect(r.name).toBe('x');
    expect(r.rsaHeader).toBeUndefined();
  });
});
