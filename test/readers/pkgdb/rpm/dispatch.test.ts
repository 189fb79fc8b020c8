/**
 * The rpm catalogers behind the real dispatcher over a directory tree (test/helpers/dir-fs):
 * fixed paths, maxBytes, and the Fedora/SUSE layout where /var/lib/rpm is a symlink to
 * /usr/lib/sysimage/rpm (the database must be catalogued once, under its canonical path).
 */
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  truncateSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../../../engine/limits.js';
import { runOsCatalogers } from '../../../../readers/dispatch.js';
import { rpmCataloger, rpmManifestCataloger } from '../../../../readers/pkgdb/rpm/index.js';
import { dirFileSystem } from '../../../helpers/dir-fs.js';
import { HAVE_SHARED, NO_SHARED_REASON, SHARED_FIXTURES } from '../../../helpers/paths.js';

const FIX = resolve(SHARED_FIXTURES, 'rpmdb');
const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

interface Case {
  name: string;
  files: Record<string, string>;
  links: Record<string, string>;
  count: number;
  path: string;
  alias: string | undefined;
}

function tree(files: Record<string, string>, links: Record<string, string> = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'snapscan-rpmtree-'));
  roots.push(root);
  for (const [to, from] of Object.entries(files)) {
    mkdirSync(join(root, to, '..'), { recursive: true });
    copyFileSync(from, join(root, to));
  }
  for (const [at, target] of Object.entries(links)) {
    mkdirSync(join(root, at, '..'), { recursive: true });
    symlinkSync(target, join(root, at));
  }
  return root;
}

describe.skipIf(!HAVE_SHARED)(
  `readers/pkgdb/rpm via readers/dispatch${HAVE_SHARED ? '' : `: skipped, ${NO_SHARED_REASON}`}`,
  () => {
    it.each<Case>([
      {
        name: 'sqlite in /usr/lib/sysimage/rpm, /var/lib/rpm a symlink to it (Fedora >= 36)',
        files: { 'usr/lib/sysimage/rpm/rpmdb.sqlite': join(FIX, 'cbl-mariner2-sqlite.rpmdb.sqlite') },
        links: { 'var/lib/rpm': '../../usr/lib/sysimage/rpm' },
        count: 129,
        path: '/usr/lib/sysimage/rpm/rpmdb.sqlite',
        alias: '/var/lib/rpm/rpmdb.sqlite',
      },
      {
        name: 'ndb in /usr/lib/sysimage/rpm with an absolute symlink (SUSE)',
        files: { 'usr/lib/sysimage/rpm/Packages.db': join(FIX, 'sle15-bci-ndb.Packages.db') },
        links: { 'var/lib/rpm': '/usr/lib/sysimage/rpm' },
        count: 35,
        path: '/usr/lib/sysimage/rpm/Packages.db',
        alias: '/var/lib/rpm/Packages.db',
      },
      {
        name: 'Berkeley DB in /var/lib/rpm (CentOS 8)',
        files: { 'var/lib/rpm/Packages': join(FIX, 'centos8-dive-bdb.Packages') },
        links: {},
        alias: undefined,
        count: 1,
        path: '/var/lib/rpm/Packages',
      },
      {
        name: 'distroless Mariner manifest',
        files: {
          'var/lib/rpmmanifest/container-manifest-2': join(
            FIX,
            'cbl-mariner2-distroless.container-manifest-2',
          ),
        },
        links: {},
        alias: undefined,
        count: 5,
        path: '/var/lib/rpmmanifest/container-manifest-2',
      },
    ])(
      '$name: each package once, located at its canonical path',
      async ({ files, links, count, path, alias }) => {
        const fs = dirFileSystem(tree(files, links));
        const res = await runOsCatalogers([rpmCataloger, rpmManifestCataloger], {
          fs,
          limits: { ...DEFAULT_LIMITS },
        });
        expect(res.errors).toEqual([]);
        expect(res.packages).toHaveLength(count);
        expect(new Set(res.packages.map((p) => p.locations[0]!.path))).toEqual(new Set([path]));
        // The dispatcher resolves the symlinked alias and reads the database once, canonically.
        if (alias) expect(res.filesRead).not.toContain(alias);
      },
    );
  },
);

