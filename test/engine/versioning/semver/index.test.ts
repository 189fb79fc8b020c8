import { describe } from 'vitest';
import { comparator } from '../../../../engine/versioning/semver/index.js';
import { itOrdersAscending, itRejects, itTreatsEqual } from '../ordered.js';

describe('engine/versioning/semver', () => {
  // semver.org §11 example chain, plus numeric (not lexical) major/minor/patch.
  itOrdersAscending(comparator, [
    '0.9.9',
    '1.0.0-alpha',
    '1.0.0-alpha.1',
    '1.0.0-alpha.beta',
    '1.0.0-beta',
    '1.0.0-beta.2',
    '1.0.0-beta.11',
    '1.0.0-rc.1',
    '1.0.0',
    '1.0.1',
    '1.2.0',
    '1.10.0',
    '2.0.0',
    '10.0.0',
  ]);
  itTreatsEqual(comparator, [
    ['1.0.0', 'v1.0.0', '1.0.0+build.1', '1.0.0+other'],
    ['1.0.0-rc.1', '1.0.0-rc.1+b'],
  ]);
  itRejects(comparator, ['', '1.0', '01.0.0', '1.0.0-', 'a.b.c', '1.0.0.0', 'latest']);
});
