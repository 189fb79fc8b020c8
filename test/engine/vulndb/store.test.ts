import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importPath } from '../../../engine/vulndb/ingest/index.js';
import {
  forEachZipEntry,
  gunzipBounded,
  readBounded,
  walkFiles,
} from '../../../engine/vulndb/ingest/read.js';
import { VULNDB_LIMITS } from '../../../engine/vulndb/limits.js';
import { canMigrate, nameKey, SCHEMA_VERSION } from '../../../engine/vulndb/schema.js';
import { ageWarning, defaultDbPath, VulnStore, withWritableStore } from '../../../engine/vulndb/store.js';
import { HAVE_SHARED, SHARED_VULNDATA } from '../../helpers/paths.js';
import { buildZip } from './builders.js';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'vulndb-store-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const osvRecord = (id: string, name: string, fixed: string) =>
  JSON.stringify({
    id,
    modified: '2024-01-01T00:00:00Z',
    aliases: [`CVE-2024-${id.slice(-4)}`],
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
    affected: [
      {
        package: { ecosystem: 'npm', name },
        ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed }] }],
      },
    ],
  });

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

describe('engine/vulndb/store', () => {
  it('atomic swap: a failed import leaves the old database byte-identical and no temp file behind', async () => {
    const dir = join(tmp, 'swap');
    rmSync(dir, { recursive: true, force: true });
    const db = join(dir, 'vulndb.sqlite');
    const good = join(tmp, 'GHSA-good-0001.json');
    writeFileSync(good, osvRecord('GHSA-good-0001', 'left-pad', '1.3.0'));
    await withWritableStore(db, (w) => importPath(w, good));
    const before = sha(db);
    const bad = join(tmp, 'GHSA-bad-0002.json');
    writeFileSync(bad, `${osvRecord('GHSA-bad-0002', 'x', '1').slice(0, 60)}`); // truncated JSON
    await expect(withWritableStore(db, (w) => importPath(w, bad))).rejects.toThrow();
    expect(sha(db)).toBe(before);
    expect(readdirSync(dir)).toEqual(['vulndb.sqlite']);
    const store = VulnStore.openReadOnly(db);
    try {
      expect(store.affected('npm', 'left-pad').map((h) => h.advisory.id)).toEqual(['GHSA-good-0001']);
    } finally {
      store.close();
    }
  });

  it('an error inside the callback after records were written also rolls back the swap', async () => {
    const db = join(tmp, 'cb.sqlite');
    const good = join(tmp, 'GHSA-cb-0003.json');
    writeFileSync(good, osvRecord('GHSA-cb-0003', 'a', '1.0.0'));
    await withWritableStore(db, (w) => importPath(w, good));
    const before = sha(db);
    await expect(
      withWritableStore(db, async (w) => {
        await importPath(w, good);
        throw new Error('network dropped');
      }),
    ).rejects.toThrow('network dropped');
    expect(sha(db)).toBe(before);
  });

  it('read-only store refuses other schema versions and missing files with stable codes', () => {
    const db = join(tmp, 'old.sqlite');
    const raw = new Database(db);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    expect(() => VulnStore.openReadOnly(db)).toThrow(
      expect.objectContaining({ code: 'vulndb-schema-mismatch' }),
    );
    expect(() => VulnStore.openReadOnly(join(tmp, 'nope.sqlite'))).toThrow(
      expect.objectContaining({ code: 'vulndb-missing' }),
    );
  });

  it('read-only connections cannot write', async () => {
    const db = join(tmp, 'ro.sqlite');
    await withWritableStore(db, async () => undefined);
    const store = VulnStore.openReadOnly(db);
    try {
      expect(() => store.db.exec('DELETE FROM advisories')).toThrow(/readonly/);
    } finally {
      store.close();
    }
  });

  it.each([
    { ageDays: 0.5, max: 1, warns: false },
    { ageDays: 1, max: 1, warns: false },
    { ageDays: 1.01, max: 1, warns: true },
    { ageDays: 30, max: 7, warns: true },
  ])('ageWarning: $ageDays days old, limit $max → warns $warns', async ({ ageDays, max, warns }) => {
    const built = new Date('2025-01-01T00:00:00Z');
    const db = join(tmp, `age-${ageDays}.sqlite`);
    await withWritableStore(db, async () => undefined, { clock: () => built, fresh: true });
    const store = VulnStore.openReadOnly(db);
    try {
      const now = new Date(built.getTime() + ageDays * 86_400_000);
      const w = ageWarning(store, max, now);
      expect(w !== undefined).toBe(warns);
      if (w) expect(w).toMatch(/snapscan db update/);
    } finally {
      store.close();
    }
  });

  it('defaultDbPath: $SNAPSCAN_DB wins, else ~/.cache/snapscan/vulndb.sqlite', () => {
    expect(defaultDbPath({ SNAPSCAN_DB: '/x/y.sqlite' })).toBe('/x/y.sqlite');
    expect(defaultDbPath({ HOME: '/home/u' })).toMatch(/\.cache\/snapscan\/vulndb\.sqlite$/);
  });
});

