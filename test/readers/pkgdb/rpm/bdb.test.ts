/**
 * Berkeley DB hash reader: multi-package databases built by test/fixtures/rpmdb/gen-bdb.ts with
 * db5.3_load from the header blobs of the shared CBL-Mariner sqlite database (129 packages) in
 * several page sizes / byte orders, compared with our sqlite listing and with `rpm -qa` (bdb_ro);
 * then crafted hostile files and a seeded byte-flip mutation run.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ScanError } from '../../../../engine/errors.js';
import { DEFAULT_LIMITS } from '../../../../engine/limits.js';
import type { CatalogContext } from '../../../../readers/cataloger.js';
import { decodeBdbMeta, readBdbRpmdb } from '../../../../readers/pkgdb/rpm/bdb.js';
import { catalogRpmDb } from '../../../../readers/pkgdb/rpm/index.js';
import { genBdb, haveDbLoad } from '../../../fixtures/rpmdb/gen-bdb.js';
import { HAVE_SHARED, NO_SHARED_REASON, SHARED_FIXTURES } from '../../../helpers/paths.js';
import { mulberry32 } from '../../../helpers/prng.js';
import { minimalPackage } from './builders.js';
import { haveRpm, rpmQa } from './rpm-oracle.js';

const SQLITE = resolve(SHARED_FIXTURES, 'rpmdb/cbl-mariner2-sqlite.rpmdb.sqlite');
const CENTOS = resolve(SHARED_FIXTURES, 'rpmdb/centos8-dive-bdb.Packages');
const HAVE_DB_LOAD = haveDbLoad();
const HAVE_RPM = haveRpm();
const ctx = (): CatalogContext => ({ limits: { ...DEFAULT_LIMITS } }) as unknown as CatalogContext;
const limits = { ...DEFAULT_LIMITS };

const lines = (
  pkgs: Array<{ name: string; epoch?: number; upstreamVersion?: string; release?: string; arch?: string }>,
) => pkgs.map((p) => `${p.name}\t${p.epoch ?? 0}:${p.upstreamVersion}-${p.release}\t${p.arch ?? '(none)'}`);

const GEN_REASON = !HAVE_SHARED ? NO_SHARED_REASON : 'db5.3_load (db5.3-util) is not installed';
const CAN_GEN = HAVE_SHARED && HAVE_DB_LOAD;

describe.skipIf(!CAN_GEN)(
  `readers/pkgdb/rpm/bdb (generated databases${CAN_GEN ? '' : `: skipped, ${GEN_REASON}`})`,
  () => {
    it.each([
      { name: '4 KiB pages, little-endian', opts: { pageSize: 4096 } },
      { name: '512-byte pages (many buckets, long overflow chains)', opts: { pageSize: 512 } },
      { name: '64 KiB pages (on-page H_KEYDATA items)', opts: { pageSize: 65536 } },
      { name: 'big-endian (db_lorder=4321)', opts: { pageSize: 4096, lorder: 4321 as const } },
      { name: 'page checksums (DBMETA_CHKSUM)', opts: { pageSize: 1024, chksum: true } },
    ])('$name: lists exactly what the sqlite database lists', async ({ opts }) => {
      const path = genBdb({ sqlite: SQLITE, ...opts });
      const bytes = readFileSync(path);
      const meta = decodeBdbMeta(bytes);
      expect(meta.pageSize).toBe(opts.pageSize);
      expect(meta.littleEndian).toBe(opts.lorder !== 4321);
      expect(meta.checksummed).toBe(opts.chksum === true);
      const fromBdb = await catalogRpmDb({ path: '/var/lib/rpm/Packages', bytes }, ctx());
      const fromSqlite = await catalogRpmDb(
        { path: '/var/lib/rpm/Packages', bytes: readFileSync(SQLITE) },
        ctx(),
      );
      expect(fromBdb.format).toBe('bdb');
      expect(fromBdb.errors).toEqual([]);
      expect(fromBdb.packages.length).toBe(129);
      expect(fromBdb.packages).toEqual(fromSqlite.packages);
    });

    it.skipIf(!HAVE_RPM).each([
      { name: '4 KiB LE', opts: { pageSize: 4096 } },
      { name: '512 B', opts: { pageSize: 512 } },
      { name: '64 KiB', opts: { pageSize: 65536 } },
      { name: 'big-endian', opts: { pageSize: 4096, lorder: 4321 as const } },
    ])(
      '$name: rpm -qa --define "_db_backend bdb_ro" agrees (as a set; rpm lists in hash order)',
      async ({ opts }) => {
        const path = genBdb({ sqlite: SQLITE, ...opts });
        const res = await catalogRpmDb({ path: '/var/lib/rpm/Packages', bytes: readFileSync(path) }, ctx());
        const want = rpmQa(path, 'Packages', 'bdb_ro');
        expect(want).toHaveLength(129);
        expect(lines(res.packages).sort()).toEqual([...want].sort());
      },
    );

    it('seeded mutation: 300 byte-flipped copies each end in a result or a ScanError', async () => {
      // A small database (12 packages, 512-byte pages) so flips land on metadata, page headers,
      // index arrays, HOFFPAGE items and overflow links often.
      const base = readFileSync(genBdb({ sqlite: SQLITE, pageSize: 512, limit: 12 }));
      const rnd = mulberry32(0x5eed);
      const pageSize = 512;
      const pages = base.length / pageSize;
      const outcomes = { ok: 0, partial: 0, error: 0 };
      const started = performance.now();
      for (let run = 0; run < 300; run++) {
        const b = Buffer.from(base);
        const flips = 1 + Math.floor(rnd() * 8);
        for (let k = 0; k < flips; k++) {
          // Half the flips target the first 64 bytes of a page (headers, inp[], meta fields).
          const pg = Math.floor(rnd() * pages);
          const at = rnd() < 0.5 ? pg * pageSize + Math.floor(rnd() * 64) : Math.floor(rnd() * b.length);
          b[at] = rnd() < 0.3 ? 0xff : Math.floor(rnd() * 256);
        }
        try {
          const res = await catalogRpmDb({ path: '/var/lib/rpm/Packages', bytes: b }, ctx());
          expect(res.packages.length).toBeLessThanOrEqual(12);
          if (res.errors.length === 0) outcomes.ok++;
          else outcomes.partial++;
        } catch (err) {
          if (!(err instanceof ScanError)) throw err;
          expect(typeof err.code).toBe('string');
          outcomes.error++;
        }
      }
      const ms = performance.now() - started;
      expect(outcomes.ok + outcomes.partial + outcomes.error).toBe(300);
      // The mix shows the flips reach every outcome, not only the metadata page.
      expect(outcomes.partial).toBeGreaterThan(0);
      expect(outcomes.error).toBeGreaterThan(0);
      expect(ms).toBeLessThan(60_000);
    });
  },
);

/** A hand-built hash database: meta page + one hash page + overflow pages, little-endian. */
function craftBdb(opts: { blob: Buffer; pageSize?: number; chain?: (pgnos: number[]) => number[] }): Buffer {
  const ps = opts.pageSize ?? 512;
  const room = ps - 26;
  const nOv = Math.ceil(opts.blob.length / room);
  const total = 2 + nOv;
  const b = Buffer.alloc(total * ps);
  // meta page
  b.writeUInt32LE(0, 8);
  b.writeUInt32LE(0x061561, 12);
  b.writeUInt32LE(9, 16);
  b.writeUInt32LE(ps, 20);
  b[25] = 8;
  b.writeUInt32LE(total - 1, 32);
  // hash page 1: key (H_KEYDATA u32 1) and data (H_OFFPAGE)
  const hp = ps;
  b.writeUInt32LE(1, hp + 8);
  b.writeUInt16LE(2, hp + 20);
  b[hp + 25] = 13;
  const keyOff = ps - 5;
  const dataOff = keyOff - 12;
  b.writeUInt16LE(keyOff, hp + 26);
  b.writeUInt16LE(dataOff, hp + 28);
  b.writeUInt16LE(dataOff, hp + 22);
  b[hp + keyOff] = 1;
  b.writeUInt32LE(1, hp + keyOff + 1);
  b[hp + dataOff] = 3;
  b.writeUInt32LE(2, hp + dataOff + 4);
  b.writeUInt32LE(opts.blob.length, hp + dataOff + 8);
  const pgnos = Array.from({ length: nOv }, (_, i) => 2 + i);
  const next = opts.chain ? opts.chain(pgnos) : [...pgnos.slice(1), 0];
  for (let i = 0; i < nOv; i++) {
    const p = (2 + i) * ps;
    const len = Math.min(room, opts.blob.length - i * room);
    b.writeUInt32LE(2 + i, p + 8);
    b.writeUInt32LE(next[i]!, p + 16);
    b.writeUInt16LE(len, p + 22);
    b[p + 25] = 7;
    opts.blob.copy(b, p + 26, i * room, i * room + len);
  }
  return b;
}

