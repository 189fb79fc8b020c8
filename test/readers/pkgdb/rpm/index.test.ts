import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ScanError } from '../../../../engine/errors.js';
import { DEFAULT_LIMITS } from '../../../../engine/limits.js';
import type { OsInfo } from '../../../../engine/model/os.js';
import type { CatalogContext } from '../../../../readers/cataloger.js';
import {
  catalogRpmDb,
  detectRpmDbFormat,
  displayName,
  id,
  rpmCataloger,
  specUrls,
  version,
} from '../../../../readers/pkgdb/rpm/index.js';
import { evr, parseSourceRpm, rpmNamespace, rpmPurl } from '../../../../readers/pkgdb/rpm/package.js';
import { readSqliteRpmdb } from '../../../../readers/pkgdb/rpm/sqlite.js';
import { RpmType as T, Tag } from '../../../../readers/pkgdb/rpm/tags.js';
import { buildHeaderBlob, minimalPackage } from './builders.js';
import { haveRpm, rpmQa } from './rpm-oracle.js';

const ctx = (os?: OsInfo): CatalogContext =>
  ({ limits: { ...DEFAULT_LIMITS }, os }) as unknown as CatalogContext;
const limits = { ...DEFAULT_LIMITS };

/** rpm 4.18 opens every index table with CREATE … IF NOT EXISTS, which fails on a read-only -qa. */
const RPM_INDEXES = [
  ['Name', 'TEXT'],
  ['Basenames', 'TEXT'],
  ['Group', 'TEXT'],
  ['Requirename', 'TEXT'],
  ['Providename', 'TEXT'],
  ['Conflictname', 'TEXT'],
  ['Obsoletename', 'TEXT'],
  ['Triggername', 'TEXT'],
  ['Dirnames', 'TEXT'],
  ['Installtid', 'BLOB'],
  ['Sigmd5', 'BLOB'],
  ['Sha1header', 'TEXT'],
  ['Filetriggername', 'TEXT'],
  ['Transfiletriggername', 'TEXT'],
  ['Recommendname', 'TEXT'],
  ['Suggestname', 'TEXT'],
  ['Supplementname', 'TEXT'],
  ['Enhancename', 'TEXT'],
];

function rpmSchema(db: Database.Database): void {
  db.exec("CREATE TABLE 'Packages' (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)");
  for (const [t, k] of RPM_INDEXES) {
    db.exec(
      `CREATE TABLE '${t}' (key '${k}' NOT NULL, hnum INTEGER NOT NULL, idx INTEGER NOT NULL, FOREIGN KEY (hnum) REFERENCES 'Packages'(hnum))`,
    );
    db.exec(`CREATE INDEX '${t}_key_idx' ON '${t}'(key ASC)`);
  }
}

/** An rpm-shaped sqlite database built in memory; `setup` may replace the schema. */
function sqliteDb(
  rows: Array<{ hnum: number; blob: unknown }>,
  setup?: (db: Database.Database) => void,
): Buffer {
  const db = new Database(':memory:');
  if (setup) setup(db);
  else rpmSchema(db);
  const ins = db.prepare('INSERT INTO Packages (hnum, blob) VALUES (?, ?)');
  for (const r of rows) ins.run(r.hnum, r.blob);
  const out = db.serialize();
  db.close();
  return out;
}

// rpm --import makes a header with NAME gpg-pubkey, VERSION = key id, RELEASE = creation time, no ARCH.
const gpgKey = buildHeaderBlob(
  [
    { tag: Tag.NAME, type: T.STRING, value: 'gpg-pubkey' },
    { tag: Tag.VERSION, type: T.STRING, value: 'fd431d51' },
    { tag: Tag.RELEASE, type: T.STRING, value: '4ae0493b' },
    {
      tag: Tag.SUMMARY,
      type: T.I18NSTRING,
      value: ['Red Hat, Inc. (release key 2) <security@redhat.com> public key'],
    },
  ],
  { region: true },
);

