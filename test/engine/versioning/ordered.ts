import { expect, it } from 'vitest';
import type { Comparator } from '../../../engine/versioning/types.js';

/** Every earlier entry of `ascending` sorts strictly before every later one (both directions). */
export function itOrdersAscending(c: Comparator, ascending: string[]): void {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i < ascending.length; i++) {
    for (let j = i + 1; j < ascending.length; j++) pairs.push([ascending[i]!, ascending[j]!]);
  }
  it.each(pairs)(`${c.id}: %s < %s`, (a, b) => {
    expect(c.compare(a, b)).toBe(-1);
    expect(c.compare(b, a)).toBe(1);
  });
}

export function itTreatsEqual(c: Comparator, groups: string[][]): void {
  const pairs = groups.flatMap((g) => g.slice(1).map((v) => [g[0]!, v] as [string, string]));
  it.each(pairs)(`${c.id}: %s == %s`, (a, b) => {
    expect(c.compare(a, b)).toBe(0);
    expect(c.compare(b, a)).toBe(0);
  });
}

export function itRejects(c: Comparator, bad: string[]): void {
  it.each(bad)(`${c.id}: rejects %j with invalid-version`, (v) => {
    expect(c.valid(v)).toBe(false);
    expect(() => c.compare(v, v)).toThrow(expect.objectContaining({ code: 'invalid-version' }));
  });
}
