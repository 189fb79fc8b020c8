/**
 * pkgdb/dpkg against every /work/shared/fixtures/dpkg/*.expected.json (syft, trivy and claircore
 * tests transcribed), plus the real dpkg-query reading the same status files.
 *
 * Field mapping (theirs → ours), and the quirks mapped:
 * - syft DpkgDBEntry: package=name, source=metadata.source (only when a Source field exists),
 *   sourceVersion=metadata.sourceVersion, architecture=arch, installedSize/description/provides/
 *   depends/preDepends/files=metadata.*. syft re-indents continuation lines to one space
 *   (TrimSpace + "\n "); we keep them verbatim, so descriptions are compared after that same
 *   normalisation. syft leaves empty lists out (nil); we always emit [].
 * - trivy Package: version=upstreamVersion, release, epoch; srcName/srcVersion/srcRelease/srcEpoch
 *   are the split of our sourceVersion; id = name@version; dependsOn=metadata.dependsOn;
 *   digest=metadata.digest; installedFiles = our non-conffile file paths (trivy reads md5sums
 *   only). repository.class (official vs third-party, trivy-specific) is not modelled: dropped.
 *   trivy sorts packages by name; we keep database order, so both are sorted before comparing.
 * - claircore: firstStanzaVersion = our first package's version; the vcpkg file must be rejected
 *   (we report a bad-magic error and no packages).
 */
import { execFileSync } from 'node:child_process';
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
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Package } from '../../../../engine/model/package.js';
import { type DpkgFileRecord, dpkgCataloger, splitDebVersion } from '../../../../readers/pkgdb/dpkg/index.js';
import { runCataloger } from './helpers.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const fixtures = resolve(repoRoot, '../shared/fixtures/dpkg');
const haveFixtures = existsSync(fixtures);
const expectedFiles = haveFixtures
  ? readdirSync(fixtures)
      .filter((f) => f.endsWith('.expected.json'))
      .sort()
  : [];
// biome-ignore lint/suspicious/noExplicitAny: transcribed JSON of several shapes
type Json = any;
const load = (f: string): Json => JSON.parse(readFileSync(join(fixtures, f), 'utf8'));

/** syft's continuation handling: each continuation line trimmed and re-indented by one space. */
const syftText = (s: string | undefined) =>
  s === undefined
    ? undefined
    : s
        .split('\n')
        .map((l, i) => (i === 0 ? l : ` ${l.trim()}`))
        .join('\n');

function compact<T extends Record<string, unknown>>(o: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || v === '' || (Array.isArray(v) && v.length === 0 && k !== 'files')) continue;
    out[k] = v;
  }
  return out as Partial<T>;
}

function toSyftEntry(p: Package) {
  const m = p.metadata as Record<string, Json>;
  return compact({
    package: p.name,
    source: m.source,
    version: p.version,
    sourceVersion: m.sourceVersion,
    architecture: p.arch,
    installedSize: m.installedSize,
    maintainer: p.maintainer,
    description: syftText(m.description),
    provides: m.provides,
    depends: m.depends,
    preDepends: m.preDepends,
    files: (m.files as DpkgFileRecord[]).map((f) => compact({ ...f })),
  });
}

function toTrivy(p: Package) {
  const m = p.metadata as Record<string, Json>;
  const src = splitDebVersion(p.sourceVersion ?? '');
  const installed = (m.files as DpkgFileRecord[]).filter((f) => !f.isConfigFile).map((f) => f.path);
  return compact({
    id: `${p.name}@${p.version}`,
    name: p.name,
    version: p.upstreamVersion,
    epoch: p.epoch,
    release: p.release,
    srcName: p.sourceName,
    srcVersion: src?.upstream,
    srcRelease: src?.revision,
    srcEpoch: src?.epoch,
    maintainer: p.maintainer,
    arch: p.arch,
    dependsOn: m.dependsOn,
    digest: m.digest,
    installedFiles: installed,
  });
}

const byName = (a: { name?: string | undefined }, b: { name?: string | undefined }) =>
  (a.name ?? '') < (b.name ?? '') ? -1 : (a.name ?? '') > (b.name ?? '') ? 1 : 0;

