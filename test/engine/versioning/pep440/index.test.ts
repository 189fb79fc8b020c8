import { describe } from 'vitest';
import { comparator } from '../../../../engine/versioning/pep440/index.js';
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
