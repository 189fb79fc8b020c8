/**
 * The scheduler process: builds the clients (standard SDK configuration: credential chain, region,
 * AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>), the state store, the export sink, the scan pool
 * and the vulnerability store, then runs passes — once, or forever with a pause between passes
 * (discovery is cheap; each instance is scanned only when due). SIGTERM (ECS stops tasks with it,
 * then SIGKILL after 30 s): stop taking work, abort in-flight scans (their snapshots are deleted in
 * `finally`), flush state, exit 0 — with a hard stop at 25 s.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { createS3Client, createSqsClient } from '../engine/aws/clients.js';
import { ScanError } from '../engine/errors.js';
import { openSink } from '../engine/export/open-sink.js';
import { writeHeartbeat } from '../engine/home.js';
import { VulnStore } from '../engine/vulndb/index.js';
import { DEFAULT_FEED_SELECTORS, selectFeeds, updateFeeds, withMirror } from '../engine/vulndb/update.js';
import { ScanPool } from '../workers/pool.js';
import { createAccountClients, type MemberAccountsConfig } from './accounts.js';
import { type PassReport, runPass, type SchedulerConfig } from './pass.js';
import type { RemoteScans } from './scale-out.js';
import { deadLetterQueueOf } from './sqs-queue.js';
import { openStateStore } from './state-store.js';

export type DbUpdate = 'never' | 'startup' | 'daily';

export interface SchedulerRunOptions extends SchedulerConfig {
  /** Member accounts (--accounts or --organization, --role-name, --external-id); default: the central account alone. */
  members?: MemberAccountsConfig;
  once: boolean;
  output: string;
  state: string;
  kmsKeyId?: string;
  db: string;
  dbUpdate: DbUpdate;
  /** `--db-update` fetches the feeds from this mirror (scheme+host[+path] replaced, paths kept). */
  feedsMirror?: string;
  /** Pause between passes when running forever. */
  passEveryMs: number;
  /** Scale-out: send the jobs to this SQS queue; `snapscan worker`s scan them. */
  queueUrl?: string;
  /** Scale-out: stop waiting for results after this long (default 6 h). */
  passTimeoutMs?: number;
  /** Scale-out: list results this often (default 5 s). */
  resultPollMs?: number;
  /** Scale-out: a worker whose heartbeat is older than this is dead (default 5 min). */
  workerStaleMs?: number;
  /** Scale-out: the stale-worker janitor runs this often while the pass waits (default 1 min). */
  janitorEveryMs?: number;
  /** Only re-match stored inventories and export (snapscan rematch). */
  rematchOnly?: boolean;
  now?: () => Date;
  log?: (line: string) => void;
  onPass?: (r: PassReport) => void;
  signal?: AbortSignal;
}

const DAY_MS = 86_400_000;

/** Whether the vulnerability data is due for a refresh (`--db-update`). */
export function dbUpdateDue(when: DbUpdate, first: boolean, last: number | undefined, now: Date): boolean {
  if (when === 'startup') return first;
  return when === 'daily' && (last === undefined || now.getTime() - last >= DAY_MS);
}

/** Refreshes the vulnerability data from the public feeds; undefined when it failed (scanning goes on). */
export async function updateDb(
  db: string,
  now: () => Date,
  log: (line: string) => void,
  mirror?: string,
): Promise<string | undefined> {
  try {
    const feeds = selectFeeds(DEFAULT_FEED_SELECTORS);
    const results = await updateFeeds(db, mirror ? withMirror(feeds, mirror) : feeds, {
      keepGoing: true,
      clock: now,
    });
    const failed = results.filter((r) => r.status === 'failed');
    log(`db update: ${results.length - failed.length} feeds ok, ${failed.length} failed`);
    return now().toISOString();
  } catch (err) {
    log(`db update failed (scanning with the current data): ${(err as Error).message}`);
    return undefined;
  }
}

