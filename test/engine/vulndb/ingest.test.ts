import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseAlasUpdateinfo } from '../../../engine/vulndb/ingest/alas.js';
import { parseAlpineSecdb, releaseFromAlpinePath } from '../../../engine/vulndb/ingest/alpine-secdb.js';
import { applyAdvisoryFixes, parseDebianListEntry } from '../../../engine/vulndb/ingest/debian-list.js';
import { DEBIAN_CODENAMES, parseDebianTracker } from '../../../engine/vulndb/ingest/debian-tracker.js';
import { parseEpssCsv } from '../../../engine/vulndb/ingest/epss.js';
import { detectFile, importPath } from '../../../engine/vulndb/ingest/index.js';
import { parseOsvRecord } from '../../../engine/vulndb/ingest/osv.js';
import { ecosystemFromCpe, rpmFromPurl } from '../../../engine/vulndb/ingest/redhat-csaf.js';
import { parseSuseOval, splitNevr, suseEcosystem } from '../../../engine/vulndb/ingest/suse-oval.js';
import { VulnStore, withWritableStore } from '../../../engine/vulndb/store.js';
import { HAVE_SHARED, NO_SHARED_REASON, SHARED_VULNDATA } from '../../helpers/paths.js';
import { buildUpdateinfo, buildZip } from './builders.js';

const V = SHARED_VULNDATA;
let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'vulndb-ingest-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function filesUnder(dir: string, re: RegExp): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p, re));
    else if (re.test(e.name)) out.push(p);
  }
  return out.sort();
}

/** Independent count of the affected entries an OSV document yields: package named, ranges or versions. */
function osvAffectedCount(doc: { affected?: Array<Record<string, unknown>> }): number {
  const types = new Set(['ECOSYSTEM', 'SEMVER', 'GIT']);
  return (doc.affected ?? []).filter((a) => {
    const pkg = a.package as { ecosystem?: string; name?: string } | undefined;
    if (!pkg?.ecosystem || !pkg.name) return false;
    const ranges = ((a.ranges as Array<{ type: string; events: unknown[] }>) ?? []).filter(
      (r) => types.has(r.type) && r.events.length > 0,
    );
    return ranges.length > 0 || ((a.versions as unknown[]) ?? []).length > 0;
  }).length;
}

async function importInto(db: string, path: string) {
  return withWritableStore(db, (w) => importPath(w, path), { fresh: true });
}

