import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { comparator } from '../../../../engine/versioning/apk/index.js';
import { InvalidVersionError } from '../../../../engine/versioning/types.js';
import { expectBothWays, hasShared, type Row, readShared, sharedVersionCompare } from '../oracle.js';

function readApkData(): Row[] {
  const rows: Row[] = [];
  for (const line of readFileSync(path.join(sharedVersionCompare, 'apk-version.data'), 'utf8').split('\n')) {
    const m = /^(\S+)\s+([<>=])\s+(\S+)/.exec(line);
    if (!m) continue;
    rows.push([m[1]!, m[3]!, m[2] === '<' ? -1 : m[2] === '>' ? 1 : 0]);
  }
  return rows;
}

describe('engine/versioning/apk', () => {
  it.each([
    { a: '1.2.3-r1', b: '1.2.3-r0', want: 1 },
    { a: '1.2.3_rc1', b: '1.2.3', want: -1 },
    { a: '1.2.3_p1', b: '1.2.3', want: 1 },
    { a: '1.2.3_alpha', b: '1.2.3_beta', want: -1 },
    { a: '1.2.3_pre2', b: '1.2.3_rc1', want: -1 },
    { a: '1.2.3a', b: '1.2.3', want: 1 },
    { a: '1.2.3a', b: '1.2.4', want: -1 },
    { a: '1.01', b: '1.1', want: -1 },
    { a: '3.0.12-r1', b: '3.0.12-r1', want: 0 },
  ])('$a vs $b = $want', ({ a, b, want }) => {
    expect(comparator.compare(a, b)).toBe(want);
  });

  it.each(['', '1.0bc', '1.0!', '23_foo', '1.0-1', '1.2.3_x', `1.${'9'.repeat(20)}`])('rejects %j', (v) => {
    expect(comparator.valid(v)).toBe(false);
    expect(() => comparator.compare(v, '1.0')).toThrow(InvalidVersionError);
  });

  describe.skipIf(!hasShared)('apk-tools version.data (../shared/fixtures/version-compare)', () => {
    const rows = hasShared ? readApkData() : [];
    const json = hasShared
      ? readShared<{ rows: Row[]; valid: Array<{ input: string; wantErr: boolean }> }>(
          'apk-go-apk-version.json',
        )
      : { rows: [], valid: [] };
    it('reads every line of the table', () => {
      expect(rows.length).toBe(728);
      expect(json.rows.length).toBe(728);
    });
    // Lines apk itself calls invalid (it string-sorts them) must be refused, not ordered.
    it.each([...rows, ...json.rows])('%s vs %s → %s', (a, b, expected) => {
      if (comparator.valid(a) && comparator.valid(b)) expectBothWays(comparator, a, b, expected);
      else expect(() => comparator.compare(a, b)).toThrow(InvalidVersionError);
    });
    it('refuses only the few lines apk marks invalid', () => {
      const refused = rows.filter(([a, b]) => !comparator.valid(a) || !comparator.valid(b));
      expect(refused.map(([a, b]) => `${a} ${b}`)).toEqual(expect.arrayContaining(['1.0 1.0bc']));
      expect(refused.length).toBeLessThanOrEqual(5);
    });
    it.each(json.valid)('valid($input) = !$wantErr', ({ input, wantErr }) => {
      expect(comparator.valid(input)).toBe(!wantErr);
    });
  });
});
