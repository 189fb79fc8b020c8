/**
 * `snapscan worker --queue URL`: a scan worker of the scale-out layout (scheduler/worker.ts). It
 * takes the scheduler's flags that concern scanning and the state (same variables, so one task
 * definition environment serves both), plus the queue's own.
 */

import { langSkipList } from '../../../readers/lang-skip.js';
import { checkRoleName } from '../../../scheduler/accounts.js';
import { parseDuration, parseDurationOrOff } from '../../../scheduler/duration.js';
import { ScanError } from '../../errors.js';
import { defaultDbPath } from '../../vulndb/index.js';
import { type CommandSpec, formatHelp, parseCommand } from '../args.js';
import { clockFrom, untilStopped } from '../stop-signals.js';
import { scanningValues, options as schedulerOptions } from './scheduler.js';

const SHARED = [
  'mode',
  'regions',
  'concurrency',
  'output',
  'state',
  'kms-key',
  'db',
  'db-update',
  'feeds-mirror',
  'lang-skip',
  'reuse-snapshots',
  'snapshot-ttl',
  'snapshot-poll',
  'role-name',
  'external-id',
  'now',
] as const;

export const options: CommandSpec = {
  queue: {
    env: 'SNAPSCAN_QUEUE_URL',
    type: 'string',
    arg: 'URL',
    description: 'the SQS queue `snapscan scheduler --queue` sends jobs to (required)',
  },
  'exit-when-idle': {
    env: 'SNAPSCAN_EXIT_WHEN_IDLE',
    type: 'string',
    arg: 'DURATION',
    description: 'exit once the queue stayed empty this long (default: run until SIGTERM)',
  },
  'visibility-timeout': {
    env: 'SNAPSCAN_VISIBILITY_TIMEOUT',
    type: 'string',
    arg: 'DURATION',
    description: 'a job stays invisible this long, extended every half of it while its scan runs',
    dflt: '15m',
  },
  heartbeat: {
    env: 'SNAPSCAN_HEARTBEAT',
    type: 'string',
    arg: 'DURATION',
    description: "refresh the worker's marker this often (the scheduler's --worker-stale must exceed it)",
    dflt: '1m',
  },
  ...Object.fromEntries(SHARED.map((k) => [k, (schedulerOptions as CommandSpec)[k]!])),
  mode: {
    ...(schedulerOptions as CommandSpec).mode!,
    description: "as the scheduler's; ssm-only workers refuse agentless jobs (they never take a snapshot)",
  },
  output: {
    ...(schedulerOptions as CommandSpec).output!,
    description: 'where the scheduler exports (locates the state: OUTPUT/state unless --state)',
  },
};

export const usage = formatHelp(
  'snapscan worker --queue URL [--exit-when-idle 30s] [options]',
  `Scans the jobs \`snapscan scheduler --queue URL\` sends: receive → snapshot or SSM inventory → match →
inventory and result in the state store → delete the message (each instance once per pass). Run any
number of workers (an ECS service scaled on the queue's depth). SIGTERM: stops receiving, deletes
in-flight snapshots, gives their jobs back, exits 0.`,
  options,
  'options (flag, or the environment variable below it):',
);

const str = (v: Record<string, unknown>, k: string) =>
  typeof v[k] === 'string' ? (v[k] as string) : undefined;

export async function run(argv: string[]): Promise<number> {
  const v = parseCommand(argv, options).values as Record<string, string | boolean | undefined>;
  for (const [name, d] of Object.entries(options)) v[name] ??= d.dflt;
  if (v.help) {
    process.stdout.write(usage);
    return 0;
  }
  const queueUrl = str(v, 'queue');
  if (!queueUrl) throw new ScanError('invalid-argument', 'give --queue URL (or SNAPSCAN_QUEUE_URL)');
  const { mode, dbUpdate, concurrency, regions } = scanningValues(v);
  const visibilityMs = parseDuration('visibility-timeout', str(v, 'visibility-timeout')!);
  if (visibilityMs < 2000 || visibilityMs > 43_200_000)
    throw new ScanError('invalid-argument', '--visibility-timeout must be between 2s and 12h');
  const heartbeatMs = parseDuration('heartbeat', str(v, 'heartbeat')!);
  if (heartbeatMs < 100) throw new ScanError('invalid-argument', '--heartbeat must be at least 100ms');
  const idle = str(v, 'exit-when-idle');
  const output = str(v, 'output') ?? './snapscan-out';
  const langSkip = langSkipList(str(v, 'lang-skip'));
  const reuse = parseDurationOrOff('reuse-snapshots', str(v, 'reuse-snapshots') ?? '24h');
  const kms = str(v, 'kms-key');
  const now = clockFrom(str(v, 'now'));

  return untilStopped('worker', 'in-flight snapshots deleted, jobs given back', async (signal) => {
    // Loaded once the options are valid (--help and usage errors load no AWS client).
    const { runWorker } = await import('../../../scheduler/worker.js');
    const r = await runWorker({
      queueUrl,
      ...(idle ? { exitWhenIdleMs: parseDuration('exit-when-idle', idle) } : {}),
      state: str(v, 'state') ?? `${output.replace(/\/+$/, '')}/state`,
      ...(kms ? { kmsKeyId: kms } : {}),
      db: str(v, 'db') ?? defaultDbPath(),
      dbUpdate,
      ...(str(v, 'feeds-mirror') ? { feedsMirror: str(v, 'feeds-mirror')! } : {}),
      mode,
      concurrency,
      visibilityTimeoutS: Math.ceil(visibilityMs / 1000),
      heartbeatMs,
      regions,
      roleName: checkRoleName(str(v, 'role-name') ?? 'snapscan-member'),
      ...(str(v, 'external-id') ? { externalId: str(v, 'external-id')! } : {}),
      snapshotTtlMs: parseDuration('snapshot-ttl', str(v, 'snapshot-ttl')!),
      snapshotPollMs: parseDuration('snapshot-poll', str(v, 'snapshot-poll')!),
      ...(reuse !== undefined ? { reuseSnapshotsMaxAgeMs: reuse } : {}),
      ...(langSkip ? { langSkip } : {}),
      ...(now ? { now } : {}),
      signal,
    });
    return r.exitCode;
  });
}
