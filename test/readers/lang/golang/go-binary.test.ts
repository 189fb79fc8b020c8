/**
 * lang/go-binary on real binaries built by test/fixtures/lang/go-binary/build.sh with Debian's
 * golang-go (ELF 64/32-bit, stripped, PE, Mach-O), each checked against `go version -m` as the
 * oracle; on ../shared/fixtures/lang/gobinary/expected.json (trivy's cases: their binaries are not
 * kept, so the build info each one describes is re-created here in the format its Go version
 * wrote — Go 1.15: the old pointer format; Go 1.22: the inline format); and on crafted hostile
 * build info.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, type Limits } from '../../../../engine/limits.js';
import { bufferAccess } from '../../../../readers/bytes/random-access.js';
import {
  catalogGoBinary,
  goBinaryCataloger,
  goPackages,
  ldflagsVersion,
  readGoBuildInfo,
  stdlibVersion,
} from '../../../../readers/lang/golang/index.js';
import { buildElf } from '../../../helpers/elf-builder.js';
import { goBinaries } from '../../../helpers/go-binaries.js';
import { HAVE_SHARED, NO_SHARED_REASON, SHARED_FIXTURES } from '../../../helpers/paths.js';

const limits: Limits = { ...DEFAULT_LIMITS };
const built = goBinaries();
const dir = typeof built === 'string' ? built : '';
const ctx = { fs: undefined as never, limits };
const read = (b: Buffer, name = 'bin') => readGoBuildInfo(bufferAccess(b, name), limits);

/** `go version -m FILE` → the same shape as readGoBuildInfo (the oracle). */
function goVersionM(file: string) {
  const text = execFileSync('go', ['version', '-m', file], { encoding: 'utf8' });
  const lines = text
    .split('\n')
    .slice(1)
    .filter(Boolean)
    .map((l) => l.replace(/^\t/, '').split('\t'));
  const deps: Array<Record<string, unknown>> = [];
  let main: Record<string, unknown> | undefined;
  const settings: Array<{ key: string; value: string }> = [];
  for (const f of lines) {
    const mod = { path: f[1], version: f[2], ...(f[3] ? { sum: f[3] } : {}) };
    if (f[0] === 'mod') main = mod;
    else if (f[0] === 'dep') deps.push(mod);
    else if (f[0] === '=>') deps[deps.length - 1]!.replace = mod;
    else if (f[0] === 'build') {
      const kv = f.slice(1).join('\t');
      const eq = kv.indexOf('=');
      const raw = kv.slice(eq + 1);
      settings.push({ key: kv.slice(0, eq), value: raw.startsWith('"') ? (JSON.parse(raw) as string) : raw });
    }
  }
  return { goVersion: text.split('\n')[0]!.split(': ')[1], main, deps, settings };
}

