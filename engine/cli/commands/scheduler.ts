/**
 * `snapscan scheduler` and `snapscan rematch`: argument handling over scheduler/run.ts. Every flag
 * also reads from an environment variable (ECS task definitions set those); a flag wins over its
 * variable. The help text is generated from the same table.
 */
import { readFileSync } from 'node:fs';
import { SCHEDULER_MODES, type SchedulerMode } from '../../../scheduler/decide.js';
import { parseDuration, parseDurationOrOff } from '../../../scheduler/duration.js';
import { runScheduler } from '../../../scheduler/run.js';
import { parseSuppressions, type SuppressionRule } from '../../../scheduler/suppressions.js';
import { ScanError } from '../../errors.js';
import { defaultDbPath } from '../../vulndb/index.js';
import { parseCommandArgs } from '../args.js';

interface Flag {
  name: string;
  env: string;
  type: 'string' | 'boolean';
  arg?: string;
  help: string;
  dflt?: string;
  /** Not for operators: tests and benches. */
  hidden?: boolean;
}

const FLAGS: Flag[] = [
  {
    name: 'once',
    env: 'SNAPSCAN_ONCE',
    type: 'boolean',
    help: 'run one pass and exit (0 when the pass completed, even if some scans failed)',
  },
  {
    name: 'mode',
    env: 'SNAPSCAN_MODE',
    type: 'string',
    arg: 'MODE',
    help: 'hybrid (SSM inventory when fresh, else snapshot) | agentless | ssm-only',
    dflt: 'hybrid',
  },
  {
    name: 'regions',
    env: 'SNAPSCAN_REGIONS',
    type: 'string',
    arg: 'LIST',
    help: 'comma-separated regions (default: the SDK region, AWS_REGION)',
  },
  {
    name: 'interval',
    env: 'SNAPSCAN_INTERVAL',
    type: 'string',
    arg: 'DURATION',
    help: 'scan each instance this often',
    dflt: '24h',
  },
  {
    name: 'concurrency',
    env: 'SNAPSCAN_CONCURRENCY',
    type: 'string',
    arg: 'N',
    help: 'instances scanned at once',
    dflt: '4',
  },
  {
    name: 'output',
    env: 'SNAPSCAN_OUTPUT',
    type: 'string',
    arg: 'DIR|s3://B/P',
    help: 'export runs: findings, SBOMs, coverage, manifest.json last',
    dflt: './snapscan-out',
  },
  {
    name: 'kms-key',
    env: 'SNAPSCAN_KMS_KEY',
    type: 'string',
    arg: 'ARN',
    help: 'SSE-KMS key for S3 objects (default SSE-S3)',
  },
  {
    name: 'db',
    env: 'SNAPSCAN_DB',
    type: 'string',
    arg: 'FILE',
    help: 'vulnerability database',
    dflt: defaultDbPath(),
  },
  {
    name: 'db-update',
    env: 'SNAPSCAN_DB_UPDATE',
    type: 'string',
    arg: 'WHEN',
    help: 'never | startup | daily: refresh the vulnerability data (stored inventories are re-matched when it changes)',
    dflt: 'never',
  },
  {
    name: 'suppressions',
    env: 'SNAPSCAN_SUPPRESSIONS',
    type: 'string',
    arg: 'FILE',
    help: 'JSON list of suppression rules (matches become SUPPRESSED, still exported)',
  },
  {
    name: 'events-bus',
    env: 'SNAPSCAN_EVENTS_BUS',
    type: 'string',
    arg: 'NAME',
    help: 'EventBridge bus for new/closed/suppressed findings and scan failures',
  },
  {
    name: 'state',
    env: 'SNAPSCAN_STATE',
    type: 'string',
    arg: 'DIR|s3://B/P',
    help: 'scheduler state (default: OUTPUT/state)',
  },
  {
    name: 'reuse-snapshots',
    env: 'SNAPSCAN_REUSE_SNAPSHOTS',
    type: 'string',
    arg: 'off|AGE',
    help: "scan a completed snapshot younger than AGE (a backup's) instead of creating one",
    dflt: '24h',
  },
  {
    name: 'max-inventory-age',
    env: 'SNAPSCAN_MAX_INVENTORY_AGE',
    type: 'string',
    arg: 'DURATION',
    help: 'SSM inventory older than this falls back to a snapshot scan',
    dflt: '24h',
  },
  {
    name: 'closed-retention',
    env: 'SNAPSCAN_CLOSED_RETENTION',
    type: 'string',
    arg: 'DURATION',
    help: 'keep CLOSED findings (and terminated instances) this long',
    dflt: '30d',
  },
  {
    name: 'pass-every',
    env: 'SNAPSCAN_PASS_EVERY',
    type: 'string',
    arg: 'DURATION',
    help: 'pause between passes without --once',
    dflt: '5m',
  },
  {
    name: 'snapshot-ttl',
    env: 'SNAPSCAN_SNAPSHOT_TTL',
    type: 'string',
    arg: 'DURATION',
    help: "snapscan:expires-at of created snapshots (the janitor's deadline)",
    dflt: '6h',
  },
  {
    name: 'snapshot-poll',
    env: 'SNAPSCAN_SNAPSHOT_POLL',
    type: 'string',
    arg: 'DURATION',
    help: 'DescribeSnapshots poll interval while a snapshot completes',
    dflt: '15s',
  },
  {
    name: 'jitter',
    env: 'SNAPSCAN_JITTER',
    type: 'string',
    arg: 'DURATION',
    help: 'random delay before each scan, at most',
    dflt: '200ms',
  },
  {
    name: 'now',
    env: 'SNAPSCAN_NOW',
    type: 'string',
    arg: 'ISO',
    help: 'start the clock at this time (tests)',
    hidden: true,
  },
];

