/**
 * lang/npm against trivy's package.json fixtures (../shared/fixtures/lang/node, expected.json from
 * trivy's nodejs/packagejson TestParse), plus which paths are installed packages.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../../../engine/limits.js';
import {
  isInstalledPackageJson,
  npmCataloger,
  parsePackageJson,
} from '../../../../readers/lang/npm/index.js';
import { HAVE_SHARED, NO_SHARED_REASON, SHARED_FIXTURES } from '../../../helpers/paths.js';

const dir = join(SHARED_FIXTURES, 'lang/node');
type Want = {
  package: { id?: string; name?: string; version?: string; licenses?: string[] };
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  workspaces?: string[];
};
type Case = { file: string; case: string; want?: Want; wantErr?: string };
const cases: Case[] = HAVE_SHARED ? JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')).cases : [];
const ctx = { fs: undefined as never, limits: { ...DEFAULT_LIMITS } };

describe('readers/lang/npm', () => {
  if (!HAVE_SHARED) it.skip(NO_SHARED_REASON, () => {});

  it.each(cases)('$file ($case)', ({ file, want, wantErr }) => {
    const bytes = readFileSync(join(dir, file));
    if (wantErr) {
      expect(() => parsePackageJson(bytes)).toThrow(expect.objectContaining({ code: 'corrupt' }));
      return;
    }
    const pj = parsePackageJson(bytes);
    expect(pj.name).toBe(want!.package.name);
    expect(pj.version).toBe(want!.package.version);
    expect(pj.licenses).toEqual(want!.package.licenses ?? []);
    expect(pj.dependencies).toEqual(want!.dependencies ?? {});
    if (want!.optionalDependencies) expect(pj.optionalDependencies).toEqual(want!.optionalDependencies);
    if (want!.devDependencies) expect(pj.devDependencies).toEqual(want!.devDependencies);
    expect(pj.workspaces).toEqual(want!.workspaces);
  });

  it.each(cases)(
    'cataloger: $file → a package exactly when name and version are present',
    async ({ file, want, wantErr }) => {
      const res = await npmCataloger.catalog(
        { path: '/srv/app/node_modules/x/package.json', bytes: readFileSync(join(dir, file)) },
        ctx,
      );
      if (wantErr) {
        expect(res.packages).toEqual([]);
        expect(res.errors.map((e) => e.error.code)).toEqual(['corrupt']);
        return;
      }
      expect(res.errors).toEqual([]);
      const id =
        want!.package.name && want!.package.version
          ? `${want!.package.name}@${want!.package.version}`
          : undefined;
      expect(res.packages.map((p) => `${p.name}@${p.version}`)).toEqual(id ? [id] : []);
    },
  );

  it('writes a scoped name as the purl namespace', async () => {
    const res = await npmCataloger.catalog(
      {
        path: '/srv/app/node_modules/@babel/parser/package.json',
        bytes: Buffer.from('{"name":"@babel/parser","version":"7.23.0","license":"MIT"}'),
      },
      ctx,
    );
    expect(res.packages[0]!.purl).toBe('pkg:npm/%40babel/parser@7.23.0');
    expect(res.packages[0]!.licenses).toEqual(['MIT']);
  });

  it.each([
    { path: '/srv/app/node_modules/lodash/package.json', want: true },
    { path: '/srv/app/node_modules/@babel/parser/package.json', want: true },
    { path: '/srv/app/node_modules/express/node_modules/debug/package.json', want: true },
    { path: '/usr/lib/node_modules/npm/package.json', want: true },
    { path: '/usr/share/nodejs/semver/package.json', want: true },
    { path: '/usr/share/nodejs/@types/node/package.json', want: true },
    { path: '/srv/app/node_modules/lodash/fp/package.json', want: false },
    { path: '/srv/app/package.json', want: false },
    { path: '/srv/app/node_modules/.package-lock.json', want: false },
    { path: '/srv/app/node_modules/.bin/package.json', want: false },
  ])('wants $path → $want', ({ path, want }) => {
    expect(isInstalledPackageJson(path)).toBe(want);
  });
});
