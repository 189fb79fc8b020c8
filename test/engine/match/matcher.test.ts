import { describe, expect, it } from 'vitest';
import { evaluateRange, installedVersion, match, matchDetailed } from '../../../engine/match/matcher.js';
import { versionings } from '../../../engine/versioning/api.js';
import { ALMA_9, adv, DEBIAN_12, db, pkg, range, semverRange, UBUNTU_2204 } from './fixtures.js';

const deb = versionings.get('deb')!.comparator;

describe('engine/match/matcher', () => {
  describe('OSV range evaluation (Debian:12, one advisory per case)', () => {
    it.each([
      {
        name: 'equal to fixed → not affected',
        v: '1.2-3',
        events: [{ introduced: '0' }, { fixed: '1.2-3' }],
        want: null,
      },
      {
        name: 'just below fixed → affected',
        v: '1.2-2',
        events: [{ introduced: '0' }, { fixed: '1.2-3' }],
        want: '1.2-3',
      },
      {
        name: 'equal to introduced → affected',
        v: '1.0-1',
        events: [{ introduced: '1.0-1' }, { fixed: '2.0-1' }],
        want: '2.0-1',
      },
      {
        name: 'below introduced → not affected',
        v: '0.9-1',
        events: [{ introduced: '1.0-1' }, { fixed: '2.0-1' }],
        want: null,
      },
      {
        name: 'epoch: 1:1.0 > 2.0',
        v: '1:1.0-1',
        events: [{ introduced: '0' }, { fixed: '2.0-1' }],
        want: null,
      },
      {
        name: 'epoch: 1.0 < 1:0.5',
        v: '1.0-1',
        events: [{ introduced: '0' }, { fixed: '1:0.5-1' }],
        want: '1:0.5-1',
      },
      {
        name: '~ pre-release below release',
        v: '1.0~rc1-1',
        events: [{ introduced: '0' }, { fixed: '1.0-1' }],
        want: '1.0-1',
      },
      {
        name: '~ backport below fixed',
        v: '1.0-1~deb12u1',
        events: [{ introduced: '0' }, { fixed: '1.0-1' }],
        want: '1.0-1',
      },
      {
        name: 'last_affected is inclusive',
        v: '1.5-1',
        events: [{ introduced: '0' }, { last_affected: '1.5-1' }],
        want: undefined,
      },
      {
        name: 'above last_affected → not',
        v: '1.5-2',
        events: [{ introduced: '0' }, { last_affected: '1.5-1' }],
        want: null,
      },
      {
        name: 'limit excludes >= limit',
        v: '2.0-1',
        events: [{ introduced: '0' }, { limit: '2.0-1' }],
        want: null,
      },
      {
        name: 'below limit → affected',
        v: '1.9-1',
        events: [{ introduced: '0' }, { limit: '2.0-1' }],
        want: undefined,
      },
      { name: 'unfixed → affected without fix', v: '9.9-9', events: [{ introduced: '0' }], want: undefined },
      {
        name: 'events out of order are sorted',
        v: '1.5-1',
        events: [{ fixed: '2.0-1' }, { introduced: '1.0-1' }],
        want: '2.0-1',
      },
      {
        name: 'reintroduced after a fix',
        v: '3.1-1',
        events: [{ introduced: '0' }, { fixed: '2.0-1' }, { introduced: '3.0-1' }, { fixed: '3.2-1' }],
        want: '3.2-1',
      },
      {
        name: 'between fix and reintroduction → not',
        v: '2.5-1',
        events: [{ introduced: '0' }, { fixed: '2.0-1' }, { introduced: '3.0-1' }, { fixed: '3.2-1' }],
        want: null,
      },
      {
        name: 'introduced == fixed is empty',
        v: '1.0-1',
        events: [{ introduced: '1.0-1' }, { fixed: '1.0-1' }],
        want: null,
      },
    ])('$name', ({ v, events, want }) => {
      const lookup = db(
        adv(
          'DSA-1-1',
          ['CVE-2024-0001'],
          [{ ecosystem: 'Debian:12', name: 'foo', ranges: [range(...events)] }],
        ),
      );
      const out = match([pkg('deb', 'foo', v)], DEBIAN_12, lookup);
      if (want === null) {
        expect(out).toEqual([]);
      } else {
        expect(out).toHaveLength(1);
        expect(out[0]!.status).toBe('affected');
        expect(out[0]!.vulnerabilityId).toBe('CVE-2024-0001');
        expect(out[0]!.fixedVersion).toBe(want);
        expect(out[0]!.reason).toContain('DSA-1-1');
      }
    });

    it('evaluateRange rejects an unparsable event version with invalid-version', () => {
      expect(() =>
        evaluateRange(range({ introduced: '0' }, { fixed: 'not a version' }), '1.0-1', deb),
      ).toThrow(expect.objectContaining({ code: 'invalid-version' }));
    });
  });

  it('multiple ranges: the lowest fix above the installed version', () => {
    const lookup = db(
      adv(
        'GHSA-aaaa',
        ['CVE-2024-1'],
        [
          {
            ecosystem: 'npm',
            name: 'lib',
            ranges: [
              semverRange({ introduced: '0' }, { fixed: '1.2.5' }),
              semverRange({ introduced: '1.3.0' }, { fixed: '1.3.2' }),
            ],
          },
        ],
      ),
    );
    expect(match([pkg('npm', 'lib', '1.3.0')], undefined, lookup)[0]?.fixedVersion).toBe('1.3.2');
    expect(match([pkg('npm', 'lib', '1.2.0')], undefined, lookup)[0]?.fixedVersion).toBe('1.2.5');
    expect(match([pkg('npm', 'lib', '1.2.7')], undefined, lookup)).toEqual([]);
  });

  it('explicit versions list', () => {
    const lookup = db(
      adv(
        'PYSEC-1',
        ['CVE-2024-2'],
        [{ ecosystem: 'PyPI', name: 'Django', ranges: [], versions: ['3.2.1', '3.2.2'] }],
      ),
    );
    expect(match([pkg('pypi', 'django', '3.2.2')], undefined, lookup)).toHaveLength(1);
    expect(match([pkg('pypi', 'django', '3.2.3')], undefined, lookup)).toHaveLength(0);
  });

  it('withdrawn advisories never match', () => {
    const lookup = db(
      adv(
        'GHSA-w',
        ['CVE-2024-3'],
        [{ ecosystem: 'npm', name: 'x', ranges: [semverRange({ introduced: '0' })] }],
        {
          withdrawn: '2024-01-01T00:00:00Z',
        },
      ),
    );
    expect(match([pkg('npm', 'x', '1.0.0')], undefined, lookup)).toEqual([]);
  });

  it('merges aliases across OSV and the Debian tracker into one match per CVE', () => {
    const lookup = db(
      adv(
        'DSA-5000-1',
        ['CVE-2024-10', 'CVE-2024-11'],
        [
          {
            ecosystem: 'Debian:12',
            name: 'glibc',
            ranges: [range({ introduced: '0' }, { fixed: '2.36-9+deb12u4' })],
          },
        ],
      ),
      adv(
        'DEBIAN-CVE-2024-10',
        ['CVE-2024-10'],
        [
          {
            ecosystem: 'Debian:12',
            name: 'glibc',
            nameIsSource: true,
            ranges: [range({ introduced: '0' }, { fixed: '2.36-9+deb12u4' })],
          },
        ],
        { source: 'debian-tracker' },
      ),
      adv(
        'DEBIAN-CVE-2024-12',
        ['CVE-2024-12'],
        [{ ecosystem: 'Debian:12', name: 'glibc', nameIsSource: true, ranges: [range({ introduced: '0' })] }],
        { source: 'debian-tracker' },
      ),
    );
    const libc6 = pkg('deb', 'libc6', '2.36-9+deb12u3', {
      sourceName: 'glibc',
      sourceVersion: '2.36-9+deb12u3',
    });
    const out = match([libc6], DEBIAN_12, lookup);
    expect(out.map((m) => [m.vulnerabilityId, m.advisoryIds, m.fixedVersion])).toEqual([
      ['CVE-2024-10', ['DEBIAN-CVE-2024-10', 'DSA-5000-1'], '2.36-9+deb12u4'],
      ['CVE-2024-11', ['DSA-5000-1'], '2.36-9+deb12u4'],
      ['CVE-2024-12', ['DEBIAN-CVE-2024-12'], undefined],
    ]);
    expect(out.every((m) => m.status === 'affected' && m.package === libc6)).toBe(true);
  });

  it('merges advisories without a CVE through their aliases (GHSA ↔ PYSEC)', () => {
    const lookup = db(
      adv(
        'PYSEC-2024-9',
        ['GHSA-zzzz'],
        [{ ecosystem: 'PyPI', name: 'pkg', ranges: [range({ introduced: '0' }, { fixed: '2.0' })] }],
      ),
      adv(
        'GHSA-zzzz',
        [],
        [{ ecosystem: 'PyPI', name: 'pkg', ranges: [range({ introduced: '0' }, { fixed: '2.0' })] }],
      ),
    );
    const out = match([pkg('pypi', 'pkg', '1.0')], undefined, lookup);
    expect(out.map((m) => [m.vulnerabilityId, m.advisoryIds])).toEqual([
      ['GHSA-zzzz', ['GHSA-zzzz', 'PYSEC-2024-9']],
    ]);
  });

  it('uses the source version for source-keyed entries, the binary version otherwise', () => {
    // binNMU: binary 2.36-9+deb12u4+b1 of source 2.36-9+deb12u4, which is the fixed version.
    const lookup = db(
      adv(
        'DEBIAN-CVE-2024-20',
        ['CVE-2024-20'],
        [
          {
            ecosystem: 'Debian:12',
            name: 'glibc',
            nameIsSource: true,
            ranges: [range({ introduced: '0' }, { fixed: '2.36-9+deb12u4' })],
          },
        ],
      ),
    );
    const binNmu = pkg('deb', 'libc6', '2.36-9+deb12u4+b1', {
      sourceName: 'glibc',
      sourceVersion: '2.36-9+deb12u4',
    });
    expect(match([binNmu], DEBIAN_12, lookup)).toEqual([]);
    const older = pkg('deb', 'libc6', '2.36-9+deb12u3+b1', {
      sourceName: 'glibc',
      sourceVersion: '2.36-9+deb12u3',
    });
    expect(match([older], DEBIAN_12, lookup)[0]?.reason).toContain('2.36-9+deb12u3 >= introduced 0');
    // no sourceName: the binary name is the source name, its version is used
    expect(match([pkg('deb', 'glibc', '2.36-9')], DEBIAN_12, lookup)).toHaveLength(1);
  });

  it('distro packages are matched only against their own release', () => {
    const lookup = db(
      adv(
        'DSA-1',
        ['CVE-2024-30'],
        [{ ecosystem: 'Debian:11', name: 'foo', ranges: [range({ introduced: '0' })] }],
      ),
      adv(
        'GHSA-1',
        ['CVE-2024-31'],
        [{ ecosystem: 'npm', name: 'foo', ranges: [semverRange({ introduced: '0' })] }],
      ),
      adv(
        'UBUNTU-1',
        ['CVE-2024-32'],
        [{ ecosystem: 'Ubuntu:22.04:LTS', name: 'foo', ranges: [range({ introduced: '0' })] }],
      ),
    );
    expect(match([pkg('deb', 'foo', '1.0-1')], DEBIAN_12, lookup)).toEqual([]);
    const r = matchDetailed([pkg('deb', 'foo', '1.0-1')], undefined, lookup);
    expect(r.matches).toEqual([]);
    expect(r.skipped[0]?.reason).toMatch(/no OS identified/);
  });

  it('Ubuntu LTS and Pro advisories merge; the ESM fix is reported', () => {
    const lookup = db(
      adv(
        'UBUNTU-CVE-2024-40',
        ['CVE-2024-40'],
        [
          { ecosystem: 'Ubuntu:22.04:LTS', name: 'wayland', ranges: [range({ introduced: '0' })] },
          {
            ecosystem: 'Ubuntu:Pro:22.04:LTS',
            name: 'wayland',
            ranges: [range({ introduced: '0' }, { fixed: '1.20.0-1ubuntu0.1+esm1' })],
          },
        ],
      ),
    );
    const out = match(
      [pkg('deb', 'libwayland-client0', '1.20.0-1ubuntu0.1', { sourceName: 'wayland' })],
      UBUNTU_2204,
      lookup,
    );
    expect(out).toHaveLength(1);
    expect(out[0]!.fixedVersion).toBe('1.20.0-1ubuntu0.1+esm1');
    expect(out[0]!.affected).toHaveLength(2);
  });

  it.each([
    { name: 'missing epoch = 0 is below epoch 1', p: pkg('rpm', 'openssl-libs', '3.0.7-27.el9'), want: 1 },
    {
      name: 'epoch field 1 reaches the fix',
      p: pkg('rpm', 'openssl-libs', '3.0.7-27.el9', { epoch: 1 }),
      want: 0,
    },
    { name: 'epoch written in the version', p: pkg('rpm', 'openssl-libs', '1:3.0.7-25.el9_3'), want: 1 },
    {
      name: 'upstream + release fields',
      p: pkg('rpm', 'openssl-libs', 'x', { epoch: 1, upstreamVersion: '3.0.7', release: '28.el9' }),
      want: 0,
    },
  ])('rpm: $name', ({ p, want }) => {
    const lookup = db(
      adv(
        'ALSA-2024:1',
        ['CVE-2024-50'],
        [
          {
            ecosystem: 'AlmaLinux:9',
            name: 'openssl-libs',
            ranges: [range({ introduced: '0' }, { fixed: '1:3.0.7-27.el9' })],
          },
        ],
      ),
    );
    expect(match([p], ALMA_9, lookup)).toHaveLength(want);
  });

  it('rpm advisories keyed by binary name are not matched through the source rpm name', () => {
    const lookup = db(
      adv(
        'ALSA-2024:2',
        ['CVE-2024-51'],
        [{ ecosystem: 'AlmaLinux:9', name: 'openssl', ranges: [range({ introduced: '0' })] }],
      ),
    );
    expect(
      match([pkg('rpm', 'openssl-libs', '1:3.0.7-27.el9', { sourceName: 'openssl' })], ALMA_9, lookup),
    ).toEqual([]);
    expect(
      match([pkg('rpm', 'openssl', '1:3.0.7-27.el9', { sourceName: 'openssl' })], ALMA_9, lookup),
    ).toHaveLength(1);
  });

  describe('unknown outcomes are reported, never dropped', () => {
    it('unparsable installed version', () => {
      const lookup = db(
        adv(
          'DSA-2',
          ['CVE-2024-60'],
          [{ ecosystem: 'Debian:12', name: 'foo', ranges: [range({ introduced: '0' }, { fixed: '1.0-1' })] }],
        ),
      );
      const out = match([pkg('deb', 'foo', 'garbage!')], DEBIAN_12, lookup);
      expect(out).toHaveLength(1);
      expect(out[0]!.status).toBe('unknown');
      expect(out[0]!.reason).toContain('invalid-version');
      expect(out[0]!.fixedVersion).toBeUndefined();
    });
    it('unparsable advisory version', () => {
      const lookup = db(
        adv(
          'DSA-3',
          ['CVE-2024-61'],
          [{ ecosystem: 'Debian:12', name: 'foo', ranges: [range({ introduced: '0' }, { fixed: 'v?!' })] }],
        ),
      );
      const out = match([pkg('deb', 'foo', '1.0-1')], DEBIAN_12, lookup);
      expect(out.map((m) => m.status)).toEqual(['unknown']);
    });
    it.each([
      {
        installed: 'v5.4.1',
        status: 'affected',
        fixed: '5.4.20',
        reason: /v5\.4\.1 >= introduced 0 and < fixed 5\.4\.20/,
      },
      { installed: '5.4.20', status: undefined, fixed: undefined, reason: undefined },
      {
        installed: 'dev-main',
        status: 'unknown',
        fixed: undefined,
        reason: /installed version: invalid-version: .*branch "dev-main"/,
      },
    ])(
      'Packagist with the composer comparator: $installed → $status',
      ({ installed, status, fixed, reason }) => {
        const lookup = db(
          adv(
            'GHSA-pppp',
            ['CVE-2024-62'],
            [
              {
                ecosystem: 'Packagist',
                name: 'symfony/http-kernel',
                ranges: [range({ introduced: '0' }, { fixed: '5.4.20' })],
              },
            ],
          ),
        );
        // A generic package whose purl names composer takes the composer type.
        const p = pkg('generic', 'symfony/http-kernel', installed, {
          purl: `pkg:composer/symfony/http-kernel@${installed}`,
        });
        const out = match([p], undefined, lookup);
        expect(out.map((m) => m.status)).toEqual(status ? [status] : []);
        if (status) {
          expect(out[0]!.fixedVersion).toBe(fixed);
          expect(out[0]!.reason).toMatch(reason!);
        }
      },
    );
    it('a GIT-only entry cannot be evaluated', () => {
      const lookup = db(
        adv(
          'OSV-1',
          ['CVE-2024-63'],
          [{ ecosystem: 'npm', name: 'g', ranges: [{ type: 'GIT', events: [{ introduced: 'abc' }] }] }],
        ),
      );
      expect(match([pkg('npm', 'g', '1.0.0')], undefined, lookup).map((m) => m.status)).toEqual(['unknown']);
    });
    it('affected in one advisory beats unknown in another for the same CVE', () => {
      const lookup = db(
        adv(
          'A-1',
          ['CVE-2024-64'],
          [{ ecosystem: 'npm', name: 'h', ranges: [semverRange({ introduced: '0' }, { fixed: 'bad' })] }],
        ),
        adv(
          'A-2',
          ['CVE-2024-64'],
          [{ ecosystem: 'npm', name: 'h', ranges: [semverRange({ introduced: '0' }, { fixed: '2.0.0' })] }],
        ),
      );
      const out = match([pkg('npm', 'h', '1.0.0')], undefined, lookup);
      expect(out.map((m) => [m.status, m.advisoryIds, m.fixedVersion])).toEqual([
        ['affected', ['A-1', 'A-2'], '2.0.0'],
      ]);
    });
  });

  it.each([
    {
      name: 'Go module with v prefix vs SEMVER without',
      p: pkg('golang', 'golang.org/x/net', 'v0.16.0'),
      fixed: '0.17.0',
      n: 1,
    },
    {
      name: 'Go pseudo-version',
      p: pkg('golang', 'golang.org/x/net', 'v0.0.0-20220722155237-a158d28d115b'),
      fixed: '0.17.0',
      n: 1,
    },
    {
      name: 'Go +incompatible equal to fix',
      p: pkg('golang', 'golang.org/x/net', 'v0.17.0+incompatible'),
      fixed: '0.17.0',
      n: 0,
    },
    { name: 'Go stdlib toolchain form', p: pkg('golang', 'stdlib', 'go1.21.3'), fixed: '1.21.4', n: 1 },
  ])('$name', ({ p, fixed, n }) => {
    const lookup = db(
      adv(
        'GO-2023-1',
        ['CVE-2023-70'],
        [{ ecosystem: 'Go', name: p.name, ranges: [semverRange({ introduced: '0' }, { fixed })] }],
      ),
    );
    expect(match([p], undefined, lookup)).toHaveLength(n);
  });

  it('Maven names come from the purl (groupId:artifactId)', () => {
    const lookup = db(
      adv(
        'GHSA-m',
        ['CVE-2021-44228'],
        [
          {
            ecosystem: 'Maven',
            name: 'org.apache.logging.log4j:log4j-core',
            ranges: [range({ introduced: '2.0-beta9' }, { fixed: '2.15.0' })],
          },
        ],
      ),
    );
    const p = pkg('maven', 'log4j-core', '2.14.1', {
      purl: 'pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1',
    });
    expect(match([p], undefined, lookup).map((m) => m.fixedVersion)).toEqual(['2.15.0']);
  });

  it('output is deterministic: package order, then vulnerability id', () => {
    const lookup = db(
      adv(
        'G-2',
        ['CVE-2024-90'],
        [{ ecosystem: 'npm', name: 'b', ranges: [semverRange({ introduced: '0' })] }],
      ),
      adv(
        'G-1',
        ['CVE-2024-80'],
        [{ ecosystem: 'npm', name: 'b', ranges: [semverRange({ introduced: '0' })] }],
      ),
      adv(
        'G-3',
        ['CVE-2024-85'],
        [{ ecosystem: 'npm', name: 'a', ranges: [semverRange({ introduced: '0' })] }],
      ),
    );
    const out = match([pkg('npm', 'b', '1.0.0'), pkg('npm', 'a', '1.0.0')], undefined, lookup);
    expect(out.map((m) => `${m.package.name}:${m.vulnerabilityId}`)).toEqual([
      'b:CVE-2024-80',
      'b:CVE-2024-90',
      'a:CVE-2024-85',
    ]);
  });

  it.each([
    { p: pkg('rpm', 'a', '1.0-1'), want: '0:1.0-1' },
    { p: pkg('rpm', 'a', '2:1.0-1'), want: '2:1.0-1' },
    { p: pkg('rpm', 'a', '1.0-1', { epoch: 3 }), want: '3:1.0-1' },
    { p: pkg('rpm', 'a', '3:1.0-1', { epoch: 3 }), want: '3:1.0-1' },
    { p: pkg('rpm', 'a', '3:1.0-1', { epoch: 3, upstreamVersion: '1.0', release: '1' }), want: '3:1.0-1' },
  ])('installedVersion rpm $p.version → $want', ({ p, want }) => {
    expect(installedVersion(p, false)).toBe(want);
  });
});

describe('engine/match/matcher vulnerability ids', () => {
  it('takes the CVE from per-CVE record ids (UBUNTU-CVE-…) and merges with CVE-aliased records', () => {
    const lookup = db(
      adv(
        'UBUNTU-CVE-2024-70',
        [],
        [{ ecosystem: 'Ubuntu:22.04:LTS', name: 'foo', ranges: [range({ introduced: '0' })] }],
      ),
      adv(
        'USN-7000-1',
        ['CVE-2024-70'],
        [
          {
            ecosystem: 'Ubuntu:22.04:LTS',
            name: 'foo',
            ranges: [range({ introduced: '0' }, { fixed: '1.0-2' })],
          },
        ],
      ),
    );
    const out = match([pkg('deb', 'foo', '1.0-1')], UBUNTU_2204, lookup);
    expect(out.map((m) => [m.vulnerabilityId, m.advisoryIds, m.fixedVersion])).toEqual([
      ['CVE-2024-70', ['UBUNTU-CVE-2024-70', 'USN-7000-1'], '1.0-2'],
    ]);
  });
});
