/**
 * The short fuzz run of `npm test`: every harness of targets.ts gets a handful of mutated inputs
 * from a fixed fast-check seed (deterministic, a few seconds in all on a 2-core machine), each
 * checked against the contract of harness.ts. `npm run fuzz` runs the same harnesses for longer
 * with fresh seeds (test/fuzz/run.ts).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { type PreparedTarget, TARGETS } from './targets.js';

/** Inputs per harness in the short run: images cost ~10-50 ms each, buffers well under 1 ms. */
const RUNS: Record<string, number> = { image: 6, bytes: 60 };
const IMAGE = /partition|ext4|xfs|pipeline/;

const prepared: PreparedTarget[] = [];
afterAll(async () => {
  for (const p of prepared) await p.close?.();
});

describe('test/fuzz (short run of every harness)', () => {
  it.each(TARGETS.map((t) => ({ name: t.name, target: t })))(
    '$name: mutated seeds keep the contract',
    async ({ name, target }) => {
      const p = await target.prepare();
      prepared.push(p);
      const numRuns = IMAGE.test(name) ? RUNS.image! : RUNS.bytes!;
      await fc.assert(
        fc.asyncProperty(p.arbitrary, async (input) => {
          const v = await p.check(input);
          expect(v, JSON.stringify(v)).toMatchObject({ kind: 'ok' });
        }),
        { numRuns, seed: 11 },
      );
    },
  );
});
