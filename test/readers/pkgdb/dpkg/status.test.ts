import { describe, expect, it } from 'vitest';
import {
  formatDebVersion,
  parseConffilesField,
  parseCopyrightLicenses,
  parseDpkgStatus,
  parseInfoConffiles,
  parseInstalledSize,
  parseMd5sums,
  splitDebVersion,
  splitList,
} from '../../../../readers/pkgdb/dpkg/index.js';

const parse = (text: string, distroless = false) =>
  parseDpkgStatus(Buffer.from(text), { distroless, maxLineBytes: 1 << 20, maxPackages: 1000 });

describe('readers/pkgdb/dpkg/status.ts', () => {
  it.each([
    { status: 'install ok installed', kept: true },
    { status: 'hold ok installed', kept: true },
    { status: 'deinstall ok installed', kept: true },
    { status: 'install ok unpacked', kept: true },
    { status: 'install ok half-configured', kept: true },
    { status: 'install ok triggers-pending', kept: true },
    { status: 'install ok triggers-awaited', kept: true },
    { status: 'deinstall ok config-files', kept: false },
    { status: 'purge ok not-installed', kept: false },
    { status: 'install reinstreq half-installed', kept: false },
  ])('Status "$status" kept=$kept', ({ status, kept }) => {
    const r = parse(`Package: a\nStatus: ${status}\nVersion: 1\n`);
    expect(r.errors).toEqual([]);
    expect(r.entries.length).toBe(kept ? 1 : 0);
  });

  it.each([
    { name: 'status file: no Status → not a package, reported', distroless: false, want: 0, errors: 1 },
    { name: 'status.d file: no Status → installed', distroless: true, want: 1, errors: 0 },
  ])('$name', ({ distroless, want, errors }) => {
    const r = parse('Package: a\nVersion: 1\n', distroless);
    expect(r.entries).toHaveLength(want);
    expect(r.errors).toHaveLength(errors);
  });

  it.each([
    { name: 'empty Package', text: 'Package:\nStatus: install ok installed\n', field: 'Package' },
    { name: 'no Package', text: 'Status: install ok installed\n', field: 'Package' },
    { name: 'path in Package', text: 'Package: ../../etc\nStatus: install ok installed\n', field: 'Package' },
    { name: 'slash in Package', text: 'Package: a/b\nStatus: install ok installed\n', field: 'Package' },
    { name: 'Status not three words', text: 'Package: a\nStatus: installed\n', field: 'Status' },
    // Found by test/fuzz ('dpkg status'): both used to drop the package without a word.
    { name: 'no Status (a file cut after "Package:a")', text: 'Package:a\n', field: 'Status' },
    { name: 'unknown state word', text: 'Package: a\nStatus: install ok instaXled\n', field: 'Status' },
    {
      name: 'bad Installed-Size',
      text: 'Package: a\nStatus: install ok installed\nInstalled-Size: lots\n',
      field: 'Installed-Size',
    },
  ])('malformed: $name → reported, next stanza kept', ({ text, field }) => {
    const r = parse(`${text}\nPackage: ok\nStatus: install ok installed\nVersion: 1\n`);
    expect(r.entries.map((e) => e.package)).toEqual(['ok']);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ code: 'corrupt', field });
  });

  it('splits Source with and without a version, relation lists and conffiles', () => {
    const r = parse(
      [
        'Package: libgcc1',
        'Status: install ok installed',
        'Source: gcc-5 (5.1.1-12ubuntu1)',
        'Version: 1:5.1.1-12ubuntu1',
        'Depends: gcc-5-base (= 5.1.1-12ubuntu1),  libc6 (>= 2.14) ,',
        'Pre-Depends: multiarch-support',
        'Provides: libgcc-s1 (= 5)',
        'Conffiles:',
        ' /etc/a 0123456789abcdef0123456789abcdef',
        ' /etc/b newconffile obsolete',
        '',
        'Package: b',
        'Status: install ok installed',
        'Source: bsrc',
        '',
      ].join('\n'),
    );
    expect(r.errors).toEqual([]);
    expect(r.entries[0]).toMatchObject({
      source: 'gcc-5',
      sourceVersion: '5.1.1-12ubuntu1',
      depends: ['gcc-5-base (= 5.1.1-12ubuntu1)', 'libc6 (>= 2.14)'],
      preDepends: ['multiarch-support'],
      provides: ['libgcc-s1 (= 5)'],
      conffiles: [
        { path: '/etc/a', md5: '0123456789abcdef0123456789abcdef' },
        { path: '/etc/b', md5: 'newconffile', flags: ['obsolete'] },
      ],
    });
    expect(r.entries[1]).toMatchObject({ source: 'bsrc' });
    expect(r.entries[1]!.sourceVersion).toBeUndefined();
  });

  it('rejects a vcpkg status file as a whole', () => {
    const r = parse('Package: zlib\nVersion: 1.2\nAbi: 0066\nType: Port\nStatus: install ok installed\n');
    expect(r.entries).toEqual([]);
    expect(r.errors.map((e) => e.code)).toEqual(['bad-magic']);
  });
});

