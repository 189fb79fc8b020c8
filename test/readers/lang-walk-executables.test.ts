/**
 * readers/lang-walk.ts, executables: Go binaries are found by file mode anywhere on the filesystem,
 * not by a directory guess. A small Debian-like root is built for real and made into ext4
 * (mkfs.ext4 -d) and XFS (mkfs.xfs -p, modes kept) images:
 *
 *   /home/app/tool        Go binary (test/fixtures/lang/golang/build.sh, -X main.version), 0755
 *   /var/lib/x/agent      Go binary (main version "(devel)"), 0700
 *   /home/app/tool-copy   the same bytes as /home/app/tool, 0644: no execute bit, never read
 *   /srv/run              a shell script, 0755, no extension: its first bytes are read, nothing else
 *   /usr/bin/ostool       Go binary installed by a real .deb (dpkg-deb --build, dpkg --root -i):
 *   /bin/osagent          owned, never read; /bin → usr/bin (merged /usr, as Debian 12), so dpkg
 *                         lists /bin/osagent while the walk meets /usr/bin/osagent
 *
 * Oracles: `go version -m` for each binary's modules; `dpkg --root -S` for ownership. Reads are
 * counted at the InodeStore (every file byte the walk reads goes through readData by inode).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, type Limits } from '../../engine/limits.js';
import type { Package } from '../../engine/model/package.js';
import { scanBlockSource } from '../../engine/pipeline.js';
import { RawFileSource } from '../../readers/block/raw-file/index.js';
import { LANG_CATALOGERS, osCatalogers } from '../../readers/catalogers.js';
import { runOsCatalogers } from '../../readers/dispatch.js';
import { probeFileSystem } from '../../readers/fs/formats.js';
import { PathFileSystem } from '../../readers/fs/path-fs.js';
import { runLangCatalogers } from '../../readers/lang-walk.js';
import { countingReads } from '../helpers/dir-fs.js';
import { haveTools, xfsProtofile } from '../helpers/disk-builder.js';
import { goBinaries } from '../helpers/go-binaries.js';

const built = goBinaries();
const tools = haveTools('mkfs.ext4', 'mkfs.xfs', 'dpkg', 'dpkg-deb');
const skip =
  typeof built !== 'string'
    ? built.reason
    : !tools
      ? 'mkfs.ext4, mkfs.xfs, dpkg or dpkg-deb missing (see .ci/run): skipped'
      : undefined;

const work = mkdtempSync(join(tmpdir(), 'snapscan-exec-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The root tree and its two images. */
function build(bins: string): { root: string; ext4: string; xfs: string } {
  const root = join(work, 'root');
  const put = (rel: string, from: string | Buffer, mode: number) => {
    const full = join(root, rel);
    mkdirSync(join(full, '..'), { recursive: true });
    if (typeof from === 'string') copyFileSync(from, full);
    else writeFileSync(full, from);
    chmodSync(full, mode);
  };
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  symlinkSync('usr/bin', join(root, 'bin'));
  put(
    'etc/os-release',
    Buffer.from(
      'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n',
    ),
    0o644,
  );
  put('home/app/tool', join(bins, 'app-ldflags'), 0o755);
  put('home/app/tool-copy', join(bins, 'app-ldflags'), 0o644);
  put('var/lib/x/agent', join(bins, 'app-plain'), 0o700);
  put(
    'srv/run',
    Buffer.from(`#!/bin/sh\n# starts the app\nexec /home/app/tool "$@"\n${'#'.repeat(80)}\n`),
    0o755,
  );

  // A real Debian package holding two Go binaries, installed with dpkg into the root.
  const pkg = join(work, 'pkg');
  mkdirSync(join(pkg, 'DEBIAN'), { recursive: true });
  writeFileSync(
    join(pkg, 'DEBIAN/control'),
    'Package: ostool\nVersion: 1.0-1\nArchitecture: amd64\nMaintainer: snapscan tests <tests@example.invalid>\nDescription: Go binaries a Debian package installs\n',
  );
  for (const [rel, mode] of [
    ['usr/bin/ostool', 0o755],
    ['bin/osagent', 0o755],
  ] as const) {
    mkdirSync(join(pkg, rel, '..'), { recursive: true });
    copyFileSync(join(bins, 'app-plain'), join(pkg, rel));
    chmodSync(join(pkg, rel), mode);
  }
  execFileSync('dpkg-deb', ['--root-owner-group', '--build', pkg, join(work, 'ostool.deb')], {
    stdio: 'pipe',
  });
  for (const d of ['var/lib/dpkg/info', 'var/lib/dpkg/updates'])
    mkdirSync(join(root, d), { recursive: true });
  writeFileSync(join(root, 'var/lib/dpkg/status'), '');
  execFileSync(
    'dpkg',
    [
      `--root=${root}`,
      '--force-script-chrootless',
      '--force-bad-path',
      '--force-not-root',
      '-i',
      join(work, 'ostool.deb'),
    ],
    { stdio: 'pipe' },
  );

  const ext4 = join(work, 'exec.ext4');
  execFileSync('mkfs.ext4', ['-q', '-F', '-b', '4096', '-E', 'root_owner=0:0', '-d', root, ext4, '32M'], {
    stdio: 'pipe',
  });
  const xfs = join(work, 'exec.xfs');
  writeFileSync(`${xfs}.proto`, xfsProtofile(root, { keepModes: true }));
  // mkfs.xfs refuses filesystems under 300 MiB unless run under fstests (these variables).
  execFileSync('mkfs.xfs', ['-q', '-f', '-p', `${xfs}.proto`, '-d', `file,name=${xfs},size=64m`], {
    env: { ...process.env, TEST_DIR: '1', TEST_DEV: '1', QA_CHECK_FS: '1' },
    stdio: 'pipe',
  });
  return { root, ext4, xfs };
}

