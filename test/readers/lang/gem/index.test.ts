/** lang/gem against trivy's gemspec fixtures (../shared/fixtures/lang/gemspec, trivy ruby/gemspec TestParse). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../../../engine/limits.js';
import { gemCataloger, isInstalledGemspec } from '../../../../readers/lang/gem/index.js';
import { HAVE_SHARED, NO_SHARED_REASON, SHARED_FIXTURES } from '../../../helpers/paths.js';

const dir = join(SHARED_FIXTURES, 'lang/gemspec');
type Case = {
  file: string;
  case: string;
  want?: Array<{ name: string; version: string; licenses?: string[] }>;
  wantErr?: string;
};
const cases: Case[] = HAVE_SHARED ? JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')).cases : [];
const ctx = { fs: undefined as never, limits: { ...DEFAULT_LIMITS } };

describe('readers/lang/gem', () => {
  if (!HAVE_SHARED) it.skip(NO_SHARED_REASON, () => {});

  it.each(cases)('$file ($case)', async ({ file, want, wantErr }) => {
    const res = await gemCataloger.catalog(
      { path: `/var/lib/gems/3.1.0/specifications/${file}`, bytes: readFileSync(join(dir, file)) },
      ctx,
    );
    if (wantErr) {
      expect(res.packages).toEqual([]);
      expect(res.errors.map((e) => e.error.code)).toEqual(['corrupt']);
      return;
    }
    expect(res.errors).toEqual([]);
    expect(
      res.packages.map((p) => ({
        name: p.name,
        version: p.version,
        ...(p.licenses ? { licenses: p.licenses } : {}),
      })),
    ).toEqual(want);
    expect(res.packages[0]!.purl).toBe(`pkg:gem/${want![0]!.name}@${want![0]!.version}`);
  });

  it.each([
    { path: '/var/lib/gems/3.1.0/specifications/rake-13.0.3.gemspec', want: true },
    { path: '/usr/local/bundle/specifications/rails-7.0.0.gemspec', want: true },
    { path: '/srv/app/rails.gemspec', want: false },
  ])('wants $path → $want', ({ path, want }) => expect(isInstalledGemspec(path)).toBe(want));
});