describe('readers/pkgdb/dpkg/version.ts splitDebVersion', () => {
  it.each([
    { v: '1.0', want: { upstream: '1.0' } },
    { v: '1.0-1', want: { upstream: '1.0', revision: '1' } },
    { v: '1:5.1.1-12ubuntu1', want: { epoch: 1, upstream: '5.1.1', revision: '12ubuntu1' } },
    {
      v: '5:20.10.7~3-0~debian-buster',
      want: { epoch: 5, upstream: '20.10.7~3-0~debian', revision: 'buster' },
    },
    { v: '2.31.1-0.4ubuntu3.1', want: { upstream: '2.31.1', revision: '0.4ubuntu3.1' } },
    { v: '1:2.3:4-5', want: { epoch: 1, upstream: '2.3:4', revision: '5' } },
    { v: '0:1', want: { epoch: 0, upstream: '1' } },
    // An epoch and a one-digit upstream: valid (`dpkg --compare-versions 2:3 gt 1:9` holds).
    { v: '2:3', want: { epoch: 2, upstream: '3' } },
  ])('$v', ({ v, want }) => {
    const got = splitDebVersion(v);
    expect(got).toEqual(want);
    expect(formatDebVersion(got!)).toBe(v);
  });

  it.each(['', ' ', '1.0-', '-1', 'a b', '1:'])('rejects %j', (v) => {
    expect(splitDebVersion(v)).toBeUndefined();
  });
});

describe('readers/pkgdb/dpkg value helpers', () => {
  it.each([
    { v: '1016', want: 1016 },
    { v: '4KB', want: 4000 },
    { v: '4KiB', want: 4096 },
    { v: '2 MB', want: 2_000_000 },
    { v: '12B', want: 12 },
    { v: 'x', want: undefined },
    { v: '-1', want: undefined },
    { v: `${'9'.repeat(30)}TB`, want: undefined },
  ])('parseInstalledSize($v)', ({ v, want }) => {
    expect(parseInstalledSize(v)).toBe(want);
  });

  it('splitList drops empties and folds whitespace', () => {
    expect(splitList(' a,\n b | c ,, ')).toEqual(['a', 'b | c']);
    expect(splitList(undefined)).toEqual([]);
  });

  it('parseConffilesField skips lines without a path and hash', () => {
    expect(parseConffilesField('\n /etc/x abc remove-on-upgrade\n junk\n')).toEqual([
      { path: '/etc/x', md5: 'abc', flags: ['remove-on-upgrade'] },
    ]);
  });

  it('parseMd5sums adds the leading slash and skips junk', () => {
    expect(
      parseMd5sums(
        '55f905631797551d4d936a34c7e73474  lib/x.so\nnot a line\nABCDEF0123456789ABCDEF0123456789 /abs\n',
      ),
    ).toEqual([
      { path: '/lib/x.so', md5: '55f905631797551d4d936a34c7e73474' },
      { path: '/abs', md5: 'abcdef0123456789abcdef0123456789' },
    ]);
  });

  it('parseInfoConffiles reads paths and the remove-on-upgrade prefix', () => {
    expect(parseInfoConffiles('/etc/a\nremove-on-upgrade /etc/b\n\nrel\n')).toEqual(['/etc/a', '/etc/b']);
  });

  it('parseCopyrightLicenses: DEP-5 License lines and common-licenses references', () => {
    const text = [
      'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/',
      'License: GPL-2+',
      'License: BSD-3-clause',
      ' On Debian systems, see /usr/share/common-licenses/GPL-2.',
      'License: GPL-2+',
      "see `/usr/share/common-licenses/LGPL-2.1'.",
    ].join('\n');
    expect(parseCopyrightLicenses(text)).toEqual(['BSD-3-clause', 'GPL-2', 'GPL-2+', 'LGPL-2.1']);
  });
});
