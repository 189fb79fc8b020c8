/**
 * Seeded mutations below and above the database layer: byte flips inside real header blobs (index
 * entries, region trailer, data store, signature packets) and inside the sqlite file itself. Each
 * run must end in a record/result or a ScanError: never another exception, a crash or a hang.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ScanError } from '../../../../engine/errors.js';
import { DEFAULT_LIMITS } from '../../../../engine/limits.js';
import type { CatalogContext } from '../../../../readers/cataloger.js';
import { catalogRpmDb } from '../../../../readers/pkgdb/rpm/index.js';
import { decodeRpmPackage } from '../../../../readers/pkgdb/rpm/record.js';
import { sqliteBlobs } from '../../../fixtures/rpmdb/gen-bdb.js';
import { HAVE_SHARED, NO_SHARED_REASON, SHARED_FIXTURES } from '../../../helpers/paths.js';
import { mulberry32 } from '../../../helpers/prng.js';

const SQLITE = resolve(SHARED_FIXTURES, 'rpmdb/cbl-mariner2-sqlite.rpmdb.sqlite');
const ctx = (): CatalogContext => ({ limits: { ...DEFAULT_LIMITS } }) as unknown as CatalogContext;

describe.skipIf(!HAVE_SHARED)(
  `readers/pkgdb/rpm/header-blob (mutations${HAVE_SHARED ? '' : `: skipped, ${NO_SHARED_REASON}`})`,
  () => {
    it('3000 seeded flips in the 129 Mariner header blobs: a record or a ScanError each', () => {
      const blobs = sqliteBlobs(SQLITE).map((r) => r.blob);
      const rnd = mulberry32(2026);
      const codes = new Map<string, number>();
      let records = 0;
      for (let run = 0; run < 3000; run++) {
        const b = Buffer.from(blobs[run % blobs.length]!);
        const il = b.readUInt32BE(0);
        const flips = 1 + Math.floor(rnd() * 3);
        for (let k = 0; k < flips; k++) {
          // Two thirds of the flips hit the 8-byte intro or the index, the rest the data store.
          const at =
            rnd() < 0.67 ? Math.floor(rnd() * Math.min(b.length, 8 + 16 * il)) : Math.floor(rnd() * b.length);
          b[at] = rnd() < 0.25 ? 0xff : Math.floor(rnd() * 256);
        }
        try {
          const r = decodeRpmPackage(b);
          expect(typeof r.name).toBe('string');
          records++;
        } catch (err) {
          if (!(err instanceof ScanError)) throw err;
          codes.set(err.code, (codes.get(err.code) ?? 0) + 1);
        }
      }
      expect(records).toBeGreaterThan(0);
      expect([...codes.keys()].sort()).toEqual(expect.arrayContaining(['corrupt']));
    });

    it('40 seeded flips of the sqlite file: a result or a ScanError each', async () => {
      const base = readFileSync(SQLITE);
      const rnd = mulberry32(99);
      const pages = base.length / 4096;
      let noticed = 0;
      for (let run = 0; run < 40; run++) {
        const b = Buffer.from(base);
        for (let k = 0; k < 6; k++) {
          // B-tree page headers and cell pointers live in the first bytes of each page.
          const pg = Math.floor(rnd() * pages);
          b[pg * 4096 + (pg === 0 ? 100 : 0) + Math.floor(rnd() * 64)] = Math.floor(rnd() * 256);
        }
        try {
          const res = await catalogRpmDb({ path: '/var/lib/rpm/rpmdb.sqlite', bytes: b }, ctx());
          expect(res.packages.length).toBeLessThanOrEqual(129);
          if (res.errors.length > 0 || res.packages.length < 129) noticed++;
        } catch (err) {
          if (!(err instanceof ScanError)) throw err;
          noticed++;
        }
      }
      // The flips reach the b-tree: at least some runs see the damage (the rest hit unused bytes).
      expect(noticed).toBeGreaterThan(0);
    });
  },
);
