/**
 * The matcher on real advisories (../shared/vulndata, parsed by engine/vulndb's own ingest) and real
 * package versions, each outcome checked against an independent oracle: dpkg --compare-versions for
 * Debian, python3-rpm labelCompare for AlmaLinux, a Python OSV evaluation over `packaging` for PyPI.
 * The oracle decides the expected set of (installed version, advisory) findings; the matcher must
 * produce exactly that set, and every reported fixedVersion must be above the installed version.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { matchDetailed } from '../../../engine/match/matcher.js';
import { type AdvisoryEntry, MemoryLookup } from '../../../engine/match/memory-lookup.js';
import type { OsInfo } from '../../../engine/model/os.js';
import type { Package } from '../../../engine/model/package.js';
import { parseAlasJson } from '../../../engine/vulndb/ingest/alas.js';
import { DEBIAN_CODENAMES, parseDebianTracker } from '../../../engine/vulndb/ingest/debian-tracker.js';
import { parseOsvRecord, parseOsvText } from '../../../engine/vulndb/ingest/osv.js';
import {
  dpkgLess,
  hasDpkg,
  hasPackaging,
  hasRpmPython,
  type PyCase,
  pypiOracle,
  rpmLabelCompare,
} from './oracles.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const vulndata = path.resolve(repoRoot, '../shared/vulndata');
const hasData = existsSync(vulndata);

function osvDir(dir: string): AdvisoryEntry[] {
  const out: AdvisoryEntry[] = [];
  for (const f of readdirSync(dir).sort()) {
    if (!/\.(json|ya?ml)$/.test(f)) continue;
    for (const doc of parseOsvText(readFileSync(path.join(dir, f), 'utf8'), f)) out.push(parseOsvRecord(doc));
  }
  return out;
}

function findingKeys(ms: ReturnType<typeof matchDetailed>['matches']): string[] {
  const keys = new Set<string>();
  for (const m of ms) for (const id of m.advisoryIds) keys.add(`${m.package.version}|${id}|${m.status}`);
  return [...keys].sort();
}

function debPkg(name: string, version: string): Package {
  return {
    foundBy: 'test',
    type: 'deb',
    name,
    version,
    sourceName: name,
    sourceVersion: version,
    purl: `pkg:deb/debian/${name}@${version}`,
    locations: [],
  };
}

describe.skipIf(!hasData || !hasDpkg)('engine/match/matcher on real Debian data (oracle: dpkg)', () => {
  it('Debian tracker JSON: findings are exactly the entries dpkg says the installed version is below', () => {
    const raw = JSON.parse(
      readFileSync(
        path.join(vulndata, 'native/debian-security-tracker/security-tracker-json-sample/debian.json'),
        'utf8',
      ),
    ) as Record<
      string,
      Record<
        string,
        { releases: Record<string, { repositories?: Record<string, string>; fixed_version?: string }> }
      >
    >;
    const records = parseDebianTracker(raw);
    const lookup = new MemoryLookup(records);
    // Real versions: what each release's repositories shipped, and every fixed version named.
    const versions = new Map<string, Set<string>>(); // "major\0source" → versions
    for (const [src, cves] of Object.entries(raw)) {
      for (const e of Object.values(cves)) {
        for (const [codename, rel] of Object.entries(e.releases ?? {})) {
          const major = DEBIAN_CODENAMES[codename];
          if (!major || major.includes('.')) continue;
          const set = versions.get(`${major}\0${src}`) ?? new Set();
          versions.set(`${major}\0${src}`, set);
          for (const v of Object.values(rel.repositories ?? {})) set.add(v);
          if (rel.fixed_version && rel.fixed_version !== '0') set.add(rel.fixed_version);
        }
      }
    }
    let compared = 0;
    let findings = 0;
    for (const [key, set] of versions) {
      const [major, src] = key.split('\0') as [string, string];
      const os: OsInfo = { family: 'debian', id: 'debian', name: major, versionId: major, source: 't' };
      const pkgs = [...set].sort().map((v) => debPkg(src, v));
      const got = matchDetailed(pkgs, os, lookup);
      const expected: string[] = [];
      for (const p of pkgs) {
        for (const { advisory, affected } of lookup.affected(`Debian:${major}`, src)) {
          const fixed = affected.ranges[0]?.events.find((e) => e.fixed)?.fixed;
          compared++;
          if (fixed === undefined || dpkgLess(p.version, fixed))
            expected.push(`${p.version}|${advisory.id}|affected`);
        }
      }
      expect(findingKeys(got.matches), key).toEqual([...new Set(expected)].sort());
      for (const m of got.matches)
        if (m.fixedVersion) expect(dpkgLess(m.package.version, m.fixedVersion)).toBe(true);
      findings += got.matches.length;
    }
    expect(compared).toBeGreaterThan(20);
    expect(findings).toBeGreaterThan(3);
  });

  it('OSV DSA-3029-1 (nginx, Debian 7): wheezy2 affected, wheezy3 (the fix) and later not', () => {
    const lookup = new MemoryLookup(osvDir(path.join(vulndata, 'osv/Debian/osv.dev-testdata')));
    const os: OsInfo = { family: 'debian', id: 'debian', name: '7.11', versionId: '7', source: 't' };
    const pkgs = [
      '1.2.1-2.2',
      '1.2.1-2.2+wheezy2',
      '1.2.1-2.2+wheezy3',
      '1.2.1-2.2+wheezy4',
      '1.6.2-5+deb8u1~bpo70+1',
    ].map((v) => ({ ...debPkg('nginx-full', v), sourceName: 'nginx' }));
    const got = matchDetailed(pkgs, os, lookup).matches;
    expect(got.map((m) => [m.package.version, m.vulnerabilityId, m.fixedVersion])).toEqual([
      ['1.2.1-2.2', 'CVE-2014-3616', '1.2.1-2.2+wheezy3'],
      ['1.2.1-2.2+wheezy2', 'CVE-2014-3616', '1.2.1-2.2+wheezy3'],
    ]);
    for (const p of pkgs) {
      expect(got.some((m) => m.package === p)).toBe(dpkgLess(p.version, '1.2.1-2.2+wheezy3'));
    }
  });
});

describe.skipIf(!hasData || !hasRpmPython)(
  'engine/match/matcher on real AlmaLinux 9 data (oracle: python3-rpm)',
  () => {
    it('every (installed build, ALSA) pair agrees with rpm.labelCompare', () => {
      const records = osvDir(path.join(vulndata, 'osv/AlmaLinux/almalinux9'));
      const lookup = new MemoryLookup(records);
      // Real builds: every fixed EVR an ALSA names was shipped; install older ones and see what is found.
      const builds = new Map<string, Set<string>>();
      let simple = 0;
      for (const r of records) {
        for (const a of r.affected) {
          if (a.ecosystem !== 'AlmaLinux:9') continue;
          const ev = a.ranges[0]?.events ?? [];
          // AlmaLinux writes [introduced 0, fixed EVR]: the oracle below relies on that shape.
          expect(
            a.ranges.length === 1 && ev.length === 2 && ev[0]?.introduced === '0' && ev[1]?.fixed,
          ).toBeTruthy();
          simple++;
          const set = builds.get(a.name) ?? new Set();
          builds.set(a.name, set);
          set.add(ev[1]!.fixed!);
        }
      }
      expect(simple).toBeGreaterThan(1000);
      const names = [...builds.keys()]
        .filter((n) => builds.get(n)!.size >= 2)
        .sort()
        .slice(0, 60);
      const pkgs: Package[] = [];
      for (const name of names) {
        for (const evr of [...builds.get(name)!].sort().slice(0, 5)) {
          const m = /^(?:(\d+):)?(.+)-([^-]+)$/.exec(evr)!;
          const epoch = m[1] ? Number(m[1]) : undefined;
          pkgs.push({
            foundBy: 'test',
            type: 'rpm',
            name,
            version: `${m[2]}-${m[3]}`,
            ...(epoch ? { epoch } : {}),
            upstreamVersion: m[2],
            release: m[3],
            purl: `pkg:rpm/almalinux/${name}@${m[2]}-${m[3]}`,
            locations: [],
          });
        }
      }
      const os: OsInfo = { family: 'alma', id: 'almalinux', name: '9.4', versionId: '9.4', source: 't' };
      const got = matchDetailed(pkgs, os, lookup);
      const pairs: Array<[string, string]> = [];
      const labels: string[] = [];
      for (const p of pkgs) {
        const installed = `${p.epoch ?? 0}:${p.upstreamVersion}-${p.release}`;
        for (const { advisory, affected } of lookup.affected('AlmaLinux:9', p.name)) {
          pairs.push([installed, affected.ranges[0]!.events[1]!.fixed!]);
          labels.push(`${p.version}|${advisory.id}|affected`);
        }
      }
      const verdicts = rpmLabelCompare(pairs);
      const expected = new Set(labels.filter((_, i) => verdicts[i]! < 0));
      // Findings key on p.version (without epoch); the packages of one name have distinct versions.
      expect(findingKeys(got.matches.filter((m) => names.includes(m.package.name)))).toEqual(
        [...expected].sort(),
      );
      expect(pairs.length).toBeGreaterThan(200);
      expect(expected.size).toBeGreaterThan(50);
      const fixes = got.matches.filter((m) => m.fixedVersion);
      const fixVerdicts = rpmLabelCompare(
        fixes.map((m) => [
          `${m.package.epoch ?? 0}:${m.package.upstreamVersion}-${m.package.release}`,
          m.fixedVersion!,
        ]),
      );
      expect(fixVerdicts.every((v) => v < 0)).toBe(true);
    });
  },
);

describe.skipIf(!hasData || !hasPackaging)(
  'engine/match/matcher on real PyPI data (oracle: Python packaging)',
  () => {
    it('PYSEC records: statuses agree with an independent OSV evaluation over packaging.version', () => {
      const base = path.join(vulndata, 'osv/PyPI/pysec');
      const records = readdirSync(base)
        .sort()
        .flatMap((d) => osvDir(path.join(base, d)));
      const lookup = new MemoryLookup(records);
      // Real releases: the versions lists of the records (sampled), plus every event version.
      const byName = new Map<string, Set<string>>();
      for (const r of records) {
        for (const a of r.affected) {
          const set = byName.get(a.name) ?? new Set();
          byName.set(a.name, set);
          a.versions.forEach((v, i) => {
            if (i % 13 === 0) set.add(v);
          });
          for (const rg of a.ranges)
            for (const e of rg.events) for (const v of Object.values(e)) if (v !== '0') set.add(v);
        }
      }
      const pkgs: Package[] = [];
      for (const [name, set] of [...byName].sort()) {
        for (const v of [...set].sort()) {
          pkgs.push({
            foundBy: 'test',
            type: 'pypi',
            name,
            version: v,
            purl: `pkg:pypi/${name}@${v}`,
            locations: [],
          });
        }
      }
      const got = matchDetailed(pkgs, undefined, lookup);
      const cases: PyCase[] = [];
      const labels: string[] = [];
      for (const p of pkgs) {
        for (const { advisory, affected } of lookup.affected('PyPI', p.name)) {
          cases.push({
            installed: p.version,
            versions: affected.versions,
            ranges: affected.ranges as PyCase['ranges'],
          });
          labels.push(`${p.version}|${advisory.id}`);
        }
      }
      const verdicts = pypiOracle(cases);
      // Per (version, advisory): affected if any entry says so, else unknown if any does.
      const want = new Map<string, string>();
      verdicts.forEach((v, i) => {
        const k = labels[i]!;
        const prev = want.get(k);
        if (v === 'affected' || (v === 'unknown' && prev !== 'affected')) want.set(k, v);
      });
      const expected = [...want].map(([k, v]) => `${k}|${v}`).sort();
      // Matches merge per CVE; an advisory's status is the best of its matches.
      const gotByAdvisory = new Map<string, string>();
      for (const m of got.matches) {
        for (const id of m.advisoryIds) {
          const k = `${m.package.name}\0${m.package.version}|${id}`;
          if (m.status === 'affected' || !gotByAdvisory.has(k)) gotByAdvisory.set(k, m.status);
        }
      }
      const actual = new Set([...gotByAdvisory].map(([k, v]) => `${k.split('\0')[1]}|${v}`));
      expect([...actual].sort()).toEqual(expected);
      expect(cases.length).toBeGreaterThan(500);
      expect(expected.filter((e) => e.endsWith('|affected')).length).toBeGreaterThan(100);
    });
  },
);

describe.skipIf(!hasData)('engine/match/matcher on real npm data', () => {
  it.each([
    { name: 'semver', version: '7.5.1', fixed: '7.5.2' },
    { name: 'semver', version: '6.1.0', fixed: '6.3.1' },
    { name: 'semver', version: '5.7.2', fixed: undefined },
    { name: 'semver', version: '7.5.2', fixed: undefined },
    { name: 'minimist', version: '1.2.5', fixed: '1.2.6' },
    { name: 'minimist', version: '0.2.3', fixed: '0.2.4' },
    { name: 'minimist', version: '0.2.4', fixed: undefined },
    { name: 'lodash', version: '4.17.20', fixed: '4.17.21' },
    { name: 'formidable', version: '3.1.1-canary.20211030', fixed: '3.5.3' },
    { name: 'formidable', version: '2.1.0', fixed: null },
  ])('$name@$version → fixed $fixed', ({ name, version, fixed }) => {
    const dir = path.join(vulndata, 'osv/npm');
    const lookup = new MemoryLookup([...osvDir(dir), ...osvDir(path.join(dir, 'trivy-db-testdata'))]);
    const out = matchDetailed(
      [{ foundBy: 't', type: 'npm', name, version, purl: `pkg:npm/${name}@${version}`, locations: [] }],
      undefined,
      lookup,
    ).matches;
    if (fixed === undefined) expect(out).toEqual([]);
    else {
      expect(out.map((m) => m.status)).toEqual(out.map(() => 'affected'));
      expect(out.length).toBeGreaterThan(0);
      expect(out[0]!.fixedVersion).toBe(fixed ?? undefined);
    }
  });
});

describe.skipIf(!hasData || !hasDpkg)('engine/match/matcher on real Ubuntu OSV data (oracle: dpkg)', () => {
  it('LTS and Pro records: findings agree with dpkg and the listed versions', () => {
    const root = path.join(vulndata, 'osv/Ubuntu/vunnel-fixtures/osv');
    const files: string[] = [];
    const walk = (d: string) => {
      for (const f of readdirSync(d, { withFileTypes: true })) {
        if (f.isDirectory()) walk(path.join(d, f.name));
        else if (f.name.endsWith('.json')) files.push(path.join(d, f.name));
      }
    };
    walk(root);
    const records = files.sort().map((f) => parseOsvRecord(JSON.parse(readFileSync(f, 'utf8'))));
    const lookup = new MemoryLookup(records);
    // Real versions: every listed affected version and every fixed version, per (ecosystem, package).
    const cases = new Map<string, Set<string>>();
    for (const r of records) {
      for (const a of r.affected) {
        if (!a.ecosystem.startsWith('Ubuntu:')) continue;
        const set = cases.get(`${a.ecosystem}\0${a.name}`) ?? new Set();
        cases.set(`${a.ecosystem}\0${a.name}`, set);
        for (const v of a.versions) set.add(v);
        for (const rg of a.ranges) for (const e of rg.events) if (e.fixed) set.add(e.fixed);
      }
    }
    let checked = 0;
    let withdrawn = 0;
    for (const [key, set] of cases) {
      const [eco, src] = key.split('\0') as [string, string];
      const m = /^Ubuntu:(?:Pro:)?(\d+\.\d+)/.exec(eco)!;
      const os: OsInfo = { family: 'ubuntu', id: 'ubuntu', name: m[1]!, versionId: m[1]!, source: 't' };
      const pkgs = [...set].sort().map((v) => debPkg(src, v));
      const got = matchDetailed(pkgs, os, lookup).matches;
      for (const p of pkgs) {
        for (const { advisory, affected } of lookup.affected(eco, src)) {
          const fixed = affected.ranges[0]?.events.find((e) => e.fixed)?.fixed;
          // Withdrawn records (three in this sample) never produce findings.
          const want =
            !advisory.withdrawn &&
            (affected.versions.includes(p.version) || fixed === undefined || dpkgLess(p.version, fixed));
          const found = got.some(
            (x) => x.package === p && x.advisoryIds.includes(advisory.id) && x.status === 'affected',
          );
          expect(found, `${eco} ${src} ${p.version} ${advisory.id}`).toBe(want);
          checked++;
          if (advisory.withdrawn) withdrawn++;
        }
      }
      for (const x of got) if (x.fixedVersion) expect(dpkgLess(x.package.version, x.fixedVersion)).toBe(true);
    }
    expect(checked).toBeGreaterThan(20);
    expect(withdrawn).toBeGreaterThan(0);
  });
});

describe.skipIf(!hasData || !hasRpmPython)(
  'engine/match/matcher on real Amazon Linux ALAS (oracle: python3-rpm)',
  () => {
    it.each([
      { file: '2/ALAS2-2021-1699.json', release: '2', name: 'kernel' },
      { file: '2023/ALAS2023-2023-002.json', release: '2023', name: 'rsync' },
    ])('$file: builds around the fix agree with rpm.labelCompare', ({ file, release, name }) => {
      const doc = JSON.parse(
        readFileSync(path.join(vulndata, 'native/amazon-linux/vuln-list/amazon', file), 'utf8'),
      );
      const record = parseAlasJson(doc, release as '2' | '2023');
      const lookup = new MemoryLookup([record]);
      const fixed = record.affected.find((a) => a.name === name)!.ranges[0]!.events[1]!.fixed!;
      const m = /^(\d+):(.+)-([^-]+)$/.exec(fixed)!;
      // The fix itself, and versions built around it (lower/higher release and version, epoch 1).
      const relNum = m[3]!.replace(/^(\d+)/, (d) => String(Number(d) - 1));
      const candidates = [
        `${m[2]}-${m[3]}`,
        `${m[2]}-${relNum}`,
        `${m[2]}-${m[3]}.1`,
        `${m[2]!.replace(/\d+$/, (d) => String(Number(d) - 1))}-${m[3]}`,
        `${m[2]!.replace(/\d+$/, (d) => String(Number(d) + 1))}-${m[3]}`,
      ];
      const pkgs: Package[] = candidates.map((v) => ({
        foundBy: 'test',
        type: 'rpm',
        name,
        version: v,
        purl: `pkg:rpm/amazon/${name}@${v}`,
        locations: [],
      }));
      pkgs.push({ ...pkgs[1]!, epoch: 1 });
      const os: OsInfo = { family: 'amazon', id: 'amzn', name: release, versionId: release, source: 't' };
      const got = matchDetailed(pkgs, os, lookup).matches;
      const verdicts = rpmLabelCompare(pkgs.map((p) => [`${p.epoch ?? 0}:${p.version}`, fixed]));
      pkgs.forEach((p, i) => {
        expect(
          got.some((x) => x.package === p),
          `${p.epoch ?? 0}:${p.version} vs ${fixed}`,
        ).toBe(verdicts[i]! < 0);
      });
      expect(verdicts.filter((v) => v < 0).length).toBeGreaterThanOrEqual(2);
      expect(got.every((x) => record.advisory.aliases.includes(x.vulnerabilityId))).toBe(true);
    });
  },
);
