import { describe, expect, it } from 'vitest';
import { comparator, parseDebVersion, verrevcmp } from '../../../../engine/versioning/deb/index.js';
import { comparator as maven } from '../../../../engine/versioning/maven/index.js';
import { comparator as rpm } from '../../../../engine/versioning/rpm/index.js';
import { InvalidVersionError } from '../../../../engine/versioning/types.js';
import { expectBothWays, expectOrdering, hasShared, type Row, readOracle, readShared } from '../oracle.js';

interface DebTables {
  tables: Record<string, Row[]>;
  nonDigitSegmentCompare: Row[];
  parse: Array<{ input: string; epoch: number; upstream: string; revision: string; error: boolean }>;
  valid: Array<[string, boolean]>;
}

describe('engine/versioning/deb', () => {
  const oracle = readOracle('deb-dpkg-oracle.txt');

  it('has a dpkg oracle table of a few thousand pairs', () => {
    expect(oracle.length).toBeGreaterThan(3000);
  });

  it.each(oracle)('dpkg --compare-versions: %s vs %s → %s', (a, b, expected) => {
    expectBothWays(comparator, a, b, expected);
  });

  it.each([
    { a: '1:1.0', b: '2.0', want: 1 },
    { a: '1.0~rc1-1', b: '1.0-1', want: -1 },
    { a: '1.0~~', b: '1.0~', want: -1 },
    { a: '1.0', b: '1.0-0', want: 0 },
    { a: '2.36-9+deb12u4', b: '2.36-9+deb12u4+b1', want: -1 },
    { a: '  1.0-1 ', b: '1.0-1', want: 0 },
  ])('$a vs $b = $want', ({ a, b, want }) => {
    expect(comparator.compare(a, b)).toBe(want);
  });

  it.each([
    '',
    ' ',
    'A:1.2.3',
    '-1:1.2.3',
    '1:',
    '2:-1ubuntu3.1',
    '1.0-',
    'abc',
    '1.0 1',
    '1:a.0',
    '1.0!1',
    'x'.repeat(300),
  ])('rejects %j with invalid-version', (v) => {
    expect(comparator.valid(v)).toBe(false);
    expect(() => comparator.compare(v, '1.0')).toThrow(InvalidVersionError);
    try {
      comparator.compare('1.0', v);
    } catch (err) {
      expect((err as InvalidVersionError).code).toBe('invalid-version');
    }
  });

  describe.skipIf(!hasShared)('go-deb-version tables (../shared/fixtures/version-compare)', () => {
    const data = hasShared ? readShared<DebTables>('deb-go-deb-version.json') : undefined;
    const full = data
      ? (['TestVersion', 'TestEqual', 'TestGreaterThan', 'TestLessThan'] as const).flatMap((t) =>
          data.tables[t]!.map((r) => [t, ...r] as [string, ...Row]),
        )
      : [];
    it.each(full)('%s: %s vs %s → %s', (_t, a, b, expected) => {
      expectBothWays(comparator, a, b, expected);
    });
    it.each(data ? [...data.tables.TestCompare!, ...data.nonDigitSegmentCompare] : [])(
      'verrevcmp %j vs %j → %s',
      (a, b, expected) => {
        expectOrdering(verrevcmp(a, b), expected, `${a} vs ${b}`);
      },
    );
    it.each(data ? data.parse : [])('parse $input', ({ input, epoch, upstream, revision, error }) => {
      if (error) {
        expect(() => parseDebVersion(input)).toThrow(InvalidVersionError);
      } else {
        expect(parseDebVersion(input)).toEqual({ epoch, upstream, revision });
      }
    });
    it.each(data ? data.valid : [])('valid(%j) = %s', (v, want) => {
      expect(comparator.valid(v)).toBe(want);
    });
  });
});

describe('engine/versioning/types MAX_VERSION_LENGTH', () => {
  it.each([
    { len: 255, ok: true },
    { len: 256, ok: true },
    { len: 257, ok: false },
    { len: 100_000, ok: false },
  ])('a $len-character version is valid: $ok (every scheme)', ({ len, ok }) => {
    const v = `1.${'0'.repeat(len - 2)}`;
    expect(v.length).toBe(len);
    expect(comparator.valid(v)).toBe(ok);
    expect(rpm.valid(v)).toBe(ok);
    expect(maven.valid(v)).toBe(ok);
  });
});
