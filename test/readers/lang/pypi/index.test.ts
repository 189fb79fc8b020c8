/**
 * lang/pypi against trivy's Python metadata fixtures (../shared/fixtures/lang/python, expected.json
 * from trivy's python/packaging TestParse), plus the cataloger's path predicate and its errors.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../../../engine/limits.js';
import { isPythonMetadata, parsePythonMetadata, pypiCataloger } from '../../../../readers/lang/pypi/index.js';
import { HAVE_SHARED, NO_SHARED_REASON, SHARED_FIXTURES } from '../../../helpers/paths.js';

const dir = join(SHARED_FIXTURES, 'lang/python');
type Case = {
  file: string;
  case: string;
  want?: Array<{ name: string; version: string; licenses: string[] | null }>;
  wantErr?: boolean;
};
const cases: Case[] = HAVE_SHARED ? JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')).cases : [];
const ctx = { fs: undefined as never, limits: { ...DEFAULT_LIMITS } };

describe('readers/lang/pypi', () => {
  it.skipIf(!HAVE_SHARED)('shared fixtures present', () => expect(cases.length).toBeGreaterThan(5));
  if (!HAVE_SHARED) it.skip(NO_SHARED_REASON, () => {});

  it.each(cases)('$file ($case)', async ({ file, want, wantErr }) => {
    const res = await pypiCataloger.catalog(
      { path: `/usr/lib/python3/dist-packages/x.dist-info/METADATA`, bytes: readFileSync(join(dir, file)) },
      ctx,
    );
    if (wantErr) {
      expect(res.packages).toEqual([]);
      expect(res.errors).toHaveLength(1);
      expect(res.errors[0]!.error.code).toBe('corrupt');
      return;
    }
    expect(res.errors).toEqual([]);
    expect(
      res.packages.map((p) => ({ name: p.name, version: p.version, licenses: p.licenses ?? null })),
    ).toEqual(want);
    expect(res.packages[0]!.purl).toBe(`pkg:pypi/${want![0]!.name.toLowerCase()}@${want![0]!.version}`);
  });

  it.each([
    { path: '/usr/lib/python3/dist-packages/requests-2.28.1.egg-info/PKG-INFO', want: true },
    { path: '/opt/venv/lib/python3.11/site-packages/pip-23.0.1.dist-info/METADATA', want: true },
    { path: '/usr/lib/python3.11/lib-dynload/distlib-0.3.1-py3.9.egg-info', want: true },
    { path: '/usr/lib/python3/dist-packages/foo/METADATA', want: false },
    { path: '/usr/lib/python3/dist-packages/x.dist-info/RECORD', want: false },
    { path: '/srv/PKG-INFO', want: false },
  ])('wants $path → $want', ({ path, want }) => {
    expect(isPythonMetadata(path)).toBe(want);
    expect(pypiCataloger.wants!(path, { type: 'file' })).toBe(want);
    expect(pypiCataloger.wants!(path, { type: 'dir' })).toBe(false);
  });

  it.each([
    { name: 'no Name', text: 'Metadata-Version: 2.1\nVersion: 1.0\n', code: 'corrupt', field: 'Name' },
    { name: 'no Version', text: 'Metadata-Version: 2.1\nName: x\n', code: 'corrupt', field: 'Version' },
    { name: 'not a header', text: 'Name: x\nVersion: 1\njunk line\n', code: 'corrupt' },
    { name: 'over-long line', text: `Name: ${'x'.repeat(200)}\n`, code: 'limit-exceeded', maxLineBytes: 100 },
  ])('rejects $name with $code', ({ text, code, field, maxLineBytes }) => {
    try {
      parsePythonMetadata(Buffer.from(text), { path: '/m', maxLineBytes: maxLineBytes ?? 1 << 20 });
      expect.unreachable();
    } catch (err) {
      expect((err as { code: string }).code).toBe(code);
      if (field) expect((err as { field?: string }).field).toBe(field);
    }
  });

  it('stops at the blank line: classifiers in the description body are not headers', () => {
    const md = parsePythonMetadata(
      Buffer.from('Name: a\nVersion: 1\nLicense: X\n\nClassifier: License :: OSI Approved :: MIT License\n'),
      { path: '/m', maxLineBytes: 1 << 20 },
    );
    expect(md.licenses).toEqual(['X']);
  });
});
