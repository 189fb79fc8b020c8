/**
 * pkgdb/apk against every /work/shared/fixtures/apk/*.expected.json (syft and trivy tests
 * transcribed).
 *
 * Field mapping (theirs → ours), and the quirks mapped:
 * - syft ApkDBEntry: package=name, originPackage/description/url/size/installedSize/checksum/
 *   gitCommit/dependencies/provides/files = metadata.*, maintainer, architecture=arch. Our file
 *   records carry `isDir` for F: lines; syft has no such key, so it is dropped before comparing.
 *   syft's expected purl is "" (its test has no distro); we always build one: not compared then.
 * - trivy Package: id = name@version; srcName = sourceName (origin); srcVersion = version;
 *   digest = metadata.digest ("sha1:" + hex of the Q1 checksum); dependsOn = metadata.dependsOn;
 *   installedFiles = our non-directory file paths without the leading '/'. trivy normalises
 *   license words to SPDX ids (GPL2 → GPL-2.0-only…); we keep apk's words, and apply trivy's
 *   mapping for these fixtures' words below before comparing.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Package } from '../../../../engine/model/package.js';
import { type ApkFileRecord, apkCataloger } from '../../../../readers/pkgdb/apk/index.js';
import { runCataloger } from '../dpkg/helpers.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const fixtures = resolve(repoRoot, '../shared/fixtures/apk');
const haveFixtures = existsSync(fixtures);
const expectedFiles = haveFixtures
  ? readdirSync(fixtures)
      .filter((f) => f.endsWith('.expected.json'))
      .sort()
  : [];
// biome-ignore lint/suspicious/noExplicitAny: transcribed JSON of several shapes
type Json = any;

/** trivy's license normalisation, for the words these fixtures use. */
const TRIVY_SPDX: Record<string, string> = {
  GPL2: 'GPL-2.0-only',
  'GPL2+': 'GPL-2.0-or-later',
  GPL: 'GPL-2.0-or-later',
  BSD: 'BSD-3-Clause',
  zlib: 'Zlib',
  openssl: 'OpenSSL',
};

const syftFiles = (files: ApkFileRecord[]) => files.map(({ isDir: _d, ...rest }) => rest);

function toSyftMetadata(p: Package) {
  const m = p.metadata as Record<string, Json>;
  const out: Record<string, unknown> = {
    package: p.name,
    originPackage: m.originPackage,
    version: p.version,
    description: m.description,
    maintainer: p.maintainer,
    architecture: p.arch,
    url: m.url,
    size: m.size,
    installedSize: m.installedSize,
    dependencies: m.dependencies,
    provides: m.provides,
    checksum: m.checksum,
    gitCommit: m.gitCommit,
    files: syftFiles(m.files),
  };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}

function toTrivy(p: Package) {
  const m = p.metadata as Record<string, Json>;
  const out: Record<string, unknown> = {
    id: `${p.name}@${p.version}`,
    name: p.name,
    version: p.version,
    srcName: p.sourceName,
    srcVersion: p.sourceVersion,
    licenses: (p.licenses ?? []).map((l) => TRIVY_SPDX[l] ?? l),
    maintainer: p.maintainer,
    dependsOn: m.dependsOn,
    arch: p.arch,
    digest: m.digest,
    installedFiles: (m.files as ApkFileRecord[]).filter((f) => !f.isDir).map((f) => f.path.slice(1)),
  };
  for (const k of ['dependsOn', 'installedFiles', 'licenses']) {
    if ((out[k] as unknown[]).length === 0) delete out[k];
  }
  return out;
}

describe.skipIf(!haveFixtures)('readers/pkgdb/apk (shared fixtures)', () => {
  it('found the fixtures', () => {
    expect(expectedFiles.length).toBeGreaterThanOrEqual(5);
  });

  it.each(expectedFiles)('%s', async (f) => {
    const exp = JSON.parse(readFileSync(join(fixtures, f), 'utf8'));
    const run = await runCataloger(apkCataloger, join(fixtures, exp.fixtureRoot));
    const pkgs = run.packages;
    for (const p of pkgs) {
      expect(p.foundBy).toBe('pkgdb/apk');
      expect(p.type).toBe('apk');
      expect(p.purl).toMatch(/^pkg:apk\/alpine\//);
    }
    if (exp.packages) {
      // trivy TestParseApkInfo: DB order. The fixture's "P:invalidPackageWithoutAVersion" record is
      // dropped by trivy silently; we drop it too and report it.
      expect(pkgs.map(toTrivy)).toEqual(exp.packages);
      expect(pkgs.flatMap((p) => toTrivy(p).installedFiles ?? [])).toEqual(exp.installedFiles);
      expect(run.errors.map((e) => e.error.code)).toEqual(['corrupt']);
      return;
    }
    expect(run.errors).toEqual([]);
    expect(pkgs).toHaveLength(1);
    const p = pkgs[0]!;
    if (exp.cases) {
      for (const c of exp.cases) expect(syftFiles((p.metadata as Json).files)).toEqual(c.expected.files);
      return;
    }
    const e = exp.expected;
    expect(p.name).toBe(e.name);
    expect(p.version).toBe(e.version);
    expect(p.licenses).toEqual(e.licenses);
    if (e.purl) expect(p.purl).toBe(e.purl);
    expect(toSyftMetadata(p)).toEqual(e.metadata);
  });
});
