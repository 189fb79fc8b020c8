import { describe, expect, it } from 'vitest';
import {
  apkCataloger,
  checksumToSha1,
  parseApkInstalled,
  splitApkLicense,
} from '../../../../readers/pkgdb/apk/index.js';
import { tempTrees } from '../../../helpers/temp-tree.js';
import { runCataloger } from '../dpkg/helpers.js';

const opts = { maxLineBytes: 64, maxPackages: 10 };
const parse = (s: string, o: Partial<typeof opts> & { signal?: AbortSignal } = {}) =>
  parseApkInstalled(Buffer.from(s), { ...opts, ...o });

const MUSL = ['P:musl', 'V:1.2.4-r2', 'A:x86_64', 'o:musl', 'L:MIT', 'p:so:libc.musl-x86_64.so.1=1', ''].join(
  '\n',
);

describe('readers/pkgdb/apk/installed.ts parseApkInstalled', () => {
  it.each([
    { name: 'empty', text: '', want: [] },
    { name: 'single without trailing newline', text: 'P:a\nV:1-r0', want: ['a@1-r0'] },
    { name: 'trailing blank lines', text: 'P:a\nV:1-r0\n\n\n\n', want: ['a@1-r0'] },
    { name: 'multiple', text: 'P:a\nV:1-r0\n\nP:b\nV:2-r1\n', want: ['a@1-r0', 'b@2-r1'] },
    { name: 'CRLF', text: 'P:a\r\nV:1-r0\r\n\r\nP:b\r\nV:2-r1\r\n', want: ['a@1-r0', 'b@2-r1'] },
    { name: 'unknown letters ignored', text: 'P:a\nV:1-r0\nq:1\nx:?\n', want: ['a@1-r0'] },
  ])('$name', ({ text, want }) => {
    const r = parse(text);
    expect(r.errors).toEqual([]);
    expect(r.entries.map((e) => `${e.package}@${e.version}`)).toEqual(want);
  });

  it('files: F dirs, R files under the last F, M/a owners, Z digests, R before any F at /', () => {
    const r = parse(
      [
        'P:a',
        'V:1-r0',
        'R:top',
        'F:usr/bin',
        'M:0:0:755',
        'R:x',
        'a:0:0:4755',
        'Z:Q1abc=',
        'R:y',
        'Z:0123',
        '',
      ].join('\n'),
      { maxLineBytes: 1024 },
    );
    expect(r.entries[0]!.files).toEqual([
      { path: '/top' },
      { path: '/usr/bin', isDir: true, ownerUID: '0', ownerGID: '0', permissions: '755' },
      {
        path: '/usr/bin/x',
        ownerUID: '0',
        ownerGID: '0',
        permissions: '4755',
        digest: { algorithm: "'Q1'+base64(sha1)", value: 'Q1abc=' },
      },
      { path: '/usr/bin/y', digest: { algorithm: 'md5', value: '0123' } },
    ]);
  });

  it.each([
    { name: 'no version', text: 'P:a\n', field: 'V', code: 'corrupt' },
    { name: 'no name', text: 'V:1-r0\n', field: 'P', code: 'corrupt' },
    { name: 'not a letter:value line', text: 'P:a\nV:1\nbroken line\n', field: 'line', code: 'corrupt' },
    { name: 'repeated scalar', text: 'P:a\nV:1\nV:2\n', field: 'V:', code: 'corrupt' },
    {
      name: 'line over MAX_LINE_BYTES',
      text: `P:a\nV:1\nT:${'x'.repeat(100)}\n`,
      field: 'line',
      code: 'limit-exceeded',
    },
  ])('malformed record skipped and reported, the next parsed: $name', ({ text, field, code }) => {
    const r = parse(`${text}\nP:ok\nV:1-r0\n`);
    expect(r.entries.map((e) => e.package)).toEqual(['ok']);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ code, field, format: 'apk/installed' });
  });

  it.each([
    { n: 10, ok: true },
    { n: 11, ok: false },
  ])('MAX_PACKAGES_PER_DB: $n records with a limit of 10', ({ n, ok }) => {
    const text = Array.from({ length: n }, (_, i) => `P:p${i}\nV:1-r0\n`).join('\n');
    if (ok) expect(parse(text).entries).toHaveLength(n);
    else expect(() => parse(text)).toThrow(expect.objectContaining({ code: 'limit-exceeded' }));
  });

  it('stops on an aborted signal', () => {
    const ac = new AbortController();
    ac.abort();
    expect(() => parse('P:a\nV:1-r0\n', { signal: ac.signal })).toThrow(
      expect.objectContaining({ code: 'aborted' }),
    );
  });

  it('numbers: non-numeric and negative sizes are dropped', () => {
    const e = parse('P:a\nV:1-r0\nS:12\nI:-4\nt:x\n').entries[0]!;
    expect([e.size, e.installedSize, e.buildTime]).toEqual([12, undefined, undefined]);
  });
});

