import { describe, expect, it } from 'vitest';
import type { OsInfo } from '../../../engine/model/os.js';
import { PACKAGE_TYPES } from '../../../readers/catalogers.js';
import { distroQualifier, purlNamespace } from '../../../readers/pkgdb/purl.js';

const os = (o: Partial<OsInfo>): OsInfo => ({
  family: 'x',
  id: 'x',
  name: '',
  source: '/etc/os-release',
  ...o,
});

describe('readers/pkgdb/purl.ts', () => {
  it.each([
    { o: os({ id: 'debian', name: '12.5', versionId: '12' }), want: 'debian-12' },
    { o: os({ id: 'alpine', name: '3.19.1', versionId: '3.19.1' }), want: 'alpine-3.19.1' },
    { o: os({ id: 'amzn', name: '2 (Karoo)', versionId: '2' }), want: 'amzn-2' },
    { o: os({ id: 'debian', name: 'trixie/sid' }), want: 'debian-trixie/sid' },
    { o: os({ id: 'debian', name: '' }), want: 'debian' },
    { o: undefined, want: undefined },
  ])('distroQualifier → $want', ({ o, want }) => {
    expect(distroQualifier(o)).toBe(want);
  });

  it('purlNamespace uses the os-release ID, else the fallback', () => {
    expect(purlNamespace(os({ id: 'Ubuntu' }), 'debian')).toBe('ubuntu');
    expect(purlNamespace(undefined, 'debian')).toBe('debian');
  });

  it.each([
    {
      args: { type: 'deb' as const, namespace: 'debian', name: 'libpam-runtime', version: '1.1.8-3.6' },
      q: { upstream: 'pam', distro: 'debian-12', arch: 'all' },
      want: 'pkg:deb/debian/libpam-runtime@1.1.8-3.6?arch=all&distro=debian-12&upstream=pam',
    },
    {
      args: { type: 'deb' as const, namespace: 'debian', name: 'libgcc1', version: '1:5.1.1-12ubuntu1' },
      q: { arch: 'amd64', upstream: 'gcc-5@5.1.1-12ubuntu1', distro: undefined },
      want: 'pkg:deb/debian/libgcc1@1:5.1.1-12ubuntu1?arch=amd64&upstream=gcc-5%405.1.1-12ubuntu1',
    },
    {
      args: {
        type: 'apk' as const,
        namespace: 'alpine',
        name: 'libstdc++',
        version: '13.2.1_git20231014-r0',
      },
      q: { arch: 'x86_64' },
      want: 'pkg:apk/alpine/libstdc%2B%2B@13.2.1_git20231014-r0?arch=x86_64',
    },
    {
      args: { type: 'deb' as const, namespace: 'debian', name: 'no-version', version: '' },
      q: { arch: '' },
      want: 'pkg:deb/debian/no-version',
    },
  ])('$want', ({ args, q, want }) => {
    const { type, ...parts } = args;
    expect(PACKAGE_TYPES.get(type)!.purl({ ...parts, qualifiers: q })).toBe(want);
  });
});
