/**
 * Builds and packs snapscan the way it is published, without touching the checkout: `tsc` with
 * tsconfig.build.json (emit only) into a staging folder (never ./dist), package.json/README/bin/
 * schemas copied beside it, `npm pack` there (package.json's `files` decides what goes in), then
 * `npm install --omit=dev TARBALL` into an empty folder. Used by test/package.test.ts and bench/startup.ts.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../emulator/test-image.js';

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Compiles into STAGE/dist and packs; returns the tarball's absolute path (in outDir). */
export function buildTarball(stage: string, outDir: string): string {
  mkdirSync(stage, { recursive: true });
  mkdirSync(outDir, { recursive: true });
  execFileSync(
    process.execPath,
    [
      path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc'),
      '-p',
      path.join(REPO_ROOT, 'tsconfig.build.json'),
      // Emit only: the JavaScript and source maps are byte-identical with and without the type
      // check (diff -r of both outputs), which `npm test` runs as its own step; half the time.
      '--noCheck',
      '--outDir',
      path.join(stage, 'dist'),
    ],
    { stdio: 'inherit' },
  );
  for (const f of ['package.json', 'README.md', 'bin', 'schemas']) {
    cpSync(path.join(REPO_ROOT, f), path.join(stage, f), { recursive: true });
  }
  // --ignore-scripts: prepack would run `npm run build` into the stage's ./dist, already done above.
  execFileSync(NPM, ['pack', '--ignore-scripts', '--silent', '--pack-destination', outDir], {
    cwd: stage,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const tgz = readdirSync(outDir).find((f) => f.endsWith('.tgz'));
  if (!tgz) throw new Error(`npm pack left no tarball in ${outDir}`);
  return path.join(outDir, tgz);
}

/**
 * `npm install --omit=dev TARBALL` into an empty project folder; returns the installed CLI's path.
 * better-sqlite3's install script is `prebuild-install || node-gyp rebuild`: the prebuilt addon is
 * downloaded from GitHub, which neither CI nor this machine reaches, so SQLite gets compiled from
 * source (minutes). The checkout's own addon — built by `npm ci` from the same sources for this
 * Node — is offered to prebuild-install as a local prebuild instead (`localPrebuilds`).
 */
export function installTarball(tarball: string, dir: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'snapscan-install-test', private: true }),
  );
  execFileSync(
    NPM,
    ['install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball],
    {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, ...localPrebuilds(path.join(dir, '.prebuilds')) },
    },
  );
  return path.join(dir, 'node_modules/snapscan/bin/snapscan.js');
}

/**
 * Packs the checkout's better-sqlite3 addon the way its GitHub releases are packed
 * (`build/Release/better_sqlite3.node` in `<name>-v<version>-node-v<abi>-<platform>-<arch>.tar.gz`)
 * into `dir`, and returns the environment that makes prebuild-install look there first
 * (`npm_config_better_sqlite3_local_prebuilds`). prebuild-install takes it only when the name
 * matches the version being installed, this Node's ABI, platform and arch (glibc; a musl system
 * looks for `linuxmusl` and misses), loads it to check, and otherwise goes on as before: download,
 * then compile. No addon in the checkout: nothing offered.
 */
export function localPrebuilds(dir: string): Record<string, string> {
  const pkg = path.join(REPO_ROOT, 'node_modules/better-sqlite3');
  const addon = 'build/Release/better_sqlite3.node';
  if (!existsSync(path.join(pkg, addon))) return {};
  const { version } = JSON.parse(readFileSync(path.join(pkg, 'package.json'), 'utf8')) as { version: string };
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  mkdirSync(dir, { recursive: true });
  execFileSync('tar', ['-czf', path.join(dir, name), '-C', pkg, addon]);
  return { npm_config_better_sqlite3_local_prebuilds: dir };
}

/** Lists a tarball's entries (`tar -tzf`), without the leading `package/`. */
export function tarballEntries(tarball: string): string[] {
  return execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l && !l.endsWith('/'))
    .map((l) => l.replace(/^package\//, ''));
}