describe('readers/pkgdb/rpm/bdb (crafted)', () => {
  const blob = minimalPackage('crafted', [{ tag: 1004, type: 9, value: ['x'.repeat(1500)] }]);

  it('a well-formed crafted database reads back its one package', async () => {
    const res = await catalogRpmDb({ path: '/var/lib/rpm/Packages', bytes: craftBdb({ blob }) }, ctx());
    expect(res.errors).toEqual([]);
    expect(res.packages.map((p) => p.name)).toEqual(['crafted']);
  });

  it.each([
    {
      name: 'overflow chain cycle',
      chain: (p: number[]) => p.map((_, i) => (i === 1 ? p[0]! : (p[i + 1] ?? 0))),
      code: 'corrupt',
      re: /revisits/,
    },
    {
      name: 'overflow chain longer than tlen',
      chain: (p: number[]) => p.map((_, i) => (i === p.length - 1 ? p[0]! : p[i + 1]!)),
      code: 'corrupt',
      re: /after the last byte/,
    },
    {
      name: 'overflow page number out of range',
      chain: (p: number[]) => [...p.slice(1, -1), 999, 0],
      code: 'corrupt',
      re: />= /,
    },
    {
      name: 'chain ends early',
      chain: (p: number[]) => [0, ...p.slice(2), 0],
      code: 'truncated',
      re: /needs/,
    },
    {
      name: 'chain points back at the hash page',
      chain: (p: number[]) => [1, ...p.slice(2), 0],
      code: 'corrupt',
      re: /type 13 != 7/,
    },
  ])('$name → per-record $code error, never a loop', ({ chain, code, re }) => {
    const res = readBdbRpmdb(craftBdb({ blob, chain }), limits);
    expect(res.records).toEqual([]);
    expect(res.errors).toHaveLength(1);
    expect(res.errors[0]!.code).toBe(code);
    expect(res.errors[0]!.message).toMatch(re);
  });

  it.each([
    { name: 'bad magic', at: 12, value: 0x12345678, code: 'bad-magic' },
    { name: 'btree database', at: 12, value: 0x053162, code: 'unsupported' },
    { name: 'hash version 5', at: 16, value: 5, code: 'unsupported' },
    { name: 'page size not a power of two', at: 20, value: 1000, code: 'corrupt' },
  ])('meta page: $name → $code', ({ at, value, code }) => {
    const b = craftBdb({ blob });
    b.writeUInt32LE(value, at);
    // The cataloger sees a bad magic as "not an rpm database" at all.
    let err: unknown;
    try {
      readBdbRpmdb(b, limits);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ScanError);
    expect((err as ScanError).code).toBe(code);
  });

  it('encrypted database → unsupported', () => {
    const b = craftBdb({ blob });
    b[24] = 1;
    expect(() => readBdbRpmdb(b, limits)).toThrow(
      expect.objectContaining({ code: 'unsupported', feature: 'bdb-encryption' }),
    );
  });

  it.each([
    {
      name: 'entries beyond the page',
      patch: (b: Buffer) => b.writeUInt16LE(0xfffe, 512 + 20),
      re: /entries/,
    },
    {
      name: 'inp offset inside the index array',
      patch: (b: Buffer) => b.writeUInt16LE(10, 512 + 26),
      re: /inp\[0\]/,
    },
    {
      name: 'HOFFPAGE tlen larger than the file',
      patch: (b: Buffer) => b.writeUInt32LE(0x7fffffff, 512 + 512 - 5 - 12 + 8),
      re: /tlen/,
    },
    {
      name: 'page number field mismatch',
      patch: (b: Buffer) => b.writeUInt32LE(7, 512 + 8),
      re: /pgno 7 != 1/,
    },
  ])('hash page: $name → reported, file still read', ({ patch, re }) => {
    const b = craftBdb({ blob });
    patch(b);
    const res = readBdbRpmdb(b, limits);
    expect(res.records).toEqual([]);
    expect(res.errors.map((e) => e.message).join('\n')).toMatch(re);
  });

  it('two items sharing one overflow chain: the second is corrupt (each overflow page serves one item)', () => {
    const b = craftBdb({ blob });
    // Add a second key/data pair to hash page 1, its HOFFPAGE pointing at the same chain.
    const hp = 512;
    const keyOff = 512 - 5;
    const dataOff = keyOff - 12;
    const key2 = dataOff - 5;
    const data2 = key2 - 12;
    b.writeUInt16LE(4, hp + 20);
    b.writeUInt16LE(key2, hp + 30);
    b.writeUInt16LE(data2, hp + 32);
    b[hp + key2] = 1;
    b.writeUInt32LE(2, hp + key2 + 1);
    b.copy(b, hp + data2, hp + dataOff, hp + dataOff + 12);
    const res = readBdbRpmdb(b, limits);
    expect(res.records.map((r) => r.key)).toEqual([1]);
    expect(res.errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/revisits a page of this or an earlier chain/),
    ]);
  });

  // Found by test/fuzz ('rpm bdb' harness): two bytes inserted into the file shifted every page,
  // and the reader skipped all of them as "not a hash page" — 0 packages, no error.
  it.each([
    {
      name: 'two bytes inserted into page 1',
      edit: (b: Buffer) => Buffer.concat([b.subarray(0, 600), Buffer.from([0x0a, 0x0a]), b.subarray(600)]),
      message: /size \d+ is not a multiple of the page size 512/,
    },
    {
      name: 'the hash page typed as a btree leaf (P_LBTREE)',
      edit: (b: Buffer) => {
        b[512 + 25] = 5;
        return b;
      },
      message: /page 1 at 0x219: type 5 is not a hash, overflow or free page/,
    },
  ])('fuzz regression, $name: reported, never a silent empty result', ({ edit, message }) => {
    const res = readBdbRpmdb(edit(craftBdb({ blob })), limits);
    expect(res.records).toEqual([]);
    expect(res.errors[0]).toMatchObject({ code: 'corrupt', message: expect.stringMatching(message) });
  });

  it('fuzz regression, last_pgno zeroed: every page in the file still read, the mismatch reported', () => {
    const b = craftBdb({ blob });
    b.writeUInt32LE(0, 32);
    const res = readBdbRpmdb(b, limits);
    expect(res.records).toHaveLength(1);
    expect(res.errors[0]).toMatchObject({
      code: 'corrupt',
      message: expect.stringMatching(/last_pgno 0 < \d+ \(the last page in the file\)/),
    });
  });

  it('last_pgno beyond the file is reported as truncated, present pages still read', () => {
    const b = craftBdb({ blob });
    b.writeUInt32LE(1000, 32);
    const res = readBdbRpmdb(b, limits);
    expect(res.records).toHaveLength(1);
    expect(res.errors.map((e) => e.code)).toEqual(['truncated']);
  });

  it.skipIf(!HAVE_SHARED)(
    'centos8 fixture: 300 seeded single-byte flips, each a result or a ScanError',
    async () => {
      const base = readFileSync(CENTOS);
      const rnd = mulberry32(42);
      let errors = 0;
      for (let run = 0; run < 300; run++) {
        const b = Buffer.from(base);
        b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
        try {
          const res = await catalogRpmDb({ path: '/var/lib/rpm/Packages', bytes: b }, ctx());
          expect(res.packages.length).toBeLessThanOrEqual(1);
        } catch (err) {
          if (!(err instanceof ScanError)) throw err;
          errors++;
        }
      }
      expect(errors).toBeLessThan(300);
    },
  );
});