describe.skipIf(!HAVE_SHARED)('engine/vulndb/ingest (sample data)', () => {
  it.each([
    { folder: 'osv/AlmaLinux/almalinux9', re: /\.json$/ },
    { folder: 'osv/AlmaLinux/almalinux10', re: /\.json$/ },
    { folder: 'osv/Go', re: /\.json$/ },
    { folder: 'osv/Ubuntu', re: /\.json$/ },
    { folder: 'osv/PyPI/pysec', re: /\.yaml$/ },
  ])('OSV folder $folder: advisory and affected counts match the files', async ({ folder, re }) => {
    const files = filesUnder(join(V, folder), re);
    const docs = files.map((f) =>
      f.endsWith('.yaml') ? parseYaml(readFileSync(f, 'utf8')) : JSON.parse(readFileSync(f, 'utf8')),
    );
    const expectedAffected = docs.reduce((n, d) => n + osvAffectedCount(d), 0);
    const db = join(tmp, `${folder.replace(/\W/g, '_')}.sqlite`);
    const { reports, sources } = await importInto(db, join(V, folder));
    expect(reports[0]?.skipped).toBe(0);
    expect(sources).toHaveLength(1);
    expect(sources[0]?.records).toBe(new Set(docs.map((d) => d.id)).size);
    expect(sources[0]?.affected).toBe(expectedAffected);
    const store = VulnStore.openReadOnly(db);
    try {
      expect(store.info().counts.advisories).toBe(docs.length);
      // every record comes back through the (ecosystem, name) index
      const first = docs[0]!;
      const pkg = first.affected[0].package;
      const hits = store.affected(pkg.ecosystem, pkg.name).filter((h) => h.advisory.id === first.id);
      expect(hits.length).toBeGreaterThan(0);
    } finally {
      store.close();
    }
  });

  it('OSV all.zip: same records as the loose files', async () => {
    const files = filesUnder(join(V, 'osv/Go'), /\.json$/);
    const zip = buildZip(files.map((f) => ({ name: relative(join(V, 'osv/Go'), f), data: readFileSync(f) })));
    const zipPath = join(tmp, 'all.zip');
    writeFileSync(zipPath, zip);
    expect(detectFile(zipPath)).toBe('osv-zip');
    const db = join(tmp, 'zip.sqlite');
    const { sources } = await importInto(db, zipPath);
    const docs = files.map((f) => JSON.parse(readFileSync(f, 'utf8')));
    expect(sources[0]?.records).toBe(docs.length);
    expect(sources[0]?.affected).toBe(docs.reduce((n, d) => n + osvAffectedCount(d), 0));
  });

  it('Debian tracker JSON: one advisory per CVE, one entry per affected (package, release)', async () => {
    const path = join(V, 'native/debian-security-tracker/security-tracker-json-sample/debian.json');
    const doc = JSON.parse(readFileSync(path, 'utf8')) as Record<
      string,
      Record<string, { releases: Record<string, { status: string; fixed_version?: string }> | [] }>
    >;
    let entries = 0;
    const cves = new Set<string>();
    for (const cvesOf of Object.values(doc)) {
      for (const [cve, e] of Object.entries(cvesOf)) {
        cves.add(cve);
        for (const [rel, r] of Object.entries(e.releases)) {
          if (!(rel in DEBIAN_CODENAMES)) continue;
          if (r.status === 'resolved' && r.fixed_version === '0') continue;
          if (['resolved', 'open', 'undetermined'].includes(r.status)) entries++;
        }
      }
    }
    const db = join(tmp, 'debian.sqlite');
    const { sources } = await importInto(db, path);
    expect(sources[0]).toMatchObject({ kind: 'debian-tracker', records: cves.size, affected: entries });
    const store = VulnStore.openReadOnly(db);
    try {
      const sope = store.affected('Debian:12', 'sope');
      expect(sope).toHaveLength(1);
      expect(sope[0]?.affected).toMatchObject({
        nameIsSource: true,
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '5.8.0-1+deb12u1' }] }],
      });
      expect(sope[0]?.advisory.aliases).toEqual(['CVE-2025-53603']);
      // chromium buster is open (end-of-life): affected, no fix
      const chromium = store.affected('Debian:10', 'chromium');
      expect(chromium[0]?.affected.ranges[0]?.events).toEqual([{ introduced: '0' }]);
      expect(chromium[0]?.affected.vendorStatus).toBe('end-of-life');
      // prototypejs CVE-2007-2383 is resolved with version 0 everywhere: never affected
      expect(store.advisoriesFor('CVE-2007-2383').map((a) => a.id)).toEqual(['DEBIAN-CVE-2007-2383']);
      expect(store.affected('Debian:9', 'prototypejs').map((h) => h.advisory.id)).toEqual([
        'DEBIAN-CVE-2008-7220',
      ]);
    } finally {
      store.close();
    }
  });

  it('ALAS per-advisory JSON: releases from the folder, fixed epoch:version-release', async () => {
    const dir = join(V, 'native/amazon-linux/vuln-list/amazon');
    const files = filesUnder(dir, /\.json$/);
    const docs = files.map((f) => JSON.parse(readFileSync(f, 'utf8')));
    const expectedAffected = docs.reduce(
      (n, d) =>
        n +
        new Set(
          d.packages.map((p: Record<string, string>) => `${p.name} ${p.epoch}:${p.version}-${p.release}`),
        ).size,
      0,
    );
    const db = join(tmp, 'alas.sqlite');
    const { sources } = await importInto(db, dir);
    expect(sources[0]).toMatchObject({ kind: 'alas', records: docs.length, affected: expectedAffected });
    const store = VulnStore.openReadOnly(db);
    try {
      const kernel = store.affected('Amazon Linux:2', 'kernel');
      expect(kernel.map((h) => h.advisory.id)).toEqual(['ALAS2-2021-1699']);
      expect(kernel[0]?.affected.ranges[0]?.events).toEqual([
        { introduced: '0' },
        { fixed: '0:4.14.243-185.433.amzn2' },
      ]);
      expect(kernel[0]?.advisory.vendorSeverity).toBe('low');
      for (const rel of ['1', '2022', '2023']) {
        const id = files.find((f) => f.includes(`/amazon/${rel}/`))!;
        const doc = JSON.parse(readFileSync(id, 'utf8'));
        expect(
          store.affected(`Amazon Linux:${rel}`, doc.packages[0].name).map((h) => h.advisory.id),
        ).toContain(doc.id);
      }
    } finally {
      store.close();
    }
  });

  it('ALAS updateinfo.xml (rendered from the same JSON) gives the same records', () => {
    const files = filesUnder(join(V, 'native/amazon-linux/vuln-list/amazon'), /\.json$/);
    const docs = files.map((f) => JSON.parse(readFileSync(f, 'utf8')));
    const bugfix = '<update type="bugfix"><id>ALBA-1</id></update>';
    const stats = { updates: 0, security: 0, skipped: 0 };
    const recs = parseAlasUpdateinfo(buildUpdateinfo(docs, bugfix), undefined, stats);
    expect(stats).toEqual({ updates: docs.length + 1, security: docs.length, skipped: 0 });
    expect(recs.map((r) => r.advisory.id).sort()).toEqual(docs.map((d) => d.id).sort());
    const al2 = recs.find((r) => r.advisory.id === 'ALAS2-2021-1699')!;
    expect(al2.affected.map((a) => a.ecosystem)).toEqual(['Amazon Linux:2', 'Amazon Linux:2']);
    expect(al2.advisory.aliases).toEqual(['CVE-2021-22543']);
    expect(al2.advisory.published).toBe('2021-08-13T17:31:00Z');
  });

  // Found by test/fuzz ('alas updateinfo ingest'): a cut tag made fast-xml-parser swallow the
  // rest of the document; every advisory vanished with no problem noted.
  it.each([
    {
      name: 'an attribute cut before its value',
      xml: '<updates><update type="security"><id>ALAS-1</id><references><reference id=   </references></update></updates>',
    },
    { name: 'an unclosed element', xml: '<updates><update type="security"><id>ALAS-1</id>' },
  ])('ALAS updateinfo.xml, fuzz regression, $name: rejected as not well-formed', ({ xml }) => {
    expect(() => parseAlasUpdateinfo(xml, '2023')).toThrow(/updateinfo\.xml: not well-formed at line \d+/);
  });

  it('EPSS: daily file plain and gzipped, and the semicolon mirror format', async () => {
    const head = readFileSync(join(V, 'epss/epss_scores-2025-02-20.head.csv'), 'utf8');
    const lines = head.split('\n').filter((l) => /^CVE-/.test(l));
    const parsed = parseEpssCsv(head);
    expect(parsed.modelVersion).toBe('v2023.03.01');
    expect(parsed.scoreDate).toBe('2025-02-20T00:00:00+0000');
    expect(parsed.entries).toHaveLength(lines.length);
    const gz = join(tmp, 'epss_scores-current.csv.gz');
    writeFileSync(gz, gzipSync(head));
    expect(detectFile(gz)).toBe('epss');
    const db = join(tmp, 'epss.sqlite');
    const { sources } = await importInto(db, gz);
    expect(sources[0]).toMatchObject({
      kind: 'epss',
      records: lines.length,
      dataDate: '2025-02-20T00:00:00+0000',
    });
    const store = VulnStore.openReadOnly(db);
    try {
      const [cve, score, pct] = lines[0]!.split(',');
      expect(store.epss(cve!)).toMatchObject({ score: Number(score), percentile: Number(pct) });
      expect(store.epss('CVE-1900-0001')).toBeUndefined();
    } finally {
      store.close();
    }
    const emba = readFileSync(join(V, 'epss/emba-epss-data-subset/CVE_2023_EPSS.csv'), 'utf8');
    const embaRows = emba.split('\n').filter((l) => /^CVE-/.test(l));
    expect(parseEpssCsv(emba).entries).toHaveLength(embaRows.length);
  });

  it('KEV: every catalog entry, lookups by CVE', async () => {
    const path = join(V, 'kev/known_exploited_vulnerabilities.json');
    const doc = JSON.parse(readFileSync(path, 'utf8'));
    const db = join(tmp, 'kev.sqlite');
    const { sources } = await importInto(db, path);
    expect(sources[0]).toMatchObject({ kind: 'kev', records: doc.count, dataDate: doc.dateReleased });
    expect(doc.vulnerabilities).toHaveLength(doc.count);
    const store = VulnStore.openReadOnly(db);
    try {
      const v = doc.vulnerabilities[0];
      expect(store.kev(v.cveID)).toMatchObject({
        cve: v.cveID,
        vendor: v.vendorProject,
        dateAdded: v.dateAdded,
      });
      expect(store.kev('CVE-1900-0001')).toBeUndefined();
    } finally {
      store.close();
    }
  });

  it('whole vulndata folder: every kind detected, counts add up, re-import replaces', async () => {
    const db = join(tmp, 'all.sqlite');
    const first = await importInto(db, V);
    const kinds = first.sources.map((s) => s.kind).sort();
    expect(kinds).toEqual([
      'alas',
      'alpine-secdb',
      'debian-list',
      'debian-tracker',
      'epss',
      'kev',
      'osv',
      'redhat-csaf',
      'suse-oval',
    ]);
    const again = await withWritableStore(db, (w) => importPath(w, V));
    expect(again.sources.map((s) => s.records)).toEqual(first.sources.map((s) => s.records));
    const store = VulnStore.openReadOnly(db);
    try {
      const info = store.info();
      const osvSource = info.sources.find((s) => s.kind === 'osv')!;
      expect(info.counts.advisories).toBe(
        first.sources.filter((s) => !['epss', 'kev'].includes(s.kind)).reduce((n, s) => n + s.records, 0),
      );
      expect(info.counts.affected).toBe(first.sources.reduce((n, s) => n + s.affected, 0));
      expect(osvSource.records).toBe(filesUnder(join(V, 'osv'), /\.(json|yaml)$/).length);
      // PyPI names are looked up after PEP 503 normalisation
      expect(store.affected('PyPI', 'pillow').length).toBe(store.affected('PyPI', 'Pillow').length);
      expect(store.affected('PyPI', 'PILLOW').length).toBeGreaterThan(0);
      // vendor CVSS vectors are found by CVE through aliases
      expect(store.cvssFor('CVE-2021-23337')).toContainEqual(
        expect.objectContaining({ version: '3.1', source: 'ghsa', advisoryId: 'GHSA-35jh-r3h4-6jhm' }),
      );
    } finally {
      store.close();
    }
  });
});

