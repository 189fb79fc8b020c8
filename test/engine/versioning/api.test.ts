import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  comparatorFor,
  ecosystemSchemes,
  getVersioning,
  semverComparatorFor,
  versionings,
} from '../../../engine/versioning/api.js';
import { UnknownEcosystemError } from '../../../engine/versioning/types.js';
import { repoRoot } from './oracle.js';

const folder = path.join(repoRoot, 'engine/versioning');
const folders = readdirSync(folder).filter((f) => statSync(path.join(folder, f)).isDirectory());

describe('engine/versioning/api', () => {
  it('registers every versioning folder, and nothing else', () => {
    expect([...versionings.keys()].sort()).toEqual(folders.sort());
  });

  it.each(folders)('%s exports id, displayName, specUrls, version and a comparator; has a readme', (f) => {
    const mod = versionings.get(f)!;
    expect(mod.id).toBe(f);
    expect(typeof mod.displayName).toBe('string');
    expect(mod.specUrls.length).toBeGreaterThan(0);
    expect(Number.isInteger(mod.version)).toBe(true);
    expect(mod.comparator.id).toBe(f);
    expect(typeof mod.comparator.valid).toBe('function');
    expect(readdirSync(path.join(folder, f))).toContain('readme.md');
  });

  it.each([...ecosystemSchemes])('%s → %s is a registered scheme', (eco, scheme) => {
    expect(getVersioning(scheme).id).toBe(scheme);
    expect(comparatorFor(`${eco}:1`).id).toBe(scheme);
  });

  it.each([
    { eco: 'Debian:12', want: 'deb' },
    { eco: 'Ubuntu:Pro:22.04:LTS', want: 'deb' },
    { eco: 'Red Hat:enterprise_linux:9::appstream', want: 'rpm' },
    { eco: 'Amazon Linux:2023', want: 'rpm' },
    { eco: 'Alpine:v3.19', want: 'apk' },
    { eco: 'PyPI', want: 'pep440' },
    { eco: 'Packagist', want: 'composer' },
  ])('$eco → $want', ({ eco, want }) => {
    expect(comparatorFor(eco).id).toBe(want);
  });

  it.each(['SwiftURL', 'Hex', 'Pub', '', 'debian:12', 'packagist', 'Unknown:1'])(
    '%j has no comparator: typed error',
    (eco) => {
      expect(() => comparatorFor(eco)).toThrow(UnknownEcosystemError);
      try {
        comparatorFor(eco);
      } catch (err) {
        expect((err as UnknownEcosystemError).code).toBe('unknown-ecosystem');
      }
    },
  );

  it('SEMVER ranges use semver, except in Go', () => {
    expect(semverComparatorFor('npm').id).toBe('semver');
    expect(semverComparatorFor('crates.io').id).toBe('semver');
    expect(semverComparatorFor('Go').id).toBe('go');
  });
});
