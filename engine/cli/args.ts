/**
 * The one argument layer of every snapscan command: each command declares its options once (a
 * `CommandSpec`), `parseCommand` parses argv with node:util parseArgs (strict: unknown options are
 * errors that name the option), fills unset options from their SNAPSCAN_* environment variable, and
 * turns every parse problem into the one usage error (`ScanError('invalid-argument')`, exit
 * EXIT.USAGE = 2, engine/cli/exit-codes.ts); `formatHelp` generates the options block of `--help`
 * from the same spec, so help and parser cannot drift.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { ScanError } from '../errors.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** One option of a command: how it parses, its environment fallback and its help line. */
export interface OptionDef {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** SNAPSCAN_* variable read when the flag is absent (booleans: 1, true, yes). */
  env?: string;
  /** Placeholder of the value in help (FILE, URL, N…). */
  arg?: string;
  description: string;
  /** Shown in help as "(default …)"; not applied by the parser. */
  dflt?: string;
  /** Parsed, but left out of help (tests and benches). */
  hidden?: boolean;
}

export type CommandSpec = Record<string, OptionDef>;

type ValueOf<D extends OptionDef> = D extends { type: 'boolean' }
  ? D extends { multiple: true }
    ? boolean[]
    : boolean
  : D extends { multiple: true }
    ? string[]
    : string;

export type ParsedValues<S extends CommandSpec> = { [K in keyof S]?: ValueOf<S[K]> } & { help?: boolean };

/** `-h, --help`: every command takes it; `parseCommand` adds it. */
export const HELP_OPTION: OptionDef = { type: 'boolean', short: 'h', description: 'show this help' };

/** Parses argv against a spec; unknown options, missing values and stray positionals are usage errors. */
export function parseCommand<S extends CommandSpec>(
  argv: string[],
  spec: S,
  opts: { positionals?: boolean; env?: NodeJS.ProcessEnv } = {},
): { values: ParsedValues<S>; positionals: string[] } {
  const options: OptionSpec = { help: { type: 'boolean', short: 'h' } };
  for (const [name, d] of Object.entries(spec)) {
    options[name] = {
      type: d.type,
      ...(d.short ? { short: d.short } : {}),
      ...(d.multiple ? { multiple: true } : {}),
    };
  }
  const parsed = parseCommandArgs(argv, options, opts.positionals ?? false);
  const values = { ...parsed.values } as Record<string, unknown>;
  const env = opts.env ?? process.env;
  for (const [name, d] of Object.entries(spec)) {
    if (values[name] !== undefined || !d.env) continue;
    const raw = env[d.env];
    if (raw === undefined || raw === '') continue;
    const one = d.type === 'boolean' ? /^(1|true|yes)$/i.test(raw) : raw;
    values[name] = d.multiple
      ? d.type === 'boolean'
        ? [one]
        : raw
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
      : one;
  }
  return { values: values as ParsedValues<S>, positionals: parsed.positionals };
}

/** The options block of a spec, one entry per option (hidden ones left out), `-h, --help` last. */
export function formatOptions(spec: CommandSpec): string {
  const rows = Object.entries({ ...spec, help: HELP_OPTION })
    .filter(([, d]) => !d.hidden)
    .map(([name, d]) => {
      const left = `  ${d.short ? `-${d.short}, ` : ''}--${name}${d.arg ? ` ${d.arg}` : ''}${d.multiple ? ' …' : ''}`;
      const text = `${d.description}${d.dflt ? ` (default ${d.dflt})` : ''}`;
      const line = left.length < 30 ? `${left.padEnd(30)} ${text}` : `${left}\n${''.padEnd(31)}${text}`;
      return d.env ? `${line}\n${''.padEnd(31)}env ${d.env}` : line;
    });
  return rows.join('\n');
}

/** A command's whole `--help`: usage line, summary paragraph, then the generated options block. */
export function formatHelp(
  usageLine: string,
  summary: string,
  spec: CommandSpec,
  heading = 'options:',
): string {
  return `usage: ${usageLine}\n\n${summary.trim()}\n\n${heading}\n${formatOptions(spec)}\n`;
}

/** The strict parseArgs call under parseCommand: a parse problem becomes ScanError invalid-argument. */
function parseCommandArgs<O extends OptionSpec>(argv: string[], options: O, allowPositionals = false) {
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

/** A whole-number option ≥ `min`, or undefined when absent; anything else is a usage error. */
export function wholeNumber(name: string, value: string | undefined, min = 1): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) {
    const what =
      min === 1 ? 'a positive integer' : min === 0 ? 'a non-negative integer' : `an integer ≥ ${min}`;
    throw new ScanError('invalid-argument', `--${name} must be ${what}; got "${value}"`);
  }
  return n;
}

export function positiveInt(name: string, value: string | undefined, dflt: number): number {
  return wholeNumber(name, value) ?? dflt;
}