describe('engine/vulndb/schema nameKey', () => {
  it.each([
    { eco: 'PyPI', name: 'PyYAML', key: 'pyyaml' },
    { eco: 'PyPI', name: 'zope.interface', key: 'zope-interface' },
    { eco: 'PyPI', name: 'Zope__Interface', key: 'zope-interface' },
    { eco: 'PyPI', name: 'backports.ssl_match-hostname', key: 'backports-ssl-match-hostname' },
    { eco: 'NuGet', name: 'Newtonsoft.Json', key: 'newtonsoft.json' },
    {
      eco: 'NuGet',
      name: 'Microsoft.NETCore.App.Runtime.linux-arm',
      key: 'microsoft.netcore.app.runtime.linux-arm',
    },
    { eco: 'Packagist', name: 'Contao/Core-Bundle', key: 'contao/core-bundle' },
    // Case-sensitive ecosystems keep the name: npm has JSONStream and jsonstream, two packages.
    { eco: 'npm', name: 'JSONStream', key: 'JSONStream' },
    { eco: 'Maven', name: 'org.Foo:Bar_baz', key: 'org.Foo:Bar_baz' },
    { eco: 'Debian:12', name: 'Foo.Bar', key: 'Foo.Bar' },
  ])('$eco $name → $key', ({ eco, name, key }) => {
    expect(nameKey(eco, name)).toBe(key);
  });
});

const NUGET_DIR = join(SHARED_VULNDATA, 'osv/NuGet');
const NUGET_ID = 'Microsoft.NetCore.App.Runtime.linux-arm';

describe.skipIf(!HAVE_SHARED)('engine/vulndb/store: case-insensitive NuGet ids, schema 1 → 2', () => {
  it.each([
    'Microsoft.NetCore.App.Runtime.linux-arm',
    'Microsoft.NETCore.App.Runtime.linux-arm',
    'MICROSOFT.NETCORE.APP.RUNTIME.LINUX-ARM',
  ])('the real GHSA-266m-wp2v-x7mq is found as %s', async (spelling) => {
    const db = join(tmp, 'nuget-case.sqlite');
    if (!existsSync(db)) await withWritableStore(db, (w) => importPath(w, NUGET_DIR));
    const store = VulnStore.openReadOnly(db);
    try {
      expect(store.affected('NuGet', spelling).map((h) => h.advisory.id)).toEqual(['GHSA-266m-wp2v-x7mq']);
    } finally {
      store.close();
    }
  });

  it('a schema-1 file (NuGet keys as written) is refused by scans and re-keyed in place by the next import', async () => {
    const db = join(tmp, 'v1.sqlite');
    await withWritableStore(db, async (w) => {
      await importPath(w, NUGET_DIR);
      const npm = join(tmp, 'GHSA-case-0009.json');
      writeFileSync(npm, osvRecord('GHSA-case-0009', 'JSONStream', '1.3.0'));
      await importPath(w, npm);
    });
    // What schema 1 wrote: name_key = the name itself outside PyPI.
    const raw = new Database(db);
    raw.exec("UPDATE affected SET name_key = name WHERE ecosystem = 'NuGet'");
    raw.pragma('user_version = 1');
    raw.close();
    expect(canMigrate(1)).toBe(true);
    expect(canMigrate(SCHEMA_VERSION + 1)).toBe(false);
    expect(() => VulnStore.openReadOnly(db)).toThrow(
      expect.objectContaining({ code: 'vulndb-schema-mismatch', found: 1 }),
    );
    const sourcesBefore = (() => {
      const r = new Database(db, { readonly: true });
      try {
        return (r.prepare('SELECT name FROM sources ORDER BY name').all() as Array<{ name: string }>).map(
          (x) => x.name,
        );
      } finally {
        r.close();
      }
    })();
    expect(sourcesBefore.length).toBe(2);
    await withWritableStore(db, async () => undefined); // any import or update
    const store = VulnStore.openReadOnly(db);
    try {
      expect(
        store
          .info()
          .sources.map((x) => x.name)
          .sort(),
      ).toEqual(sourcesBefore);
      expect(store.affected('NuGet', NUGET_ID.toLowerCase()).map((h) => h.advisory.id)).toEqual([
        'GHSA-266m-wp2v-x7mq',
      ]);
      expect(store.affected('NuGet', 'Microsoft.NETCore.App.Runtime.linux-arm')).toHaveLength(1);
      expect(store.affected('npm', 'JSONStream')).toHaveLength(1);
      expect(store.affected('npm', 'jsonstream')).toHaveLength(0);
    } finally {
      store.close();
    }
  });
});