function usageOf(command: 'scheduler' | 'rematch'): string {
  const head =
    command === 'scheduler'
      ? `usage: snapscan scheduler [--once] [options]

Keeps every EC2 instance of the regions scanned on a cadence: discover → decide (exclusion tags,
stopped, terminated, due) → hybrid (SSM inventory or snapshot) → scan → findings over time → export
→ state. SIGTERM: stops taking work, deletes in-flight snapshots, saves state, exits 0.
`
      : `usage: snapscan rematch [options]

Re-matches every stored inventory against the current vulnerability data (no snapshot, no SSM
call) and exports a run: new advisories open findings, fixed ones close them.
`;
  const lines = FLAGS.filter((f) => !f.hidden && (command === 'scheduler' || REMATCH_FLAGS.has(f.name))).map(
    (f) => {
      const left = `  --${f.name}${f.arg ? ` ${f.arg}` : ''}`;
      return `${left.padEnd(34)} ${f.help}${f.dflt ? ` (default ${f.dflt})` : ''}\n${''.padEnd(35)}env ${f.env}`;
    },
  );
  return `${head}\noptions (flag, or the environment variable below it):\n${lines.join('\n')}\n`;
}

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

export const usage = usageOf('scheduler');

function values(
  argv: string[],
  command: 'scheduler' | 'rematch',
): Record<string, string | boolean | undefined> {
  const spec = Object.fromEntries(
    FLAGS.filter((f) => command === 'scheduler' || REMATCH_FLAGS.has(f.name)).map((f) => [
      f.name,
      { type: f.type },
    ]),
  );
  const { values: v } = parseCommandArgs(argv, { ...spec, help: { type: 'boolean', short: 'h' } } as never);
  const out: Record<string, string | boolean | undefined> = {
    help: (v as Record<string, unknown>).help as boolean | undefined,
  };
  for (const f of FLAGS) {
    const given = (v as Record<string, string | boolean | undefined>)[f.name];
    const env = process.env[f.env];
    if (given !== undefined) out[f.name] = given;
    else if (env !== undefined && env !== '')
      out[f.name] = f.type === 'boolean' ? /^(1|true|yes)$/i.test(env) : env;
    else out[f.name] = f.dflt;
  }
  return out;
}

function str(v: Record<string, string | boolean | undefined>, k: string): string | undefined {
  const x = v[k];
  return typeof x === 'string' ? x : undefined;
}

export async function run(argv: string[], command: 'scheduler' | 'rematch' = 'scheduler'): Promise<number> {
  const v = values(argv, command);
  if (v.help) {
    process.stdout.write(usageOf(command));
    return 0;
  }
  const mode = str(v, 'mode') ?? 'hybrid';
  if (!(SCHEDULER_MODES as readonly string[]).includes(mode))
    throw new ScanError(
      'invalid-argument',
      `--mode must be one of ${SCHEDULER_MODES.join(', ')}; got "${mode}"`,
    );
  const dbUpdate = str(v, 'db-update') ?? 'never';
  if (!['never', 'startup', 'daily'].includes(dbUpdate))
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
  let now: (() => Date) | undefined;
  const nowArg = str(v, 'now');
  if (nowArg) {
    const base = Date.parse(nowArg);
    if (Number.isNaN(base)) throw new ScanError('invalid-argument', `--now "${nowArg}" is not a time`);
    const t0 = Date.now();
    now = () => new Date(base + (Date.now() - t0));
  }
  const dur = (k: string) => parseDuration(k, str(v, k)!);
  const reuse = parseDurationOrOff('reuse-snapshots', str(v, 'reuse-snapshots') ?? '24h');
  const kms = str(v, 'kms-key');
  const bus = str(v, 'events-bus');

  const controller = new AbortController();
  let hardStop: NodeJS.Timeout | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) return;
    process.stderr.write(
      `snapscan ${command}: ${sig}: stopping (in-flight scans aborted, snapshots deleted, state saved)\n`,
    );
    controller.abort();
    // ECS sends SIGKILL 30 s after SIGTERM: whatever is not done at 25 s is left to the janitor.
    hardStop = setTimeout(() => {
      process.stderr.write(`snapscan ${command}: not stopped after 25 s; exiting\n`);
      process.exit(0);
    }, 25_000);
    hardStop.unref();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    const { exitCode } = await runScheduler({
      mode: mode as SchedulerMode,
      regions,
      intervalMs: dur('interval'),
      concurrency,
      suppressions,
      ...(bus ? { eventsBus: bus } : {}),
      ...(reuse !== undefined ? { reuseSnapshotsMaxAgeMs: reuse } : {}),
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
      dbUpdate: dbUpdate as 'never' | 'startup' | 'daily',
      passEveryMs: dur('pass-every'),
      rematchOnly: command === 'rematch',
      ...(now ? { now } : {}),
      signal: controller.signal,
    });
    return exitCode;
  } finally {
    process.removeListener('SIGTERM', onSignal);
    process.removeListener('SIGINT', onSignal);
    if (hardStop) clearTimeout(hardStop);
  }
}
