import { describe } from 'vitest';
import { comparator } from '../../../../engine/versioning/gem/index.js';
import { itOrdersAscending, itRejects, itTreatsEqual } from '../ordered.js';

describe('engine/versioning/gem', () => {
  // rubygems test_gem_version.rb: lettered segments are pre-releases.
  itOrdersAscending(comparator, [
    '0.9',
    '1.0.a',
    '1.0.a.2',
    '1.0.b1',
    '1.0.rc1',
    '1.0',
    '1.0.1',
    '1.2',
    '1.10',
    '5.2.4.pre',
    '5.2.4',
    '5.2.4.1',
  ]);
  itTreatsEqual(comparator, [
    ['1.0', '1', '1.0.0', '1.0.0.0'],
    ['1.0.b1', '1.0.b.1'],
  ]);
  itRejects(comparator, ['', 'junk', '1.0-', '1..0', '1.0 beta']);
});
