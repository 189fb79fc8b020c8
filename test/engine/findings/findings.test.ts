import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildFinding,
  buildFindings,
  type FindingsContext,
  type FindingsLookup,
} from '../../../engine/findings/build.js';
import { isCompleteVector, scoreVector } from '../../../engine/findings/cvss.js';
import { severityOf, vendorSeverityScore } from '../../../engine/findings/severity.js';
import type { Advisory, AffectedPackage } from '../../../engine/model/advisory.js';
import type { Match } from '../../../engine/model/match.js';
import type { Package } from '../../../engine/model/package.js';
import { importPath } from '../../../engine/vulndb/ingest/index.js';
import { VulnStore, withWritableStore } from '../../../engine/vulndb/store.js';
import { HAVE_SHARED, REPO_ROOT, SHARED_VULNDATA } from '../../helpers/paths.js';
import { newAjv } from './ajv.js';

/**
 * Independent oracle: the CVSS v3.1 base equations written out from the specification (§7.1, §7.4
 * Roundup), to check the calculator library on the vectors whose scores sit on the band boundaries.
 */
function cvss31Oracle(vector: string): number {
  const m = Object.fromEntries(
    vector
      .split('/')
      .slice(1)
      .map((p) => p.split(':') as [string, string]),
  );
  const changed = m.S === 'C';
  const AV = { N: 0.85, A: 0.62, L: 0.55, P: 0.2 }[m.AV!]!;
  const AC = { L: 0.77, H: 0.44 }[m.AC!]!;
  const PR = changed ? { N: 0.85, L: 0.68, H: 0.5 }[m.PR!]! : { N: 0.85, L: 0.62, H: 0.27 }[m.PR!]!;
  const UI = { N: 0.85, R: 0.62 }[m.UI!]!;
  const cia = (x: string) => ({ H: 0.56, L: 0.22, N: 0 })[x]!;
  const iss = 1 - (1 - cia(m.C!)) * (1 - cia(m.I!)) * (1 - cia(m.A!));
  const impact = changed ? 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 : 6.42 * iss;
  const expl = 8.22 * AV * AC * PR * UI;
  const roundup = (x: number) => {
    const i = Math.round(x * 100000);
    return i % 10000 === 0 ? i / 100000 : (Math.floor(i / 10000) + 1) / 10;
  };
  if (impact <= 0) return 0;
  return changed ? roundup(Math.min(1.08 * (impact + expl), 10)) : roundup(Math.min(impact + expl, 10));
}

