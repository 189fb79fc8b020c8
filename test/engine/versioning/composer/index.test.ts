import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { comparator, normalizeComposerVersion } from '../../../../engine/versioning/composer/index.js';
import { expectBothWays, readOracle, repoRoot } from '../oracle.js';
import { itOrdersAscending, itRejects, itTreatsEqual } from '../ordered.js';

/** `input<TAB>normalised|!invalid` lines from composer/semver's own VersionParser::normalize. */
function readNormalizeOracle(): Array<{ input: string; want: string | null }> {
  const text = readFileSync(
    path.join(repoRoot, 'test/fixtures/versioning/composer-normalize-oracle.txt'),
    'utf8',
  );
  return text
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const [input, out] = l.split('\t');
      return { input: input!, want: out === '!invalid' ? null : out! };
    });
}

describe('engine/versioning/composer', () => {
  // Debian 12's php-composer-semver 3.3.2 on PHP 8.2 (test/fixtures/versioning/gen-composer-oracle.php).
  const normalized = readNormalizeOracle();
  const pairs = readOracle('composer-semver-oracle.txt');

  it('has oracle tables: ~120 normalisations and a few thousand ordered pairs', () => {
    expect(normalized.length).toBeGreaterThan(100);
    expect(normalized.filter((n) => n.want === null).length).toBeGreaterThan(5);
    expect(pairs.length).toBeGreaterThan(5000);
  });

  it.each(normalized)('VersionParser::normalize($input) → $want', ({ input, want }) => {
    if (want === null) {
      expect(() => normalizeComposerVersion(input)).toThrow(
        expect.objectContaining({ code: 'invalid-version' }),
      );
      expect(comparator.valid(input)).toBe(false);
    } else {
      expect(normalizeComposerVersion(input)).toBe(want);
      // Branches normalise, but are never ordered: Composer compares them only for equality.
      expect(comparator.valid(input)).toBe(!want.startsWith('dev-'));
    }
  });

  it.each(pairs)('Comparator (version_compare): %s vs %s → %s', (a, b, expected) => {
    expectBothWays(comparator, a, b, expected);
  });

  // Composer's documented stability order (getcomposer.org/doc/articles/versions.md: dev < alpha <
  // beta < RC < stable; patch releases after) and version_compare()'s own examples.
  itOrdersAscending(comparator, [
    '1.0.0-dev',
    '1.0.0-alpha',
    '1.0.0-alpha1',
    '1.0.0-alpha2-dev',
    '1.0.0-alpha2',
    '1.0.0-beta1',
    '1.0.0-RC1',
    '1.0.0',
    '1.0.0-p1',
    '1.0.0.1',
    '1.0.1',
    '1.0.x-dev',
    '1.1.0',
    '1.10.0',
    '20230115',
  ]);
  itTreatsEqual(comparator, [
    ['1', '1.0', '1.0.0', '1.0.0.0', 'v1.0.0', 'V1.0', '1.0.0+build', '1.0.0-stable', '1.0.0@stable'],
    ['1.0.0-beta2', '1.0.0b2', '1.0.0-b2', '1.0.0-beta.2', '1.0.0_beta-2'],
    ['1.0.0-pl1', '1.0.0-p1', '1.0.0-patch1'],
    ['1.0.0-RC1', '1.0.0-rc1', '1.0.0RC1'],
    ['2.x-dev', '2.*-dev', 'v2.X.x-dev'],
  ]);
  // Branches and what normalize rejects: an explicit invalid-version, which the matcher reports as
  // `unknown` (never "not affected", never a guess).
  itRejects(comparator, [
    'dev-master',
    'master',
    'dev-main',
    'dev-feature/login',
    'trunk',
    '',
    'foo',
    '1.0.0.0.0',
    '1.0.0-gamma',
    '1.0.0-beta.foo',
    'x'.repeat(300),
  ]);

  it('dev branches get a reason naming the branch', () => {
    expect(() => comparator.compare('dev-master', '1.0.0')).toThrow(/branch "dev-master"/);
  });
});
