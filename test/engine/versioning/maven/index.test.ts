import { describe } from 'vitest';
import { comparator } from '../../../../engine/versioning/maven/index.js';
import { itOrdersAscending, itRejects, itTreatsEqual } from '../ordered.js';

describe('engine/versioning/maven', () => {
  // maven-artifact ComparableVersionTest (3.8): VERSIONS_QUALIFIER and VERSIONS_NUMBER.
  itOrdersAscending(comparator, [
    '1-alpha2snapshot',
    '1-alpha2',
    '1-alpha-123',
    '1-beta-2',
    '1-beta123',
    '1-m2',
    '1-m11',
    '1-rc',
    '1-cr2',
    '1-rc123',
    '1-SNAPSHOT',
    '1',
    '1-sp',
    '1-sp2',
    '1-sp123',
    '1-abc',
    '1-def',
    '1-pom-1',
    '1-1-snapshot',
    '1-1',
    '1-2',
    '1-123',
  ]);
  itOrdersAscending(comparator, [
    '2.0',
    '2-1',
    '2.0.a',
    '2.0.0.a',
    '2.0.2',
    '2.0.123',
    '2.1.0',
    '2.1-a',
    '2.1b',
    '2.1-c',
    '2.1-1',
    '2.1.0.1',
    '2.2',
    '2.123',
    '11.a2',
    '11.a11',
    '11.b2',
    '11.b11',
    '11.m2',
    '11.m11',
    '11',
    '11.a',
    '11b',
    '11c',
    '11m',
  ]);
  itTreatsEqual(comparator, [
    ['1', '1.0', '1.0.0', '1-0', '1.0-0'],
    ['1ga', '1GA', '1-ga', '1.ga', '1.GA', '1-GA', '1.0-GA', '1-final', '1-release'],
    ['1a1', '1-a1', '1-alpha-1', '1alpha1', '1-ALPHA1'],
    ['1rc2', '1-cr2', '1-CR-2'],
  ]);
  itRejects(comparator, ['', '1.0 beta', '1.0/2', '$' + '{project.version}']);
});
