/**
 * `snapscan scheduler` and `snapscan rematch`: argument handling over scheduler/run.ts. Every flag
 * also reads from an environment variable (ECS task definitions set those); a flag wins over its
 * variable. The help text is generated from the same table.
 */
import { readFileSync } from 'node:fs';
import { LANG_SKIP_OPTION, langSkipList } from '../../../readers/lang-skip.js';
import { checkRoleName, type MemberAccountsConfig, parseAccountList } from '../../../scheduler/accounts.js';
import { SCHEDULER_MODES, type SchedulerMode } from '../../../scheduler/decide.js';
import { parseDuration, parseDurationOrOff } from '../../../scheduler/duration.js';
import { parseSuppressions, type SuppressionRule } from '../../../scheduler/suppressions.js';
import { ScanError } from '../../errors.js';
import { defaultDbPath } from '../../vulndb/index.js';
import { type CommandSpec, formatHelp, parseCommand } from '../args.js';
import { clockFrom, untilStopped } from '../stop-signals.js';

/** Every flag of `scheduler`, each with the environment variable read when it is absent. */
export const options = {
  once: {
    env: 'SNAPSCAN_ONCE',
    type: 'boolean',
    description: 'run one pass and exit (0 when the pass completed, even if some scans failed)',
  },
  mode: {
    env: 'SNAPSCAN_MODE',
    type: 'string',
    arg: 'MODE',
    description: 'hybrid (SSM inventory when fresh, else snapshot) | agentless | ssm-only',
    dflt: 'hybrid',
  },
  regions: {
    env: 'SNAPSCAN_REGIONS',
    type: 'string',
    arg: 'LIST',
    description: 'comma-separated regions (default: the SDK region, AWS_REGION)',
  },
  accounts: {
    env: 'SNAPSCAN_ACCOUNTS',
    type: 'string',
    arg: 'LIST',
    description:
      'account ids to scan, comma-separated: members through --role-name, the central one (if listed) directly',
  },
  organization: {
    env: 'SNAPSCAN_ORGANIZATION',
    type: 'boolean',
    description:
      'scan every ACTIVE account AWS Organizations lists (suspended and closing ones skipped) instead of --accounts',
  },
  'role-name': {
    env: 'SNAPSCAN_ROLE_NAME',
    type: 'string',
    arg: 'NAME',
    description:
      'role assumed in each member account (sts:AssumeRole; sessions cached, renewed before expiry)',
    dflt: 'snapscan-member',
  },
  'external-id': {
    env: 'SNAPSCAN_EXTERNAL_ID',
    type: 'string',
    arg: 'ID',
    description: "external id sent with every AssumeRole (the member role's trust policy requires it)",
  },
  interval: {
    env: 'SNAPSCAN_INTERVAL',
    type: 'string',
    arg: 'DURATION',
    description: 'scan each instance this often',
    dflt: '24h',
  },
  concurrency: {
    env: 'SNAPSCAN_CONCURRENCY',
    type: 'string',
    arg: 'N',
    description: 'instances scanned at once',
    dflt: '4',
  },
  output: {
    env: 'SNAPSCAN_OUTPUT',
    type: 'string',
    arg: 'DIR|s3://B/P',
    description: 'export runs: findings, SBOMs, coverage, manifest.json last',
    dflt: './snapscan-out',
  },
  'kms-key': {
    env: 'SNAPSCAN_KMS_KEY',
    type: 'string',
    arg: 'ARN',
    description: 'SSE-KMS key for S3 objects (default SSE-S3)',
  },
  db: {
    env: 'SNAPSCAN_DB',
    type: 'string',
    arg: 'FILE',
    description: 'vulnerability database',
    dflt: defaultDbPath(),
  },
  'db-update': {
    env: 'SNAPSCAN_DB_UPDATE',
    type: 'string',
    arg: 'WHEN',
    description:
      'never | startup | daily: refresh the vulnerability data (stored inventories are re-matched when it changes)',
    dflt: 'never',
  },
  'lang-skip': { ...LANG_SKIP_OPTION, env: 'SNAPSCAN_LANG_SKIP' },
  'feeds-mirror': {
    env: 'SNAPSCAN_FEEDS_MIRROR',
    type: 'string',
    arg: 'URL',
    description:
      '--db-update reads every feed from this mirror (same paths; an internal mirror, no internet)',
  },
  suppressions: {
    env: 'SNAPSCAN_SUPPRESSIONS',
    type: 'string',
    arg: 'FILE',
    description: 'JSON list of suppression rules (matches become SUPPRESSED, still exported)',
  },
  'events-bus': {
    env: 'SNAPSCAN_EVENTS_BUS',
    type: 'string',
    arg: 'NAME',
    description: 'EventBridge bus for new/closed/suppressed findings and scan failures',
  },
  state: {
    env: 'SNAPSCAN_STATE',
    type: 'string',
    arg: 'DIR|s3://B/P',
    description: 'scheduler state (default: OUTPUT/state)',
  },
  'reuse-snapshots': {
    env: 'SNAPSCAN_REUSE_SNAPSHOTS',
    type: 'string',
    arg: 'off|AGE',
    description: "scan a completed snapshot younger than AGE (a backup's) instead of creating one",
    dflt: '24h',
  },
  'max-inventory-age': {
    env: 'SNAPSCAN_MAX_INVENTORY_AGE',
    type: 'string',
    arg: 'DURATION',
    description: 'SSM inventory older than this falls back to a snapshot scan',
    dflt: '24h',
  },
  'closed-retention': {
    env: 'SNAPSCAN_CLOSED_RETENTION',
    type: 'string',
    arg: 'DURATION',
    description: 'keep CLOSED findings (and terminated instances) this long',
    dflt: '30d',
  },
  'pass-every': {
    env: 'SNAPSCAN_PASS_EVERY',
    type: 'string',
    arg: 'DURATION',
    description: 'pause between passes without --once',
    dflt: '5m',
  },
  'snapshot-ttl': {
    env: 'SNAPSCAN_SNAPSHOT_TTL',
    type: 'string',
    arg: 'DURATION',
    description: "snapscan:expires-at of created snapshots (the janitor's deadline)",
    dflt: '6h',
  },
  'snapshot-poll': {
    env: 'SNAPSCAN_SNAPSHOT_POLL',
    type: 'string',
    arg: 'DURATION',
    description: 'DescribeSnapshots poll interval while a snapshot completes',
    dflt: '15s',
  },
  jitter: {
    env: 'SNAPSCAN_JITTER',
    type: 'string',
    arg: 'DURATION',
    description: 'random delay before each scan, at most',
    dflt: '200ms',
  },
  queue: {
    env: 'SNAPSCAN_QUEUE_URL',
    type: 'string',
    arg: 'URL',
    description:
      'scale-out: send one job per due instance to this SQS queue and wait for `snapscan worker`s to scan them',
  },
  'pass-timeout': {
    env: 'SNAPSCAN_PASS_TIMEOUT',
    type: 'string',
    arg: 'DURATION',
    description: 'scale-out: export what arrived after this long (the rest stays queued)',
    dflt: '6h',
  },
  'result-poll': {
    env: 'SNAPSCAN_RESULT_POLL',
    type: 'string',
    arg: 'DURATION',
    description: "scale-out: how often the workers' results are collected",
    dflt: '5s',
  },
  'worker-stale': {
    env: 'SNAPSCAN_WORKER_STALE',
    type: 'string',
    arg: 'DURATION',
    description: 'scale-out: a worker silent this long is dead (the janitor deletes its snapshots)',
    dflt: '5m',
  },
  now: {
    env: 'SNAPSCAN_NOW',
    type: 'string',
    arg: 'ISO',
    description: 'start the clock at this time (tests)',
    hidden: true,
  },
} satisfies CommandSpec;