describe('engine/vulndb/ingest/read zip limits', () => {
  it('rejects an entry whose inflated size differs from its declared size', async () => {
    const p = join(tmp, 'liar.zip');
    writeFileSync(p, buildZip([{ name: 'GO-1.json', data: Buffer.alloc(5000, 0x20), lieAboutSize: 10 }]));
    await expect(forEachZipEntry(p, () => undefined)).rejects.toThrow();
  });

  it('reads every entry of a good zip in order', async () => {
    const p = join(tmp, 'ok.zip');
    writeFileSync(
      p,
      buildZip([
        { name: 'a.json', data: Buffer.from('1') },
        { name: 'dir/b.json', data: Buffer.from('22') },
      ]),
    );
    const seen: string[] = [];
    const n = await forEachZipEntry(p, (name, data) => seen.push(`${name}:${data.length}`));
    expect(n).toBe(2);
    expect(seen).toEqual(['a.json:1', 'dir/b.json:2']);
  });
});

describe('engine/vulndb/ingest/read bounds', () => {
  it('gunzip stops at its output cap with limit-exceeded (gzip bomb)', () => {
    const bomb = gzipSync(Buffer.alloc(4 * 1024 * 1024)); // 4 MiB of zeros → ~4 KiB compressed
    expect(bomb.length).toBeLessThan(10_000);
    expect(() => gunzipBounded(bomb, 'bomb.gz', 1024 * 1024)).toThrow(
      expect.objectContaining({ code: 'limit-exceeded' }),
    );
    expect(gunzipBounded(bomb, 'bomb.gz', 8 * 1024 * 1024)).toHaveLength(4 * 1024 * 1024);
  });

  it('readBounded refuses files over the cap before reading them', () => {
    const p = join(tmp, 'big.json');
    writeFileSync(p, Buffer.alloc(2048, 0x20));
    expect(() => readBounded(p, 1024)).toThrow(
      expect.objectContaining({ code: 'limit-exceeded', limit: 'MAX_DOCUMENT_BYTES' }),
    );
    expect(readBounded(p, 4096)).toHaveLength(2048);
  });

  it('walkFiles stops at MAX_WALK_DEPTH and skips hidden entries', () => {
    const root = join(tmp, 'deep');
    let d = root;
    for (let i = 0; i <= VULNDB_LIMITS.MAX_WALK_DEPTH + 1; i++) d = join(d, 'd');
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'x.json'), '{}');
    expect(() => walkFiles(root)).toThrow(expect.objectContaining({ code: 'limit-exceeded' }));
    const shallow = join(tmp, 'shallow');
    mkdirSync(join(shallow, '.git'), { recursive: true });
    writeFileSync(join(shallow, '.git', 'a.json'), '{}');
    writeFileSync(join(shallow, 'b.json'), '{}');
    expect(walkFiles(shallow)).toEqual([join(shallow, 'b.json')]);
  });

  it('a corrupt file inside a folder import is skipped and reported, the rest imported', async () => {
    const dir = join(tmp, 'mixed');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'GHSA-ok-0001.json'), osvRecord('GHSA-ok-0001', 'ok-pkg', '1.0.0'));
    writeFileSync(join(dir, 'GHSA-bad-0002.json'), '{"id": "GHSA-bad-0002", "modified": "x", "affected": [');
    const db = join(tmp, 'mixed.sqlite');
    const r = await withWritableStore(db, (w) => importPath(w, dir), { fresh: true });
    expect(r.reports[0]).toMatchObject({ records: 1, skipped: 1 });
    expect(r.reports[0]?.problems[0]).toMatch(/GHSA-bad-0002\.json/);
  });
});
