/**
 * The long fuzz run (`npm run fuzz`): every harness of targets.ts, fresh fast-check seeds, for a
 * time budget per harness; prints inputs/second and every contract failure (crash, hang, memory,
 * silent empty) with the seed and path that replay it, shrunk to the smallest mutation list.
 * Failures are also appended to .cache/fuzz/failures.jsonl. Exit status 1 when any was found.
 *
 * usage: npm run fuzz -- [--seconds N (per harness, default 30)] [--target SUBSTRING]...
 * replay: npm run fuzz -- --target NAME --seed S --path P
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { TEST_CACHE } from '../helpers/paths.js';
import { TARGETS } from './targets.js';

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const seconds = Number(opt('--seconds') ?? 30);
const wanted = args.flatMap((a, i) => (args[i - 1] === '--target' ? [a] : []));
const replaySeed = opt('--seed');
const replayPath = opt('--path');

const outDir = join(TEST_CACHE, 'fuzz');
mkdirSync(outDir, { recursive: true });
let failed = 0;
console.log('harness                          inputs   inputs/s  result');
for (const t of TARGETS) {
  if (wanted.length && !wanted.some((w) => t.name.includes(w))) continue;
  const p = await t.prepare();
  let n = 0;
  const t0 = performance.now();
  const seed = replaySeed ? Number(replaySeed) : Date.now() % 2 ** 31;
  const res = await fc.check(
    fc.asyncProperty(p.arbitrary, async (input) => {
      n++;
      const v = await p.check(input);
      if (v.kind !== 'ok') throw new Error(`${v.kind}: ${v.detail}`);
    }),
    {
      seed,
      ...(replayPath
        ? { path: replayPath, numRuns: 1 }
        : { numRuns: Number.MAX_SAFE_INTEGER, interruptAfterTimeLimit: seconds * 1000 }),
      markInterruptAsFailure: false,
    },
  );
  const secs = (performance.now() - t0) / 1000;
  const rate = (n / secs).toFixed(0);
  if (res.failed) {
    failed++;
    const line = {
      harness: t.name,
      seed: res.seed,
      path: res.counterexamplePath,
      counterexample: res.counterexample,
      error: String(res.errorInstance),
    };
    appendFileSync(join(outDir, 'failures.jsonl'), `${JSON.stringify(line)}\n`);
    console.log(
      `${t.name.padEnd(32)} ${String(n).padStart(6)} ${rate.padStart(10)}  FAILED (seed ${res.seed}, path ${res.counterexamplePath})`,
    );
    console.log(`  ${line.error.split('\n').slice(0, 4).join('\n  ')}`);
    console.log(`  counterexample: ${JSON.stringify(res.counterexample)}`);
  } else {
    console.log(`${t.name.padEnd(32)} ${String(n).padStart(6)} ${rate.padStart(10)}  ok`);
  }
  await p.close?.();
}
process.exitCode = failed ? 1 : 0;
