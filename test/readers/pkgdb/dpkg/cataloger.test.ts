import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../../../engine/limits.js';
import { runOsCatalogers } from '../../../../readers/dispatch.js';
import {
  createDpkgCataloger,
  type DpkgFileRecord,
  dpkgCataloger,
} from '../../../../readers/pkgdb/dpkg/index.js';
import { dirFileSystem } from '../../../helpers/dir-fs.js';
import { tempTrees } from '../../../helpers/temp-tree.js';
import { runCataloger } from './helpers.js';

const tree = tempTrees('dpkg-cat-');

const LIBC = [
  'Package: libc6',
  'Status: install ok installed',
  'Architecture: amd64',
  'Multi-Arch: same',
  'Source: glibc',
  'Version: 2.36-9+deb12u4',
  'Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>',
  'Conffiles:',
  ' /etc/ld.so.conf.d/x86_64-linux-gnu.conf d4e7a7b88a71b5ffd9e2644e71a0cfab',
  '',
  'Package: bash',
  'Status: install ok installed',
  'Architecture: amd64',
  'Version: 5.2.15-2+b2',
  'Depends: base-files (>= 2.1.12), debianutils (>= 5.6-0.1), libc6:any (>= 2.36)',
  '',
].join('\n');

describe('readers/pkgdb/dpkg/index.ts dpkgCataloger', () => {
  it('exports the cataloger contract', () => {
    expect(dpkgCataloger).toMatchObject({ id: 'pkgdb/dpkg', kind: 'os', version: 1 });
    expect(dpkgCataloger.paths).toEqual(['/var/lib/dpkg/status', '/var/lib/dpkg/status.d/*']);
    expect(dpkgCataloger.specUrls.length).toBeGreaterThan(0);
  });

  it.each([
    { path: '/var/lib/dpkg/status', want: true },
    { path: '/var/lib/dpkg/status.d/libc6', want: true },
    { path: '/var/lib/dpkg/status.d/libapt-pkg5.0', want: true },
    { path: '/var/lib/dpkg/status.d/libc6.md5sums', want: false },
    { path: '/var/lib/dpkg/status-old', want: false },
    { path: '/var/lib/dpkg/status.d/sub/x', want: false },
  ])('wants($path) = $want', ({ path, want }) => {
    expect(dpkgCataloger.wants?.(path, { type: 'file', size: 1 })).toBe(want);
  });

  it('multi-arch info files, copyright, dependsOn through ":any", ubuntu namespace and distro', async () => {
    const root = tree({
      'etc/os-release': 'ID=ubuntu\nVERSION_ID="22.04"\n',
      'var/lib/dpkg/status': LIBC.replace('debian-glibc@lists.debian.org', 'ubuntu-devel@lists.ubuntu.com'),
      'var/lib/dpkg/info/libc6:amd64.md5sums':
        '0123456789abcdef0123456789abcdef  lib/x86_64-linux-gnu/libc.so.6\n',
      'var/lib/dpkg/info/libc6:amd64.conffiles': '/etc/ld.so.conf.d/x86_64-linux-gnu.conf\n',
      'var/lib/dpkg/info/bash.md5sums': 'fedcba9876543210fedcba9876543210  bin/bash\n',
      'usr/share/doc/bash/copyright': 'License: GPL-3+\n',
      'usr/share/doc/libc6/copyright': 'see /usr/share/common-licenses/LGPL-2.1.\n',
    });
    const run = await runCataloger(dpkgCataloger, root);
    expect(run.errors).toEqual([]);
    const [libc, bash] = run.packages;
    expect(libc).toMatchObject({
      name: 'libc6',
      version: '2.36-9+deb12u4',
      upstreamVersion: '2.36',
      release: '9+deb12u4',
      sourceName: 'glibc',
      sourceVersion: '2.36-9+deb12u4',
      licenses: ['LGPL-2.1'],
      purl: 'pkg:deb/ubuntu/libc6@2.36-9+deb12u4?arch=amd64&distro=ubuntu-22.04&upstream=glibc',
    });
    expect((libc!.metadata as { files: DpkgFileRecord[] }).files).toEqual([
      {
        path: '/etc/ld.so.conf.d/x86_64-linux-gnu.conf',
        digest: { algorithm: 'md5', value: 'd4e7a7b88a71b5ffd9e2644e71a0cfab' },
        isConfigFile: true,
      },
      {
        path: '/lib/x86_64-linux-gnu/libc.so.6',
        digest: { algorithm: 'md5', value: '0123456789abcdef0123456789abcdef' },
      },
    ]);
    expect(bash).toMatchObject({ licenses: ['GPL-3+'], sourceName: 'bash' });
    expect((bash!.metadata as { dependsOn: string[] }).dependsOn).toEqual(['libc6@2.36-9+deb12u4']);
  });

  it('distroless status.d: one file per package, side files ignored, md5sums beside it', async () => {
    const root = tree({
      'var/lib/dpkg/status.d/tzdata': 'Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n',
      'var/lib/dpkg/status.d/tzdata.md5sums': '0123456789abcdef0123456789abcdef  usr/share/zoneinfo/UTC\n',
    });
    const run = await runCataloger(dpkgCataloger, root);
    expect(run.errors).toEqual([]);
    expect(run.packages.map((p) => [p.name, p.locations[0]!.path])).toEqual([
      ['tzdata', '/var/lib/dpkg/status.d/tzdata'],
    ]);
    expect((run.packages[0]!.metadata as { files: DpkgFileRecord[] }).files.map((f) => f.path)).toEqual([
      '/usr/share/zoneinfo/UTC',
    ]);
  });

  it('an oversized info file is reported; the package is still listed', async () => {
    const root = tree({
      'var/lib/dpkg/status': LIBC,
      'var/lib/dpkg/info/bash.md5sums': `${'0123456789abcdef0123456789abcdef  bin/x\n'.repeat(100)}`,
    });
    const fs = dirFileSystem(root);
    const bytes = await fs.readFile('/var/lib/dpkg/status');
    const r = await dpkgCataloger.catalog(
      { path: '/var/lib/dpkg/status', bytes },
      { fs, limits: { ...DEFAULT_LIMITS, MAX_PKG_INFO_FILE_BYTES: 1000 } },
    );
    expect(r.packages.map((p) => p.name)).toEqual(['libc6', 'bash']);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({
      path: '/var/lib/dpkg/info/bash.md5sums',
      error: { code: 'limit-exceeded' },
    });
  });

  it('a status over MAX_DPKG_STATUS_BYTES is refused by the dispatcher with limit-exceeded, not read as empty', async () => {
    const root = tree({ 'var/lib/dpkg/status': LIBC });
    const fs = dirFileSystem(root);
    const size = (await fs.readFile('/var/lib/dpkg/status')).length;
    const under = await runOsCatalogers([dpkgCataloger], {
      fs,
      limits: { ...DEFAULT_LIMITS, MAX_DPKG_STATUS_BYTES: size, MAX_PKGDB_BYTES: 1 },
    });
    expect(under.packages.map((p) => p.name)).toEqual(['libc6', 'bash']);
    const over = await runOsCatalogers([dpkgCataloger], {
      fs,
      limits: { ...DEFAULT_LIMITS, MAX_DPKG_STATUS_BYTES: size - 1 },
    });
    expect(over.packages).toEqual([]);
    expect(over.errors).toMatchObject([{ path: '/var/lib/dpkg/status', error: { code: 'limit-exceeded' } }]);
  });

  it('a symlink loop in /usr/share/doc is reported, not fatal', async () => {
    const root = tree({
      'var/lib/dpkg/status': LIBC,
      'usr/share/doc/bash': { symlink: 'bash' },
    });
    const run = await runCataloger(dpkgCataloger, root);
    expect(run.packages).toHaveLength(2);
    expect(run.errors.map((e) => [e.path, e.error.code])).toEqual([
      ['/usr/share/doc/bash/copyright', 'symlink-loop'],
    ]);
  });

  it('an empty status file has no packages and no errors', async () => {
    const run = await runCataloger(dpkgCataloger, tree({ 'var/lib/dpkg/status': '' }));
    expect(run).toMatchObject({ packages: [], errors: [] });
  });

  it('available: the digest is taken only for the same name, version and architecture', async () => {
    const root = tree({
      'var/lib/dpkg/status': LIBC,
      'var/lib/dpkg/available': [
        'Package: bash',
        'Version: 5.2.15-2+b2',
        'Architecture: amd64',
        `SHA256: ${'ab'.repeat(32)}`,
        '',
        'Package: libc6',
        'Version: 2.36-9+deb12u3',
        'Architecture: amd64',
        `SHA256: ${'cd'.repeat(32)}`,
        '',
      ].join('\n'),
    });
    const run = await runCataloger(dpkgCataloger, root);
    expect(run.packages.map((p) => (p.metadata as { digest?: string }).digest)).toEqual([
      undefined,
      `sha256:${'ab'.repeat(32)}`,
    ]);
  });

  it.each([
    { name: 'default', cat: dpkgCataloger, reads: 6 },
    {
      name: 'enrichment off',
      cat: createDpkgCataloger({ installedFiles: false, licenses: false, availableDigests: false }),
      reads: 0,
    },
  ])('reads beyond the status file: $name → $reads', async ({ cat, reads }) => {
    const root = tree({
      'var/lib/dpkg/status': LIBC,
      'var/lib/dpkg/info/bash.md5sums': 'fedcba9876543210fedcba9876543210  bin/bash\n',
      'var/lib/dpkg/info/libc6:amd64.md5sums': 'fedcba9876543210fedcba9876543210  lib/libc.so.6\n',
      'usr/share/doc/bash/copyright': 'License: GPL-3+\n',
    });
    const fs = dirFileSystem(root);
    const calls: string[] = [];
    const counting = new Proxy(fs, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (prop === 'readFile' || prop === 'readdir') {
          return (path: string, ...rest: unknown[]) => {
            calls.push(`${String(prop)} ${path}`);
            return (v as (...a: unknown[]) => unknown).call(target, path, ...rest);
          };
        }
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const r = await cat.catalog(
      { path: '/var/lib/dpkg/status', bytes: Buffer.from(LIBC) },
      { fs: counting, limits: { ...DEFAULT_LIMITS } },
    );
    expect(r.packages).toHaveLength(2);
    // default: readdir info, available, 2 × md5sums, 2 × copyright
    expect(calls).toHaveLength(reads);
  });

  it('honours an aborted signal', async () => {
    const root = tree({ 'var/lib/dpkg/status': LIBC });
    const fs = dirFileSystem(root);
    const ac = new AbortController();
    ac.abort();
    await expect(
      dpkgCataloger.catalog(
        { path: '/var/lib/dpkg/status', bytes: Buffer.from(LIBC) },
        { fs, limits: { ...DEFAULT_LIMITS }, signal: ac.signal },
      ),
    ).rejects.toMatchObject({ code: 'aborted' });
  });
});
