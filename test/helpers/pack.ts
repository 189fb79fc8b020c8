/**
 * Builds and packs snapscan the way it is published, without touching the checkout: `tsc` with
 * tsconfig.build.json into a staging folder (never ./dist), package.json/README/bin/schemas copied
 * beside it, `npm pack` there (package.json's `files` decides what goes in), then `npm install
 * --omit=dev TARBALL` into an empty folder. Used by test/package.test.ts and bench/startup.ts.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
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

/** `npm install --omit=dev TARBALL` into an empty project folder; returns the installed CLI's path. */
export function installTarball(tarball: string, dir: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'snapscan-install-test', private: true }),
  );
  execFileSync(
    NPM,
    ['install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball],
    { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  return path.join(dir, 'node_modules/snapscan/bin/snapscan.js');
}

/** Lists a tarball's entries (`tar -tzf`), without the leading `package/`. */
export function tarballEntries(tarball: string): string[] {
  return execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l && !l.endsWith('/'))
    .map((l) => l.replace(/^package\//, ''));
}
