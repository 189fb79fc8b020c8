import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ScanError } from '../../../../engine/errors.js';
import { DEFAULT_LIMITS } from '../../../../engine/limits.js';
import type { CatalogContext } from '../../../../readers/cataloger.js';
import { catalogRpmDb } from '../../../../readers/pkgdb/rpm/index.js';
import { adler32, readNdbRpmdb } from '../../../../readers/pkgdb/rpm/ndb.js';
import { sqliteBlobs } from '../../../fixtures/rpmdb/gen-bdb.js';
import { HAVE_SHARED, SHARED_FIXTURES } from '../../../helpers/paths.js';
import { mulberry32 } from '../../../helpers/prng.js';
import { buildNdb, minimalPackage } from './builders.js';

const SQLITE = resolve(SHARED_FIXTURES, 'rpmdb/cbl-mariner2-sqlite.rpmdb.sqlite');
const SLE = resolve(SHARED_FIXTURES, 'rpmdb/sle15-bci-ndb.Packages.db');
const limits = { ...DEFAULT_LIMITS };
const ctx = (): CatalogContext => ({ limits: { ...DEFAULT_LIMITS } }) as unknown as CatalogContext;

const two = () =>
  buildNdb([
    { pkgidx: 1, blob: minimalPackage('alpha') },
    { pkgidx: 2, blob: minimalPackage('beta') },
  ]);
/** Slot i (0-based, after the 32-byte header) starts at 32 + 16 i. */
const slot = (i: number) => 32 + 16 * i;
const blobStart = (b: Buffer, i: number) => b.readUInt32LE(slot(i) + 8) * 16;

