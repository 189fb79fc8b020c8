/**
 * Durations as operators write them in flags and environment variables: `90s`, `30m`, `24h`, `7d`
 * (one number and one unit; `0` alone is zero). `off` is accepted where a feature can be disabled.
 */
import { ScanError } from '../engine/errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** Longer than any cadence anyone means (a year): a typo like `24000d` is an error, not a value. */
const MAX_DURATION_MS = 366 * 86_400_000;

export function parseDuration(name: string, raw: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(raw.trim());
  if (raw.trim() === '0') return 0;
  if (!m)
    throw new ScanError(
      'invalid-argument',
      `--${name} must be a duration like 90s, 30m, 24h or 7d; got "${raw}"`,
    );
  const ms = Math.round(Number(m[1]) * UNIT_MS[m[2]!]!);
  if (!Number.isFinite(ms) || ms > MAX_DURATION_MS)
    throw new ScanError('invalid-argument', `--${name} must be at most 366d; got "${raw}"`);
  return ms;
}

/** A duration or `off` (undefined). */
export function parseDurationOrOff(name: string, raw: string): number | undefined {
  return raw.trim() === 'off' ? undefined : parseDuration(name, raw);
}

export function formatDuration(ms: number): string {
  for (const [u, f] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const)
    if (ms >= f && ms % f === 0) return `${ms / f}${u}`;
  return `${ms}ms`;
}
