/**
 * Language packages on a real Debian 12 root (test/fixtures/lang/build-rootfs.sh: Debian's python3,
 * python3-requests/yaml, nodejs and npm with their node-* packages, a virtualenv, an npm app from
 * the registry), as ext4 (mkfs.ext4 -d) and XFS (mkfs.xfs -p) images, checked against the native
 * tools: `pip list --path` for the venv and dist-packages, `npm ls --all --json` for the app,
 * `dpkg -S` for which deb owns each package directory. Then matched against the shared OSV PyPI
 * and npm records: unowned packages through their ecosystem, owned ones only through the distro.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFindings } from '../../engine/findings/build.js';
import { inventoryToCycloneDx } from '../../engine/inventory/cyclonedx.js';
import type { Inventory } from '../../engine/inventory/types.js';
import { matchDetailed } from '../../engine/match/matcher.js';
import { type AdvisoryEntry, MemoryLookup } from '../../engine/match/memory-lookup.js';
import type { Package } from '../../engine/model/package.js';
import { scanBlockSource } from '../../engine/pipeline.js';
import { parseOsvRecord, parseOsvText } from '../../engine/vulndb/ingest/osv.js';
import { RawFileSource } from '../../readers/block/raw-file/index.js';
import { cdxValidator } from '../helpers/cdx-schema.js';
import { langImages, langOracles } from '../helpers/lang-images.js';
import { HAVE_SHARED, SHARED_VULNDATA } from '../helpers/paths.js';

const images = langImages();
const skip = typeof images === 'string' ? images : undefined;

async function inventory(image: string): Promise<Inventory> {
  const source = await RawFileSource.open(image);
  try {
    return await scanBlockSource(source, {
      resource: { type: 'image', id: 'lang' },
      now: () => new Date(0),
    });
  } finally {
    await source.close();
  }
}

const key = (p: Package) =>
  `${p.type === 'pypi' ? p.name.toLowerCase().replace(/[-_.]+/g, '-') : p.name}@${p.version}`;
const under = (pkgs: Package[], type: string, prefix: string) =>
  pkgs
    .filter((p) => p.type === type && p.locations[0]!.path.startsWith(prefix))
    .map(key)
    .sort();

function osvEntries(dir: string): AdvisoryEntry[] {
  const out: AdvisoryEntry[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d, { withFileTypes: true })) {
      if (f.isDirectory()) walk(join(d, f.name));
      else if (f.name.endsWith('.json'))
        for (const doc of parseOsvText(readFileSync(join(d, f.name), 'utf8'), f.name))
          out.push(parseOsvRecord(doc));
    }
  };
  walk(dir);
  return out;
}

describe.skipIf(skip !== undefined)('e2e: language packages on a Debian 12 root (ext4, XFS)', () => {
  if (skip) it.skip(skip, () => {});
  const img = images as Exclude<typeof images, string>;
  const oracle = skip ? undefined : langOracles(img.dir);
  const cache = new Map<string, Promise<Inventory>>();
  const inv = (fs: string) => {
    if (!cache.has(fs)) cache.set(fs, inventory(fs === 'ext4' ? img.ext4 : img.xfs));
    return cache.get(fs)!;
  };

  it.each(['ext4', 'xfs'])('%s: a complete scan, OS and language packages together', async (fs) => {
    const i = await inv(fs);
    expect(i.status.issues).toEqual([]);
    expect(i.packages.filter((p) => p.type === 'deb').length).toBe(
      readFileSync(join(img.dir, 'dpkg-query.tsv'), 'utf8').split('\n').filter(Boolean).length,
    );
  });

  it.each(['ext4', 'xfs'])('%s: the venv equals `pip list --path` (venv)', async (fs) => {
    const i = await inv(fs);
    expect(under(i.packages, 'pypi', '/opt/venv/')).toEqual(oracle!.pipVenv);
  });

  it.each(['ext4', 'xfs'])(
    '%s: dist-packages equals `pip list --path /usr/lib/python3/dist-packages`',
    async (fs) => {
      const i = await inv(fs);
      expect(under(i.packages, 'pypi', '/usr/lib/python3/dist-packages/')).toEqual(oracle!.pipDist);
    },
  );

  it.each(['ext4', 'xfs'])(
    '%s: the app equals `npm ls --all --json`, nested versions kept apart',
    async (fs) => {
      const i = await inv(fs);
      const app = i.packages.filter(
        (p) => p.type === 'npm' && !p.declaredOnly && p.locations[0]!.path.startsWith('/srv/app/'),
      );
      expect([...new Set(app.map(key))].sort()).toEqual(oracle!.npm);
      // ms 2.0.0 (hoisted) and ms 2.1.1 (under send/node_modules) are two packages at two paths.
      const ms = app.filter((p) => p.name === 'ms').map((p) => `${p.version} ${p.locations[0]!.path}`);
      expect(ms.length).toBeGreaterThanOrEqual(2);
      expect(new Set(ms.map((m) => m.split(' ')[0])).size).toBeGreaterThanOrEqual(2);
    },
  );

  it.each(['ext4', 'xfs'])('%s: ownership equals `dpkg -S` for every language package', async (fs) => {
    const i = await inv(fs);
    const debs = new Map(i.packages.filter((p) => p.type === 'deb').map((p) => [p.purl, p.name]));
    // (Declared-only npm packages are located at their lockfile: no package directory to ask about.)
    const lang = i.packages.filter((p) => (p.type === 'pypi' || p.type === 'npm') && !p.declaredOnly);
    expect(lang.length).toBeGreaterThan(1000);
    const mismatches: string[] = [];
    for (const p of lang) {
      const loc = p.locations[0]!.path;
      // dpkg -S was asked about the package directory (python) or the package.json (node).
      const asked = p.type === 'pypi' && /\/(METADATA|PKG-INFO)$/.test(loc) ? dirname(loc) : loc;
      const want = oracle!.owners.get(asked);
      if (want === undefined) {
        mismatches.push(`${asked}: not in the dpkg -S list`);
        continue;
      }
      const got = p.ownedBy ? debs.get(p.ownedBy) : '';
      if ((got ?? '') !== want) mismatches.push(`${asked}: ${got} != dpkg -S ${want}`);
    }
    expect(mismatches).toEqual([]);
  });

  it.each(['ext4', 'xfs'])(
    '%s: lockfiles v1, v2, v3 add evidence to the installed packages (`npm ls`); dev packages `npm ci --omit=dev` left out are declared only',
    async (fs) => {
      const i = await inv(fs);
      for (const app of oracle!.lockApps) {
        const lockPath = `${app.dir}/package-lock.json`;
        const here = i.packages.filter(
          (p) => p.type === 'npm' && p.locations.some((l) => l.path.startsWith(`${app.dir}/`)),
        );
        const installed = here.filter((p) => !p.declaredOnly);
        expect([...new Set(installed.map(key))].sort()).toEqual(app.installed);
        for (const p of installed) {
          // The package.json stays the first location (filePath of findings); the lock is the second.
          expect(p.locations.map((l) => l.path)).toEqual([
            expect.stringMatching(/\/node_modules\/.+\/package\.json$/),
            lockPath,
          ]);
          const ev = (p.metadata!.lockfile as Array<Record<string, unknown>>)[0]!;
          expect(ev).toMatchObject({ path: lockPath, lockfileVersion: app.lockfileVersion });
          expect(ev.resolved).toBe(app.resolved.get(key(p)));
          expect(ev.integrity).toMatch(/^sha512-[A-Za-z0-9+/]+=*$/);
          expect(ev.version).toBeUndefined(); // the lock agrees with what is installed
        }
        const declared = here.filter((p) => p.declaredOnly);
        const notInstalled = app.declared.filter((d) => !app.installed.includes(d));
        expect(declared.map(key).sort()).toEqual(notInstalled);
        // v1 installed everything; v2 and v3 were deployed with --omit=dev: minimist is declared only.
        expect(notInstalled).toEqual(app.lockfileVersion === 1 ? [] : ['minimist@1.2.5']);
        for (const p of declared) {
          expect(p.locations.map((l) => l.path)).toEqual([lockPath]);
          expect(p.metadata).toMatchObject({
            dev: true,
            installPath: `${app.dir}/node_modules/${p.name}/package.json`,
          });
        }
      }
      // The nested copy: debug's own ms@2.0.0 beside the hoisted ms@2.1.2, each with its lock entry.
      const ms = i.packages.filter(
        (p) => p.name === 'ms' && p.locations[0]!.path.startsWith('/srv/lock-v1/'),
      );
      expect(ms.map((p) => `${p.version} ${p.locations[0]!.path}`).sort()).toEqual([
        '2.0.0 /srv/lock-v1/node_modules/debug/node_modules/ms/package.json',
        '2.1.2 /srv/lock-v1/node_modules/ms/package.json',
      ]);
      // Only app lockfiles: Debian's /usr/share/nodejs/*/npm-shrinkwrap.json add nothing.
      expect(i.packages.filter((p) => p.declaredOnly).map((p) => p.locations[0]!.path)).toEqual([
        '/srv/lock-v2/package-lock.json',
        '/srv/lock-v3/package-lock.json',
      ]);
    },
  );

  it("ext4: the CycloneDX SBOM names each owned package's deb (snapscan:ownedBy → its bom-ref), schema-valid", async () => {
    const i = await inv('ext4');
    const doc = JSON.parse(inventoryToCycloneDx(i));
    const validate = cdxValidator();
    expect(validate(doc)).toBe(true);
    type C = { name: string; 'bom-ref': string; properties?: Array<{ name: string; value: string }> };
    const refs = new Set((doc.components as C[]).map((c) => c['bom-ref']));
    const owned = (doc.components as C[]).flatMap((c) =>
      (c.properties ?? []).filter((p) => p.name === 'snapscan:ownedBy').map((p) => p.value),
    );
    expect(owned.length).toBe(i.packages.filter((p) => p.ownedBy).length);
    expect(owned.length).toBeGreaterThan(1000);
    expect(owned.filter((o) => !refs.has(o))).toEqual([]);
    const declared = (doc.components as C[]).filter((c) =>
      c.properties?.some((p) => p.name === 'snapscan:declaredOnly' && p.value === 'true'),
    );
    expect(declared.map((c) => c.name)).toEqual(['minimist', 'minimist']);
  });

  it.skipIf(!HAVE_SHARED)(
    'ext4: unowned packages matched against OSV PyPI and npm; owned ones only through the distro',
    async () => {
      const i = await inv('ext4');
      const lookup = new MemoryLookup([
        ...osvEntries(join(SHARED_VULNDATA, 'osv/PyPI')),
        ...osvEntries(join(SHARED_VULNDATA, 'osv/npm')),
      ]);
      const lang = i.packages.filter((p) => p.type === 'pypi' || p.type === 'npm');
      const { matches, skipped } = matchDetailed(lang, i.os, lookup);
      const got = [
        ...new Set(
          matches.map(
            (m) =>
              `${m.package.name}@${m.package.version} ${m.package.locations[0]!.path.split('/').slice(0, 3).join('/')} ${m.advisoryIds.join(',')}`,
          ),
        ),
      ].sort();
      // requests 2.28.1 < 2.31.0 (GHSA-j8r2-6x86-q33q); urllib3 1.26.12 < 1.26.17 (GHSA-v845-jxx5-vc9f);
      // lodash 4.17.20 < 4.17.21; minimist 1.2.5 < 1.2.6; semver 7.3.5 < 7.5.2 — all in the venv / app.
      for (const want of [
        /^requests@2\.28\.1 \/opt\/venv .*GHSA-j8r2-6x86-q33q/,
        /^urllib3@1\.26\.12 \/opt\/venv .*GHSA-v845-jxx5-vc9f/,
        /^lodash@4\.17\.20 \/srv\/app .*GHSA-35jh-r3h4-6jhm/,
        /^minimist@1\.2\.5 \/srv\/app .*GHSA-xvch-5gv4-984h/,
        /^semver@7\.3\.5 \/srv\/app .*GHSA-c2qf-rxjj-qqgw/,
      ])
        expect(got.some((g) => want.test(g))).toBe(true);
      // Debian's own python3-requests / python3-urllib3 (same versions) are owned: not matched again.
      expect(matches.filter((m) => m.package.ownedBy)).toEqual([]);
      // minimist 1.2.5 installed in /srv/lock-v1 is matched; the copies only declared in the v2/v3
      // lockfiles (deployed with --omit=dev) are not: no finding for what is not on the disk.
      expect(got.some((g) => /^minimist@1\.2\.5 \/srv\/lock-v1 .*GHSA-xvch-5gv4-984h/.test(g))).toBe(true);
      expect(matches.filter((m) => m.package.declaredOnly)).toEqual([]);
      expect(
        skipped
          .filter((s) => s.package.declaredOnly)
          .map((s) => `${s.package.name} ${s.package.locations[0]!.path} ${s.reason}`)
          .sort(),
      ).toEqual([
        'minimist /srv/lock-v2/package-lock.json declared in a lockfile, not installed: not matched',
        'minimist /srv/lock-v3/package-lock.json declared in a lockfile, not installed: not matched',
      ]);
      expect(
        skipped.some(
          (s) =>
            s.package.name === 'requests' && /owned by pkg:deb\/debian\/python3-requests@/.test(s.reason),
        ),
      ).toBe(true);
      const findings = buildFindings(matches, {
        awsAccountId: '000000000000',
        resource: { type: 'LOCAL_IMAGE', id: 'lang' },
        lookup: { epss: () => undefined, kev: () => undefined, cvssFor: () => [] },
        clock: () => new Date(0),
      });
      const vp = (n: string) =>
        findings.find((f) => f.packageVulnerabilityDetails.vulnerablePackages[0]!.name === n)!
          .packageVulnerabilityDetails.vulnerablePackages[0]!;
      expect(vp('requests')).toMatchObject({
        packageManager: 'PYTHONPKG',
        filePath: '/opt/venv/lib/python3.11/site-packages/requests-2.28.1.egg-info/PKG-INFO',
        fixedInVersion: '2.31.0',
      });
      expect(vp('lodash')).toMatchObject({
        packageManager: 'NODEPKG',
        filePath: '/srv/app/node_modules/lodash/package.json',
        fixedInVersion: '4.17.21',
      });
    },
  );
});