describe('engine/vulndb/ingest/debian-tracker', () => {
  const doc = {
    pkg: {
      'CVE-2024-0001': {
        description: 'd',
        releases: {
          bookworm: { status: 'resolved', fixed_version: '1.0-2', urgency: 'high**' },
          bullseye: { status: 'resolved', fixed_version: '0', urgency: 'unimportant' },
          buster: { status: 'open', urgency: 'unimportant' },
          trixie: { status: 'undetermined', urgency: 'not yet assigned' },
          stretch: { status: 'open', urgency: 'end-of-life' },
          sid: { status: 'open', urgency: 'low' },
          bogus: { status: 'open', urgency: 'low' },
        },
      },
      'TEMP-0000000-ABCDEF': { releases: [] },
    },
  };
  const recs = parseDebianTracker(doc);
  const byEco = new Map(recs[0]!.affected.map((a) => [a.ecosystem, a]));

  it.each([
    { eco: 'Debian:12', events: [{ introduced: '0' }, { fixed: '1.0-2' }], sev: 'high', status: undefined },
    { eco: 'Debian:10', events: [{ introduced: '0' }], sev: 'unimportant', status: undefined },
    { eco: 'Debian:13', events: [{ introduced: '0' }], sev: undefined, status: 'undetermined' },
    { eco: 'Debian:9', events: [{ introduced: '0' }], sev: undefined, status: 'end-of-life' },
  ])('$eco → $events.length events, urgency $sev, status $status', ({ eco, events, sev, status }) => {
    const a = byEco.get(eco)!;
    expect(a.ranges[0]?.events).toEqual(events);
    expect(a.vendorSeverity).toBe(sev);
    expect(a.vendorStatus).toBe(status);
    expect(a.nameIsSource).toBe(true);
  });

  it('skips not-affected (fixed 0), sid and unknown codenames; keeps empty-release ids', () => {
    expect([...byEco.keys()].sort()).toEqual(['Debian:10', 'Debian:12', 'Debian:13', 'Debian:9']);
    expect(recs.map((r) => r.advisory.id)).toEqual(['DEBIAN-CVE-2024-0001', 'DEBIAN-TEMP-0000000-ABCDEF']);
    expect(recs[1]?.advisory.aliases).toEqual([]);
    expect(recs[0]?.advisory.vendorSeverity).toBe('high');
  });
});