export function openStore(db: string): VulnStore {
  try {
    return VulnStore.openReadOnly(db);
  } catch (err) {
    throw new ScanError('db-error', `vulnerability database ${db}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

export async function runScheduler(
  o: SchedulerRunOptions,
): Promise<{ passes: PassReport[]; exitCode: number }> {
  const log = o.log ?? ((l: string) => process.stderr.write(`snapscan scheduler: ${l}\n`));
  const now = o.now ?? (() => new Date());
  const s3 = o.output.startsWith('s3://') || o.state.startsWith('s3://') ? createS3Client({}) : undefined;
  // Per account × region (scheduler/accounts.ts): the central account's clients, or a member's
  // through its assumed-role session.
  const clients = createAccountClients({
    regions: o.regions,
    ...(o.eventsBus ? { eventsBus: o.eventsBus } : {}),
    ...(o.members ? { members: o.members } : {}),
    now,
    log,
  });
  let remote: RemoteScans | undefined;
  let sqs: SQSClient | undefined;
  if (o.queueUrl && !o.rematchOnly) {
    sqs = createSqsClient(o.regions[0] ? { region: o.regions[0] } : {});
    const deadLetter = await deadLetterQueueOf(sqs, o.queueUrl);
    if (!deadLetter)
      log(
        `queue ${o.queueUrl} has no dead-letter queue: a job no worker can complete keeps its pass waiting until --pass-timeout`,
      );
    remote = {
      sqs,
      queueUrl: o.queueUrl,
      ...(deadLetter ? { deadLetter } : {}),
      pollMs: o.resultPollMs ?? 5000,
      passTimeoutMs: o.passTimeoutMs ?? 6 * 3_600_000,
      workerStaleMs: o.workerStaleMs ?? 5 * 60_000,
      janitorEveryMs: o.janitorEveryMs ?? 60_000,
    };
  }
  const out = openSink(o.output, { ...(o.kmsKeyId ? { kmsKeyId: o.kmsKeyId } : {}) });
  const state = openStateStore(o.state, {
    ...(s3 ? { s3 } : {}),
    ...(o.kmsKeyId ? { kmsKeyId: o.kmsKeyId } : {}),
  });
  // Reading is I/O-bound: at most 2 threads (each a module graph and a heap: ~100 MiB), several
  // targets each; workers stay up between scans (a tsx worker takes about a second to start).
  const threads = Math.min(2, Math.max(1, o.concurrency));
  const pool = new ScanPool({
    threads,
    tasksPerThread: Math.ceil(Math.max(1, o.concurrency) / threads),
    idleTimeoutMs: 60_000,
  });
  const passes: PassReport[] = [];
  let lastDbUpdate: number | undefined;
  let exitCode = 0;
  try {
    for (let first = true; !o.signal?.aborted; first = false) {
      let dbUpdatedAt: string | undefined;
      if (!o.rematchOnly && dbUpdateDue(o.dbUpdate, first, lastDbUpdate, now())) {
        dbUpdatedAt = await updateDb(o.db, now, log, o.feedsMirror);
        if (dbUpdatedAt) lastDbUpdate = now().getTime();
      }
      const store = openStore(o.db);
      let report: PassReport;
      try {
        report = await runPass(
          {
            cfg: o,
            clients,
            state,
            sink: out.sink,
            exportPrefix: out.prefix,
            store,
            pool,
            ...(remote ? { remote } : {}),
            now,
            log,
            ...(o.signal ? { signal: o.signal } : {}),
            ...(dbUpdatedAt ? { dbUpdatedAt } : {}),
          },
          { rematchOnly: o.rematchOnly ?? false },
        );
      } finally {
        store.close();
      }
      passes.push(report);
      o.onPass?.(report);
      try {
        // `snapscan health` (the container's health check) fails when no pass ended for too long.
        writeHeartbeat(`pass ${report.passId} ${report.ok ? 'complete' : 'incomplete'}`);
      } catch (err) {
        log(`heartbeat not written: ${(err as Error).message}`);
      }
      const c = report.counts;
      log(
        `pass ${report.passId}: ${report.ok ? 'complete' : `INCOMPLETE (${report.error})`}; ${c.instances} instances: ${c.scanned} scanned (${c.ssm} ssm, ${c.agentless} agentless), ${c.kept} kept, ${c.skipped} skipped, ${c.failed} failed, ${c.terminated} terminated, ${c.rematched} rematched; snapshots ${report.snapshots.created} created, ${report.snapshots.reused} reused; findings +${report.findings.opened} -${report.findings.closed}${report.aborted ? '; interrupted' : ''}`,
      );
      if (!report.ok && !report.aborted) exitCode = 1;
      if (o.once || o.rematchOnly) break;
      exitCode = 0;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, o.passEveryMs);
        o.signal?.addEventListener(
          'abort',
          () => {
            clearTimeout(t);
            resolve();
          },
          { once: true },
        );
      });
    }
  } finally {
    await pool.close();
    out.close();
    s3?.destroy();
    sqs?.destroy();
    clients.destroy();
  }
  return { passes, exitCode };
}
