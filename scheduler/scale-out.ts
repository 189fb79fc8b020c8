/**
 * Scale-out: `snapscan scheduler --queue URL` plans and `snapscan worker --queue URL` scans.
 *
 *   planner: janitor → discover → decide → hybrid ─► SQS (one message per due instance, batched,
 *            deduplicated per pass and instance) ─► waits for results ─► findings over time, export,
 *            index (as the single-task scheduler: the same runPass)
 *   worker:  receive ─► scan (executeJob: snapshot or SSM, match) ─► inventory + result object in the
 *            state store ─► delete the message; the message stays invisible while the scan runs
 *
 * The state store (a folder or s3://…) is the meeting point: a worker writes
 * `results/<pass>/<account>/<region>/<instance>.json` (after the inventory it points at), the
 * planner lists that prefix. A job whose result exists is not scanned again (a redelivered message
 * is deleted at once), so each instance is scanned once per pass even when SQS delivers twice.
 *
 * Failure handling:
 * - A worker killed mid-scan (SIGKILL, a lost task): its message comes back after the visibility
 *   timeout and another worker scans the instance. Its snapshot is tagged with the worker's run id;
 *   the worker's marker (`workers/<run>.json`, heartbeat every `heartbeatMs`) goes stale, and the
 *   planner's janitor — at the start of each pass and every minute while it waits — deletes the
 *   snapshots of stale runs.
 * - A job that fails every time (state cannot be written, a scan that kills the worker): SQS moves
 *   its message to the dead-letter queue after maxReceiveCount receives; the planner reads the
 *   dead-letter queue, records the instance as failed ("dead-lettered after N receives") in the
 *   coverage record and removes the message (the instance is planned again on the next pass).
 * - Results that never arrive (no worker running): after `passTimeoutMs` the planner exports what it
 *   has; the instances left are marked `queued` in the coverage record and keep their last results.
 */

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { JobResult } from './execute.js';
import type { ScanJob } from './queue.js';
import { parseJob } from './sqs-queue.js';
import { getJson, putJson, type StateStore } from './state-store.js';

export const RESULTS_PREFIX = 'results/';
export const WORKERS_PREFIX = 'workers/';

export const resultKeyOf = (j: Pick<ScanJob, 'passId' | 'accountId' | 'region' | 'instanceId'>): string =>
  `${RESULTS_PREFIX}${j.passId}/${j.accountId}/${j.region}/${j.instanceId}.json`;

const jobId = (j: Pick<ScanJob, 'accountId' | 'region' | 'instanceId'>) =>
  `${j.accountId}/${j.region}/${j.instanceId}`;

/** A worker's liveness marker: the run id its snapshots carry, refreshed while it runs. */
export interface WorkerMarker {
  runId: string;
  host: string;
  pid: number;
  startedAt: string;
  heartbeatAt: string;
}

export function newWorkerRunId(): string {
  return `worker-${randomBytes(6).toString('hex')}`;
}

/** Worker runs whose heartbeat is older than `staleMs` (their process is gone), with their marker keys. */
export async function staleWorkerRuns(
  state: StateStore,
  now: Date,
  staleMs: number,
): Promise<{ runIds: Set<string>; keys: string[] }> {
  const runIds = new Set<string>();
  const keys: string[] = [];
  for (const key of await state.list(WORKERS_PREFIX)) {
    if (!key.endsWith('.json')) continue;
    let m: WorkerMarker | undefined;
    try {
      m = await getJson<WorkerMarker>(state, key);
    } catch {
      m = undefined;
    }
    const beat = m ? Date.parse(m.heartbeatAt) : Number.NaN;
    // An unreadable marker is treated as stale only by its key's run id; never guessed live forever.
    const runId = m?.runId ?? key.slice(WORKERS_PREFIX.length, -'.json'.length);
    if (Number.isNaN(beat) || now.getTime() - beat > staleMs) {
      runIds.add(runId);
      keys.push(key);
    }
  }
  return { runIds, keys };
}

export interface RemoteScans {
  sqs: SQSClient;
  queueUrl: string;
  /** From the queue's RedrivePolicy; without one, dead-lettered jobs are never seen (pass times out). */
  deadLetter?: { url: string; maxReceiveCount: number };
  /** How often the planner lists results (default 5 s). */
  pollMs: number;
  /** The planner stops waiting after this long (default 6 h). */
  passTimeoutMs: number;
  /** A worker marker older than this is dead (default 5 min; workers beat every minute). */
  workerStaleMs: number;
  /** Run the janitor for stale workers this often while waiting (default 1 min). */
  janitorEveryMs: number;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });

/** Consecutive failed polls (results list, dead-letter queue) after which the pass gives up. */
const MAX_POLL_FAILURES = 30;

/** Bounds the planner's reading of the dead-letter queue per poll. */
const DLQ_BATCHES_PER_POLL = 10;

/**
 * Waits until every job of the pass has a result (a worker's, or a dead-letter record), the pass
 * times out, or the signal aborts. Calls `onResult` once per job, in arrival order. Returns the jobs
 * left without a result.
 */