describe('engine/vulndb/ingest/osv', () => {
  it.each([
    { name: 'no id', doc: { affected: [] }, error: /no id/ },
    { name: 'not an object', doc: [1], error: /not an object/ },
  ])('rejects a record with $name', ({ doc, error }) => {
    expect(() => parseOsvRecord(doc)).toThrow(error);
  });

  it('folds related CVEs into aliases for vendor advisories and drops malformed entries', () => {
    const r = parseOsvRecord({
      id: 'ALSA-2024:1',
      summary: 'Important: x security update',
      related: ['CVE-2024-1', 'CVE-2024-1234', 'GHSA-x'],
      affected: [
        {
          package: { ecosystem: 'AlmaLinux:9', name: 'x' },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1-1' }] }],
        },
        { package: { ecosystem: 'AlmaLinux:9' }, ranges: [] },
        {
          package: { ecosystem: 'AlmaLinux:9', name: 'y' },
          ranges: [{ type: 'WEIRD', events: [{ introduced: '0' }] }],
        },
        'junk',
      ],
    });
    expect(r.advisory.aliases).toEqual(['CVE-2024-1234']);
    expect(r.advisory.vendorSeverity).toBe('Important');
    expect(r.affected.map((a) => a.name)).toEqual(['x']);
  });
});