const SCHEDULER_SUMMARY = `Keeps every EC2 instance of the regions scanned on a cadence: discover → decide (exclusion tags,
stopped, terminated, due) → hybrid (SSM inventory or snapshot) → scan → findings over time → export
→ state. SIGTERM: stops taking work, deletes in-flight snapshots, saves state, exits 0.`;

const REMATCH_SUMMARY = `Re-matches every stored inventory against the current vulnerability data (no snapshot, no SSM
call) and exports a run: new advisories open findings, fixed ones close them.`;

const OPTIONS_HEADING = 'options (flag, or the environment variable below it):';

const REMATCH_FLAGS = new Set([
  'output',
  'kms-key',
  'db',
  'suppressions',
  'events-bus',
  'state',
  'closed-retention',
  'regions',
  'now',
]);

/** The flags `rematch` takes: the scheduler's that concern stored inventories and the export. */
export const rematchOptions: CommandSpec = Object.fromEntries(
  Object.entries(options).filter(([name]) => REMATCH_FLAGS.has(name)),
);

export const usage = formatHelp(
  'snapscan scheduler [--once] [options]',
  SCHEDULER_SUMMARY,
  options,
  OPTIONS_HEADING,
);
export const rematchUsage = formatHelp(
  'snapscan rematch [options]',
  REMATCH_SUMMARY,
  rematchOptions,
  OPTIONS_HEADING,
);

