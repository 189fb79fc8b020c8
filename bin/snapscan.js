#!/usr/bin/env node
// Entry point. Installed package (npm, container): runs the compiled JavaScript in ../dist with
// source maps on; no TypeScript loader at run time. Checkout (the TypeScript sources sit beside this
// file): runs the sources through tsx's loader, so a clone needs no build step and never runs a
// stale dist/. SNAPSCAN_FROM=dist forces the compiled build in a checkout (after `npm run build`).
import { existsSync } from 'node:fs';

// The AWS SDK warns on every process about Node versions it will drop later; snapscan declares its
// own supported versions (package.json engines). The SDK's documented switch, unless the user set it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const root = new URL('../', import.meta.url);
const sources = new URL('engine/cli/main.ts', root);
const compiled = new URL('dist/engine/cli/main.js', root);

async function load() {
  if (existsSync(sources) && process.env.SNAPSCAN_FROM !== 'dist') {
    const { register } = await import('tsx/esm/api');
    register();
    return import(sources.href);
  }
  process.setSourceMapsEnabled(true);
  return import(compiled.href);
}

const { main } = await load();
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`snapscan: ${err?.message ?? String(err)}\n`);
    if (process.env.SNAPSCAN_DEBUG) process.stderr.write(`${err?.stack ?? ''}\n`);
    // Usage errors (bad option, missing argument) exit 2, every other error 1 (engine/cli/exit-codes.ts).
    process.exitCode = err?.code === 'invalid-argument' ? 2 : 1;
  },
);
