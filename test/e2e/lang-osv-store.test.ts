/**
 * Language packages matched end to end through the real CLI and the SQLite store: an ext4 image
 * (mkfs.ext4 -d) with Composer installs, Python dist-info and a .NET deps.json is scanned by
 * `snapscan scan --image … --db …` against a database built by `snapscan db import` from the real
 * OSV records in ../shared/vulndata (Packagist, PyPI, NuGet) plus one crafted PyPI record.
 *
 * - Composer (engine/versioning/composer): contao/core-bundle 4.4.45 and v4.8.5 are affected by
 *   GHSA-wjx8-cgrm-hh8p (CVE-2019-19745: 4.0.0 ≤ v < 4.4.46, 4.5.0 ≤ v < 4.8.6) with the fix of
 *   their own branch; 4.4.46 is not; a `dev-main` install is an explicit `unknown`, never clean.
 * - PyPI names compare after PEP 503 on both sides: installed `PyYAML` 5.3.1 matches the `pyyaml`
 *   records (only PYSEC-2021-142, CVE-2020-14343, fixed 5.4: the others are fixed at or below
 *   5.3.1); installed `zope.interface` matches a crafted record for `zope-interface`.
 * - NuGet ids are case-insensitive: installed `Microsoft.NETCore.App.Runtime.linux-arm` 9.0.5 matches
 *   GHSA-266m-wp2v-x7mq, written for `Microsoft.NetCore.App.Runtime.linux-arm` (fixed 9.0.6).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../engine/findings/finding.js';
import { ext4Image, haveTools } from '../helpers/disk-builder.js';
import { REPO_ROOT, SHARED_VULNDATA } from '../helpers/paths.js';

const OSV = join(SHARED_VULNDATA, 'osv');
const FEEDS = ['Packagist', 'PyPI', 'NuGet'].map((e) => join(OSV, e));
const haveData = FEEDS.every((d) => existsSync(d));

const OS_RELEASE = 'NAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n';
const STATUS =
  'Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\nSource: zlib\nVersion: 1:1.2.13.dfsg-1\nDescription: compression library\n';
const composer2 = (packages: Array<{ name: string; version: string }>) =>
  JSON.stringify({ packages, dev: false, 'dev-package-names': [] });
const metadata = (name: string, version: string) =>
  `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n`;

const TREE = {
  'etc/os-release': OS_RELEASE,
  'var/lib/dpkg/status': STATUS,
  'var/lib/dpkg/info/zlib1g.list': '/.\n/usr\n/usr/lib\n',
  // Composer 2 object, plain version; Composer 1 array, `v` prefix; a fixed one; a branch install.
  'var/www/shop/vendor/composer/installed.json': composer2([
    { name: 'contao/core-bundle', version: '4.4.45' },
    { name: 'symfony/http-kernel', version: 'v5.4.1' },
  ]),
  'var/www/site/vendor/composer/installed.json': JSON.stringify([
    { name: 'contao/core-bundle', version: 'v4.8.5' },
  ]),
  'var/www/fixed/vendor/composer/installed.json': composer2([
    { name: 'contao/core-bundle', version: '4.4.46' },
  ]),
  'var/www/edge/vendor/composer/installed.json': composer2([
    { name: 'contao/core-bundle', version: 'dev-main' },
  ]),
  'usr/local/lib/python3.11/dist-packages/PyYAML-5.3.1.dist-info/METADATA': metadata('PyYAML', '5.3.1'),
  'usr/local/lib/python3.11/dist-packages/zope.interface-5.4.0.dist-info/METADATA': metadata(
    'zope.interface',
    '5.4.0',
  ),
  'opt/dotnet-app/app.deps.json': JSON.stringify({
    runtimeTarget: { name: '.NETCoreApp,Version=v9.0' },
    libraries: {
      'App/1.0.0': { type: 'project' },
      'Microsoft.NETCore.App.Runtime.linux-arm/9.0.5': { type: 'package', path: 'x' },
    },
  }),
};

/** Crafted (there is no zope.interface record in ../shared): the advisory spells the name PEP 503-style. */
const ZOPE_RECORD = {
  schema_version: '1.4.0',
  id: 'TEST-ZOPE-0001',
  modified: '2024-01-01T00:00:00Z',
  aliases: ['CVE-2099-0001'],
  affected: [
    {
      package: { ecosystem: 'PyPI', name: 'zope-interface' },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '5.4.1' }] }],
    },
  ],
};