const BOUNDARY_VECTORS = [
  { score: 0, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N', severity: 'INFORMATIONAL' },
  { score: 3.9, vector: 'CVSS:3.1/AV:N/AC:H/PR:H/UI:R/S:U/C:L/I:L/A:L', severity: 'LOW' },
  { score: 4.0, vector: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:L/I:N/A:N', severity: 'MEDIUM' },
  { score: 6.9, vector: 'CVSS:3.1/AV:N/AC:L/PR:H/UI:R/S:C/C:H/I:L/A:N', severity: 'MEDIUM' },
  { score: 7.0, vector: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:L/A:L', severity: 'HIGH' },
  { score: 8.9, vector: 'CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:H/I:H/A:L', severity: 'HIGH' },
  { score: 9.0, vector: 'CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:H/I:H/A:H', severity: 'CRITICAL' },
  { score: 10, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', severity: 'CRITICAL' },
] as const;

const pkg = (over: Partial<Package> = {}): Package => ({
  foundBy: 'pkgdb/dpkg',
  type: 'deb',
  name: 'libc6',
  version: '2.36-9+deb12u1',
  upstreamVersion: '2.36',
  release: '9+deb12u1',
  arch: 'amd64',
  sourceName: 'glibc',
  purl: 'pkg:deb/debian/libc6@2.36-9%2Bdeb12u1?arch=amd64&distro=debian-12',
  locations: [{ path: '/var/lib/dpkg/status' }],
  ...over,
});

const advisory = (over: Partial<Advisory> = {}): Advisory => ({
  id: 'DEBIAN-CVE-2023-4911',
  source: 'debian-tracker',
  aliases: ['CVE-2023-4911'],
  severity: [],
  references: ['https://security-tracker.debian.org/tracker/CVE-2023-4911'],
  details: 'buffer overflow in ld.so',
  ...over,
});

const affected = (over: Partial<AffectedPackage> = {}): AffectedPackage => ({
  advisoryId: 'DEBIAN-CVE-2023-4911',
  ecosystem: 'Debian:12',
  name: 'glibc',
  nameIsSource: true,
  ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.36-9+deb12u3' }] }],
  versions: [],
  ...over,
});

const match = (over: Partial<Match> = {}): Match => {
  const adv = over.advisories ?? [advisory()];
  return {
    package: pkg(),
    vulnerabilityId: 'CVE-2023-4911',
    advisoryIds: adv.map((a) => a.id),
    advisories: adv,
    affected: [affected()],
    ecosystem: 'Debian:12',
    status: 'affected',
    fixedVersion: '2.36-9+deb12u3',
    reason: '2.36-9+deb12u1 < fixed 2.36-9+deb12u3',
    ...over,
  };
};

function fakeLookup(
  opts: {
    cvss?: ReturnType<FindingsLookup['cvssFor']>;
    kev?: boolean;
    epss?: { score: number; percentile: number };
  } = {},
): FindingsLookup {
  return {
    cvssFor: () => opts.cvss ?? [],
    kev: () => (opts.kev ? { dateAdded: '2023-11-21' } : undefined),
    epss: () => opts.epss,
  };
}

const FIXED_NOW = new Date('2025-03-01T12:00:00Z');
const ctx = (
  lookup: FindingsLookup = fakeLookup(),
  over: Partial<FindingsContext> = {},
): FindingsContext => ({
  awsAccountId: '123456789012',
  resource: { type: 'AWS_EC2_INSTANCE', id: 'i-0123456789abcdef0', region: 'eu-west-1', partition: 'aws' },
  lookup,
  clock: () => FIXED_NOW,
  ...over,
});

const schema = JSON.parse(readFileSync(resolve(REPO_ROOT, 'schemas/finding.schema.json'), 'utf8'));
const ajv = newAjv();
const validate = ajv.compile(schema);
function expectValid(f: unknown): void {
  const ok = validate(f);
  expect(validate.errors ?? []).toEqual([]);
  expect(ok).toBe(true);
}

describe('engine/findings/severity', () => {
  it.each([
    { score: 0, severity: 'INFORMATIONAL' },
    { score: 0.1, severity: 'LOW' },
    { score: 3.9, severity: 'LOW' },
    { score: 4.0, severity: 'MEDIUM' },
    { score: 6.9, severity: 'MEDIUM' },
    { score: 7.0, severity: 'HIGH' },
    { score: 8.9, severity: 'HIGH' },
    { score: 9.0, severity: 'CRITICAL' },
    { score: 10, severity: 'CRITICAL' },
    { score: 3.94, severity: 'LOW' },
    { score: 3.95, severity: 'MEDIUM' },
    { score: undefined, severity: 'UNTRIAGED' },
  ])('score $score → $severity', ({ score, severity }) => {
    expect(severityOf(score)).toBe(severity);
  });

  it.each([
    { vendor: 'debian', word: 'unimportant', score: 1.0, severity: 'LOW' },
    { vendor: 'debian', word: 'high', score: 8.0, severity: 'HIGH' },
    { vendor: 'ubuntu', word: 'negligible', score: 1.0, severity: 'LOW' },
    { vendor: 'ubuntu', word: 'critical', score: 9.5, severity: 'CRITICAL' },
    { vendor: 'amazon', word: 'important', score: 8.0, severity: 'HIGH' },
    { vendor: 'amazon', word: 'Medium', score: 5.5, severity: 'MEDIUM' },
    { vendor: 'redhat', word: 'Moderate', score: 5.5, severity: 'MEDIUM' },
    { vendor: 'almalinux', word: 'Important', score: 8.0, severity: 'HIGH' },
    { vendor: 'ghsa', word: 'MODERATE', score: 5.5, severity: 'MEDIUM' },
    { vendor: 'ubuntu', word: 'untriaged', score: undefined, severity: 'UNTRIAGED' },
  ])('$vendor "$word" → $score ($severity)', ({ vendor, word, score, severity }) => {
    expect(vendorSeverityScore(vendor, word)).toBe(score);
    expect(severityOf(vendorSeverityScore(vendor, word))).toBe(severity);
  });
});

describe('engine/findings/cvss', () => {
  it.each(BOUNDARY_VECTORS)(
    '$vector scores $score (library and spec equations agree)',
    ({ vector, score }) => {
      expect(cvss31Oracle(vector)).toBe(score);
      expect(scoreVector(vector)?.baseScore).toBe(score);
    },
  );

  it('library matches the spec equations on every CVSS 3.1 base vector', () => {
    const vals: Record<string, string> = {
      AV: 'NALP',
      AC: 'LH',
      PR: 'NLH',
      UI: 'NR',
      S: 'UC',
      C: 'HLN',
      I: 'HLN',
      A: 'HLN',
    };
    const keys = Object.keys(vals);
    let vectors = [''];
    for (const k of keys) vectors = vectors.flatMap((v) => [...vals[k]!].map((x) => `${v}/${k}:${x}`));
    let mismatches = 0;
    for (const v of vectors)
      if (scoreVector(`CVSS:3.1${v}`)?.baseScore !== cvss31Oracle(`CVSS:3.1${v}`)) mismatches++;
    expect(vectors).toHaveLength(2592);
    expect(mismatches).toBe(0);
  });

  it.each([
    { vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', version: '3.1', score: 9.8 },
    { vector: 'CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', version: '3.0', score: 9.8 },
    { vector: 'AV:N/AC:L/Au:N/C:P/I:P/A:P', version: '2.0', score: 7.5 },
    { vector: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', version: '4.0', score: 9.3 },
  ])('scores v$version vectors ($score)', ({ vector, version, score }) => {
    expect(scoreVector(vector)).toEqual({ version, vector, baseScore: score });
  });

  it.each([
    'CVSS:3.1/AV:N',
    'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:X',
    'CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H',
    'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H',
    'medium',
    '',
  ])('rejects malformed or incomplete vector %j', (vector) => {
    expect(scoreVector(vector)).toBeUndefined();
  });

  it('isCompleteVector accepts extra temporal metrics', () => {
    expect(isCompleteVector('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O', '3.1')).toBe(true);
  });
});

describe('engine/findings/build', () => {
  const V31 = 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H'; // 7.8
  const NVD = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'; // 9.8

  it.each([
    {
      name: 'vendor v3 beats NVD v3',
      adv: advisory({ severity: [{ type: 'CVSS_V3', score: V31, source: 'debian' }] }),
      cvss: [{ version: '3.1', vector: NVD, source: 'nvd' }],
      score: 7.8,
      source: 'VENDOR_CVSS',
      severity: 'HIGH',
    },
    {
      name: 'NVD v3 when the vendor has none',
      adv: advisory({ vendorSeverity: 'low' }),
      cvss: [{ version: '3.1', vector: NVD, source: 'nvd' }],
      score: 9.8,
      source: 'NVD_CVSS',
      severity: 'CRITICAL',
    },
    {
      name: 'v3 from another source beats v2',
      adv: advisory(),
      cvss: [
        { version: '2.0', vector: 'AV:N/AC:L/Au:N/C:N/I:N/A:P', source: 'nvd' },
        { version: '3.1', vector: V31, source: 'ghsa', advisoryId: 'GHSA-x' },
      ],
      score: 7.8,
      source: 'OTHER_CVSS',
      severity: 'HIGH',
    },
    {
      name: 'v4 before v2',
      adv: advisory(),
      cvss: [
        { version: '2.0', vector: 'AV:N/AC:L/Au:N/C:N/I:N/A:P', source: 'nvd' },
        {
          version: '4.0',
          vector: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N',
          source: 'nvd',
        },
      ],
      score: 9.3,
      source: 'NVD_CVSS',
      severity: 'CRITICAL',
    },
    {
      name: 'v2 alone',
      adv: advisory(),
      cvss: [{ version: '2.0', vector: 'AV:N/AC:L/Au:N/C:N/I:N/A:P', source: 'nvd' }],
      score: 5.0,
      source: 'NVD_CVSS',
      severity: 'MEDIUM',
    },
    {
      name: 'vendor word when no vector',
      adv: advisory({ id: 'ALAS2-2023-1', source: 'alas', vendorSeverity: 'important' }),
      cvss: [{ version: '3.1', vector: 'CVSS:3.1/AV:N', source: 'nvd' }],
      score: 8.0,
      source: 'VENDOR_SEVERITY',
      severity: 'HIGH',
    },
  ])('$name → $score $severity ($source)', ({ adv, cvss, score, source, severity }) => {
    const m = match({
      advisories: [adv],
      advisoryIds: [adv.id],
      affected: [affected({ advisoryId: adv.id })],
    });
    const f = buildFinding(m, ctx(fakeLookup({ cvss })));
    expect(f.inspectorScore).toBe(score);
    expect(f.severity).toBe(severity);
    expect(f.inspectorScoreDetails.adjustedCvss.scoreSource).toBe(source);
    expectValid(f);
  });

  it('per-release urgency wins over the advisory word; no word and no vector → UNTRIAGED without score', () => {
    const withUrgency = buildFinding(
      match({ affected: [affected({ vendorSeverity: 'unimportant' })] }),
      ctx(),
    );
    expect(withUrgency).toMatchObject({ inspectorScore: 1.0, severity: 'LOW' });
    expect(withUrgency.packageVulnerabilityDetails.vendorSeverity).toBe('unimportant');
    const none = buildFinding(match(), ctx());
    expect(none.severity).toBe('UNTRIAGED');
    expect(none.inspectorScore).toBeUndefined();
    expect(none.inspectorScoreDetails.adjustedCvss).toMatchObject({ score: 0, scoreSource: 'NONE' });
    expectValid(none);
  });

  it('KEV → exploitAvailable YES; EPSS attached; fix → YES with remediation; open → NO', () => {
    const f = buildFinding(
      match(),
      ctx(fakeLookup({ kev: true, epss: { score: 0.81422, percentile: 0.99606 } })),
    );
    expect(f.exploitAvailable).toBe('YES');
    expect(f.exploitabilityDetails).toEqual({ lastKnownExploitAt: '2023-11-21T00:00:00Z' });
    expect(f.epss).toEqual({ score: 0.81422, percentile: 0.99606 });
    expect(f.fixAvailable).toBe('YES');
    expect(f.packageVulnerabilityDetails.vulnerablePackages[0]).toMatchObject({
      name: 'libc6',
      version: '2.36',
      release: '9+deb12u1',
      epoch: 0,
      arch: 'amd64',
      packageManager: 'OS',
      filePath: '/var/lib/dpkg/status',
      fixedInVersion: '2.36-9+deb12u3',
      sourceName: 'glibc',
    });
    expectValid(f);
    const open = buildFinding(
      match({ fixedVersion: undefined, affected: [affected({ vendorStatus: 'undetermined' })] }),
      ctx(),
    );
    expect(open.fixAvailable).toBe('NO');
    expect(open.exploitAvailable).toBe('NO');
    expect(open.packageVulnerabilityDetails.vulnerablePackages[0]?.fixedInVersion).toBe('NotAvailable');
    expect(open.packageVulnerabilityDetails.vendorStatus).toBe('undetermined');
    expect(open.remediation.recommendation.text).toBe('None Provided');
    expectValid(open);
  });

  it('unknown match outcomes stay findings with matchStatus unknown', () => {
    const f = buildFinding(match({ status: 'unknown', reason: 'dpkg: unparsable version "1:"' }), ctx());
    expect(f).toMatchObject({
      matchStatus: 'unknown',
      status: 'ACTIVE',
      matchReason: 'dpkg: unparsable version "1:"',
    });
    expectValid(f);
  });

  it('ids are stable: same inputs → same id; version change keeps it; account/resource/CVE/package change it', () => {
    const base = buildFinding(match(), ctx()).findingArn;
    expect(base).toMatch(/^arn:snapscan:eu-west-1:123456789012:finding\/[0-9a-f]{32}$/);
    expect(buildFinding(match(), ctx()).findingArn).toBe(base);
    expect(buildFinding(match({ package: pkg({ version: '2.36-9+deb12u2' }) }), ctx()).findingArn).toBe(base);
    const others = [
      buildFinding(match(), ctx(undefined, { awsAccountId: '210987654321' })).findingArn,
      buildFinding(
        match(),
        ctx(undefined, { resource: { type: 'AWS_EC2_INSTANCE', id: 'i-other', region: 'eu-west-1' } }),
      ).findingArn,
      buildFinding(match({ vulnerabilityId: 'CVE-2023-9999' }), ctx()).findingArn,
      buildFinding(match({ package: pkg({ name: 'libc-bin' }) }), ctx()).findingArn,
    ];
    expect(new Set([base, ...others]).size).toBe(5);
  });

  it('timestamps come from the clock; firstObservedAt carries over from a previous run', () => {
    const f = buildFinding(match(), ctx());
    expect(f.firstObservedAt).toBe(FIXED_NOW.toISOString());
    const later = buildFinding(
      match(),
      ctx(undefined, {
        previous: new Map([[f.findingArn, { firstObservedAt: '2024-01-01T00:00:00.000Z' }]]),
      }),
    );
    expect(later.firstObservedAt).toBe('2024-01-01T00:00:00.000Z');
    expect(later.lastObservedAt).toBe(FIXED_NOW.toISOString());
  });

  it('buildFindings orders by severity, score, id and is independent of input order', () => {
    const lookup = fakeLookup();
    const ms = BOUNDARY_VECTORS.map((b, i) => {
      const adv = advisory({
        id: `GHSA-${i}`,
        source: 'osv',
        aliases: [`CVE-2024-000${i}`],
        severity: [{ type: 'CVSS_V3', score: b.vector }],
      });
      return match({
        vulnerabilityId: `CVE-2024-000${i}`,
        advisories: [adv],
        advisoryIds: [adv.id],
        affected: [affected({ advisoryId: adv.id })],
      });
    });
    const a = buildFindings(ms, ctx(lookup));
    const b = buildFindings([...ms].reverse(), ctx(lookup));
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(a.map((f) => f.inspectorScore)).toEqual([10, 9, 8.9, 7, 6.9, 4, 3.9, 0]);
    expect(a.map((f) => f.severity)).toEqual([
      'CRITICAL',
      'CRITICAL',
      'HIGH',
      'HIGH',
      'MEDIUM',
      'MEDIUM',
      'LOW',
      'INFORMATIONAL',
    ]);
    for (const f of a) expectValid(f);
  });

  it('schema rejects a finding with an unknown field or a bad severity', () => {
    const f = buildFinding(match(), ctx()) as unknown as Record<string, unknown>;
    expect(validate({ ...f, extra: 1 })).toBe(false);
    expect(validate({ ...f, severity: 'SEVERE' })).toBe(false);
  });
});

describe.skipIf(!HAVE_SHARED)('engine/findings/build with the sample store', () => {
  let tmp: string;
  let store: VulnStore;
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'findings-'));
    const db = join(tmp, 'v.sqlite');
    await withWritableStore(db, async (w) => {
      await importPath(w, join(SHARED_VULNDATA, 'osv/npm'));
      await importPath(w, join(SHARED_VULNDATA, 'kev'));
      await importPath(w, join(SHARED_VULNDATA, 'epss/emba-epss-data-subset'));
    });
    store = VulnStore.openReadOnly(db);
  });
  afterAll(() => {
    store?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('lodash 4.17.20 × GHSA-35jh-r3h4-6jhm: GHSA CVSS 3.1, EPSS from the store, valid', () => {
    const hits = store.affected('npm', 'lodash').filter((h) => h.advisory.id === 'GHSA-35jh-r3h4-6jhm');
    expect(hits).toHaveLength(1);
    const adv = hits[0]!.advisory;
    const m: Match = {
      package: {
        foundBy: 'lang/npm',
        type: 'npm',
        name: 'lodash',
        version: '4.17.20',
        purl: 'pkg:npm/lodash@4.17.20',
        locations: [{ path: '/app/node_modules/lodash/package.json' }],
      },
      vulnerabilityId: 'CVE-2021-23337',
      advisoryIds: [adv.id],
      advisories: [adv],
      affected: [hits[0]!.affected],
      ecosystem: 'npm',
      status: 'affected',
      fixedVersion: '4.17.21',
      reason: '4.17.20 < fixed 4.17.21',
    };
    const f = buildFinding(m, ctx(store));
    expect(f.inspectorScore).toBe(7.2);
    expect(f.severity).toBe('HIGH');
    expect(f.inspectorScoreDetails.adjustedCvss).toMatchObject({
      scoreSource: 'VENDOR_CVSS',
      cvssSource: 'ghsa',
      version: '3.1',
    });
    expect(f.packageVulnerabilityDetails).toMatchObject({
      source: 'GITHUB',
      sourceUrl: 'https://osv.dev/vulnerability/GHSA-35jh-r3h4-6jhm',
      relatedVulnerabilities: ['GHSA-35jh-r3h4-6jhm'],
    });
    const epss = store.epss('CVE-2021-23337');
    expect(epss).toBeDefined();
    expect(f.epss).toEqual({ score: epss!.score, percentile: epss!.percentile });
    expect(f.exploitAvailable).toBe(store.kev('CVE-2021-23337') ? 'YES' : 'NO');
    expect(f.packageVulnerabilityDetails.vulnerablePackages[0]).toMatchObject({
      packageManager: 'NODEPKG',
      remediation: 'npm install lodash@4.17.21',
    });
    expectValid(f);
  });
});
