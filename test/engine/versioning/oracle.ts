/** Helpers shared by the versioning tests: where shared fixtures live and how to read tables. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { Comparator } from '../../../engine/versioning/types.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../../..');
export const sharedVersionCompare = path.resolve(repoRoot, '../shared/fixtures/version-compare');
export const hasShared = existsSync(sharedVersionCompare);

export type Expected = -1 | 0 | 1 | '>=' | '<=' | '!=';
export type Row = [string, string, Expected];

export function readShared<T>(name: string): T {
  return JSON.parse(readFileSync(path.join(sharedVersionCompare, name), 'utf8')) as T;
}

/** Reads an oracle file of `a < b` / `a = b` lines (comments start with #). */
export function readOracle(name: string): Row[] {
  const text = readFileSync(path.join(repoRoot, 'test/fixtures/versioning', name), 'utf8');
  const rows: Row[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const m = /^(\S+) ([<=]) (\S+)$/.exec(line);
    if (!m) throw new Error(`bad oracle line: ${line}`);
    rows.push([m[1]!, m[3]!, m[2] === '<' ? -1 : 0]);
  }
  return rows;
}

/** Asserts the comparator's answer agrees with an expected sign or negated relation. */
export function expectOrdering(actual: number, expected: Expected, label: string): void {
  switch (expected) {
    case '>=':
      expect(actual, label).toBeGreaterThanOrEqual(0);
      break;
    case '<=':
      expect(actual, label).toBeLessThanOrEqual(0);
      break;
    case '!=':
      expect(actual, label).not.toBe(0);
      break;
    default:
      expect(actual, label).toBe(expected);
  }
}

/** Antisymmetry check used by every table: compare(b, a) must be the negation. */
export function expectBothWays(c: Comparator, a: string, b: string, expected: Expected): void {
  expectOrdering(c.compare(a, b), expected, `${a} vs ${b}`);
  const neg: Expected =
    expected === '>='
      ? '<='
      : expected === '<='
        ? '>='
        : expected === '!='
          ? '!='
          : ((-expected || 0) as -1 | 0 | 1);
  expectOrdering(c.compare(b, a), neg, `${b} vs ${a}`);
}