const work = mkdtempSync(join(tmpdir(), 'snapscan-lang-osv-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function cli(...args: string[]) {
  return spawnSync(process.execPath, [join(REPO_ROOT, 'bin/snapscan.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, SNAPSCAN_CACHE: join(work, 'cache'), SNAPSCAN_HOME: join(work, 'home') },
    maxBuffer: 64 << 20,
  });
}

const skip = !haveTools('mkfs.ext4')
  ? 'mkfs.ext4 missing'
  : !haveData
    ? `no OSV Packagist/PyPI/NuGet records under ${OSV}`
    : undefined;

describe.skipIf(skip !== undefined)(
  'e2e: language packages × OSV through `snapscan db import` and `scan`',
  () => {
    if (skip) it.skip(skip, () => {});
    let findings: Finding[] = [];

    beforeAll(() => {
      const db = join(work, 'vulndb.sqlite');
      const crafted = join(work, 'crafted');
      rmSync(crafted, { recursive: true, force: true });
      spawnSync('mkdir', ['-p', crafted]);
      writeFileSync(join(crafted, 'TEST-ZOPE-0001.json'), JSON.stringify(ZOPE_RECORD));
      const imp = cli('db', 'import', ...FEEDS, crafted, '--db', db);
      expect(imp.status, imp.stderr).toBe(0);
      const image = ext4Image('lang-osv-store', TREE, 16);
      const scan = cli(
        'scan',
        '--image',
        image,
        '--db',
        db,
        '--format',
        'json',
        '--max-db-age-days',
        '100000',
      );
      expect(scan.status, scan.stderr).toBe(0);
      const doc = JSON.parse(scan.stdout) as unknown;
      findings = collectFindings(doc);
    }, 120_000);

    const row = (f: Finding) => {
      const p = f.packageVulnerabilityDetails.vulnerablePackages[0]!;
      return {
        id: f.packageVulnerabilityDetails.vulnerabilityId,
        name: p.name,
        version: p.version,
        packageManager: p.packageManager,
        filePath: p.filePath,
        fixedInVersion: p.fixedInVersion,
        matchStatus: f.matchStatus,
      };
    };
    const rows = () => findings.map(row).sort((a, b) => (`${a.filePath}` < `${b.filePath}` ? -1 : 1));

    it('Composer: affected installs carry COMPOSER, the file and their branch fix; dev-main is unknown', () => {
      const composer = rows().filter((r) => r.packageManager === 'COMPOSER');
      expect(composer).toEqual([
        {
          id: 'CVE-2019-19745',
          name: 'contao/core-bundle',
          version: 'dev-main',
          packageManager: 'COMPOSER',
          filePath: '/var/www/edge/vendor/composer/installed.json',
          fixedInVersion: 'NotAvailable',
          matchStatus: 'unknown',
        },
        {
          id: 'CVE-2019-19745',
          name: 'contao/core-bundle',
          version: '4.4.45',
          packageManager: 'COMPOSER',
          filePath: '/var/www/shop/vendor/composer/installed.json',
          fixedInVersion: '4.4.46',
          matchStatus: 'affected',
        },
        {
          id: 'CVE-2019-19745',
          name: 'contao/core-bundle',
          version: 'v4.8.5',
          packageManager: 'COMPOSER',
          filePath: '/var/www/site/vendor/composer/installed.json',
          fixedInVersion: '4.8.6',
          matchStatus: 'affected',
        },
      ]);
      const byVersion = (v: string) =>
        findings.find((f) => f.packageVulnerabilityDetails.vulnerablePackages[0]!.version === v)!;
      expect(byVersion('dev-main').matchReason).toMatch(/invalid-version: .*branch "dev-main"/);
      expect(byVersion('4.4.45').matchReason).toMatch(/4\.4\.45 >= introduced 4\.0\.0 and < fixed 4\.4\.46/);
      expect(byVersion('4.4.45').packageVulnerabilityDetails.vulnerablePackages[0]!.remediation).toBe(
        'composer require contao/core-bundle:^4.4.46',
      );
    });

    it('PyPI: installed PyYAML and zope.interface match the pyyaml / zope-interface records', () => {
      const py = rows().filter((r) => r.packageManager === 'PYTHONPKG');
      expect(py.map((r) => [r.id, r.name, r.version, r.fixedInVersion, r.matchStatus])).toEqual([
        ['CVE-2020-14343', 'PyYAML', '5.3.1', '5.4', 'affected'],
        ['CVE-2099-0001', 'zope.interface', '5.4.0', '5.4.1', 'affected'],
      ]);
    });

    it('NuGet: the id matches whatever its case', () => {
      const nu = rows().filter((r) => r.packageManager === 'NUGET');
      expect(nu.map((r) => [r.id, r.name, r.version, r.fixedInVersion, r.filePath])).toEqual([
        [
          'CVE-2025-30399',
          'Microsoft.NETCore.App.Runtime.linux-arm',
          '9.0.5',
          '9.0.6',
          '/opt/dotnet-app/app.deps.json',
        ],
      ]);
    });

    it('nothing else: no finding for the fixed contao, symfony/http-kernel (no record) or zlib1g', () => {
      expect(findings.length).toBe(6);
    });
  },
);

/** The findings of `scan --format json`, wherever the report nests them. */
function collectFindings(doc: unknown): Finding[] {
  const out: Finding[] = [];
  const visit = (v: unknown) => {
    if (Array.isArray(v)) for (const x of v) visit(x);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.findingArn === 'string' && o.packageVulnerabilityDetails)
        out.push(o as unknown as Finding);
      else for (const x of Object.values(o)) visit(x);
    }
  };
  visit(doc);
  return out;
}
