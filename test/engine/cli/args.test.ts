import { afterEach, describe, expect, it, vi } from 'vitest';
import { type CommandSpec, formatHelp, parseCommand, wholeNumber } from '../../../engine/cli/args.js';
import { EXIT } from '../../../engine/cli/exit-codes.js';
import { COMMANDS, main } from '../../../engine/cli/main.js';
import { ScanError } from '../../../engine/errors.js';

/** Commands still parsing through the lower layer (parseCommandArgs) with a hand-written usage. */
const NOT_YET_CONVERTED: string[] = [];

/** Where a command reads its options (db: behind a subcommand). */
const PREFIX: Record<string, string[]> = { db: ['info'] };

async function capture(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    stdout += String(s);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
    stderr += String(s);
    return true;
  });
  try {
    const code = await main(argv);
    return { code, stdout, stderr };
  } finally {
    vi.restoreAllMocks();
  }
}

afterEach(() => vi.restoreAllMocks());

const SPEC = {
  image: { type: 'string', multiple: true, arg: 'FILE', description: 'an image' },
  mode: { type: 'string', env: 'SNAPSCAN_T_MODE', arg: 'MODE', description: 'a mode', dflt: 'hybrid' },
  once: { type: 'boolean', env: 'SNAPSCAN_T_ONCE', description: 'one pass' },
  regions: { type: 'string', multiple: true, env: 'SNAPSCAN_T_REGIONS', description: 'regions' },
  output: { type: 'string', short: 'o', description: 'where' },
  now: { type: 'string', hidden: true, description: 'clock (tests)' },
} satisfies CommandSpec;

describe('engine/cli/args', () => {
  it.each([
    { argv: ['--nope'], message: /Unknown option '--nope'/ },
    { argv: ['--output'], message: /argument missing/ },
    { argv: ['stray'], message: /Unexpected argument 'stray'/ },
    { argv: ['--once=yes'], message: /does not take an argument/ },
  ])('$argv is one usage error (invalid-argument)', ({ argv, message }) => {
    let err: unknown;
    try {
      parseCommand(argv, SPEC, { env: {} });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ScanError);
    expect((err as ScanError).code).toBe('invalid-argument');
    expect((err as ScanError).message).toMatch(message);
  });

  it.each([
    { argv: [], env: {}, expected: {} },
    {
      argv: [],
      env: { SNAPSCAN_T_MODE: 'ssm', SNAPSCAN_T_ONCE: 'true', SNAPSCAN_T_REGIONS: 'eu-west-1, us-east-1' },
      expected: { mode: 'ssm', once: true, regions: ['eu-west-1', 'us-east-1'] },
    },
    { argv: [], env: { SNAPSCAN_T_ONCE: '0', SNAPSCAN_T_MODE: '' }, expected: { once: false } },
    {
      argv: ['--mode', 'snapshot', '--regions', 'ap-south-1', '-o', 'out', '--image', 'a', '--image', 'b'],
      env: { SNAPSCAN_T_MODE: 'ssm', SNAPSCAN_T_REGIONS: 'eu-west-1' },
      expected: { mode: 'snapshot', regions: ['ap-south-1'], output: 'out', image: ['a', 'b'] },
    },
  ])('flags win over SNAPSCAN_* variables, which fill the rest: $argv $env', ({ argv, env, expected }) => {
    expect(parseCommand(argv, SPEC, { env }).values).toEqual(expected);
  });

  it.each([
    { value: undefined, min: 1, expected: undefined },
    { value: '1', min: 1, expected: 1 },
    { value: '0', min: 0, expected: 0 },
    { value: '21600', min: 1, expected: 21600 },
    { value: '0', min: 1, error: /--n must be a positive integer; got "0"/ },
    { value: '-1', min: 0, error: /--n must be a non-negative integer/ },
    { value: '1.5', min: 0, error: /non-negative integer; got "1.5"/ },
    { value: 'x', min: 1, error: /positive integer; got "x"/ },
    { value: '9007199254740993', min: 1, error: /positive integer/ },
  ])('wholeNumber($value, min $min)', ({ value, min, expected, error }) => {
    if (error) expect(() => wholeNumber('n', value, min)).toThrow(error);
    else expect(wholeNumber('n', value, min)).toBe(expected);
  });

  it('formatHelp lists every visible option with its placeholder, default and variable, and -h', () => {
    const help = formatHelp('snapscan t [options]', 'Does t.', SPEC);
    expect(help.startsWith('usage: snapscan t [options]\n\nDoes t.\n\noptions:\n')).toBe(true);
    expect(help).toContain('--image FILE …');
    expect(help).toMatch(/--mode MODE +a mode \(default hybrid\)\n +env SNAPSCAN_T_MODE/);
    expect(help).toContain('-o, --output');
    expect(help).toContain('-h, --help');
    expect(help).not.toContain('--now');
  });
});

describe('engine/cli/main: every registered command', () => {
  const names = Object.keys(COMMANDS);

  it.each(names)('%s: an unknown option exits 2 (EXIT.USAGE) with one stderr line', async (name) => {
    const r = await capture([name, ...(PREFIX[name] ?? []), '--no-such-option']);
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stderr).toMatch(/^snapscan( db)?: .*--no-such-option.*\n$/);
    expect(r.stdout).toBe('');
  });

  it.each(names.filter((n) => !NOT_YET_CONVERTED.includes(n)))(
    '%s: --help is generated from its option spec (every option listed)',
    async (name) => {
      const mod = await COMMANDS[name]!.load();
      const specs = mod.subcommands ? Object.values(mod.subcommands) : [mod.options];
      expect(specs[0], `${name} exports its option spec`).toBeDefined();
      const r = await capture([name, '--help']);
      expect(r.code).toBe(EXIT.OK);
      expect(r.stdout.trimEnd()).toBe(mod.usage?.trimEnd());
      for (const spec of specs)
        for (const [opt, d] of Object.entries(spec ?? {})) {
          if (!d.hidden) expect(r.stdout).toContain(`--${opt}`);
        }
      expect(r.stdout).toContain('-h, --help');
    },
  );

  it('the list of commands not yet on the spec layer is exact', async () => {
    const unconverted: string[] = [];
    for (const name of names) {
      const mod = await COMMANDS[name]!.load();
      if (!mod.options && !mod.subcommands) unconverted.push(name);
    }
    expect(unconverted.sort()).toEqual([...NOT_YET_CONVERTED].sort());
  });
});