/** Flag, else its variable (parseCommand), else its default; unset variables of flags the command does not take are read too. */
function values(
  argv: string[],
  command: 'scheduler' | 'rematch',
): Record<string, string | boolean | undefined> {
  const spec: CommandSpec = command === 'scheduler' ? options : rematchOptions;
  const fromEnv = parseCommand([], options).values as Record<string, string | boolean | undefined>;
  const given = parseCommand(argv, spec).values as Record<string, string | boolean | undefined>;
  const out: Record<string, string | boolean | undefined> = { ...fromEnv, ...given };
  for (const [name, d] of Object.entries(options as CommandSpec)) out[name] ??= d.dflt;
  return out;
}

function str(v: Record<string, string | boolean | undefined>, k: string): string | undefined {
  const x = v[k];
  return typeof x === 'string' ? x : undefined;
}

/** --accounts / --organization with --role-name and --external-id; undefined: the central account alone. */
function membersOf(
  v: Record<string, string | boolean | undefined>,
  command: 'scheduler' | 'rematch',
): MemberAccountsConfig | undefined {
  if (command !== 'scheduler') return undefined;
  const list = str(v, 'accounts');
  const org = v.organization === true;
  if (list !== undefined && org)
    throw new ScanError('invalid-argument', 'give --accounts or --organization, not both');
  if (list === undefined && !org) {
    if (str(v, 'external-id') !== undefined)
      throw new ScanError('invalid-argument', '--external-id needs --accounts or --organization');
    return undefined;
  }
  const externalId = str(v, 'external-id');
  return {
    ...(list !== undefined ? { accounts: parseAccountList(list) } : { organization: true }),
    roleName: checkRoleName(str(v, 'role-name') ?? 'snapscan-member'),
    ...(externalId !== undefined ? { externalId } : {}),
  };
}