describe.skipIf(typeof built !== 'string')('readers/lang/go-binary: binaries built with golang-go', () => {
  if (typeof built !== 'string') it.skip(built!.reason, () => {});
  it.each([
    { file: 'app-plain', container: 'elf' },
    { file: 'app-ldflags', container: 'elf' },
    { file: 'app-stripped', container: 'elf' },
    { file: 'app-386', container: 'elf' },
    { file: 'app.exe', container: 'pe' },
    { file: 'app-darwin', container: 'macho' },
  ])('$file ($container) agrees with `go version -m`', async ({ file, container }) => {
    const info = await read(readFileSync(join(dir, file)), file);
    const oracle = goVersionM(join(dir, file));
    expect(info.container).toBe(container);
    expect(info.format).toBe('inline');
    expect({ goVersion: info.goVersion, main: info.main, deps: info.deps, settings: info.settings }).toEqual(
      oracle,
    );
  });

  // The describe body runs at collection even when skipped: read the toolchain version only if built.
  const go =
    dir && existsSync(join(dir, 'go-version.txt')) ? readFileSync(join(dir, 'go-version.txt'), 'utf8') : '';
  const stdlib = stdlibVersion(/go version (go\S+)/.exec(go)?.[1] ?? '') ?? '';

  it.each([
    { file: 'app-plain', main: '' },
    { file: 'app-ldflags', main: 'v1.4.2' },
  ])('$file: packages (main version from -ldflags -X when (devel)), replacements', async ({ file, main }) => {
    const res = await catalogGoBinary(
      bufferAccess(readFileSync(join(dir, file)), file),
      `/usr/local/bin/${file}`,
      ctx,
    );
    expect(res.packages.map((p) => [p.name, p.version, p.purl, p.metadata?.relationship])).toEqual([
      [
        'example.com/app',
        main,
        main ? `pkg:golang/example.com/app@${main}` : 'pkg:golang/example.com/app',
        'root',
      ],
      ['stdlib', stdlib, `pkg:golang/stdlib@${stdlib}`, 'direct'],
      ['example.com/lib', '', 'pkg:golang/example.com/lib', 'unknown'],
      ['example.com/new', 'v1.1.0', 'pkg:golang/example.com/new@v1.1.0', 'unknown'],
      ['golang.org/x/text', 'v0.3.5', 'pkg:golang/golang.org/x/text@v0.3.5', 'unknown'],
    ]);
    expect(
      res.packages.every((p) => p.type === 'golang' && p.locations[0]!.path === `/usr/local/bin/${file}`),
    ).toBe(true);
    expect(res.packages[2]!.metadata?.replace).toEqual({ path: './lib', version: '(devel)' });
    expect(res.packages[3]!.metadata?.replace).toEqual({ path: 'example.com/old', version: 'v1.0.0' });
  });

  it('without section headers, the build info is found at the start of the writable segment', async () => {
    const b = Buffer.from(readFileSync(join(dir, 'app-plain')));
    b.writeBigUInt64LE(0n, 40); // e_shoff
    b.writeUInt16LE(0, 60); // e_shnum
    const info = await read(b);
    expect(info.main?.path).toBe('example.com/app');
    expect(info.deps).toHaveLength(3);
  });

  it('reads only headers and the build info, not the binary', async () => {
    const bytes = readFileSync(join(dir, 'app-plain'));
    let read = 0;
    const ra = bufferAccess(bytes, 'app');
    const counting = {
      ...ra,
      read: (o: number, n: number, s: string) => {
        read += n;
        return ra.read(o, n, s);
      },
    };
    await readGoBuildInfo(counting, limits);
    expect(read).toBeLessThan(80 * 1024);
    expect(bytes.length).toBeGreaterThan(1_000_000);
  });
});

describe('readers/lang/go-binary: not Go', () => {
  it.each([
    { case: 'a C/Rust ELF (node itself)', file: process.execPath },
    { case: 'a shell script', bytes: Buffer.from(`#!/bin/sh\n${'echo hi\n'.repeat(20)}`) },
  ])('$case: no packages, no error', async ({ file, bytes }) => {
    const b = bytes ?? readFileSync(file!);
    const res = await catalogGoBinary(bufferAccess(b, 'x'), '/x', ctx);
    expect(res).toEqual({ packages: [], errors: [] });
  });

  it('a non-Go ELF costs its headers and section table only (no search of its data)', async () => {
    const bytes = readFileSync(process.execPath);
    let read = 0;
    const ra = bufferAccess(bytes, 'node');
    const counting = {
      ...ra,
      read: (o: number, n: number, s: string) => {
        read += n;
        return ra.read(o, n, s);
      },
    };
    expect(await catalogGoBinary(counting, '/usr/bin/node', ctx)).toEqual({ packages: [], errors: [] });
    expect(read).toBeLessThan(16 * 1024);
  });

  it.skipIf(!HAVE_SHARED)('shared "sad path" (dummy): unrecognized executable format', async () => {
    const err = await read(readFileSync(join(SHARED_FIXTURES, 'lang/gobinary/dummy'))).catch(
      (e: unknown) => e,
    );
    expect((err as { code: string }).code).toBe('bad-magic');
    expect((err as Error).message).toContain('unrecognized executable format');
  });
});

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const SENT_A = Buffer.from('3077af0c9274080241e1c107e6d618e6', 'hex');
const SENT_B = Buffer.from('f932433186182072008242104116d8f2', 'hex');
const framed = (mod: string) => Buffer.concat([SENT_A, Buffer.from(mod), SENT_B]);
const uvarint = (n: number) => {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
};

