/**
 * `snapscan worker --queue URL`: a scan worker of the scale-out layout (scheduler/scale-out.ts). Runs
 * as an ECS service with any number of tasks: receives jobs from SQS (long polling), scans each
 * (executeJob: snapshot or SSM inventory, match), writes the inventory and the result to the state
 * store, deletes the message. `--concurrency` jobs at a time; the message stays invisible while its
 * scan runs (extended every half visibility timeout).
 *
 * - A redelivered job whose result already exists is deleted without a scan (each instance once per
 *   pass).
 * - A job that throws (state cannot be written) is given back at once; after the queue's
 *   maxReceiveCount receives SQS moves it to the dead-letter queue, where the planner records it.
 * - SIGTERM: stop receiving, abort in-flight scans (their snapshots are deleted in `finally`), give
 *   their messages back, remove the worker's marker, exit 0.
 * - `exitWhenIdleMs`: exit once the queue stayed empty that long (batch jobs, tests).
 */
import { createS3Client, createSqsClient, stsSdk } from '../engine/aws/clients.js';
import { writeHeartbeat } from '../engine/home.js';
import type { VulnStore } from '../engine/vulndb/index.js';
import { ScanPool } from '../workers/pool.js';
import { createAccountClients } from './accounts.js';
import type { SchedulerMode } from './decide.js';
import { type ExecuteDeps, executeJob, type JobResult } from './execute.js';
import { PASSES_PREFIX, type SchedulerConfig } from './pass.js';
import type { ScanJob } from './queue.js';
import { type DbUpdate, dbUpdateDue, openStore, updateDb } from './run.js';
import { beat, newWorkerRunId, resultKeyOf, WORKERS_PREFIX, workerMarker } from './scale-out.js';
import { SqsJobQueue } from './sqs-queue.js';
import type { SourceHint } from './ssm-inventory.js';
import { getJson, openStateStore, putJson } from './state-store.js';