describe('engine/vulndb/ingest detectFile', () => {
  const cases: Array<{ name: string; body: string; kind: string | undefined }> = [
    { name: 'a.json', body: '{"id":"GHSA-1","modified":"x","affected":[]}', kind: 'osv' },
    { name: 'a.yaml', body: 'id: PYSEC-1\nmodified: x\n', kind: 'osv' },
    { name: 'secdb.yaml', body: 'distroversion: v3.11\npackages: []\n', kind: 'alpine-secdb' },
    { name: 'kev.json', body: '{"title":"x","catalogVersion":"1","vulnerabilities":[]}', kind: 'kev' },
    { name: 'debian.json', body: '{"pkg": {"CVE-2020-1": {"releases": {}}}}', kind: 'debian-tracker' },
    { name: 'ALAS2-1.json', body: '{"id":"ALAS2-2021-1","packages":[]}', kind: 'alas-json' },
    { name: 'updateinfo.xml', body: '<?xml version="1.0"?><updates></updates>', kind: 'alas-updateinfo' },
    { name: 'rss.xml', body: '<rss></rss>', kind: undefined },
    {
      name: 'suse.xml',
      body: '<?xml version="1.0"?><oval_definitions><generator>opensuse</generator></oval_definitions>',
      kind: 'suse-oval',
    },
    { name: 'e.csv', body: 'cve,epss,percentile\nCVE-2020-0001,0.1,0.2\n', kind: 'epss' },
    { name: 'schema.json', body: '{"$schema":"x","id":"y","modified":1}', kind: undefined },
    { name: 'nvd.json', body: '{"resultsPerPage":1,"format":"NVD_CVE","vulnerabilities":[]}', kind: 'nvd' },
    { name: 'notes.txt', body: 'hello', kind: undefined },
  ];
  it.each(cases)('$name → $kind', ({ name, body, kind }) => {
    const dir = mkdtempSync(join(tmpdir(), 'detect-'));
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, name), body);
      expect(detectFile(join(dir, name))).toBe(kind);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

if (!HAVE_SHARED) describe.skip(NO_SHARED_REASON, () => {});

describe('engine/vulndb/ingest/debian-list', () => {
  const cve = {
    Header: { ID: 'CVE-2024-9999', Description: '(overflow in foo ...)' },
    Annotations: [
      { Type: 'xref', Bugs: ['DSA-9999-1'] },
      { Type: 'package', Package: 'foo', Kind: 'fixed', Version: '2.0-1', Severity: 'low' },
      { Type: 'package', Release: 'buster', Package: 'foo', Kind: 'not-affected' },
      { Type: 'package', Release: 'bullseye', Package: 'foo', Kind: 'no-dsa' },
      { Type: 'package', Release: 'trixie', Package: 'foo', Kind: 'fixed', Version: '1.9-2' },
      { Type: 'NOTE', Description: 'x' },
    ],
  };
  const dsa = {
    Header: { ID: 'DSA-9999-1' },
    Annotations: [
      { Type: 'xref', Bugs: ['CVE-2024-9999'] },
      { Type: 'package', Release: 'bookworm', Package: 'foo', Kind: 'fixed', Version: '1.5-1+deb12u1' },
    ],
  };
  it.each([
    { eco: 'Debian:10', events: undefined, status: undefined },
    { eco: 'Debian:11', events: [{ introduced: '0' }], status: 'no-dsa' },
    { eco: 'Debian:12', events: [{ introduced: '0' }, { fixed: '2.0-1' }], status: undefined },
    { eco: 'Debian:13', events: [{ introduced: '0' }, { fixed: '1.9-2' }], status: undefined },
  ])('CVE entry alone: $eco → $events', ({ eco, events, status }) => {
    const r = parseDebianListEntry(cve);
    const a = r.affected.find((x) => x.ecosystem === eco);
    expect(a?.ranges[0]?.events).toEqual(events);
    expect(a?.vendorStatus).toBe(status);
    if (a) expect(a.vendorSeverity).toBe('low');
  });

  it('a DSA of the same batch replaces the fix derived from unstable, and only there', () => {
    const recs = [parseDebianListEntry(cve), parseDebianListEntry(dsa)];
    expect(applyAdvisoryFixes(recs)).toBe(1);
    const byEco = new Map(recs[0]!.affected.map((a) => [a.ecosystem, a.ranges[0]?.events]));
    expect(byEco.get('Debian:12')).toEqual([{ introduced: '0' }, { fixed: '1.5-1+deb12u1' }]);
    expect(byEco.get('Debian:13')).toEqual([{ introduced: '0' }, { fixed: '1.9-2' }]);
    expect(recs[1]!.advisory).toMatchObject({ id: 'DSA-9999-1', aliases: ['CVE-2024-9999'] });
    expect(recs[1]!.affected.map((a) => a.ecosystem)).toEqual(['Debian:12']);
  });

  it.skipIf(!HAVE_SHARED)('sample folder: one advisory per entry file', async () => {
    const dir = join(V, 'native/debian-security-tracker/vuln-list-debian');
    const entries = filesUnder(dir, /\.json$/).filter((f) => /\/(CVE|DSA|DLA)\//.test(f));
    const db = join(tmp, 'debian-list.sqlite');
    const { sources } = await importInto(db, dir);
    expect(sources.find((s) => s.kind === 'debian-list')?.records).toBe(entries.length);
    const store = VulnStore.openReadOnly(db);
    try {
      // CVE-2024-2961's list entry predates its bookworm line; DSA-5673-1 gives the bookworm fix
      const glibc = store
        .affected('Debian:12', 'glibc')
        .filter((h) => h.advisory.aliases.includes('CVE-2024-2961'));
      expect(glibc.map((h) => h.affected.ranges[0]?.events.at(-1))).toEqual([
        { fixed: '2.36-9+deb12u6' },
        { fixed: '2.36-9+deb12u6' },
      ]);
    } finally {
      store.close();
    }
  });
});

describe('engine/vulndb/ingest/alpine-secdb', () => {
  it.each([
    {
      name: 'whole release',
      doc: {
        distroversion: 'v3.10',
        packages: [
          { pkg: { name: 'botan', secfixes: { '2.9.0-r0': ['CVE-2018-20187'], '0': ['CVE-2000-0001'] } } },
        ],
      },
      path: undefined,
      ids: ['ALPINE-v3.10-botan-2.9.0-r0'],
    },
    {
      name: 'per package',
      doc: {
        name: 'ansible',
        secfixes: { '2.9.3-r0': ['CVE-2017-2616 (+ regression fix)', 'CVE-2024-22195 GHSA-h5c8-rqwp-cp95'] },
      },
      path: '/x/alpine/3.19/main/ansible.json',
      ids: ['ALPINE-v3.19-ansible-2.9.3-r0'],
    },
  ])('$name', ({ doc, path, ids }) => {
    const recs = parseAlpineSecdb(doc, path ? releaseFromAlpinePath(path) : undefined);
    expect(recs.map((r) => r.advisory.id)).toEqual(ids);
    expect(recs[0]!.affected[0]).toMatchObject({
      nameIsSource: true,
      ranges: [
        {
          type: 'ECOSYSTEM',
          events: [{ introduced: '0' }, { fixed: ids[0]!.split('-').slice(3).join('-') }],
        },
      ],
    });
    if (path)
      expect(recs[0]!.advisory.aliases).toEqual(['CVE-2017-2616', 'CVE-2024-22195', 'GHSA-h5c8-rqwp-cp95']);
  });

  it.skipIf(!HAVE_SHARED)(
    'sample folder: one advisory per (release, package, fixed version) with ids',
    async () => {
      const dir = join(V, 'native/alpine-secdb');
      let expected = 0;
      for (const f of filesUnder(dir, /\.(json|ya?ml)$/)) {
        const text = readFileSync(f, 'utf8');
        const doc = f.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
        const pkgs = doc.packages ? doc.packages.map((p: { pkg: unknown }) => p.pkg) : [doc];
        for (const p of pkgs) {
          for (const [v, list] of Object.entries(
            (p as { secfixes?: Record<string, string[]> }).secfixes ?? {},
          )) {
            if (v !== '0' && (list ?? []).some((s) => /(CVE|GHSA|XSA|ALPINE)-/i.test(s))) expected++;
          }
        }
      }
      const db = join(tmp, 'alpine.sqlite');
      const { sources } = await importInto(db, dir);
      expect(sources[0]).toMatchObject({ kind: 'alpine-secdb', records: expected, affected: expected });
      const store = VulnStore.openReadOnly(db);
      try {
        expect(store.affected('Alpine:v3.19', 'busybox').length).toBeGreaterThan(0);
      } finally {
        store.close();
      }
    },
  );
});

describe('engine/vulndb/ingest/redhat-csaf', () => {
  it.each([
    {
      purl: 'pkg:rpm/redhat/python3.9@3.9.18-3.el9_4.5?arch=src',
      out: { name: 'python3.9', version: '3.9.18', release: '3.el9_4.5', epoch: '0', arch: 'src' },
    },
    {
      purl: 'pkg:rpm/redhat/bind@9.16.23-18.el9_4.6?arch=x86_64&epoch=32',
      out: { name: 'bind', version: '9.16.23', release: '18.el9_4.6', epoch: '32', arch: 'x86_64' },
    },
    { purl: 'pkg:npm/x@1', out: undefined },
  ])('rpmFromPurl($purl)', ({ purl, out }) => {
    expect(rpmFromPurl(purl)).toEqual(out);
  });

  it.each([
    { cpe: 'cpe:/a:redhat:enterprise_linux:9::appstream', eco: 'Red Hat:enterprise_linux:9::appstream' },
    { cpe: 'cpe:/o:redhat:enterprise_linux:9::baseos', eco: 'Red Hat:enterprise_linux:9::baseos' },
    { cpe: 'cpe:/a:other:x:1', eco: undefined },
  ])('ecosystemFromCpe($cpe)', ({ cpe, eco }) => {
    expect(ecosystemFromCpe(cpe)).toBe(eco);
  });

  it.skipIf(!HAVE_SHARED)(
    'sample advisories: one entry per fixed (platform, package), CVEs and CVSS kept',
    async () => {
      const dir = join(V, 'native/redhat-csaf');
      const files = filesUnder(dir, /\.json$/);
      let expected = 0;
      for (const f of files) {
        const doc = JSON.parse(readFileSync(f, 'utf8'));
        const rel = new Set(
          doc.product_tree.relationships.map(
            (r: { full_product_name: { product_id: string } }) => r.full_product_name.product_id,
          ),
        );
        const ids = new Set<string>();
        for (const v of doc.vulnerabilities)
          for (const id of [...(v.product_status.fixed ?? []), ...(v.product_status.known_affected ?? [])])
            if (rel.has(id)) ids.add(id);
        expected += ids.size;
      }
      const db = join(tmp, 'csaf.sqlite');
      const { sources } = await importInto(db, dir);
      expect(sources[0]).toMatchObject({ kind: 'redhat-csaf', records: files.length, affected: expected });
      const store = VulnStore.openReadOnly(db);
      try {
        const hits = store.affected('Red Hat:enterprise_linux:9::appstream', 'python3.9');
        expect(hits.map((h) => h.advisory.id).sort()).toEqual(['RHSA-2024:6163', 'RHSA-2024:9371']);
        expect(hits[0]?.affected.nameIsSource).toBe(true);
        expect(hits[0]?.advisory).toMatchObject({ aliases: ['CVE-2024-8088'], vendorSeverity: 'Moderate' });
        expect(store.cvssFor('CVE-2024-8088')).toContainEqual(
          expect.objectContaining({ source: 'redhat', version: '3.1' }),
        );
      } finally {
        store.close();
      }
    },
  );
});

describe('engine/vulndb/ingest/suse-oval', () => {
  it.each([
    { nevr: 'kernel-default-4.12.14-150.72.1', out: { name: 'kernel-default', fixed: '4.12.14-150.72.1' } },
    { nevr: 'libfoo1-0:1.2-3.1', out: { name: 'libfoo1', fixed: '1.2-3.1' } },
    { nevr: 'nodash', out: undefined },
  ])('splitNevr($nevr)', ({ nevr, out }) => {
    expect(splitNevr(nevr)).toEqual(out);
  });

  it.each([
    { p: 'SUSE Linux Enterprise Server 15 SP1', eco: 'SUSE:Linux Enterprise Server 15 SP1' },
    { p: 'openSUSE Leap 15.2', eco: 'openSUSE:Leap 15.2' },
    { p: 'Something Else 1', eco: undefined },
  ])('suseEcosystem($p)', ({ p, eco }) => {
    expect(suseEcosystem(p)).toBe(eco);
  });

  it('AND of platform and OR of packages gives their cross product; OR of platforms fans out', () => {
    const xml = `<oval_definitions><definitions><definition id="d1" class="vulnerability"><metadata><title>CVE-2024-1</title>
      <advisory><severity>Important</severity><cve>CVE-2024-1</cve></advisory></metadata>
      <criteria operator="OR">
        <criteria operator="AND">
          <criteria operator="OR">
            <criterion test_ref="t1" comment="SUSE Linux Enterprise Server 15 SP1 is installed"/>
            <criterion test_ref="t2" comment="SUSE Linux Enterprise Server 15 SP2 is installed"/>
          </criteria>
          <criteria operator="OR">
            <criterion test_ref="t3" comment="foo-1.0-2.1 is installed"/>
            <criterion test_ref="t4" comment="libfoo1-1.0-2.1 is installed"/>
          </criteria>
        </criteria>
        <criteria operator="AND">
          <criterion test_ref="t5" comment="openSUSE Leap 15.5 is installed"/>
          <criterion test_ref="t6" comment="foo-1.0-3.1 is installed"/>
        </criteria>
      </criteria></definition></definitions></oval_definitions>`;
    const [r] = parseSuseOval(xml);
    expect(r!.advisory).toMatchObject({
      id: 'SUSE-CVE-2024-1',
      aliases: ['CVE-2024-1'],
      vendorSeverity: 'Important',
    });
    expect(
      r!.affected.map((a) => `${a.ecosystem}|${a.name}|${a.ranges[0]!.events[1]!.fixed}`).sort(),
    ).toEqual([
      'SUSE:Linux Enterprise Server 15 SP1|foo|1.0-2.1',
      'SUSE:Linux Enterprise Server 15 SP1|libfoo1|1.0-2.1',
      'SUSE:Linux Enterprise Server 15 SP2|foo|1.0-2.1',
      'SUSE:Linux Enterprise Server 15 SP2|libfoo1|1.0-2.1',
      'openSUSE:Leap 15.5|foo|1.0-3.1',
    ]);
  });

  it.skipIf(!HAVE_SHARED)(
    'sample file: every definition, entries for each (platform, package) pair of its criteria',
    async () => {
      const path = join(V, 'native/suse-oval/suse_truncated.xml');
      const xml = readFileSync(path, 'utf8');
      const defs = (xml.match(/<definition /g) ?? []).length;
      const db = join(tmp, 'suse.sqlite');
      const { sources } = await importInto(db, path);
      expect(sources[0]).toMatchObject({ kind: 'suse-oval', records: defs });
      const store = VulnStore.openReadOnly(db);
      try {
        const hits = store.affected('SUSE:Linux Enterprise Server 15 SP1-LTSS', 'kernel-default');
        expect(hits.map((h) => [h.advisory.id, h.affected.ranges[0]?.events[1]?.fixed])).toContainEqual([
          'SUSE-CVE-2021-29154',
          '4.12.14-197.89.2',
        ]);
      } finally {
        store.close();
      }
    },
  );
});
