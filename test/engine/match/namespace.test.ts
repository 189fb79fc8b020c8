import { describe, expect, it } from 'vitest';
import { chunkPackages } from '../../../engine/match/chunk.js';
import {
  AMAZON_LINUX_ECOSYSTEM_PREFIX,
  languageEcosystem,
  lookupKeys,
  osEcosystems,
} from '../../../engine/match/namespace.js';
import type { OsInfo } from '../../../engine/model/os.js';
import { comparatorFor } from '../../../engine/versioning/api.js';
import { amazonEcosystem } from '../../../engine/vulndb/ingest/alas.js';
import { pkg } from './fixtures.js';

function os(family: string, versionId: string | undefined, extra: Partial<OsInfo> = {}): OsInfo {
  return {
    family,
    id: family,
    name: versionId ?? '',
    ...(versionId ? { versionId } : {}),
    source: 't',
    ...extra,
  };
}

describe('engine/match/namespace', () => {
  it.each([
    { os: os('debian', '12', { name: '12.5' }), want: ['Debian:12'] },
    { os: os('debian', undefined, { name: 'trixie/sid', codename: 'trixie' }), want: ['Debian:13'] },
    { os: os('debian', undefined, { name: 'sid' }), want: [] },
    { os: os('ubuntu', '22.04'), want: ['Ubuntu:22.04:LTS', 'Ubuntu:Pro:22.04:LTS'] },
    { os: os('ubuntu', '16.04'), want: ['Ubuntu:16.04:LTS', 'Ubuntu:Pro:16.04:LTS'] },
    { os: os('ubuntu', '25.10'), want: ['Ubuntu:25.10'] },
    { os: os('alpine', '3.19.1'), want: ['Alpine:v3.19'] },
    { os: os('alma', '9.4'), want: ['AlmaLinux:9'] },
    { os: os('rocky', '8.9'), want: ['Rocky Linux:8'] },
    {
      os: os('redhat', '9.4'),
      want: [
        'Red Hat:enterprise_linux:9::baseos',
        'Red Hat:enterprise_linux:9::appstream',
        'Red Hat:enterprise_linux:9::crb',
      ],
    },
    {
      os: os('sles', '15.5'),
      want: [
        'SUSE:Linux Enterprise Server 15 SP5',
        'SUSE:Linux Enterprise Module for Basesystem 15 SP5',
        'SUSE:Linux Enterprise Module for Server Applications 15 SP5',
      ],
    },
    { os: os('opensuse-leap', '15.5'), want: ['openSUSE:Leap 15.5'] },
    { os: os('opensuse-tumbleweed', '20240101'), want: ['openSUSE:Tumbleweed'] },
    { os: os('amazon', '2'), want: ['Amazon Linux:2'] },
    { os: os('amazon', '2023'), want: ['Amazon Linux:2023'] },
    { os: os('amazon', '2018.03'), want: ['Amazon Linux:1'] },
    { os: os('centos', '7'), want: [] },
    { os: undefined, want: [] },
  ])('$os.family $os.versionId → $want', ({ os: info, want }) => {
    expect(osEcosystems(info)).toEqual(want);
    // every namespace we emit has a comparator
    for (const e of want) expect(() => comparatorFor(e)).not.toThrow();
  });

  it('agrees with the ALAS ingest on the Amazon Linux ecosystem strings', () => {
    for (const r of ['1', '2', '2022', '2023'] as const) {
      expect(`${AMAZON_LINUX_ECOSYSTEM_PREFIX}:${r}`).toBe(amazonEcosystem(r));
    }
  });

  it.each([
    { p: pkg('npm', 'lodash', '4.17.20'), want: 'npm' },
    { p: pkg('pypi', 'Django', '3.2'), want: 'PyPI' },
    { p: pkg('maven', 'x', '1'), want: 'Maven' },
    { p: pkg('golang', 'x', 'v1.0.0'), want: 'Go' },
    { p: pkg('gem', 'rails', '7.0.0'), want: 'RubyGems' },
    { p: pkg('cargo', 'serde', '1.0.0'), want: 'crates.io' },
    { p: pkg('nuget', 'Newtonsoft.Json', '13.0.1'), want: 'NuGet' },
    { p: pkg('generic', 'a/b', '1.0', { purl: 'pkg:composer/a/b@1.0' }), want: 'Packagist' },
    { p: pkg('generic', 'x', '1.0', { purl: 'pkg:generic/x@1.0' }), want: undefined },
  ])('$p.type $p.purl → $want', ({ p, want }) => {
    expect(languageEcosystem(p)).toBe(want);
  });

  it('looks up a binary deb package by its source name and, when different, its own name', () => {
    const keys = lookupKeys(pkg('deb', 'libc6', '2.36-9', { sourceName: 'glibc' }), {
      family: 'debian',
      id: 'debian',
      name: '12',
      versionId: '12',
      source: 't',
    });
    expect(keys).toEqual([
      { ecosystem: 'Debian:12', name: 'glibc', isSource: true, isBinary: false },
      { ecosystem: 'Debian:12', name: 'libc6', isSource: false, isBinary: true },
    ]);
  });

  it('takes npm scoped names and Go module paths from the purl', () => {
    expect(
      lookupKeys(pkg('npm', 'core', '1.0.0', { purl: 'pkg:npm/%40babel/core@1.0.0' }), undefined)[0]?.name,
    ).toBe('@babel/core');
    expect(
      lookupKeys(pkg('golang', 'net', 'v0.1.0', { purl: 'pkg:golang/golang.org/x/net@v0.1.0' }), undefined)[0]
        ?.name,
    ).toBe('golang.org/x/net');
  });
});

describe('engine/match/chunk', () => {
  const many = Array.from({ length: 2000 }, (_, i) => pkg('npm', `p${i}`, '1.0.0'));
  it.each([
    { n: 2000, workers: 2, chunks: 4 },
    { n: 2000, workers: 1, chunks: 2 },
    { n: 30, workers: 4, chunks: 1 },
    { n: 0, workers: 2, chunks: 0 },
  ])('$n packages on $workers workers → $chunks slices, order kept', ({ n, workers, chunks }) => {
    const out = chunkPackages(many.slice(0, n), { workers });
    expect(out).toHaveLength(chunks);
    expect(out.flat()).toEqual(many.slice(0, n));
  });
  it.each([
    { workers: 0 },
    { workers: 1.5 },
    { workers: 2, minChunk: 0 },
    { workers: 2, minChunk: 10, maxChunk: 5 },
  ])('rejects %j', (opts) => {
    expect(() => chunkPackages(many, opts)).toThrow(RangeError);
  });
});