describe('readers/pkgdb/rpm/ndb', () => {
  it('adler32 matches RFC 1950 check value of "Wikipedia"', () => {
    expect(adler32(Buffer.from('Wikipedia'))).toBe(0x11e60398);
  });

  it('a crafted two-package database reads back in pkgidx order', () => {
    const res = readNdbRpmdb(two(), limits);
    expect(res.errors).toEqual([]);
    expect(res.records.map((r) => r.key)).toEqual([1, 2]);
  });

  it.skipIf(!HAVE_SHARED).each([{ slotnpages: 1 }, { slotnpages: 3 }])(
    'ndb built from the 129 Mariner sqlite blobs (slotnpages $slotnpages) lists what sqlite lists',
    async ({ slotnpages }) => {
      const rows = sqliteBlobs(SQLITE);
      const ndb = buildNdb(
        rows.map((r) => ({ pkgidx: r.hnum, blob: r.blob })),
        slotnpages,
      );
      const a = await catalogRpmDb({ path: '/p', bytes: ndb }, ctx());
      const b = await catalogRpmDb({ path: '/p', bytes: readFileSync(SQLITE) }, ctx());
      expect(a.format).toBe('ndb');
      expect(a.errors).toEqual([]);
      expect(a.packages).toHaveLength(129);
      expect(a.packages).toEqual(b.packages);
    },
  );

  it.each([
    { name: 'bad header magic', patch: (b: Buffer) => b.write('XpmP', 0, 'latin1'), code: 'bad-magic' },
    { name: 'version 1', patch: (b: Buffer) => b.writeUInt32LE(1, 4), code: 'unsupported' },
    {
      name: 'slot pages beyond the file',
      patch: (b: Buffer) => b.writeUInt32LE(0x100000, 12),
      code: 'truncated',
    },
    { name: 'zero slot pages', patch: (b: Buffer) => b.writeUInt32LE(0, 12), code: 'corrupt' },
  ])('file: $name → throws $code', ({ patch, code }) => {
    const b = two();
    patch(b);
    expect(() => readNdbRpmdb(b, limits)).toThrow(expect.objectContaining({ code }));
  });

  it.each([
    {
      name: 'slot outside the file',
      patch: (b: Buffer) => b.writeUInt32LE(0x0fffffff, slot(0) + 8),
      code: 'corrupt',
    },
    {
      name: 'blob count past the file end',
      patch: (b: Buffer) => b.writeUInt32LE(0xffffff, slot(0) + 12),
      code: 'corrupt',
    },
    {
      name: 'slot inside the slot pages',
      patch: (b: Buffer) => b.writeUInt32LE(3, slot(0) + 8),
      code: 'corrupt',
    },
    { name: 'bad slot magic', patch: (b: Buffer) => b.write('Xlot', slot(0), 'latin1'), code: 'bad-magic' },
    {
      name: 'pkgidx 0 in a used slot',
      patch: (b: Buffer) => b.writeUInt32LE(0, slot(0) + 4),
      code: 'corrupt',
    },
    {
      name: 'bad blob head magic',
      patch: (b: Buffer) => b.write('XlbS', blobStart(b, 0), 'latin1'),
      code: 'bad-magic',
    },
    {
      name: 'blob pkgidx differs from slot',
      patch: (b: Buffer) => b.writeUInt32LE(9, blobStart(b, 0) + 4),
      code: 'corrupt',
    },
    {
      name: 'bloblen disagrees with blkcnt',
      patch: (b: Buffer) => b.writeUInt32LE(5, blobStart(b, 0) + 12),
      code: 'corrupt',
    },
    {
      name: 'bloblen huge',
      patch: (b: Buffer) => b.writeUInt32LE(0xfffffff0, blobStart(b, 0) + 12),
      code: 'limit-exceeded',
    },
    {
      name: 'bad tail magic',
      patch: (b: Buffer) => b.write('XlbE', blobStart(b, 1) - 4, 'latin1'),
      code: 'bad-magic',
    },
    {
      name: 'second slot overlapping the first blob',
      patch: (b: Buffer) => {
        b.writeUInt32LE(b.readUInt32LE(slot(0) + 8), slot(1) + 8);
        b.writeUInt32LE(b.readUInt32LE(slot(0) + 12), slot(1) + 12);
      },
      code: 'corrupt',
    },
    {
      name: 'duplicate pkgidx',
      patch: (b: Buffer) => {
        b.writeUInt32LE(1, slot(1) + 4);
        b.writeUInt32LE(1, blobStart(b, 1) + 4);
      },
      code: 'corrupt',
    },
  ])('slot/blob: $name → per-record $code, the other package still read', ({ patch, code }) => {
    const b = two();
    patch(b);
    const res = readNdbRpmdb(b, limits);
    expect(res.errors.map((e) => e.code)).toEqual([code]);
    expect(res.records).toHaveLength(1);
  });

  it('adler32 mismatch is reported and the record kept (rpm does not verify on read)', () => {
    const b = two();
    const tail = blobStart(b, 1) - 12;
    b.writeUInt32LE(0xdeadbeef, tail);
    const res = readNdbRpmdb(b, limits);
    expect(res.records).toHaveLength(2);
    expect(res.errors.map((e) => e.code)).toEqual(['corrupt']);
    expect(res.errors[0]!.message).toMatch(/adler32/);
  });

  it.skipIf(!HAVE_SHARED)('sle15 fixture: 120 seeded byte flips, each a result or a ScanError', async () => {
    const base = readFileSync(SLE);
    const rnd = mulberry32(7);
    let results = 0;
    for (let run = 0; run < 120; run++) {
      const b = Buffer.from(base);
      for (let k = 0; k < 4; k++) {
        // Half in the slot page (header + slots), half anywhere.
        const at = rnd() < 0.5 ? Math.floor(rnd() * 4096) : Math.floor(rnd() * b.length);
        b[at] = Math.floor(rnd() * 256);
      }
      try {
        const res = await catalogRpmDb({ path: '/p', bytes: b }, ctx());
        expect(res.packages.length).toBeLessThanOrEqual(35);
        results++;
      } catch (err) {
        if (!(err instanceof ScanError)) throw err;
      }
    }
    expect(results).toBeGreaterThan(0);
  });
});