/** Go ≥ 1.18: header + two varint-prefixed strings in .go.buildinfo. */
function inlineElf(version: string, modinfo: Buffer): Buffer {
  const hdr = Buffer.alloc(32);
  MAGIC.copy(hdr);
  hdr[14] = 8;
  hdr[15] = 2;
  const v = Buffer.from(version);
  return buildElf([
    {
      name: '.go.buildinfo',
      data: Buffer.concat([hdr, uvarint(v.length), v, uvarint(modinfo.length), modinfo]),
      flags: 3,
    },
  ]);
}

/** Go < 1.18: header with two pointers to string headers in .data (both mapped by section addresses). */
function pointerElf(version: string, modinfo: Buffer, opts: { is64: boolean; bigEndian: boolean }): Buffer {
  const ps = opts.is64 ? 8 : 4;
  const base = 0x500000n;
  const v = Buffer.from(version);
  // .data: [vers string header][mod string header][vers bytes][mod bytes]
  const data = Buffer.alloc(4 * ps + v.length + modinfo.length);
  const wp = (o: number, x: bigint) => {
    if (ps === 8) opts.bigEndian ? data.writeBigUInt64BE(x, o) : data.writeBigUInt64LE(x, o);
    else opts.bigEndian ? data.writeUInt32BE(Number(x), o) : data.writeUInt32LE(Number(x), o);
  };
  wp(0, base + BigInt(4 * ps));
  wp(ps, BigInt(v.length));
  wp(2 * ps, base + BigInt(4 * ps + v.length));
  wp(3 * ps, BigInt(modinfo.length));
  v.copy(data, 4 * ps);
  modinfo.copy(data, 4 * ps + v.length);
  const hdr = Buffer.alloc(32);
  MAGIC.copy(hdr);
  hdr[14] = ps;
  hdr[15] = opts.bigEndian ? 1 : 0;
  const hp = (o: number, x: bigint) => {
    if (ps === 8) opts.bigEndian ? hdr.writeBigUInt64BE(x, o) : hdr.writeBigUInt64LE(x, o);
    else opts.bigEndian ? hdr.writeUInt32BE(Number(x), o) : hdr.writeUInt32LE(Number(x), o);
  };
  hp(16, base);
  hp(16 + ps, base + BigInt(2 * ps));
  return buildElf(
    [
      { name: '.go.buildinfo', data: hdr, addr: 0x400000n, flags: 3 },
      { name: '.data', data, addr: base, flags: 3 },
    ],
    opts,
  );
}

type Want = { id: string; name: string; version: string; relationship?: string };
const sharedCases = HAVE_SHARED
  ? (
      JSON.parse(readFileSync(join(SHARED_FIXTURES, 'lang/gobinary/expected.json'), 'utf8')) as {
        cases: Array<{ file: string; case: string; wantPkgs?: Want[] }>;
      }
    ).cases.filter((c) => c.wantPkgs)
  : [];

/** The build info each trivy case's binary carries, written back from its expected packages. */
function rebuild(c: { file: string; wantPkgs?: Want[] }): { version: string; modinfo: string } {
  const std = c.wantPkgs!.find((p) => p.name === 'stdlib')!;
  const root = c.wantPkgs!.find((p) => p.relationship === 'root');
  const deps = c.wantPkgs!.filter((p) => p.name !== 'stdlib' && p.relationship !== 'root');
  const lines = root
    ? [`path\t${root.name}`, `mod\t${root.name}\t(devel)\t`]
    : ['path\tcommand-line-arguments'];
  for (const d of deps) lines.push(`dep\t${d.name}\t${d.version}\th1:AAAA=`);
  const exp = c.file === 'goexperiment' ? ' X:loopvar' : '';
  return { version: `go${std.version.slice(1)}${exp}`, modinfo: `${lines.join('\n')}\n` };
}

describe.skipIf(!HAVE_SHARED)('readers/lang/go-binary: shared expected results (trivy TestParse)', () => {
  if (!HAVE_SHARED) it.skip(NO_SHARED_REASON, () => {});
  it.each(sharedCases)('$case ($file)', async (c) => {
    const { version, modinfo } = rebuild(c);
    // Go 1.15 (the ELF case) wrote the pointer format; Go 1.22 (goexperiment) the inline one.
    const bin = version.startsWith('go1.15')
      ? pointerElf(version, framed(modinfo), { is64: true, bigEndian: false })
      : inlineElf(version, framed(modinfo));
    const info = await read(bin);
    expect(info.format).toBe(version.startsWith('go1.15') ? 'pointer' : 'inline');
    const got = goPackages(info).map((p) => ({
      id: p.version ? `${p.name}@${p.version}` : p.name,
      name: p.name,
      version: p.version,
      ...(p.relationship !== 'unknown' ? { relationship: p.relationship } : {}),
    }));
    expect(got).toEqual(c.wantPkgs);
  });
});

