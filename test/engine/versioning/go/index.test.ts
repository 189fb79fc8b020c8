import { describe } from 'vitest';
import { comparator } from '../../../../engine/versioning/go/index.js';
import { itOrdersAscending, itRejects, itTreatsEqual } from '../ordered.js';

describe('engine/versioning/go', () => {
  itOrdersAscending(comparator, [
    'v0.0.0-20191109021931-daa7c04131f5',
    'v0.0.0-20200101000000-abcdefabcdef',
    'v0.1.0',
    'v0.1.1-0.20200101000000-abcdefabcdef', // pseudo-version after v0.1.0: below v0.1.1
    'v0.1.1',
    'v1.0.0-rc.1',
    'v1.0.0',
    'v1.2.0',
    'v1.10.0',
    'v2.0.0+incompatible',
    'v2.1.0+incompatible',
  ]);
  itOrdersAscending(comparator, [
    'go1.9',
    'go1.9.2',
    'go1.20.14',
    'go1.21beta1',
    'go1.21rc1',
    'go1.21rc2',
    'go1.21.0',
    '1.21.3',
    'go1.21.4',
    'go1.22.0',
  ]);
  itTreatsEqual(comparator, [
    ['v1.2.3', '1.2.3'],
    ['v1.2', 'v1.2.0'],
    ['v1', 'v1.0.0'],
    ['go1.21.0', '1.21.0', 'v1.21.0'],
    ['go1.21rc1', '1.21.0-rc.1'],
    ['v2.0.0+incompatible', 'v2.0.0'],
  ]);
  itRejects(comparator, ['', 'latest', 'v1.2.3.4', 'go', 'go1.21.', 'vv1.0.0', 'v01.0.0', 'master']);
});