export async function awaitResults(o: {
  remote: RemoteScans;
  state: StateStore;
  passId: string;
  jobs: readonly ScanJob[];
  onResult: (r: JobResult) => Promise<void>;
  /** Called between polls (the stale-worker janitor). */
  onIdle?: () => Promise<void>;
  now: () => Date;
  signal?: AbortSignal;
  log: (line: string) => void;
}): Promise<ScanJob[]> {
  const pending = new Map(o.jobs.map((j) => [jobId(j), j]));
  const seen = new Set<string>();
  const deadline = Date.now() + o.remote.passTimeoutMs;
  let lastJanitor = Date.now();
  const prefix = `${RESULTS_PREFIX}${o.passId}/`;
  let failures = 0;
  while (pending.size > 0 && !o.signal?.aborted && Date.now() < deadline) {
    // Listing results and reading the dead-letter queue are retried on the next poll when they fail
    // (throttling, a blip): only a long run of failures ends the wait. Applying a result is not
    // retried here: when it fails the pass cannot complete.
    const found: JobResult[] = [];
    try {
      for (const key of await o.state.list(prefix)) {
        if (seen.has(key) || !key.endsWith('.json')) continue;
        const r = await getJson<JobResult>(o.state, key);
        seen.add(key);
        const id = r?.job ? jobId(r.job) : undefined;
        if (r?.schemaVersion !== 1 || !id || !pending.has(id) || r.job.passId !== o.passId) {
          o.log(`scale-out: ${key}: not a result of a pending job of this pass; ignored`);
          continue;
        }
        found.push(r);
      }
      if (o.remote.deadLetter && pending.size > found.length)
        found.push(...(await readDeadLetters(o, pending)));
      failures = 0;
    } catch (err) {
      if (o.signal?.aborted) break;
      if (++failures >= MAX_POLL_FAILURES) throw err;
      o.log(`scale-out: collecting results: ${(err as Error).name}: ${(err as Error).message} (retried)`);
    }
    for (const r of found) {
      if (!pending.delete(jobId(r.job))) continue;
      await o.onResult(r);
    }
    if (pending.size === 0) break;
    if (o.onIdle && Date.now() - lastJanitor >= o.remote.janitorEveryMs) {
      lastJanitor = Date.now();
      await o.onIdle();
    }
    await sleep(o.remote.pollMs, o.signal);
  }
  return [...pending.values()];
}

/**
 * Jobs of this pass in the dead-letter queue become failed results (and leave the queue: the next
 * pass plans the instance again); jobs of earlier passes are obsolete and removed; messages that are
 * not jobs are left for the operator (hidden for an hour so each poll does not read them again).
 */
async function readDeadLetters(
  o: Parameters<typeof awaitResults>[0],
  pending: Map<string, ScanJob>,
): Promise<JobResult[]> {
  const out: JobResult[] = [];
  try {
    await readDeadLetterBatches(o, pending, out);
  } catch (err) {
    // Messages already taken off the dead-letter queue must not be lost with the error.
    if (out.length === 0) throw err;
    o.log(`scale-out: dead-letter queue: ${(err as Error).message} (read again next poll)`);
  }
  return out;
}

async function readDeadLetterBatches(
  o: Parameters<typeof awaitResults>[0],
  pending: Map<string, ScanJob>,
  out: JobResult[],
): Promise<void> {
  const dlq = o.remote.deadLetter!;
  for (let batch = 0; batch < DLQ_BATCHES_PER_POLL; batch++) {
    const r = await o.remote.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlq.url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 60,
      }),
    );
    const msgs = r.Messages ?? [];
    if (msgs.length === 0) return;
    for (const m of msgs) {
      const job = parseJob(m.Body);
      if (!job) {
        await o.remote.sqs.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: dlq.url,
            ReceiptHandle: m.ReceiptHandle!,
            VisibilityTimeout: 3600,
          }),
        );
        continue;
      }
      const id = jobId(job);
      if (job.passId === o.passId && pending.has(id)) {
        const now = o.now().toISOString();
        const receives = dlq.maxReceiveCount;
        o.log(`${job.instanceId}: job moved to the dead-letter queue after ${receives} receives`);
        out.push({
          schemaVersion: 1,
          job,
          attemptAt: now,
          completedAt: now,
          scanMode: job.method === 'ssm' ? 'EC2_SSM_AGENT_BASED' : 'EC2_AGENTLESS',
          reason: 'INTERNAL_ERROR',
          message: `no worker completed the scan: its job went to the dead-letter queue after ${receives} receives`,
          phaseMs: {},
          deadLettered: { receives },
        });
      } else if (job.passId !== o.passId) {
        o.log(`scale-out: dead-letter job of pass ${job.passId} (${job.instanceId}) is obsolete; removed`);
      } else continue; // this pass, but its result already arrived: a duplicate delivery
      await o.remote.sqs.send(
        new DeleteMessageCommand({ QueueUrl: dlq.url, ReceiptHandle: m.ReceiptHandle! }),
      );
    }
  }
}

/** Writes (or refreshes) a worker's marker. */
export async function beat(
  state: StateStore,
  m: Omit<WorkerMarker, 'heartbeatAt'>,
  now: Date,
): Promise<void> {
  await putJson(state, `${WORKERS_PREFIX}${m.runId}.json`, { ...m, heartbeatAt: now.toISOString() });
}

export function workerMarker(runId: string, now: Date): Omit<WorkerMarker, 'heartbeatAt'> {
  return { runId, host: hostname(), pid: process.pid, startedAt: now.toISOString() };
}
