import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../../engine/errors.js';
import { detectOs, parseOsRelease } from '../../../readers/os/index.js';
import { dirFileSystem } from '../../helpers/dir-fs.js';
import { tempTrees } from '../../helpers/temp-tree.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const fixtures = resolve(repoRoot, '../shared/fixtures/os-release');
const expectedPath = join(fixtures, 'expected.json');
const haveFixtures = existsSync(expectedPath);

interface Case {
  file: string;
  analyzer: string;
  case: string;
  want: { family: string; name: string } | null;
  wantErr: string | { $call: string } | null;
}

const cases: Case[] = haveFixtures ? JSON.parse(readFileSync(expectedPath, 'utf8')).cases : [];

async function detectIn(root: string) {
  const errors: Array<{ path: string; err: unknown }> = [];
  const os = await detectOs(dirFileSystem(root), { onError: (path, err) => errors.push({ path, err }) });
  return { os, errors };
}

describe.skipIf(!haveFixtures)('readers/os (trivy fixtures: /work/shared/fixtures/os-release)', () => {
  it.each(cases.map((c) => ({ ...c, title: `${c.analyzer}: ${c.case}` })))(
    '$title',
    async ({ file, want, wantErr }) => {
      // The first path component is the case directory: it stands for the image root.
      const caseDir = join(fixtures, file.split('/')[0]!);
      const { os, errors } = await detectIn(caseDir);
      if (want) {
        expect(os).toMatchObject({ family: want.family, name: want.name });
        expect(errors).toEqual([]);
      } else if (wantErr) {
        // trivy returns "<analyzer>: unable to analyze OS information"; we report a CorruptError for
        // the file whose `format` is that analyzer name, and detect no OS.
        expect(os).toBeUndefined();
        expect(errors).toHaveLength(1);
        const err = errors[0]!.err as FormatError;
        expect(err).toBeInstanceOf(FormatError);
        expect(err.code).toBe('corrupt');
        expect(`/${file.split('/').slice(1).join('/')}`).toBe(errors[0]!.path);
        const analyzer = typeof wantErr === 'string' ? wantErr.split(':')[0] : 'amazon';
        expect(err.format).toBe(analyzer);
      } else {
        expect(os).toBeUndefined();
        expect(errors).toEqual([]);
      }
    },
  );
});

describe('readers/os/os-release.ts parseOsRelease', () => {
  it.each([
    { line: 'ID=debian', key: 'ID', want: 'debian' },
    { line: 'NAME="Debian GNU/Linux"', key: 'NAME', want: 'Debian GNU/Linux' },
    { line: "VERSION_ID='12'", key: 'VERSION_ID', want: '12' },
    { line: 'X="a \\"b\\" \\$c \\\\d"', key: 'X', want: 'a "b" $c \\d' },
    { line: '  SPACED = "v"  ', key: 'SPACED', want: 'v' },
    { line: 'UNBALANCED="v', key: 'UNBALANCED', want: 'v' },
    { line: '# ID=commented', key: 'ID', want: undefined },
    { line: 'not an assignment', key: 'not an assignment', want: undefined },
    { line: '1BAD=x', key: '1BAD', want: undefined },
  ])('$line', ({ line, key, want }) => {
    expect(parseOsRelease(`${line}\n`)[key]).toBe(want);
  });

  it('later assignments win and CRLF is accepted', () => {
    expect(parseOsRelease('ID=a\r\nID=b\r\n').ID).toBe('b');
  });
});

