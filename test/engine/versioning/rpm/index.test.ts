import { describe, expect, it } from 'vitest';
import { comparator, parseRpmVersion, rpmvercmp } from '../../../../engine/versioning/rpm/index.js';
import { InvalidVersionError } from '../../../../engine/versioning/types.js';
import { expectBothWays, expectOrdering, hasShared, type Row, readOracle, readShared } from '../oracle.js';

describe('engine/versioning/rpm', () => {
  const oracle = readOracle('rpm-labelcompare-oracle.txt');

  it('has a python3-rpm labelCompare oracle table of a few thousand pairs', () => {
    expect(oracle.length).toBeGreaterThan(2000);
  });

  it.each(oracle)('rpm.labelCompare: %s vs %s → %s', (a, b, expected) => {
    expectBothWays(comparator, a, b, expected);
  });

  it.each([
    { a: '1:1.0-1', b: '2.0-1', want: 1 },
    { a: '0:1.0-1', b: '1.0-1', want: 0 },
    { a: '1.0~rc1-1.el9', b: '1.0-1.el9', want: -1 },
    { a: '1.0^git1-1', b: '1.0-1', want: 1 },
    { a: '1.0^git1-1', b: '1.0.1-1', want: -1 },
    { a: '1.0', b: '1.0-1', want: -1 },
  ])('$a vs $b = $want', ({ a, b, want }) => {
    expect(comparator.compare(a, b)).toBe(want);
  });

  it.each([
    { input: '1.2.3', want: { epoch: 0, version: '1.2.3' } },
    { input: '5:1-2', want: { epoch: 5, version: '1', release: '2' } },
    { input: '2.34-83.el9_3.7', want: { epoch: 0, version: '2.34', release: '83.el9_3.7' } },
  ])('parses $input', ({ input, want }) => {
    expect(parseRpmVersion(input)).toEqual(want);
  });

  // '1:1-0-0': rpm's parseEVR splits the release at the LAST '-', leaving '1-0' as the version; a
  // '-' inside a version is invalid, so the whole string is refused.
  it.each(['', 'A:1.2.3', '-1:1.2.3', '1.0-', ':1.0', '1.0 1-1', '1.0-1 2', '1!0-1', '1:1-0-0'])(
    'rejects %j',
    (v) => {
      expect(comparator.valid(v)).toBe(false);
      expect(() => parseRpmVersion(v)).toThrow(InvalidVersionError);
      expect(() => comparator.compare(v, '1.0')).toThrow(InvalidVersionError);
    },
  );

  describe.skipIf(!hasShared)('go-rpm-version rpmvercmp table (../shared/fixtures/version-compare)', () => {
    const rows = hasShared ? readShared<{ rows: Row[] }>('rpm-rpmvercmp-go-rpm-version.json').rows : [];
    it('has the full table', () => {
      expect(rows.length).toBeGreaterThan(4000);
    });
    it.each(rows)('rpmvercmp %j vs %j → %s', (a, b, expected) => {
      expectOrdering(rpmvercmp(a, b), expected, `${a} vs ${b}`);
      // The full comparator agrees wherever both strings are plain versions of its grammar.
      if (/^[A-Za-z0-9._+~^]+$/.test(a) && /^[A-Za-z0-9._+~^]+$/.test(b)) {
        expectBothWays(comparator, a, b, expected);
        expectBothWays(comparator, `1:${a}-1`, `1:${b}-1`, expected);
        expectBothWays(comparator, `0:1.0-${a}`, `1.0-${b}`, expected);
      }
    });
  });
});