describe.skipIf(!haveFixtures)('readers/pkgdb/dpkg (shared fixtures)', () => {
  it('found the fixtures', () => {
    expect(expectedFiles.length).toBeGreaterThanOrEqual(15);
  });

  it.each(expectedFiles)('%s', async (f) => {
    const exp = load(f);
    const run = await runCataloger(dpkgCataloger, join(fixtures, exp.fixtureRoot));
    const pkgs = run.packages;
    for (const p of pkgs) {
      expect(p.foundBy).toBe('pkgdb/dpkg');
      expect(p.type).toBe('deb');
      expect(p.purl).toMatch(/^pkg:deb\//);
    }

    if (exp.expectNotDpkgDatabase) {
      expect(pkgs).toEqual([]);
      expect(run.errors.map((e) => e.error.code)).toEqual(['bad-magic']);
      return;
    }
    if (exp.expectError) {
      expect(pkgs).toEqual([]);
      expect(run.errors.length).toBeGreaterThan(0);
      expect(run.errors.every((e) => e.error.code === 'corrupt')).toBe(true);
      return;
    }
    if (exp.expected?.firstStanzaVersion) {
      expect(pkgs[0]?.version).toBe(exp.expected.firstStanzaVersion);
    } else if (exp.want?.packageInfos) {
      // trivy
      const infos = exp.want.packageInfos as Json[];
      expect(infos).toHaveLength(1);
      expect(`/${infos[0].filePath}`).toBe(pkgs[0]?.locations[0]?.path);
      const want = (infos[0].packages as Json[]).map(({ repository: _r, ...rest }) => rest).sort(byName);
      expect(pkgs.map(toTrivy).sort(byName)).toEqual(want);
      if (exp.want.systemInstalledFiles) {
        const all = pkgs.flatMap((p) => toTrivy(p).installedFiles ?? []);
        expect(all).toEqual(exp.want.systemInstalledFiles);
      }
    } else if (Array.isArray(exp.expected) && exp.expected[0]?.foundBy) {
      // syft TestDpkgCataloger: Package objects over an image root (os-release gives the distro).
      expect(pkgs.map((p) => p.name)).toEqual(exp.expected.map((e: Json) => e.name));
      for (const [i, e] of (exp.expected as Json[]).entries()) {
        const p = pkgs[i]!;
        expect(p.version).toBe(e.version);
        expect(p.licenses).toEqual(e.licenses);
        expect(p.purl).toBe(e.purl);
        expect(toSyftEntry(p)).toEqual({ ...e.metadata, description: syftText(e.metadata.description) });
      }
    } else if (Array.isArray(exp.expected)) {
      // syft parseDpkgStatus entries, in order.
      expect(pkgs.map(toSyftEntry)).toEqual(exp.expected);
    } else {
      // claircore TestParsedSource: { <package>: { sourceName, sourceVersion } }
      const entries = Object.entries(exp.expected as Record<string, Json>);
      expect(entries.length).toBeGreaterThan(0);
      for (const [name, want] of entries) {
        const p = pkgs.find((x) => x.name === name);
        expect(p).toBeDefined();
        expect({ sourceName: p!.sourceName, sourceVersion: p!.sourceVersion }).toEqual(want);
      }
    }

    // Secondary oracle recorded by the collector with dpkg-query.
    if (exp.dpkgQueryOracle_NOT_FROM_PEER) {
      const onDisk = (exp.dpkgQueryOracle_NOT_FROM_PEER as Json[]).filter((o) =>
        /^.[iUFWT]/.test(o.statusAbbrev),
      );
      // dpkg-query lists by name; we keep database order.
      const got = pkgs.map((p) => ({ name: p.name, version: p.version, architecture: p.arch })).sort(byName);
      expect(got).toEqual(
        onDisk
          .map((o) => ({ name: o.package, version: o.version, architecture: o.architecture }))
          .sort(byName),
      );
    }
  });
});

/** Live cross-check: the real dpkg-query on a temporary admindir holding each fixture's status file. */
const dpkgQuery = (() => {
  try {
    execFileSync('dpkg-query', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const statusFixtures = haveFixtures
  ? readdirSync(fixtures)
      .filter((d) => existsSync(join(fixtures, d, 'var/lib/dpkg/status')) && !d.includes('vcpkg'))
      .sort()
  : [];

describe.skipIf(!haveFixtures || !dpkgQuery)('readers/pkgdb/dpkg vs dpkg-query', () => {
  it.each(statusFixtures)('%s', async (d) => {
    const admin = mkdtempSync(join(tmpdir(), 'dpkg-admin-'));
    try {
      writeFileSync(join(admin, 'status'), readFileSync(join(fixtures, d, 'var/lib/dpkg/status')));
      mkdirSync(join(admin, 'updates'));
      mkdirSync(join(admin, 'info'));
      writeFileSync(join(admin, 'available'), '');
      let out: string;
      try {
        out = execFileSync(
          'dpkg-query',
          [
            `--admindir=${admin}`,
            '-W',
            '-f',
            // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax
            '${db:Status-Abbrev}\t${Package}\t${Version}\t${Architecture}\t${source:Package}\t${source:Version}\n',
          ],
          { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
        );
      } catch {
        // dpkg refuses the whole file (syft-image-dpkg starts with an empty "Package:" stanza); we
        // skip that stanza, report it, and read the rest.
        const run = await runCataloger(dpkgCataloger, join(fixtures, d));
        expect(run.errors.length).toBeGreaterThan(0);
        expect(run.packages.length).toBeGreaterThan(0);
        return;
      }
      const want = out
        .split('\n')
        .filter((l) => /^.[iUFWT]/.test(l))
        .map((l) => {
          const [, name, version, arch, srcName, srcVersion] = l.split('\t');
          return { name, version, arch, srcName, srcVersion };
        })
        .sort(byName);
      const run = await runCataloger(dpkgCataloger, join(fixtures, d));
      const got = run.packages
        .map((p) => ({
          name: p.name,
          version: p.version,
          arch: p.arch,
          srcName: p.sourceName,
          srcVersion: p.sourceVersion,
        }))
        .sort(byName);
      expect(want.length).toBeGreaterThan(0);
      expect(got).toEqual(want);
    } finally {
      rmSync(admin, { recursive: true, force: true });
    }
  });
});
