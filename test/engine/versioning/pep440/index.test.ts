import { describe, expect, it } from 'vitest';
import { comparator } from '../../../../engine/versioning/pep440/index.js';
import { hasShared, sharedVersionCompare } from '../oracle.js';
import { itOrdersAscending, itRejects, itTreatsEqual } from '../ordered.js';

describe('engine/versioning/pep440', () => {
  // The ordering example of PEP 440 §"Summary of permitted suffixes and relative ordering".
  itOrdersAscending(comparator, [
    '1.dev0',
    '1.0.dev456',
    '1.0a1',
    '1.0a2.dev456',
    '1.0a12.dev456',
    '1.0a12',
    '1.0b1.dev456',
    '1.0b2',
    '1.0b2.post345.dev456',
    '1.0b2.post345',
    '1.0rc1.dev456',
    '1.0rc1',
    '1.0',
    '1.0+abc.5',
    '1.0+abc.7',
    '1.0+5',
    '1.0.post456.dev34',
    '1.0.post456',
    '1.0.15',
    '1.1.dev1',
    '2!0.1',
  ]);
  itTreatsEqual(comparator, [
    ['1.0', '1.0.0', '1', 'v1.0'],
    ['1.0rc1', '1.0c1', '1.0-rc1', '1.0.rc.1'],
    ['1.0.post1', '1.0-1', '1.0.post.1'],
    ['0!1.0', '1.0'],
  ]);
  itRejects(comparator, ['', 'foo', '1.0-beta-x', '1..0', '1.0+', 'x'.repeat(300)]);
});

describe.skipIf(!hasShared)(
  'engine/versioning/pep440 agrees with @renovatebot/pep440 compare on real PYSEC versions',
  () => {
    it('every pair of 300 real version strings orders the same', async () => {
      const { readdirSync, readFileSync } = await import('node:fs');
      const path = await import('node:path');
      const pep440 = await import('@renovatebot/pep440');
      const base = path.resolve(sharedVersionCompare, '../../vulndata/osv/PyPI/pysec/django');
      const versions = new Set<string>();
      for (const f of readdirSync(base)) {
        for (const m of readFileSync(path.join(base, f), 'utf8').matchAll(
          /^\s+- ['"]?([0-9][^'"\s]*)['"]?$/gm,
        )) {
          versions.add(m[1]!);
        }
      }
      const list = [...versions].filter((v) => pep440.valid(v) !== null).slice(0, 300);
      expect(list.length).toBeGreaterThan(100);
      let pairs = 0;
      for (const a of list) {
        for (const b of list) {
          expect(comparator.compare(a, b), `${a} vs ${b}`).toBe(Math.sign(pep440.compare(a, b)));
          pairs++;
        }
      }
      expect(pairs).toBe(list.length ** 2);
    });
  },
);
