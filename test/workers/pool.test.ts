import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScanError } from '../../engine/errors.js';
import { matchDetailed } from '../../engine/match/matcher.js';
import { MemoryLookup } from '../../engine/match/memory-lookup.js';
import { VulnDbWriter, VulnStore } from '../../engine/vulndb/store.js';
import { MatchPool, validatePoolOptions } from '../../workers/pool.js';
import { adv, DEBIAN_12, pkg, range, semverRange } from '../engine/match/fixtures.js';

const entries = [
  ...Array.from({ length: 50 }, (_, i) =>
    adv(
      `GHSA-${i}`,
      [`CVE-2024-${1000 + i}`],
      [
        {
          ecosystem: 'npm',
          name: `lib${i}`,
          ranges: [semverRange({ introduced: '0' }, { fixed: `1.${i}.0` })],
        },
      ],
    ),
  ),
  adv(
    'DSA-1-1',
    ['CVE-2024-1'],
    [
      {
        ecosystem: 'Debian:12',
        name: 'glibc',
        ranges: [range({ introduced: '0' }, { fixed: '2.36-9+deb12u4' })],
      },
    ],
  ),
];
const packages = [
  ...Array.from({ length: 300 }, (_, i) => pkg('npm', `lib${i % 60}`, `1.${i % 7}.0`)),
  pkg('deb', 'libc6', '2.36-9+deb12u3', { sourceName: 'glibc' }),
  pkg('deb', 'bash', 'not a version!'),
];

describe('workers/pool', () => {
  let dir: string;
  let jsonPath: string;
  let sqlitePath: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'snapscan-pool-'));
    jsonPath = path.join(dir, 'advisories.json');
    writeFileSync(jsonPath, JSON.stringify(entries));
    sqlitePath = path.join(dir, 'vulndb.sqlite');
    const w = new VulnDbWriter(sqlitePath);
    await w.replaceSource({ name: 'test', kind: 'osv', location: 'test' }, (s) => {
      for (const e of entries) s.addAdvisory(e.advisory, e.affected);
    });
    w.finish();
    w.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('matches through the pool exactly as in process (JSON store, tsx workers)', async () => {
    const expected = matchDetailed(packages, DEBIAN_12, new MemoryLookup(entries));
    expect(expected.matches.length).toBeGreaterThan(100);
    const pool = new MatchPool({ kind: 'json', path: jsonPath }, { threads: 2, minChunk: 40 });
    try {
      const got = await pool.match(packages, DEBIAN_12);
      expect(got).toEqual(expected);
    } finally {
      await pool.close();
    }
  });

  it('opens the engine/vulndb SQLite store read-only in each worker', async () => {
    const store = VulnStore.openReadOnly(sqlitePath);
    const expected = matchDetailed(packages, DEBIAN_12, store);
    store.close();
    const pool = new MatchPool({ kind: 'sqlite', path: sqlitePath }, { threads: 2, minChunk: 40 });
    try {
      await pool.warm();
      const got = await pool.match(packages, DEBIAN_12);
      expect(
        got.matches.map((m) => `${m.package.name}@${m.package.version}:${m.vulnerabilityId}:${m.status}`),
      ).toEqual(
        expected.matches.map(
          (m) => `${m.package.name}@${m.package.version}:${m.vulnerabilityId}:${m.status}`,
        ),
      );
      expect(got.matches.some((m) => m.status === 'unknown' && m.package.name === 'bash')).toBe(false);
      expect(got.matches.find((m) => m.vulnerabilityId === 'CVE-2024-1')?.fixedVersion).toBe(
        '2.36-9+deb12u4',
      );
    } finally {
      await pool.close();
    }
  });

  it('rebuilds worker errors as ScanError with their code', async () => {
    const pool = new MatchPool({ kind: 'sqlite', path: path.join(dir, 'missing.sqlite') }, { threads: 1 });
    try {
      const err = await pool.match(packages.slice(0, 3), undefined).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ScanError);
      expect((err as ScanError).code).toBe('vulndb-missing');
    } finally {
      await pool.close();
    }
  });

  it.each([
    { opts: { threads: 0 }, msg: /"threads"/ },
    { opts: { threads: 1.5 }, msg: /"threads"/ },
    { opts: { idleTimeoutMs: -1 }, msg: /"idleTimeoutMs"/ },
    { opts: { minChunk: 10, maxChunk: 5 }, msg: /"maxChunk"/ },
    { opts: { thread: 2 } as never, msg: /unknown match pool option "thread"/ },
  ])('rejects options $opts', ({ opts, msg }) => {
    expect(() => validatePoolOptions(opts)).toThrow(msg);
  });

  it('accepts defaults and names the store kind', () => {
    expect(validatePoolOptions({}).threads).toBeGreaterThanOrEqual(1);
    expect(() => new MatchPool({ kind: 'nope', path: 'x' } as never)).toThrow(/store/);
  });
});
