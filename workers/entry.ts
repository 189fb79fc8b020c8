/**
 * Where a piscina worker's code lives: next to the caller, compiled (`.js`, no loader: the
 * installed package and the container) or as TypeScript sources (`.ts`, loaded through tsx by
 * absolute URL: a checkout, vitest). Decided by the caller's own module URL, so the two never mix.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** `--import <tsx loader>` as an absolute file URL (a bare `tsx` would resolve from the cwd). */
export function tsxExecArgv(): string[] {
  const require = createRequire(import.meta.url);
  const pkgDir = path.dirname(require.resolve('tsx/package.json'));
  return ['--import', pathToFileURL(path.join(pkgDir, 'dist', 'loader.mjs')).href];
}

/**
 * `relative` names the worker without extension (e.g. './match.worker'), resolved against
 * `callerUrl` (the caller's import.meta.url).
 */
export function workerEntry(relative: string, callerUrl: string): { filename: string; execArgv: string[] } {
  if (callerUrl.endsWith('.js')) {
    return { filename: new URL(`${relative}.js`, callerUrl).href, execArgv: ['--enable-source-maps'] };
  }
  return { filename: new URL(`${relative}.ts`, callerUrl).href, execArgv: tsxExecArgv() };
}