/** Every spill directory currently in the temp folder. */
function spillDirs(): string[] {
  return readdirSync(tmpdir()).filter((n) => n.startsWith('snapscan-spill-'));
}

describe.skipIf(!HAVE_SHARED)(
  `readers/pkgdb/rpm via readers/dispatch, spilled to a temporary file${HAVE_SHARED ? '' : `: skipped, ${NO_SHARED_REASON}`}`,
  () => {
    // A threshold of 0 spills every database; the real one is RPMDB_SPILL_ABOVE_BYTES.
    const spilling = { ...rpmCataloger, spillAboveBytes: 0 };
    it.each([
      {
        name: 'sqlite (opened read-only from the copy)',
        file: 'cbl-mariner2-sqlite.rpmdb.sqlite',
        at: 'var/lib/rpm/rpmdb.sqlite',
        count: 129,
      },
      {
        name: 'ndb (read back into memory)',
        file: 'sle15-bci-ndb.Packages.db',
        at: 'usr/lib/sysimage/rpm/Packages.db',
        count: 35,
      },
      {
        name: 'Berkeley DB (read back into memory)',
        file: 'centos8-dive-bdb.Packages',
        at: 'var/lib/rpm/Packages',
        count: 1,
      },
    ])('$name: same packages as in memory, and the copy is removed', async ({ file, at, count }) => {
      const before = new Set(spillDirs());
      const fs = dirFileSystem(tree({ [at]: join(FIX, file) }));
      const ctx = { fs, limits: { ...DEFAULT_LIMITS } };
      const spilled = await runOsCatalogers([spilling], ctx);
      const inMemory = await runOsCatalogers([rpmCataloger], ctx);
      expect(spilled.errors).toEqual([]);
      expect(spilled.packages).toHaveLength(count);
      expect(spilled.packages).toEqual(inMemory.packages);
      expect(spillDirs().filter((d) => !before.has(d))).toEqual([]);
    });

    it('a sparse 511 MiB sqlite database (under MAX_RPMDB_BYTES) is read from its spilled copy', async () => {
      const root = tree({ 'var/lib/rpm/rpmdb.sqlite': join(FIX, 'cbl-mariner2-sqlite.rpmdb.sqlite') });
      truncateSync(join(root, 'var/lib/rpm/rpmdb.sqlite'), 511 * 1024 * 1024);
      const res = await runOsCatalogers([rpmCataloger], {
        fs: dirFileSystem(root),
        limits: { ...DEFAULT_LIMITS },
      });
      expect(res.errors).toEqual([]);
      expect(res.packages).toHaveLength(129);
    });

    it('Berkeley DB above MAX_RPMDB_IN_MEMORY_BYTES: a limit-exceeded issue, the copy removed', async () => {
      const before = new Set(spillDirs());
      const fs = dirFileSystem(tree({ 'var/lib/rpm/Packages': join(FIX, 'centos8-dive-bdb.Packages') }));
      const res = await runOsCatalogers([spilling], {
        fs,
        limits: { ...DEFAULT_LIMITS, MAX_RPMDB_IN_MEMORY_BYTES: 4096 },
      });
      expect(res.packages).toEqual([]);
      expect(res.errors.map((e) => [e.path, e.error.code])).toEqual([
        ['/var/lib/rpm/Packages', 'limit-exceeded'],
      ]);
      expect(spillDirs().filter((d) => !before.has(d))).toEqual([]);
    });

    it('aborted while cataloguing: the copy is removed', async () => {
      const before = new Set(spillDirs());
      const fs = dirFileSystem(
        tree({ 'var/lib/rpm/rpmdb.sqlite': join(FIX, 'cbl-mariner2-sqlite.rpmdb.sqlite') }),
      );
      const ac = new AbortController();
      const aborting = {
        ...spilling,
        catalog: async (...args: Parameters<typeof rpmCataloger.catalog>) => {
          expect(spillDirs().filter((d) => !before.has(d))).toHaveLength(1);
          ac.abort();
          return rpmCataloger.catalog(...args);
        },
      };
      await expect(
        runOsCatalogers([aborting], { fs, limits: { ...DEFAULT_LIMITS }, signal: ac.signal }),
      ).rejects.toMatchObject({
        code: 'aborted',
      });
      expect(spillDirs().filter((d) => !before.has(d))).toEqual([]);
    });
  },
);
