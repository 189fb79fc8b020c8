/** Thin wrapper over node:util parseArgs: unknown options are errors that name the option. */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { ScanError } from '../errors.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export function parseCommandArgs<O extends OptionSpec>(argv: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    throw new ScanError('invalid-argument', (err as Error).message);
  }
}

export function oneOf<T extends string>(
  name: string,
  value: string | undefined,
  allowed: readonly T[],
  dflt: T,
): T {
  if (value === undefined) return dflt;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ScanError('invalid-argument', `--${name} must be one of ${allowed.join(', ')}; got "${value}"`);
  }
  return value as T;
}

export function listOf<T extends string>(
  name: string,
  value: string | undefined,
  allowed: readonly T[],
  dflt: readonly T[],
): T[] {
  if (value === undefined) return [...dflt];
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const i of items) {
    if (!(allowed as readonly string[]).includes(i)) {
      throw new ScanError('invalid-argument', `--${name} takes a list of ${allowed.join(', ')}; got "${i}"`);
    }
  }
  return items as T[];
}

export function positiveInt(name: string, value: string | undefined, dflt: number): number {
  if (value === undefined) return dflt;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new ScanError('invalid-argument', `--${name} must be a positive integer; got "${value}"`);
  return n;
}