describe('readers/pkgdb/rpm', () => {
  it('exports the format metadata and names every rpmdb path of both layouts', () => {
    expect({ id, displayName: typeof displayName, version, specs: specUrls.length > 0 }).toEqual({
      id: 'pkgdb/rpm',
      displayName: 'string',
      version: 1,
      specs: true,
    });
    expect(rpmCataloger.kind).toBe('os');
    expect([...(rpmCataloger.paths ?? [])].sort()).toEqual(
      [
        '/usr/lib/sysimage/rpm/Packages',
        '/usr/lib/sysimage/rpm/Packages.db',
        '/usr/lib/sysimage/rpm/rpmdb.sqlite',
        '/var/lib/rpm/Packages',
        '/var/lib/rpm/Packages.db',
        '/var/lib/rpm/rpmdb.sqlite',
      ].sort(),
    );
    expect(rpmCataloger.maxBytes).toBe(DEFAULT_LIMITS.MAX_RPMDB_BYTES);
  });

  it.each([
    { name: 'empty', bytes: Buffer.alloc(0) },
    { name: 'text', bytes: Buffer.from('Package: bash\nVersion: 5\n') },
    { name: 'zeros', bytes: Buffer.alloc(4096) },
  ])('content that is no rpm database ($name) → bad-magic', ({ bytes }) => {
    expect(() => detectRpmDbFormat(bytes)).toThrow(expect.objectContaining({ code: 'bad-magic' }));
  });

  it('gpg-pubkey headers go to gpgPubkeys, not packages; a bad blob is a per-record error', async () => {
    const bytes = sqliteDb([
      { hnum: 1, blob: minimalPackage('bash') },
      { hnum: 2, blob: gpgKey },
      { hnum: 3, blob: Buffer.from('00000001', 'hex') },
      { hnum: 4, blob: minimalPackage('zlib') },
    ]);
    const res = await catalogRpmDb({ path: '/var/lib/rpm/rpmdb.sqlite', bytes }, ctx());
    expect(res.format).toBe('sqlite');
    expect(res.packages.map((p) => p.name)).toEqual(['bash', 'zlib']);
    expect(res.gpgPubkeys.map((p) => [p.name, p.version, p.metadata?.pseudoPackage])).toEqual([
      ['gpg-pubkey', 'fd431d51-4ae0493b', 'gpg-pubkey'],
    ]);
    expect(res.errors).toHaveLength(1);
    expect(res.errors[0]!.error.code).toBe('truncated');
    expect(res.errors[0]!.error.message).toMatch(/^header 3: /);
  });

  it.skipIf(!haveRpm())(
    'rpm -qa on the crafted sqlite database lists the same (gpg-pubkey included)',
    async () => {
      const bytes = sqliteDb([
        { hnum: 1, blob: minimalPackage('bash') },
        { hnum: 2, blob: gpgKey },
      ]);
      const dir = mkdtempSync(join(tmpdir(), 'snapscan-rpm-'));
      try {
        writeFileSync(join(dir, 'rpmdb.sqlite'), bytes);
        const res = await catalogRpmDb({ path: '/x', bytes }, ctx());
        const ours = [...res.packages, ...res.gpgPubkeys].map(
          (p) => `${p.name}\t${p.epoch ?? 0}:${p.upstreamVersion}-${p.release}\t${p.arch ?? '(none)'}`,
        );
        expect(rpmQa(join(dir, 'rpmdb.sqlite'), 'rpmdb.sqlite', 'sqlite').sort()).toEqual(ours.sort());
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it.each([
    { os: 'rhel', want: 'redhat' },
    { os: 'centos', want: 'centos' },
    { os: 'rocky', want: 'rocky' },
    { os: 'almalinux', want: 'almalinux' },
    { os: 'amzn', want: 'amazon' },
    { os: 'fedora', want: 'fedora' },
    { os: 'ol', want: 'oracle' },
    { os: 'mariner', want: 'mariner' },
    { os: 'sles', want: 'suse' },
    { os: 'opensuse-leap', want: 'opensuse' },
    { os: 'someos', want: 'someos' },
  ])('namespace from os-release ID $os → $want', ({ os, want }) => {
    expect(rpmNamespace({ id: os, family: os, name: '1', source: '/etc/os-release' }, 'Red Hat, Inc.')).toBe(
      want,
    );
  });

  it.each([
    { vendor: 'Red Hat, Inc.', want: 'redhat' },
    { vendor: 'Amazon Linux', want: 'amazon' },
    { vendor: 'Rocky Enterprise Software Foundation', want: 'rocky' },
    { vendor: 'AlmaLinux', want: 'almalinux' },
    { vendor: 'Fedora Project', want: 'fedora' },
    { vendor: 'openSUSE', want: 'opensuse' },
    { vendor: 'SUSE LLC <https://www.suse.com/>', want: 'suse' },
    { vendor: 'Microsoft Corporation', want: 'mariner' },
    { vendor: 'CentOS', want: 'centos' },
    { vendor: 'Some Vendor', want: undefined },
    { vendor: undefined, want: undefined },
  ])('namespace without an OS, from VENDOR $vendor → $want', ({ vendor, want }) => {
    expect(rpmNamespace(undefined, vendor)).toBe(want);
  });

  it.each([
    { e: undefined, v: '1.0', r: '1', want: '1.0-1' },
    { e: 0, v: '1.0', r: '1', want: '1.0-1' },
    { e: 2, v: '9.0', r: '1.cm2', want: '2:9.0-1.cm2' },
    { e: undefined, v: '1.0', r: '', want: '1.0' },
  ])('evr($e, $v, $r) = $want', ({ e, v, r, want }) => {
    expect(evr(e, v, r)).toBe(want);
  });

  it.each([
    { s: 'openssl-1.1.1k-15.cm2.src.rpm', want: { name: 'openssl', version: '1.1.1k', release: '15.cm2' } },
    {
      s: 'gcc11-11.2.1+git610-1.3.9.src.rpm',
      want: { name: 'gcc11', version: '11.2.1+git610', release: '1.3.9' },
    },
    { s: 'python-3.9-1.nosrc.rpm', want: { name: 'python', version: '3.9', release: '1' } },
    { s: 'a-b-c-1-2.src.rpm', want: { name: 'a-b-c', version: '1', release: '2' } },
    { s: 'nodash.src.rpm', want: undefined },
    { s: '(none)', want: undefined },
  ])('parseSourceRpm($s)', ({ s, want }) => {
    expect(parseSourceRpm(s)).toEqual(want);
  });

  it('purl: namespace, arch, epoch and distro qualifiers (sorted by packageurl-js)', () => {
    const os: OsInfo = {
      family: 'redhat',
      id: 'rhel',
      name: '8.9',
      versionId: '8.9',
      source: '/etc/os-release',
    };
    expect(
      rpmPurl(
        { name: 'curl', version: '7.61.1', release: '22.el8', epoch: 1, arch: 'x86_64' },
        os,
        undefined,
      ),
    ).toBe('pkg:rpm/redhat/curl@7.61.1-22.el8?arch=x86_64&distro=rhel-8.9&epoch=1');
    expect(rpmPurl({ name: 'libstdc++', version: '1', release: '1' }, undefined, undefined)).toBe(
      'pkg:rpm/libstdc%2B%2B@1-1',
    );
  });
});

describe('readers/pkgdb/rpm/sqlite', () => {
  it.each([
    {
      name: 'Packages is a view over an endless recursive CTE (never evaluated)',
      setup: (db: Database.Database) =>
        db.exec(
          "CREATE VIEW Packages AS WITH RECURSIVE c(hnum, blob) AS (SELECT 1, x'00' UNION ALL SELECT hnum + 1, blob FROM c) SELECT * FROM c",
        ),
    },
    { name: 'no Packages table', setup: (db: Database.Database) => db.exec('CREATE TABLE Other (x)') },
    {
      name: 'Packages is a virtual table',
      setup: (db: Database.Database) => db.exec('CREATE VIRTUAL TABLE Packages USING fts5(hnum, blob)'),
    },
  ])('$name → corrupt', ({ setup }) => {
    const db = new Database(':memory:');
    setup(db);
    const bytes = db.serialize();
    db.close();
    expect(() => readSqliteRpmdb(bytes, limits)).toThrow(expect.objectContaining({ code: 'corrupt' }));
  });

  it('a row whose blob is not a BLOB is a per-record error', () => {
    const bytes = sqliteDb(
      [
        { hnum: 1, blob: 'text' },
        { hnum: 2, blob: minimalPackage('ok') },
      ],
      (db) => db.exec('CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob)'),
    );
    const res = readSqliteRpmdb(bytes, limits);
    expect(res.records.map((r) => r.key)).toEqual([2]);
    expect(res.errors.map((e) => e.code)).toEqual(['corrupt']);
  });

  it('a blob larger than the header limits is a per-record limit-exceeded, never loaded', () => {
    const bytes = sqliteDb([
      { hnum: 1, blob: minimalPackage('small') },
      { hnum: 2, blob: Buffer.alloc(5000) },
    ]);
    const res = readSqliteRpmdb(bytes, {
      MAX_PACKAGES_PER_DB: 10,
      MAX_RPM_HEADER_BYTES: 1000,
      MAX_RPM_HEADER_ENTRIES: 100,
    });
    expect(res.records.map((r) => r.key)).toEqual([1]);
    expect(res.errors.map((e) => e.code)).toEqual(['limit-exceeded']);
  });

  it('MAX_PACKAGES_PER_DB bounds the rows read', () => {
    const bytes = sqliteDb([1, 2, 3].map((hnum) => ({ hnum, blob: minimalPackage(`p${hnum}`) })));
    expect(() => readSqliteRpmdb(bytes, { MAX_PACKAGES_PER_DB: 2 })).toThrow(
      expect.objectContaining({ code: 'limit-exceeded' }),
    );
  });

  it.each([
    { name: 'truncated to 3 pages', cut: (b: Buffer) => b.subarray(0, 3 * 4096) },
    {
      name: 'pages overwritten with 0xff',
      cut: (b: Buffer) => Buffer.concat([b.subarray(0, 4096), Buffer.alloc(b.length - 4096, 0xff)]),
    },
  ])('damaged database ($name) → a ScanError, not a crash', ({ cut }) => {
    const rows = Array.from({ length: 40 }, (_, i) => ({
      hnum: i + 1,
      blob: minimalPackage(`pkg${i}`, [{ tag: Tag.SUMMARY, type: T.I18NSTRING, value: ['y'.repeat(3000)] }]),
    }));
    const bytes = cut(sqliteDb(rows));
    let err: unknown;
    try {
      readSqliteRpmdb(Buffer.from(bytes), limits);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ScanError);
  });
});