describe('readers/lang/go-binary: build info formats and hostile input', () => {
  const mod = framed(
    'path\tx\nmod\tx\tv1.0.0\t\ndep\ta\tv1.2.3\th1:x=\nbuild\t-ldflags="-s -w -X \\"main.version=2.0.0\\""\n',
  );
  it.each([
    { case: 'pointer, 64-bit LE', bin: pointerElf('go1.16.3', mod, { is64: true, bigEndian: false }) },
    { case: 'pointer, 32-bit LE', bin: pointerElf('go1.16.3', mod, { is64: false, bigEndian: false }) },
    {
      case: 'pointer, 64-bit BE (ppc64/s390x)',
      bin: pointerElf('go1.16.3', mod, { is64: true, bigEndian: true }),
    },
    { case: 'pointer, 32-bit BE (mips)', bin: pointerElf('go1.16.3', mod, { is64: false, bigEndian: true }) },
    { case: 'inline', bin: inlineElf('go1.16.3', mod) },
  ])('$case', async ({ bin }) => {
    const info = await read(bin);
    expect(info.goVersion).toBe('go1.16.3');
    expect(info.main).toEqual({ path: 'x', version: 'v1.0.0' });
    expect(info.deps).toEqual([{ path: 'a', version: 'v1.2.3', sum: 'h1:x=' }]);
    expect(info.settings).toEqual([{ key: '-ldflags', value: '-s -w -X "main.version=2.0.0"' }]);
  });

  it('modinfo without sentinels (built outside module mode) has no modules', async () => {
    const info = await read(inlineElf('go1.20', Buffer.from('path\tx\n')));
    expect(info.main).toBeUndefined();
    expect(info.deps).toEqual([]);
  });

  it.each([
    {
      case: 'string length above MAX_GO_BUILDINFO_BYTES',
      bin: (() => {
        const b = inlineElf('go1.20', mod);
        return b;
      })(),
      l: { MAX_GO_BUILDINFO_BYTES: 16 },
      code: 'limit-exceeded',
    },
    {
      case: 'unterminated varint',
      bin: buildElf([
        {
          name: '.go.buildinfo',
          data: Buffer.concat([MAGIC, Buffer.from([8, 2]), Buffer.alloc(16), Buffer.alloc(12, 0xff)]),
        },
      ]),
      l: {},
      code: 'corrupt',
    },
    {
      case: 'string runs past the file',
      bin: buildElf([
        {
          name: '.go.buildinfo',
          data: Buffer.concat([MAGIC, Buffer.from([8, 2]), Buffer.alloc(16), uvarint(1 << 20)]),
        },
      ]),
      l: {},
      code: 'truncated',
    },
    {
      case: 'pointer to an unmapped address',
      bin: (() => {
        const h = Buffer.alloc(32);
        MAGIC.copy(h);
        h[14] = 8;
        h.writeBigUInt64LE(0xdead0000n, 16);
        return buildElf([{ name: '.go.buildinfo', data: h }]);
      })(),
      l: {},
      code: 'corrupt',
    },
    {
      case: 'pointer size 3',
      bin: (() => {
        const h = Buffer.alloc(32);
        MAGIC.copy(h);
        h[14] = 3;
        return buildElf([{ name: '.go.buildinfo', data: h }]);
      })(),
      l: {},
      code: 'corrupt',
    },
    {
      case: 'e_shnum above MAX_EXEC_SECTIONS',
      bin: inlineElf('go1.20', mod),
      l: { MAX_EXEC_SECTIONS: 2 },
      code: 'limit-exceeded',
    },
    {
      case: 'section table beyond the end of the file',
      bin: (() => {
        const b = inlineElf('go1.20', mod);
        b.writeBigUInt64LE(BigInt(b.length - 8), 40);
        return b;
      })(),
      l: {},
      code: 'truncated',
    },
    {
      case: 'ELF class 3',
      bin: (() => {
        const b = inlineElf('go1.20', mod);
        b[4] = 3;
        return b;
      })(),
      l: {},
      code: 'corrupt',
    },
  ])('$case → $code', async ({ bin, l, code }) => {
    const err = await readGoBuildInfo(bufferAccess(bin, 'x'), { ...limits, ...l }).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe(code);
  });

  it.each([
    { mainVersion: '(devel)', ldflags: '-X main.version=1.2.3', want: 'v1.2.3' },
    { mainVersion: 'v0.0.0-20240102030405-abcdefabcdef', ldflags: '-X main.version=1.2.3', want: 'v1.2.3' },
    { mainVersion: 'v1.5.0+dirty', ldflags: '-X main.version=1.5.0', want: 'v1.5.0' },
    { mainVersion: 'v1.5.0', ldflags: '-X main.version=9.9.9', want: 'v1.5.0' },
    { mainVersion: '(devel)', ldflags: undefined, want: '' },
    {
      mainVersion: 'v0.0.0-20240102030405-abcdefabcdef',
      ldflags: undefined,
      want: 'v0.0.0-20240102030405-abcdefabcdef',
    },
  ])('main version $mainVersion with ldflags $ldflags → $want', ({ mainVersion, ldflags, want }) => {
    const pkgs = goPackages({
      goVersion: 'go1.24.0',
      main: { path: 'example.com/m', version: mainVersion },
      deps: [],
      settings: ldflags ? [{ key: '-ldflags', value: ldflags }] : [],
      format: 'inline',
      container: 'elf',
    });
    expect(pkgs[0]).toEqual({ name: 'example.com/m', version: want, relationship: 'root' });
  });

  it.each([
    { flags: '-X main.version=1.2.3', want: 'v1.2.3' },
    { flags: '-s -w -X=main.version=v0.9.0-rc.1', want: 'v0.9.0-rc.1' },
    { flags: "-X 'github.com/x/y/cmd.Version=2.1'", want: 'v2.1' },
    { flags: '-X main.ver=3.0.0', want: 'v3.0.0' },
    { flags: '-X main.commit=abcdef -X main.version=dev', want: undefined },
    { flags: '-X main.gitVersion=1.0.0', want: undefined },
    { flags: '-s -w', want: undefined },
  ])('ldflags $flags → $want', ({ flags, want }) => {
    expect(ldflagsVersion(flags)).toBe(want);
  });

  it.each([
    { v: 'go1.22.1', want: 'v1.22.1' },
    { v: 'go1.22.1 X:boringcrypto', want: 'v1.22.1' },
    { v: 'go1.21rc2', want: 'v1.21rc2' },
    { v: 'devel go1.23-abcdef Tue', want: undefined },
  ])('stdlib version of $v → $want', ({ v, want }) => {
    expect(stdlibVersion(v)).toBe(want);
  });

  it.each([
    { path: '/usr/bin/x', mode: 0o100755, size: 4096, want: true },
    { path: '/usr/bin/x', mode: 0o100644, size: 4096, want: false },
    { path: '/srv/x', mode: 0o100100, size: 4096, want: true },
    { path: '/usr/bin/x.sh', mode: 0o100755, size: 4096, want: false },
    { path: '/usr/bin/x', mode: 0o100755, size: 10, want: false },
    // Anywhere: the mode decides, not the directory.
    { path: '/home/app/tool', mode: 0o100755, size: 4096, want: true },
    { path: '/var/lib/x/agent', mode: 0o100700, size: 4096, want: true },
    { path: '/home/app/tool', mode: 0o100644, size: 4096, want: false },
    { path: '/opt/app/app.exe', mode: 0o100755, size: 4096, want: true },
    // dpkg maintainer scripts (mode 0755, a hundred or more on a Debian root) are never binaries.
    { path: '/var/lib/dpkg/info/bash.postinst', mode: 0o100755, size: 4096, want: false },
    // Before the stat (no mode yet): "maybe" for any name without a script/data extension.
    { path: '/usr/share/doc/readme', mode: undefined, size: undefined, want: true },
    { path: '/usr/lib/x86_64-linux-gnu/libc.so.6', mode: undefined, size: undefined, want: true },
    { path: '/srv/app/index.js', mode: undefined, size: undefined, want: false },
  ])('wants $path (mode $mode, size $size) → $want', ({ path, mode, size, want }) => {
    expect(goBinaryCataloger.wants!(path, { type: 'file', size, mode } as never)).toBe(want);
  });
});