export interface WorkerRunOptions
  extends Pick<
    SchedulerConfig,
    'snapshotTtlMs' | 'snapshotPollMs' | 'reuseSnapshotsMaxAgeMs' | 'ebsConcurrency' | 'langSkip'
  > {
  queueUrl: string;
  /** Exit once the queue stayed empty this long (default: run until SIGTERM). */
  exitWhenIdleMs?: number;
  state: string;
  kmsKeyId?: string;
  db: string;
  dbUpdate: DbUpdate;
  feedsMirror?: string;
  mode: SchedulerMode;
  concurrency: number;
  /** Visibility timeout while a job is held (extended every half of it). Default 900 s. */
  visibilityTimeoutS?: number;
  /** Long-poll wait per receive, seconds (default 20). */
  waitSeconds?: number;
  /** How often the worker's marker is refreshed (default 60 s). */
  heartbeatMs?: number;
  /** The role assumed in member accounts for their jobs (as the scheduler's --role-name). */
  roleName: string;
  externalId?: string;
  /** Regions whose clients to prepare (others are made on first use). */
  regions: string[];
  now?: () => Date;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

export interface WorkerReport {
  runId: string;
  /** Jobs scanned and recorded. */
  scanned: number;
  /** Redelivered jobs whose result already existed. */
  duplicates: number;
  /** Jobs of passes that had ended (dropped without a scan). */
  obsolete: number;
  /** Attempts that threw (given back to the queue). */
  failedAttempts: number;
  exitCode: number;
}

const HINTS_KEY = 'hints/dpkg-source.json';
const HINTS_TTL_MS = 5 * 60_000;

/** Heartbeat writes at most this often while polling. */
const LIVENESS_EVERY_MS = 30_000;

export async function runWorker(o: WorkerRunOptions): Promise<WorkerReport> {
  let lastLiveness = 0;
  const liveness = (what: string, always = false) => {
    if (!always && Date.now() - lastLiveness < LIVENESS_EVERY_MS) return;
    lastLiveness = Date.now();
    try {
      writeHeartbeat(`worker ${runId}: ${what}`);
    } catch {
      // the health file is advisory
    }
  };
  const log = o.log ?? ((l: string) => process.stderr.write(`snapscan worker: ${l}\n`));
  const now = o.now ?? (() => new Date());
  const runId = newWorkerRunId();
  const report: WorkerReport = {
    runId,
    scanned: 0,
    duplicates: 0,
    obsolete: 0,
    failedAttempts: 0,
    exitCode: 0,
  };
  const s3 = o.state.startsWith('s3://') ? createS3Client({}) : undefined;
  const state = openStateStore(o.state, {
    ...(s3 ? { s3 } : {}),
    ...(o.kmsKeyId ? { kmsKeyId: o.kmsKeyId } : {}),
  });
  // Jobs of member accounts are scanned with the member role's session (snapshots stay there); jobs
  // of the worker's own account with its own credentials.
  const clients = createAccountClients({
    regions: o.regions,
    members: { accounts: [], roleName: o.roleName, ...(o.externalId ? { externalId: o.externalId } : {}) },
    now,
    log,
  });
  try {
    const id = await clients.sts.send(new (stsSdk().GetCallerIdentityCommand)({}));
    if (id.Account) clients.setCentralAccount(id.Account);
  } catch (err) {
    log(`sts GetCallerIdentity: ${(err as Error).message} (every job uses this task's own credentials)`);
  }
  const sqs = createSqsClient(o.regions[0] ? { region: o.regions[0] } : {});
  const queue = new SqsJobQueue(sqs, o.queueUrl, {
    ...(o.waitSeconds !== undefined ? { waitSeconds: o.waitSeconds } : {}),
    ...(o.visibilityTimeoutS !== undefined ? { visibilityTimeoutS: o.visibilityTimeoutS } : {}),
    ...(o.exitWhenIdleMs !== undefined ? { idleMs: o.exitWhenIdleMs } : {}),
    // The container's health check (`snapscan health`) reads this file: a worker waiting for work
    // is healthy as long as it keeps polling (every long poll ends within 20 s).
    onPoll: () => liveness('polling'),
    log,
  });
  const threads = Math.min(2, Math.max(1, o.concurrency));
  const pool = new ScanPool({
    threads,
    tasksPerThread: Math.ceil(Math.max(1, o.concurrency) / threads),
    idleTimeoutMs: 60_000,
  });
  const marker = workerMarker(runId, now());
  const stores: VulnStore[] = [];
  let lastDbUpdate: number | undefined;
  let store: VulnStore;
  if (dbUpdateDue(o.dbUpdate, true, undefined, now())) {
    if (await updateDb(o.db, now, log, o.feedsMirror)) lastDbUpdate = now().getTime();
  }
  store = openStore(o.db);
  stores.push(store);
  let hints: { at: number; map: Map<string, SourceHint> } | undefined;
  const hintsNow = async () => {
    if (!hints || Date.now() - hints.at > HINTS_TTL_MS)
      hints = {
        at: Date.now(),
        map: new Map(Object.entries((await getJson<Record<string, SourceHint>>(state, HINTS_KEY)) ?? {})),
      };
    return hints.map;
  };
  const cfg = {
    snapshotTtlMs: o.snapshotTtlMs,
    snapshotPollMs: o.snapshotPollMs,
    ...(o.reuseSnapshotsMaxAgeMs !== undefined ? { reuseSnapshotsMaxAgeMs: o.reuseSnapshotsMaxAgeMs } : {}),
    ...(o.langSkip ? { langSkip: o.langSkip } : {}),
    ...(o.ebsConcurrency ? { ebsConcurrency: o.ebsConcurrency } : {}),
  };
  let updating: Promise<void> | undefined;
  const maybeUpdateDb = async () => {
    if (o.dbUpdate !== 'daily' || !dbUpdateDue('daily', false, lastDbUpdate, now())) return;
    updating ??= (async () => {
      if (await updateDb(o.db, now, log, o.feedsMirror)) {
        lastDbUpdate = now().getTime();
        // The update swaps the file atomically; scans already running keep the store they opened.
        store = openStore(o.db);
        stores.push(store);
      }
    })().finally(() => {
      updating = undefined;
    });
    await updating;
  };

  const handle = async (job: ScanJob): Promise<'done' | 'aborted'> => {
    const t0 = performance.now();
    const key = resultKeyOf(job);
    if (!(await state.get(`${PASSES_PREFIX}${job.passId}.json`))) {
      // Its pass ended (or its planner died and the next pass planned the instance again): a scan
      // now would make a snapshot nobody waits for.
      report.obsolete++;
      log(`${job.instanceId}: pass ${job.passId} is over; job dropped without a scan`);
      await queue.ack(job);
      return 'done';
    }
    if (await state.get(key)) {
      report.duplicates++;
      log(`${job.instanceId}: pass ${job.passId} already has its result; message deleted`);
      await queue.ack(job);
      return 'done';
    }
    let out: { result: JobResult } | undefined;
    if (o.mode === 'ssm-only' && job.method === 'agentless') {
      // An operator who chose ssm-only never wants a snapshot taken: refuse, and say so.
      const at = now().toISOString();
      out = {
        result: {
          schemaVersion: 1,
          job,
          attemptAt: at,
          completedAt: at,
          scanMode: 'EC2_AGENTLESS',
          reason: 'INTERNAL_ERROR',
          message:
            'this worker runs with --mode ssm-only and takes no snapshot; the planner sent an agentless job',
          phaseMs: {},
        },
      };
    } else {
      const deps: ExecuteDeps = {
        cfg,
        clients,
        pool,
        store,
        state,
        hints: await hintsNow(),
        now,
        runId,
        ...(o.signal ? { signal: o.signal } : {}),
      };
      out = await executeJob(job, deps);
    }
    if (!out) return 'aborted';
    out.result.worker = runId;
    await putJson(state, key, out.result);
    await queue.ack(job);
    report.scanned++;
    const r = out.result;
    log(
      `${job.instanceId}: ${job.method} ${r.reason}${r.packages !== undefined ? `, ${r.packages} packages, ${r.findings?.length ?? 0} findings` : `: ${r.message}`} (pass ${job.passId}; ${Object.entries(
        r.phaseMs,
      )
        .map(([k, ms]) => `${k} ${Math.round(ms)} ms`)
        .join(', ')}, total ${Math.round(performance.now() - t0)} ms)`,
    );
    return 'done';
  };

  const slot = async () => {
    while (!o.signal?.aborted) {
      let job: ScanJob | undefined;
      try {
        job = await queue.receive(o.signal);
      } catch (err) {
        if (o.signal?.aborted) return;
        log(`receive: ${(err as Error).name}: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      if (!job) return; // idle long enough, or stopping
      liveness(job.instanceId, true);
      await maybeUpdateDb();
      try {
        if ((await handle(job)) === 'aborted') {
          await queue.release(job).catch(() => {});
          return;
        }
      } catch (err) {
        report.failedAttempts++;
        log(
          `${job.instanceId}: attempt ${queue.receives(job)} failed (${(err as Error).message}); the job goes back to the queue`,
        );
        await queue.release(job).catch(() => {});
      }
    }
  };

  let beating: NodeJS.Timeout | undefined;
  try {
    await beat(state, marker, now());
    beating = setInterval(() => {
      beat(state, marker, now()).catch((err: Error) => log(`marker: ${err.message}`));
    }, o.heartbeatMs ?? 60_000);
    beating.unref();
    log(`${runId} receiving from ${o.queueUrl} (${o.concurrency} at a time)`);
    await Promise.all(Array.from({ length: Math.max(1, o.concurrency) }, slot));
  } finally {
    if (beating) clearInterval(beating);
    queue.close();
    await pool.close();
    // Gone cleanly: no snapshot of this run is left (each was deleted in its scan's finally).
    await state.delete(`${WORKERS_PREFIX}${runId}.json`).catch(() => {});
    for (const s of stores) s.close();
    sqs.destroy();
    s3?.destroy();
    clients.destroy();
  }
  log(
    `${runId} stopped: ${report.scanned} scanned, ${report.duplicates} duplicate deliveries, ${report.obsolete} of ended passes, ${report.failedAttempts} failed attempts; peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`,
  );
  return report;
}
