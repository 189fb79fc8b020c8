import { describe, expect, it } from 'vitest';
import { comparator } from '../../../../engine/versioning/maven/index.js';
import { expectBothWays, readOracle } from '../oracle.js';
import { itOrdersAscending, itRejects, itTreatsEqual } from '../ordered.js';

describe('engine/versioning/maven', () => {
  // Every pair of ~80 real and edge-case versions, ordered by Maven 3.8.7's ComparableVersion
  // (test/fixtures/versioning/gen-maven-oracle.py).
  const oracle = readOracle('maven-comparableversion-oracle.txt');

  it('has a Maven ComparableVersion oracle table of a few thousand pairs', () => {
    expect(oracle.length).toBeGreaterThan(3000);
  });

  it.each(oracle)('ComparableVersion: %s vs %s → %s', (a, b, expected) => {
    expectBothWays(comparator, a, b, expected);
  });

  // The cycle the pre-3.8.7 parse made (1.alpha-alpha < 1.alpha < 1.alpha.sp < 1.alpha-alpha),
  // ordered as the 3.8.7 jar does.
  itOrdersAscending(comparator, ['1.alpha-alpha', '1.alpha.sp', '1.alpha']);
  // Maven 3.8.7 itself is not transitive when a release word sits inside a list: the jar answers
  // 1.final.x-alpha < 1.final-alpha < 1.ga.0 < 1.final.x-alpha and 1-alpha < 1 < 1.x.alpha <
  // 1-alpha (a word at or above release followed by more items; the "" item compares equal to
  // nothing but below a list). We agree with the jar; properties.test.ts excludes this family.
  it.each([
    ['1-alpha', '1'],
    ['1', '1.x.alpha'],
    ['1.x.alpha', '1-alpha'],
    ['1.final.x-alpha', '1.final-alpha'],
    ['1.final-alpha', '1.ga.0'],
    ['1.ga.0', '1.final.x-alpha'],
  ])('maven: %s < %s (Maven 3.8.7 cycle)', (a, b) => {
    expectBothWays(comparator, a!, b!, -1);
  });
  itOrdersAscending(comparator, ['1.alpha.0', '1.alpha', '1-.1']);

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
    // The upstream table had 2-1 < 2.0.a < 2.0.0.a; Maven 3.8.7's jar (trailing ".X" read as "-X")
    // answers 2.0.a < 2-1 and 2.0.a == 2.0.0.a (equal group below).
    '2.0.a',
    '2-1',
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
    ['2.0.a', '2.0.0.a', '2-a', '2.0-a'],
    ['1.alpha', '1-alpha', '1alpha', '1.0.alpha'],
  ]);
  itRejects(comparator, ['', '1.0 beta', '1.0/2', '$' + '{project.version}']);
});
