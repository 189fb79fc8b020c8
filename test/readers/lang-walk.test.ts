/**
 * readers/lang-walk.ts: the one bounded walk shared by the language catalogers, over a real
 * directory tree served through the FileSystem interface (test/helpers/dir-fs.ts): skip list,
 * each wanted file read once for every cataloger that wants it, and every bound — depth, entries,
 * files, per-file bytes, total bytes — below, at and above its limit, with what was found before
 * the bound kept and the bound reported.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, type Limits } from '../../engine/limits.js';
import type { Cataloger } from '../../readers/cataloger.js';
import { DEFAULT_LANG_SKIP, runLangCatalogers } from '../../readers/lang-walk.js';
import { countingReads, dirFileSystem } from '../helpers/dir-fs.js';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'lang-walk-'));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), text);
  }
  return root;
}

/** A cataloger that wants files by suffix and reports one package per file (its content as name). */
function fake(id: string, suffix: string, seen: string[]): Cataloger {
  return {
    id,
    displayName: id,
    kind: 'lang',
    version: 1,
    specUrls: ['https://example.invalid'],
    wants: (path, st) => st.type === 'file' && path.endsWith(suffix),
    catalog: async (file) => {
      seen.push(`${id}:${file.path}`);
      return {
        packages: [
          {
            foundBy: id,
            type: 'npm',
            name: file.bytes.toString(),
            version: '1',
            purl: 'pkg:npm/x@1',
            locations: [{ path: file.path }],
          },
        ],
        errors: [],
      };
    },
  };
}

const files = {
  'srv/app/a.want': 'a',
  'srv/app/deep/b.want': 'b',
  'proc/1/c.want': 'proc',
  'tmp/d.want': 'tmp',
  'home/u/.cache/e.want': 'cache',
  'home/u/f.want': 'home',
  'usr/lib/g.other': 'g',
};

async function run(limits: Partial<Limits> = {}, skip?: string[]) {
  const root = tree(files);
  const reads: number[] = [];
  const seen: string[] = [];
  const fs = countingReads(dirFileSystem(root), reads);
  const cats = [
    fake('lang/one', '.want', seen),
    fake('lang/two', '.want', seen),
    fake('lang/three', '.other', seen),
  ];
  const res = await runLangCatalogers(
    cats,
    { fs, limits: { ...DEFAULT_LIMITS, ...limits } },
    skip ? { skip } : {},
  );
  return { res, reads, seen, names: res.packages.map((p) => `${p.foundBy}:${p.name}`) };
}

