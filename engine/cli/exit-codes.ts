/**
 * Every exit code snapscan returns, in one place (README "Exit codes" lists the same table).
 * A scan whose outcome is not `complete` has its own codes, distinct from errors, from usage errors
 * and from `--exit-code` gating, so CI can tell "vulnerable" from "could not read the disk".
 */

import { reasonLine } from '../inventory/outcome.js';
import type { OutcomeReason, OutcomeState } from '../model/scan-status.js';

export const EXIT = {
  /** The command did what was asked; every scan outcome `complete` (or `partial` with --allow-partial). */
  OK: 0,
  /**
   * An error stopped the command or one of its targets: unreadable input file, missing
   * vulnerability data, snapshot not found, AWS failure, output not writable.
   */
  ERROR: 1,
  /** Usage error: unknown command or option, bad option value. */
  USAGE: 2,
  /** At least one scan is `partial`: results were kept, but some structure could not be read. */
  PARTIAL: 3,
  /** At least one scan `failed`: nothing usable was read from a disk (no volume, no filesystem). */
  FAILED: 4,
} as const;

/** Codes `--exit-code N` may not take: they would be confused with the ones above. */
export const RESERVED_EXIT_CODES: readonly number[] = Object.values(EXIT);

/** The exit code for a set of outcomes: the worst wins; `allowPartial` accepts `partial`. */
export function outcomeExitCode(states: readonly OutcomeState[], allowPartial: boolean): number {
  if (states.includes('failed')) return EXIT.FAILED;
  if (states.includes('partial') && !allowPartial) return EXIT.PARTIAL;
  return EXIT.OK;
}

/** One stderr line per reason: `snapscan: TARGET: partial: corrupt-structure (p1 …): …`. */
export function outcomeLines(
  target: string,
  state: OutcomeState,
  reasons: readonly OutcomeReason[],
): string[] {
  if (state === 'complete') return [];
  if (reasons.length === 0) return [`snapscan: ${target}: ${state}`];
  return reasons.map((r) => `snapscan: ${target}: ${state}: ${reasonLine(r)}`);
}