export async function run(argv: string[], command: 'scheduler' | 'rematch' = 'scheduler'): Promise<number> {
  const v = values(argv, command);
  if (v.help) {
    process.stdout.write(command === 'scheduler' ? usage : rematchUsage);
    return 0;
  }
  const { mode, dbUpdate, concurrency, regions } = scanningValues(v);
  if (regions.length === 0)
    throw new ScanError('invalid-argument', 'give --regions (or SNAPSCAN_REGIONS, or AWS_REGION)');
  let suppressions: SuppressionRule[] = [];
  const supFile = str(v, 'suppressions');
  if (supFile) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(supFile, 'utf8'));
    } catch (err) {
      throw new ScanError('invalid-argument', `--suppressions ${supFile}: ${(err as Error).message}`);
    }
    suppressions = parseSuppressions(json);
  }
  const output = str(v, 'output') ?? './snapscan-out';
  const state = str(v, 'state') ?? `${output.replace(/\/+$/, '')}/state`;
  const now = clockFrom(str(v, 'now'));
  const dur = (k: string) => parseDuration(k, str(v, k)!);
  const reuse = parseDurationOrOff('reuse-snapshots', str(v, 'reuse-snapshots') ?? '24h');
  const kms = str(v, 'kms-key');
  const bus = str(v, 'events-bus');
  const members = membersOf(v, command);
  const queue = str(v, 'queue');
  const langSkip = langSkipList(str(v, 'lang-skip'));

  // Loaded once the options are valid: --help and usage errors answer without the scheduler and
  // its AWS clients (measured: scheduler --help 3.6 s, 210 MiB → 1.2 s, 100 MiB).
  const { runScheduler } = await import('../../../scheduler/run.js');
  return untilStopped(command, 'in-flight scans aborted, snapshots deleted, state saved', async (signal) => {
    const { exitCode } = await runScheduler({
      mode,
      regions,
      ...(members ? { members } : {}),
      intervalMs: dur('interval'),
      concurrency,
      suppressions,
      ...(bus ? { eventsBus: bus } : {}),
      ...(reuse !== undefined ? { reuseSnapshotsMaxAgeMs: reuse } : {}),
      ...(langSkip ? { langSkip } : {}),
      maxInventoryAgeMs: dur('max-inventory-age'),
      closedRetentionMs: dur('closed-retention'),
      retryFailedMs: Math.min(dur('interval'), 3_600_000),
      snapshotTtlMs: dur('snapshot-ttl'),
      snapshotPollMs: dur('snapshot-poll'),
      jitterMs: dur('jitter'),
      once: v.once === true,
      output,
      state,
      ...(kms ? { kmsKeyId: kms } : {}),
      db: str(v, 'db') ?? defaultDbPath(),
      dbUpdate,
      ...(str(v, 'feeds-mirror') ? { feedsMirror: str(v, 'feeds-mirror')! } : {}),
      passEveryMs: dur('pass-every'),
      rematchOnly: command === 'rematch',
      ...(queue ? { queueUrl: queue } : {}),
      passTimeoutMs: dur('pass-timeout'),
      resultPollMs: dur('result-poll'),
      workerStaleMs: dur('worker-stale'),
      ...(now ? { now } : {}),
      signal,
    });
    return exitCode;
  });
}

/** The flags the scheduler and the worker validate alike. */
export function scanningValues(v: Record<string, string | boolean | undefined>): {
  mode: SchedulerMode;
  dbUpdate: 'never' | 'startup' | 'daily';
  concurrency: number;
  regions: string[];
} {
  const mode = str(v, 'mode') ?? 'hybrid';
  if (!(SCHEDULER_MODES as readonly string[]).includes(mode))
    throw new ScanError(
      'invalid-argument',
      `--mode must be one of ${SCHEDULER_MODES.join(', ')}; got "${mode}"`,
    );
  const dbUpdate = str(v, 'db-update') ?? 'never';
  if (dbUpdate !== 'never' && dbUpdate !== 'startup' && dbUpdate !== 'daily')
    throw new ScanError('invalid-argument', `--db-update must be never, startup or daily; got "${dbUpdate}"`);
  const concurrency = Number(str(v, 'concurrency') ?? '4');
  if (!Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > 256)
    throw new ScanError(
      'invalid-argument',
      `--concurrency must be an integer in [1, 256]; got "${str(v, 'concurrency')}"`,
    );
  const regions = (str(v, 'regions') ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return { mode: mode as SchedulerMode, dbUpdate, concurrency, regions };
}
