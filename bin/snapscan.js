#!/usr/bin/env node
// Entry point: runs the TypeScript sources through tsx's loader (no build step needed), so the
// same command works from a clone, from `npm ci`, and inside worker threads.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../engine/cli/main.ts');
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
