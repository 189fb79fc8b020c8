import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../../../engine/limits.js';
import type { CatalogContext } from '../../../../readers/cataloger.js';
import { parseRpmManifestLine, rpmManifestCataloger } from '../../../../readers/pkgdb/rpm/manifest.js';

const ctx = (over: Partial<typeof DEFAULT_LIMITS> = {}): CatalogContext =>
  ({
    limits: { ...DEFAULT_LIMITS, ...over },
    os: { family: 'mariner', id: 'mariner', name: '2.0', versionId: '2.0', source: '/etc/os-release' },
  }) as unknown as CatalogContext;
const line = (f: string[]) => f.join('\t');
const VIM = [
  'vim',
  '9.0-1.cm2',
  '1653816591',
  '1653753130',
  'Microsoft Corporation',
  '2',
  '45000',
  'x86_64',
  '2',
  'vim-9.0-1.cm2.src.rpm',
];

describe('readers/pkgdb/rpm/manifest', () => {
  it('parses one line into name, version, release, epoch, size, arch and source rpm', () => {
    expect(parseRpmManifestLine(line(VIM), 1)).toEqual({
      name: 'vim',
      version: '9.0',
      release: '1.cm2',
      epoch: 2,
      installTime: 1653816591,
      buildTime: 1653753130,
      vendor: 'Microsoft Corporation',
      size: 45000,
      arch: 'x86_64',
      sourceRpm: 'vim-9.0-1.cm2.src.rpm',
    });
  });

  it.each([
    { name: 'nine fields', f: VIM.slice(0, 9) },
    { name: 'no release', f: ['vim', '9.0', ...VIM.slice(2)] },
    { name: 'two dashes', f: ['vim', '9.0-1-2', ...VIM.slice(2)] },
    { name: 'epoch not a number', f: [...VIM.slice(0, 5), 'x', ...VIM.slice(6)] },
    { name: 'EPOCH disagrees with EPOCHNUM', f: [...VIM.slice(0, 8), '3', VIM[9]!] },
    { name: 'empty name', f: ['', ...VIM.slice(1)] },
  ])('malformed line ($name) → corrupt', ({ f }) => {
    expect(() => parseRpmManifestLine(line(f), 7)).toThrow(
      expect.objectContaining({ code: 'corrupt', struct: 'line 7' }),
    );
  });

  it('bad lines are reported and skipped; CRLF and blank lines are fine; purls carry the distro', async () => {
    const text = [
      line(VIM),
      'garbage',
      '',
      `${line(['bash', '5.1.8-1.cm2', '1', '1', 'Microsoft Corporation', '(none)', '10', 'x86_64', '0', 'bash-5.1.8-1.cm2.src.rpm'])}\r`,
      '',
    ].join('\n');
    const res = await rpmManifestCataloger.catalog(
      { path: '/var/lib/rpmmanifest/container-manifest-2', bytes: Buffer.from(text) },
      ctx(),
    );
    expect(res.packages.map((p) => [p.name, p.version, p.purl])).toEqual([
      ['vim', '2:9.0-1.cm2', 'pkg:rpm/mariner/vim@9.0-1.cm2?arch=x86_64&distro=mariner-2.0&epoch=2'],
      ['bash', '5.1.8-1.cm2', 'pkg:rpm/mariner/bash@5.1.8-1.cm2?arch=x86_64&distro=mariner-2.0'],
    ]);
    expect(res.errors.map((e) => [e.error.code, e.error.message])).toEqual([
      ['corrupt', expect.stringContaining('line 2')],
    ]);
    expect(res.packages[0]!.sourceName).toBe('vim');
    expect(res.packages[0]!.sourceVersion).toBe('2:9.0-1.cm2');
  });

  it('a line over MAX_LINE_BYTES is reported, not parsed', async () => {
    const text = `${'x'.repeat(300)}\n${line(VIM)}\n`;
    const res = await rpmManifestCataloger.catalog(
      { path: '/m', bytes: Buffer.from(text) },
      ctx({ MAX_LINE_BYTES: 200 }),
    );
    expect(res.packages.map((p) => p.name)).toEqual(['vim']);
    expect(res.errors.map((e) => e.error.code)).toEqual(['limit-exceeded']);
  });
});