describe('readers/pkgdb/apk/index.ts helpers', () => {
  it.each([
    { l: 'MIT', want: ['MIT'] },
    { l: 'MIT BSD GPL2+', want: ['MIT', 'BSD', 'GPL2+'] },
    { l: '( Apache-2.0 OR MIT ) AND MPL-2.0', want: ['Apache-2.0', 'MIT', 'MPL-2.0'] },
    { l: 'GPL-2.0-or-later WITH Linux-syscall-note', want: ['GPL-2.0-or-later', 'Linux-syscall-note'] },
    { l: '', want: [] },
  ])('splitApkLicense($l)', ({ l, want }) => {
    expect(splitApkLicense(l)).toEqual(want);
  });

  it('checksumToSha1', () => {
    expect(checksumToSha1('Q11otALzX1d1D0kVawy06IairTXS0=')).toMatch(/^sha1:[0-9a-f]{40}$/);
    expect(checksumToSha1('Q1short=')).toBeUndefined();
    expect(checksumToSha1('abc')).toBeUndefined();
  });
});

describe('readers/pkgdb/apk/index.ts apkCataloger', () => {
  const tree = tempTrees('apk-cat-');
  const UTILS = [
    'P:musl-utils',
    'V:1.2.4-r2',
    'A:x86_64',
    'o:musl',
    'D:scanelf so:libc.musl-x86_64.so.1 !musl-dev',
    '',
  ].join('\n');

  it('exports the cataloger contract', () => {
    expect(apkCataloger).toMatchObject({ id: 'pkgdb/apk', kind: 'os', version: 1 });
    expect(apkCataloger.paths).toEqual(['/lib/apk/db/installed', '/usr/lib/apk/db/installed']);
  });

  it('purl with distro and upstream, release split, dependsOn via provides', async () => {
    const root = tree({
      'etc/os-release': 'ID=alpine\nVERSION_ID=3.19.1\n',
      'lib/apk/db/installed': `${MUSL}\n${UTILS}`,
    });
    const run = await runCataloger(apkCataloger, root);
    expect(run.errors).toEqual([]);
    expect(run.packages.map((p) => p.purl)).toEqual([
      'pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.19.1',
      'pkg:apk/alpine/musl-utils@1.2.4-r2?arch=x86_64&distro=alpine-3.19.1&upstream=musl',
    ]);
    expect(run.packages[1]).toMatchObject({ upstreamVersion: '1.2.4', release: 'r2', sourceName: 'musl' });
    expect((run.packages[1]!.metadata as { dependsOn: string[] }).dependsOn).toEqual(['musl@1.2.4-r2']);
  });

  it.each<{ name: string; files: Record<string, { symlink: string }>; want: number }>([
    { name: 'merged /usr: /lib → usr/lib', files: { lib: { symlink: 'usr/lib' } }, want: 1 },
    { name: 'only /usr/lib', files: {}, want: 1 },
  ])('one database is reported once: $name', async ({ files, want }) => {
    const root = tree({ 'usr/lib/apk/db/installed': MUSL, ...files });
    const run = await runCataloger(apkCataloger, root);
    expect(run.packages).toHaveLength(want);
  });

  it('two distinct databases are both read', async () => {
    const root = tree({ 'usr/lib/apk/db/installed': MUSL, 'lib/apk/db/installed': UTILS });
    const run = await runCataloger(apkCataloger, root);
    expect(run.packages.map((p) => p.name).sort()).toEqual(['musl', 'musl-utils']);
  });
});