describe('readers/lang-walk', () => {
  it('skips /proc, /tmp and caches by default; reads each wanted file once for every cataloger', async () => {
    const { res, reads, names } = await run();
    expect(DEFAULT_LANG_SKIP).toEqual(expect.arrayContaining(['/proc', '/sys', '/dev', '/run', '/tmp']));
    expect(res.errors).toEqual([]);
    // four wanted files, each read once although two catalogers take three of them
    expect(reads).toHaveLength(4);
    expect(new Set(reads).size).toBe(4);
    expect(names.sort()).toEqual(
      [
        'lang/one:a',
        'lang/one:b',
        'lang/one:home',
        'lang/two:a',
        'lang/two:b',
        'lang/two:home',
        'lang/three:g',
      ].sort(),
    );
  });

  it('takes a configured skip list instead', async () => {
    const { names } = await run({}, ['/srv']);
    expect(names.filter((n) => n.startsWith('lang/one')).sort()).toEqual(
      ['lang/one:cache', 'lang/one:home', 'lang/one:proc', 'lang/one:tmp'].sort(),
    );
  });

  it.each([
    // depth: /srv/app/deep/b.want is at depth 4
    { limit: 'MAX_LANG_WALK_DEPTH', value: 4, missing: [], error: undefined },
    { limit: 'MAX_LANG_WALK_DEPTH', value: 3, missing: ['b'], error: undefined },
    // files: 4 wanted files
    { limit: 'MAX_LANG_FILES', value: 4, missing: [], error: undefined },
    // directories are read in parallel: which file the bound cuts off depends on timing (any one)
    { limit: 'MAX_LANG_FILES', value: 3, missing: [], anyMissing: 1, error: 'MAX_LANG_FILES' },
    // per-file bytes: every file is 1..5 bytes
    { limit: 'MAX_LANG_FILE_BYTES', value: 4, missing: [], error: undefined },
    { limit: 'MAX_LANG_FILE_BYTES', value: 3, missing: ['home'], error: 'MAX_LANG_FILE_BYTES' },
    {
      limit: 'MAX_LANG_FILE_BYTES',
      value: 0,
      missing: ['a', 'b', 'home', 'g'],
      error: 'MAX_LANG_FILE_BYTES',
    },
    // total bytes: a + b + home + g = 7
    { limit: 'MAX_LANG_TOTAL_BYTES', value: 7, missing: [], error: undefined },
    { limit: 'MAX_LANG_TOTAL_BYTES', value: 6, missing: ['g'], error: 'MAX_LANG_TOTAL_BYTES' },
  ])('$limit = $value: missing $missing, error $error', async (row) => {
    const { limit, value, missing, error } = row;
    const anyMissing = 'anyMissing' in row ? (row.anyMissing as number) : 0;
    const { res, names } = await run({ [limit]: value });
    const got = new Set(names.map((n) => n.split(':')[1]));
    for (const m of missing) expect(got.has(m)).toBe(false);
    const rest = ['a', 'b', 'home', 'g'].filter((x) => !(missing as string[]).includes(x));
    expect(rest.filter((k) => !got.has(k))).toHaveLength(anyMissing);
    if (error) {
      expect(res.errors.length).toBeGreaterThan(0);
      for (const e of res.errors) expect(e.error.code).toBe('limit-exceeded');
      expect(res.errors.some((e) => e.error.message.includes(error))).toBe(true);
    } else {
      expect(res.errors).toEqual([]);
    }
  });

  it('MAX_LANG_WALK_ENTRIES stops the walk with an issue and keeps what it found', async () => {
    const { res } = await run({ MAX_LANG_WALK_ENTRIES: 3 });
    expect(res.errors.map((e) => [e.cataloger, e.error.code])).toEqual([['lang/walk', 'limit-exceeded']]);
    expect(res.walk.entries).toBeLessThanOrEqual(3);
  });
});

/** A cataloger of `*.bin` files that records the bytes its catalog calls hold at once. */
function holding() {
  const held = { now: 0, max: 0, calls: 0 };
  const cat: Cataloger = {
    id: 'lang/holding',
    displayName: 'holding',
    kind: 'lang',
    version: 1,
    specUrls: [],
    wants: (path) => path.endsWith('.bin'),
    async catalog(file) {
      held.calls++;
      held.now += file.bytes.length;
      held.max = Math.max(held.max, held.now);
      await new Promise((r) => setTimeout(r, 2));
      held.now -= file.bytes.length;
      return { packages: [], errors: [] };
    },
  };
  return { cat, held };
}

describe('readers/lang-walk (bytes held by parallel reads)', () => {
  it.each([
    { name: 'ten 1,000-byte files under a 3,000-byte budget', count: 10, size: 1000, max: 3000 },
    { name: 'files larger than the budget are read one at a time', count: 3, size: 5000, max: 5000 },
  ])('$name', async ({ count, size, max }) => {
    const root = tree(
      Object.fromEntries(Array.from({ length: count }, (_, i) => [`opt/f${i}.bin`, 'x'.repeat(size)])),
    );
    const { cat, held } = holding();
    const limits = { ...DEFAULT_LIMITS, MAX_LANG_INFLIGHT_BYTES: 3000 };
    const res = await runLangCatalogers([cat], { fs: dirFileSystem(root), limits }, { concurrency: 16 });
    expect(res.errors).toEqual([]);
    expect(held.calls).toBe(count);
    expect(held.max).toBeGreaterThan(0);
    expect(held.max).toBeLessThanOrEqual(max);
  });
});
