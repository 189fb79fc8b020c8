/**
 * readers/lang/npm/package-lock.ts and the lang/npm-lock cataloger: lockfileVersion 1 (nested
 * dependencies), 2 and 3 (`packages` keyed by install path) mapped to install paths; workspace
 * sources and links skipped; aliases keep the real name; malformed entries dropped and reported;
 * entry count and nesting below, at and above their limits. The real lockfiles (Debian's npm, v1-v3,
 * compared with `npm ls --all --json`) are in test/e2e/lang-images.test.ts. Then one walk over a
 * tree: lock evidence merged into the installed packages, the rest declared only.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, type Limits } from '../../../../engine/limits.js';
import { LANG_CATALOGERS } from '../../../../readers/catalogers.js';
import { isPackageLock, lockKeyChain, parsePackageLock } from '../../../../readers/lang/npm/index.js';
import { runLangCatalogers } from '../../../../readers/lang-walk.js';
import { dirFileSystem } from '../../../helpers/dir-fs.js';

const parse = (doc: unknown, limits: Partial<Limits> = {}) =>
  parsePackageLock(Buffer.from(JSON.stringify(doc)), '/srv/app/package-lock.json', {
    ...DEFAULT_LIMITS,
    ...limits,
  });

const v1 = {
  lockfileVersion: 1,
  dependencies: {
    debug: {
      version: '2.6.9',
      resolved: 'https://registry.npmjs.org/debug/-/debug-2.6.9.tgz',
      integrity: 'sha512-aaa',
      dependencies: { ms: { version: '2.0.0' } },
    },
    ms: { version: '2.1.2' },
    minimist: { version: '1.2.5', dev: true },
  },
};
const v3 = {
  lockfileVersion: 3,
  packages: {
    '': { name: 'app', version: '1.0.0' },
    'node_modules/debug': { version: '2.6.9', resolved: 'https://r/debug.tgz', integrity: 'sha512-aaa' },
    'node_modules/debug/node_modules/ms': { version: '2.0.0' },
    'node_modules/@babel/parser': { version: '7.23.0', optional: true },
    'node_modules/lodash-es': { name: 'lodash', version: '4.17.21' },
    'node_modules/ws': { resolved: 'packages/ws', link: true },
    'packages/ws': { name: 'ws', version: '0.0.1' },
    'packages/ws/node_modules/semver': { version: '7.5.4' },
  },
};

describe('readers/lang/npm/package-lock', () => {
  it.each([
    {
      case: 'v1: nested dependencies are nested node_modules',
      doc: v1,
      want: [
        'debug@2.6.9 /srv/app/node_modules/debug',
        'ms@2.0.0 /srv/app/node_modules/debug/node_modules/ms',
        'minimist@1.2.5 /srv/app/node_modules/minimist',
        'ms@2.1.2 /srv/app/node_modules/ms',
      ],
    },
    {
      case: 'v3: keys are install paths; project, workspace source and link skipped; alias keeps the real name',
      doc: v3,
      want: [
        'debug@2.6.9 /srv/app/node_modules/debug',
        'ms@2.0.0 /srv/app/node_modules/debug/node_modules/ms',
        '@babel/parser@7.23.0 /srv/app/node_modules/@babel/parser',
        'lodash@4.17.21 /srv/app/node_modules/lodash-es',
        'semver@7.5.4 /srv/app/packages/ws/node_modules/semver',
      ],
    },
    {
      case: 'v2: `packages` is read, the v1 `dependencies` beside it ignored',
      doc: { ...v3, lockfileVersion: 2, dependencies: { other: { version: '9.9.9' } } },
      want: [
        'debug@2.6.9 /srv/app/node_modules/debug',
        'ms@2.0.0 /srv/app/node_modules/debug/node_modules/ms',
        '@babel/parser@7.23.0 /srv/app/node_modules/@babel/parser',
        'lodash@4.17.21 /srv/app/node_modules/lodash-es',
        'semver@7.5.4 /srv/app/packages/ws/node_modules/semver',
      ],
    },
    { case: 'empty v3', doc: { lockfileVersion: 3, packages: {} }, want: [] },
  ])('$case', ({ doc, want }) => {
    const lock = parse(doc);
    expect(lock.problems).toEqual([]);
    expect(lock.entries.map((e) => `${e.name}@${e.version} ${e.installPath}`)).toEqual(want);
  });

  it('keeps resolved, integrity, dev and optional', () => {
    expect(parse(v1).entries.find((e) => e.name === 'debug')).toMatchObject({
      resolved: 'https://registry.npmjs.org/debug/-/debug-2.6.9.tgz',
      integrity: 'sha512-aaa',
    });
    expect(parse(v1).entries.find((e) => e.name === 'minimist')?.dev).toBe(true);
    expect(parse(v3).entries.find((e) => e.name === '@babel/parser')?.optional).toBe(true);
  });

  it.each([
    { key: 'node_modules/a', want: ['a'] },
    { key: 'node_modules/@s/b/node_modules/c', want: ['@s/b', 'c'] },
    { key: 'packages/x/node_modules/y', want: ['y'] },
    { key: 'packages/x', want: undefined },
    { key: 'node_modules/a/lib', want: undefined },
    { key: 'node_modules/@s', want: undefined },
  ])('lockKeyChain($key) = $want', ({ key, want }) => {
    expect(lockKeyChain(key)).toEqual(want);
  });

  it('a malformed entry is dropped and reported; the rest is read', () => {
    const lock = parse({
      lockfileVersion: 3,
      packages: {
        'node_modules/ok': { version: '1.0.0' },
        'node_modules/str': 'nope',
        'node_modules/nover': { resolved: 'x' },
        'node_modules/Bad Name': { version: '1.0.0' },
      },
    });
    expect(lock.entries.map((e) => e.name)).toEqual(['ok']);
    expect(lock.problems.map((p) => p.code)).toEqual(['corrupt', 'corrupt', 'corrupt']);
  });

  it.each([
    { doc: '{', code: 'corrupt' },
    { doc: '[]', code: 'corrupt' },
    { doc: '{"lockfileVersion": 4, "packages": {}}', code: 'corrupt' },
    { doc: '{"packages": {}}', code: 'corrupt' },
  ])('rejects $doc with $code', ({ doc, code }) => {
    expect(() => parsePackageLock(Buffer.from(doc), '/a/package-lock.json', DEFAULT_LIMITS)).toThrow(
      expect.objectContaining({ code }),
    );
  });

  it.each([
    { lock: 'v1', doc: v1, max: 5, kept: 4, hit: false },
    { lock: 'v1', doc: v1, max: 4, kept: 4, hit: false },
    { lock: 'v1', doc: v1, max: 3, kept: 3, hit: true },
    { lock: 'v3', doc: v3, max: 5, kept: 5, hit: false },
    { lock: 'v3', doc: v3, max: 2, kept: 2, hit: true },
  ])('$lock, MAX_NPM_LOCK_ENTRIES $max: $kept kept, limit hit $hit', ({ doc, max, kept, hit }) => {
    const lock = parse(doc, { MAX_NPM_LOCK_ENTRIES: max });
    expect(lock.entries).toHaveLength(kept);
    expect(lock.problems.map((p) => p.code)).toEqual(hit ? ['limit-exceeded'] : []);
  });

  it.each([
    { max: 2, nestedKept: true },
    { max: 1, nestedKept: false },
  ])('MAX_NPM_LOCK_DEPTH $max: the entry two levels deep kept $nestedKept', ({ max, nestedKept }) => {
    for (const doc of [v1, v3]) {
      const lock = parse(doc, { MAX_NPM_LOCK_DEPTH: max });
      const nested = lock.entries.some((e) => e.installPath.endsWith('debug/node_modules/ms'));
      expect(nested).toBe(nestedKept);
      expect(lock.problems.map((p) => p.code)).toEqual(nestedKept ? [] : ['limit-exceeded']);
      // Everything one level deep is still there.
      expect(lock.entries.some((e) => e.installPath === '/srv/app/node_modules/debug')).toBe(true);
    }
  });

  it('a v1 lock nested 100,000 deep stops at the depth bound (no recursion on untrusted depth)', () => {
    const n = 100_000; // 4 MB of JSON: V8's JSON.parse takes it; the walk over it must not recurse
    const text = `{"lockfileVersion":1,"dependencies":${'{"a":{"version":"1.0.0","dependencies":'.repeat(n)}{}${'}}'.repeat(n)}}`;
    const lock = parsePackageLock(Buffer.from(text), '/srv/app/package-lock.json', DEFAULT_LIMITS);
    expect(lock.entries).toHaveLength(DEFAULT_LIMITS.MAX_NPM_LOCK_DEPTH);
    expect(lock.problems.map((p) => p.code)).toEqual(['limit-exceeded']);
  });

  it.each([
    { path: '/srv/app/package-lock.json', want: true },
    { path: '/srv/app/npm-shrinkwrap.json', want: true },
    { path: '/srv/app/node_modules/x/npm-shrinkwrap.json', want: false },
    { path: '/srv/app/node_modules/.package-lock.json', want: false },
    { path: '/usr/share/nodejs/lodash-cli/npm-shrinkwrap.json', want: false },
    { path: '/srv/app/package.json', want: false },
  ])('isPackageLock($path) = $want', ({ path, want }) => {
    expect(isPackageLock(path)).toBe(want);
  });
});

describe('readers/lang/npm: lockfile evidence in one walk', () => {
  const root = mkdtempSync(join(tmpdir(), 'npm-lock-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const put = (p: string, doc: unknown) => {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), JSON.stringify(doc));
  };

  it('installed packages gain the lock as a second location and its evidence; the rest is declared only', async () => {
    put('srv/app/package-lock.json', v1);
    put('srv/app/node_modules/debug/package.json', { name: 'debug', version: '2.6.9' });
    put('srv/app/node_modules/debug/node_modules/ms/package.json', { name: 'ms', version: '2.0.0' });
    // A stale lock: 2.1.2 locked, 2.1.3 installed.
    put('srv/app/node_modules/ms/package.json', { name: 'ms', version: '2.1.3' });
    const res = await runLangCatalogers(LANG_CATALOGERS, { fs: dirFileSystem(root), limits: DEFAULT_LIMITS });
    expect(res.errors).toEqual([]);
    const got = res.packages
      .filter((p) => p.type === 'npm')
      .map((p) => ({
        id: `${p.name}@${p.version}`,
        locations: p.locations.map((l) => l.path),
        declaredOnly: p.declaredOnly ?? false,
        lock: p.metadata?.lockfile,
      }));
    expect(got).toEqual(
      expect.arrayContaining([
        {
          id: 'debug@2.6.9',
          locations: ['/srv/app/node_modules/debug/package.json', '/srv/app/package-lock.json'],
          declaredOnly: false,
          lock: [
            {
              path: '/srv/app/package-lock.json',
              lockfileVersion: 1,
              resolved: 'https://registry.npmjs.org/debug/-/debug-2.6.9.tgz',
              integrity: 'sha512-aaa',
            },
          ],
        },
        {
          id: 'ms@2.1.3',
          locations: ['/srv/app/node_modules/ms/package.json', '/srv/app/package-lock.json'],
          declaredOnly: false,
          lock: [{ path: '/srv/app/package-lock.json', lockfileVersion: 1, version: '2.1.2' }],
        },
        {
          id: 'minimist@1.2.5',
          locations: ['/srv/app/package-lock.json'],
          declaredOnly: true,
          lock: undefined,
        },
      ]),
    );
    expect(got).toHaveLength(4);
  });
});
