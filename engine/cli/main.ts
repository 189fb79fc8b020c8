#!/usr/bin/env node
/**
 * snapscan command line: argument dispatch only. Each command lives in commands/<name>.ts and
 * exports `run(argv: string[]): Promise<number>` (the exit code), `usage` (its `--help`) and, once
 * converted to the one argument layer (args.ts), `options` (the spec help and parser share).
 * Every usage error (ScanError 'invalid-argument') becomes one stderr line and EXIT.USAGE.
 */
import { ScanError } from '../errors.js';
import type { CommandSpec } from './args.js';
import { EXIT } from './exit-codes.js';

export interface CommandModule {
  run(argv: string[]): Promise<number>;
  usage?: string;
  options?: CommandSpec;
  /** A command with subcommands (db): each one's spec. */
  subcommands?: Record<string, CommandSpec>;
}

export const COMMANDS: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  demo: {
    summary: 'build the sample disk image and scan it with the embedded defaults',
    load: () => import('./commands/demo.js'),
  },
  inventory: {
    summary: 'list OS and language packages of a disk image',
    load: () => import('./commands/inventory.js'),
  },
  scan: {
    summary: 'scan an image, a snapshot or an instance for vulnerabilities',
    load: () => import('./commands/scan.js'),
  },
  scheduler: {
    summary:
      'keep every EC2 instance scanned on a cadence (hybrid SSM/snapshot), export findings and coverage',
    load: () => import('./commands/scheduler.js'),
  },
  worker: {
    summary: 'scale-out: scan the jobs `scheduler --queue` sends to SQS (any number of workers)',
    load: () => import('./commands/worker.js'),
  },
  rematch: {
    summary: 're-match stored inventories against the current vulnerability data (no snapshot)',
    load: () => import('./commands/rematch.js'),
  },
  janitor: {
    summary: 'delete expired snapshots that carry snapscan tags (and nothing else)',
    load: () => import('./commands/janitor.js'),
  },
  db: { summary: 'vulnerability database: import, update, info', load: () => import('./commands/db.js') },
  health: {
    summary: 'container health check: writable home, SQLite addon, database, heartbeat',
    load: () => import('./commands/health.js'),
  },
  emulator: {
    summary:
      'run the wire-level AWS emulator (EBS direct, EC2, SSM, S3, SQS, STS…) for local testing (checkout only)',
    load: loadEmulator,
  },
};

/**
 * The emulator is test code (test/emulator): run from a checkout's sources it is loaded from there;
 * the compiled package ships no test/ code, so there it is not listed and says how to get it. The
 * specifier is computed so that tsc does not pull test/ into the build.
 */
const EMULATOR_CLI = new URL('../../test/emulator/cli.ts', import.meta.url);
const FROM_SOURCES = import.meta.url.endsWith('.ts');

async function loadEmulator(): Promise<CommandModule> {
  if (FROM_SOURCES) return import(EMULATOR_CLI.href);
  return {
    run: async () => {
      process.stderr.write(
        'snapscan emulator is a development tool and is not part of the installed package: run it from a\n' +
          'checkout (git clone …; npm ci; node bin/snapscan.js emulator --image disk.img).\n',
      );
      return 2;
    },
  };
}

function help(): string {
  const lines = ['usage: snapscan <command> [options]', '', 'commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) {
    if (name === 'emulator' && !FROM_SOURCES) continue;
    lines.push(`  ${name.padEnd(10)} ${c.summary}`);
  }
  lines.push('', 'Run `snapscan <command> --help` for the options of one command.');
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${help()}\n`);
    return name ? 0 : 2;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    process.stderr.write(`snapscan: unknown command "${name}"\n${help()}\n`);
    return 2;
  }
  const mod = await cmd.load();
  try {
    return await mod.run(rest);
  } catch (err) {
    if (!(err instanceof ScanError && err.code === 'invalid-argument')) throw err;
    process.stderr.write(`snapscan: ${err.message} (see snapscan ${name} --help)\n`);
    return EXIT.USAGE;
  }
}