describe('readers/os/detect.ts detectOs (combinations)', () => {
  const tree = tempTrees('detectos-');

  type Files = Record<string, string | { symlink: string }>;
  it.each<{ title: string; files: Files; want: Record<string, unknown> }>([
    {
      title: 'Debian 12: debian_version refines VERSION_ID',
      files: {
        'etc/os-release': 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n',
        'etc/debian_version': '12.5\n',
      },
      want: { family: 'debian', id: 'debian', name: '12.5', versionId: '12', codename: 'bookworm' },
    },
    {
      title: 'Debian testing: no VERSION_ID, debian_version names it',
      files: {
        'etc/os-release': 'ID=debian\nVERSION_CODENAME=trixie\n',
        'etc/debian_version': 'trixie/sid\n',
      },
      want: { family: 'debian', name: 'trixie/sid' },
    },
    {
      title: 'Ubuntu: os-release wins over debian_version',
      files: {
        'etc/os-release': 'ID=ubuntu\nVERSION_ID="22.04"\nID_LIKE=debian\n',
        'etc/debian_version': 'bookworm/sid\n',
      },
      want: { family: 'ubuntu', name: '22.04', idLike: ['debian'] },
    },
    {
      title: 'Amazon Linux 2: system-release gives the code name',
      files: {
        'etc/os-release': 'ID="amzn"\nVERSION_ID="2"\nCPE_NAME="cpe:2.3:o:amazon:amazon_linux:2"\n',
        'etc/system-release': 'Amazon Linux release 2 (Karoo)\n',
      },
      want: { family: 'amazon', id: 'amzn', name: '2 (Karoo)', versionId: '2' },
    },
    {
      title: 'Amazon Linux 2023 with a dated minor',
      files: {
        'usr/lib/os-release': 'ID="amzn"\nVERSION_ID="2023"\n',
        'etc/os-release': { symlink: '../usr/lib/os-release' },
        'etc/system-release': 'Amazon Linux release 2023.3.20240219 (Amazon Linux)\n',
      },
      want: { family: 'amazon', name: '2023 (Amazon Linux)', versionId: '2023' },
    },
    {
      title: 'CentOS 7: centos-release refines 7 → 7.9.2009',
      files: {
        'etc/os-release': 'ID="centos"\nVERSION_ID="7"\n',
        'etc/centos-release': 'CentOS Linux release 7.9.2009 (Core)\n',
        'etc/redhat-release': { symlink: 'centos-release' },
        'etc/system-release': { symlink: 'centos-release' },
      },
      want: { family: 'centos', name: '7.9.2009', versionId: '7' },
    },
    {
      title: 'RHEL 6 without os-release: system-release symlink skipped, redhat-release used',
      files: {
        'etc/redhat-release': 'Red Hat Enterprise Linux Server release 6.10 (Santiago)\n',
        'etc/system-release': { symlink: 'redhat-release' },
      },
      want: { family: 'redhat', id: 'rhel', name: '6.10', codename: 'Santiago' },
    },
    {
      title: 'Oracle Linux 6 without os-release: oracle-release before redhat-release',
      files: {
        'etc/oracle-release': 'Oracle Linux Server release 6.10\n',
        'etc/redhat-release': 'Red Hat Enterprise Linux Server release 6.10 (Santiago)\n',
      },
      want: { family: 'oracle', name: '6.10' },
    },
    {
      title: 'Ubuntu 14.04 without os-release: lsb-release before debian_version',
      files: {
        'etc/lsb-release': 'DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=14.04\nDISTRIB_CODENAME=trusty\n',
        'etc/debian_version': 'jessie/sid\n',
      },
      want: { family: 'ubuntu', name: '14.04', codename: 'trusty' },
    },
    {
      title: 'SLES 11 SP4 SuSE-release',
      files: {
        'etc/SuSE-release': 'SUSE Linux Enterprise Server 11 (x86_64)\nVERSION = 11\nPATCHLEVEL = 4\n',
      },
      want: { family: 'sles', name: '11.4' },
    },
    {
      title: 'Azure Linux 3',
      files: { 'etc/os-release': 'ID=azurelinux\nVERSION_ID="3.0"\n' },
      want: { family: 'azurelinux', name: '3.0' },
    },
    {
      title: 'Rocky 9 os-release: a mismatching rocky-release does not override',
      files: {
        'etc/os-release': 'ID="rocky"\nVERSION_ID="9.3"\n',
        'etc/rocky-release': 'Rocky Linux release 8.4\n',
      },
      want: { family: 'rocky', name: '9.3' },
    },
  ])('$title', async ({ files, want }) => {
    const { os, errors } = await detectIn(tree(files));
    expect(os).toMatchObject(want);
    expect(errors).toEqual([]);
  });

  it('an oversized os-release is reported and the legacy files still decide', async () => {
    const root = tree({
      'etc/os-release': `ID=debian\n${'#'.repeat(2 * 1024 * 1024)}\n`,
      'etc/debian_version': '11.9\n',
    });
    const { os, errors } = await detectIn(root);
    expect(os).toMatchObject({ family: 'debian', name: '11.9', source: '/etc/debian_version' });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ path: '/etc/os-release', err: { code: 'limit-exceeded' } });
  });

  it('an empty tree has no OS', async () => {
    expect(await detectIn(tree({}))).toEqual({ os: undefined, errors: [] });
  });

  it('an aborted signal stops detection', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(detectOs(dirFileSystem(tree({})), { signal: ac.signal })).rejects.toMatchObject({
      code: 'aborted',
    });
  });
});
