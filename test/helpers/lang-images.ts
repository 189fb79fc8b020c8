/**
 * The language-packages disk images (built once, cached under .cache/lang-rootfs): a real Debian 12
 * root with python3, nodejs/npm, a virtualenv and an npm app (test/fixtures/lang/build-rootfs.sh,
 * which also writes the native tools' oracles), as ext4 (mkfs.ext4 -d) and XFS (mkfs.xfs -p).
 * Needs root, the Debian mirror and the npm registry the first time; the caller skips with the
 * reason returned otherwise.
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { debianImages } from './debian-images.js';
import { haveTools, protoMode } from './disk-builder.js';
import { REPO_ROOT, TEST_CACHE } from './paths.js';

export interface LangImages {
  dir: string;
  rootfs: string;
  ext4: string;
  xfs: string;
  /** Files mkfs.xfs -p cannot express (white space in the name): absent from the XFS image only. */
  xfsOmitted: string[];
}

let cached: LangImages | string | undefined;

export function langImages(): LangImages | string {
  cached ??= build();
  return cached;
}

function build(): LangImages | string {
  const dir = join(TEST_CACHE, 'lang-rootfs');
  if (!haveTools('mkfs.ext4', 'mkfs.xfs', 'npm', 'dpkg'))
    return 'mkfs.ext4, mkfs.xfs, npm or dpkg missing: lang image tests skipped';
  // r2: the lockfile apps (/srv/lock-v1..3) added; the XFS image keeps file modes.
  const ext4 = join(dir, 'ext4-r2.img');
  if (!existsSync(ext4)) {
    if (process.getuid?.() !== 0) return 'building the language root needs root (chroot apt-get): skipped';
    const deb = debianImages();
    if (typeof deb === 'string') return deb;
    try {
      execFileSync('bash', [join(REPO_ROOT, 'test/fixtures/lang/build-rootfs.sh'), dir, deb.rootfs], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
    } catch (err) {
      return `building the language root failed (no mirror or npm registry?): ${(err as { stderr?: Buffer }).stderr?.toString().slice(-400)}`;
    }
  }
  const rootfs = join(dir, 'rootfs');
  // Files keep their mode (execute bits: the executable catalogers select by mode), owner and group.
  const xfs = join(dir, 'xfs-r2.img');
  const omitted: string[] = [];
  const proto = protofile(rootfs, omitted);
  if (!existsSync(xfs)) {
    const tmp = `${xfs}.tmp`;
    rmSync(tmp, { force: true });
    writeFileSync(`${tmp}.proto`, proto);
    execFileSync(
      'mkfs.xfs',
      [
        '-q',
        '-f',
        '-m',
        'crc=1,uuid=7d1f6c1e-0b6a-4c39-9d0e-2b0f4f1c7a13',
        '-p',
        `${tmp}.proto`,
        '-d',
        `file,name=${tmp},size=1536m`,
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    rmSync(`${tmp}.proto`, { force: true });
    renameSync(tmp, xfs);
  }
  return { dir, rootfs, ext4, xfs, xfsOmitted: omitted };
}

/** mkfs.xfs(8) protofile of a host tree; names with white space cannot be written and are listed in `omitted`. */
function protofile(root: string, omitted: string[]): string {
  const lines = ['/dev/null', '0 0', 'd--755 0 0'];
  const visit = (rel: string, indent: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const p = join(root, rel, name);
      if (/\s/.test(name)) {
        omitted.push(`/${join(rel, name)}`);
        continue;
      }
      const st = lstatSync(p);
      if (st.isDirectory()) {
        lines.push(`${indent}${name} d--755 0 0`);
        visit(join(rel, name), `${indent} `);
        lines.push(`${indent}$`);
      } else if (st.isSymbolicLink()) {
        lines.push(`${indent}${name} l--777 0 0 ${readlinkSync(p)}`);
      } else if (st.isFile()) {
        lines.push(`${indent}${name} ${protoMode('-', st.mode)} ${st.uid} ${st.gid} ${p}`);
      }
    }
  };
  visit('', ' ');
  lines.push('$');
  return `${lines.join('\n')}\n`;
}

/** The oracles build-rootfs.sh wrote. */
export function langOracles(dir: string) {
  const pip = (f: string) =>
    (JSON.parse(readFileSync(join(dir, f), 'utf8')) as Array<{ name: string; version: string }>).map(
      (p) => `${p.name.toLowerCase().replace(/[-_.]+/g, '-')}@${p.version}`,
    );
  /** `npm ls --all --json` → name@version of every package it shows with a version (missing ones have none). */
  const npmLs = (file: string, resolved?: Map<string, string>) => {
    const out = new Set<string>();
    type Node = {
      dependencies?: Record<string, { version?: string; resolved?: string; dependencies?: unknown }>;
    };
    const walk = (n: Node) => {
      for (const [k, v] of Object.entries(n.dependencies ?? {})) {
        if (v.version) out.add(`${k}@${v.version}`);
        if (v.version && v.resolved) resolved?.set(`${k}@${v.version}`, v.resolved);
        walk(v as Node);
      }
    };
    walk(JSON.parse(readFileSync(join(dir, file), 'utf8')));
    return out;
  };
  const npm = npmLs('npm-app.json');
  /** The lockfile apps: installed (`npm ls`), declared (`npm ls --package-lock-only`), resolved URLs. */
  const lockApps = [1, 2, 3].map((v) => {
    const resolved = new Map<string, string>();
    return {
      lockfileVersion: v,
      dir: `/srv/lock-v${v}`,
      installed: [...npmLs(`npm-lock-v${v}.json`, resolved)].sort(),
      declared: [...npmLs(`npm-lock-v${v}.lock.json`)].sort(),
      resolved,
    };
  });
  const owners = new Map<string, string>();
  for (const line of readFileSync(join(dir, 'dpkg-S.tsv'), 'utf8').split('\n')) {
    const [path, owner] = line.split('\t');
    if (path) owners.set(path, owner ?? '');
  }
  return {
    pipVenv: pip('pip-venv.json').sort(),
    pipDist: pip('pip-dist.json').sort(),
    npm: [...npm].sort(),
    lockApps,
    owners,
  };
}