/**
 * `go version -m FILE` → the packages lang/go-binary reports: the main module, stdlib at the
 * toolchain version, each dep — as its replacement when replaced by a module version, with an
 * empty version when replaced by a local directory.
 */
function goVersionM(file: string): { main: string; list: string[] } {
  const out = execFileSync('go', ['version', '-m', file], { encoding: 'utf8' });
  const lines = out.split('\n');
  const goVersion = /: (go\S+)/.exec(lines[0]!)![1]!;
  const list = [`stdlib@v${goVersion.slice(2)}`];
  let main = '';
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i]!.split('\t').slice(1);
    if (f[0] === 'mod') main = f[1]!;
    if (f[0] !== 'dep') continue;
    const next = lines[i + 1]?.split('\t').slice(1);
    if (next?.[0] === '=>') {
      i++;
      const local = !next[2] || next[2] === '(devel)';
      list.push(local ? `${f[1]}@` : `${next[1]}@${next[2]}`);
    } else list.push(`${f[1]}@${f[2]}`);
  }
  return { main, list: list.sort() };
}

const at = (pkgs: Package[], path: string) =>
  pkgs.filter((p) => p.locations[0]!.path === path && p.type === 'golang');

describe.skipIf(skip !== undefined)('readers/lang-walk: executables by file mode, anywhere', () => {
  if (skip) it.skip(skip, () => {});
  const bins = built as string;
  const img = skip ? undefined : build(bins);

  async function walk(
    image: string,
    opts: { readOwnedExecutables?: boolean } = {},
    limits: Partial<Limits> = {},
  ) {
    const source = await RawFileSource.open(image);
    try {
      const format = await probeFileSystem(source);
      const reads: number[] = [];
      const fs = countingReads(new PathFileSystem(await format!.open(source), DEFAULT_LIMITS), reads);
      const ctx = { fs, limits: DEFAULT_LIMITS };
      const os = await runOsCatalogers(osCatalogers({ details: false }), ctx);
      reads.length = 0; // only the language walk's reads count below
      const res = await runLangCatalogers(
        LANG_CATALOGERS,
        { ...ctx, limits: { ...DEFAULT_LIMITS, ...limits } },
        opts,
        os.packages,
      );
      const inos = new Map<string, number>();
      for (const p of [
        '/home/app/tool',
        '/home/app/tool-copy',
        '/var/lib/x/agent',
        '/srv/run',
        '/usr/bin/ostool',
        '/usr/bin/osagent',
      ])
        inos.set(p, (await fs.stat(p)).ino);
      const ino = async (p: string) => inos.get(p)!;
      return { res, os, reads, ino };
    } finally {
      await source.close();
    }
  }

  it('the dpkg -S oracle: the .deb owns /usr/bin/ostool and /bin/osagent, nothing else', () => {
    const owner = (p: string) => {
      try {
        return execFileSync('dpkg', [`--root=${img!.root}`, '-S', p], {
          encoding: 'utf8',
          stdio: 'pipe',
        }).trim();
      } catch {
        return '';
      }
    };
    expect(owner('/usr/bin/ostool')).toBe('ostool: /usr/bin/ostool');
    expect(owner('/bin/osagent')).toBe('ostool: /bin/osagent');
    // dpkg 1.21 knows no merged-/usr aliases: the path the walk meets is not found by name.
    expect(owner('/usr/bin/osagent')).toBe('');
    expect(owner('/home/app/tool')).toBe('');
  });

  it.each(['ext4', 'xfs'] as const)(
    '%s: Go binaries at /home/app/tool and /var/lib/x/agent equal `go version -m`',
    async (fs) => {
      const { res } = await walk(fs === 'ext4' ? img!.ext4 : img!.xfs);
      expect(res.errors).toEqual([]);
      for (const [path, bin, mainVersion] of [
        ['/home/app/tool', 'app-ldflags', 'v1.4.2'],
        ['/var/lib/x/agent', 'app-plain', ''],
      ] as const) {
        const oracle = goVersionM(join(bins, bin));
        const pkgs = at(res.packages, path);
        const main = pkgs.find((p) => p.metadata?.relationship === 'root')!;
        expect(main.name).toBe(oracle.main);
        // (devel) in the build info; -X main.version=1.4.2 names the release where it was set.
        expect(main.version).toBe(mainVersion);
        expect(
          pkgs
            .filter((p) => p !== main)
            .map((p) => `${p.name}@${p.version}`)
            .sort(),
        ).toEqual(oracle.list);
        expect(oracle.list).toContain('golang.org/x/text@v0.3.5');
      }
      // Nothing from the copy without an execute bit, the script, or the deb's binaries.
      const paths = new Set(res.packages.map((p) => p.locations[0]!.path));
      expect([...paths].sort()).toEqual(['/home/app/tool', '/var/lib/x/agent']);
    },
  );

  it.each(['ext4', 'xfs'] as const)(
    '%s: the copy without an execute bit and the executables the .deb owns are not read at all',
    async (fs) => {
      const { res, reads, ino } = await walk(fs === 'ext4' ? img!.ext4 : img!.xfs);
      const read = new Set(reads);
      expect(read.has(await ino('/home/app/tool'))).toBe(true);
      expect(read.has(await ino('/var/lib/x/agent'))).toBe(true);
      expect(read.has(await ino('/home/app/tool-copy'))).toBe(false);
      expect(read.has(await ino('/usr/bin/ostool'))).toBe(false);
      expect(read.has(await ino('/usr/bin/osagent'))).toBe(false);
      // The script: its first bytes only (one read of EXEC_MAGIC_BYTES), then dropped.
      const script = await ino('/srv/run');
      expect(reads.filter((i) => i === script)).toHaveLength(1);
      expect(res.walk).toMatchObject({
        executables: 5,
        executablesOwned: 2,
        executablesProbed: 3,
        executablesOpened: 2,
      });
    },
  );

  it.each([
    { max: 1_000, hit: false },
    { max: 14, hit: false },
    { max: 4, hit: true },
  ])(
    'ext4: candidates count against MAX_LANG_FILES ($max): limit hit $hit, what was wanted before it is read',
    async ({ max, hit }) => {
      const { res } = await walk(img!.ext4, {}, { MAX_LANG_FILES: max });
      const codes = res.errors.map(
        (e) => `${e.cataloger} ${e.error.code} ${/MAX_LANG_FILES/.test(e.error.message)}`,
      );
      expect(codes).toEqual(hit ? ['lang/walk limit-exceeded true'] : []);
      // Every file a cataloger wanted before the stat: the 14 extensionless names (maybe executables)
      // beside dpkg's files, /etc's, the binaries and the script.
      expect(res.walk.wanted).toBe(hit ? max : 14);
      expect(res.walk.executablesOpened).toBeLessThanOrEqual(2);
      if (!hit) expect(res.walk.executablesOpened).toBe(2);
    },
  );

  it('readOwnedExecutables: the owned binaries are read and attributed to the deb (merged /usr too)', async () => {
    const { res, os } = await walk(img!.ext4, { readOwnedExecutables: true });
    const deb = os.packages.find((p) => p.name === 'ostool')!;
    expect(deb.version).toBe('1.0-1');
    for (const path of ['/usr/bin/ostool', '/usr/bin/osagent']) {
      const pkgs = at(res.packages, path);
      expect(pkgs.map((p) => `${p.name}@${p.version}`).sort()).toEqual(
        goVersionM(join(bins, 'app-plain')).list.concat('example.com/app@').sort(),
      );
      expect(new Set(pkgs.map((p) => p.ownedBy))).toEqual(new Set([deb.purl]));
    }
    expect(at(res.packages, '/home/app/tool').every((p) => p.ownedBy === undefined)).toBe(true);
  });

  it.each(['ext4', 'xfs'] as const)('%s: the whole scan finds them, with no issue', async (fs) => {
    const source = await RawFileSource.open(fs === 'ext4' ? img!.ext4 : img!.xfs);
    try {
      const inv = await scanBlockSource(source, {
        resource: { type: 'image', id: fs },
        now: () => new Date(0),
      });
      expect(inv.status.issues).toEqual([]);
      expect(inv.packages.filter((p) => p.type === 'deb').map((p) => p.name)).toEqual(['ostool']);
      expect(
        [...new Set(inv.packages.filter((p) => p.type === 'golang').map((p) => p.locations[0]!.path))].sort(),
      ).toEqual(['/home/app/tool', '/var/lib/x/agent']);
      expect(inv.stats.lang).toMatchObject({ executablesOwned: 2, executablesOpened: 2 });
    } finally {
      await source.close();
    }
  });
});
