/**
 * One scan job, start to end, wherever it runs: in the scheduler's own process (single task, the
 * in-process queue) or in a `snapscan worker` that took it from SQS. Reads the instance (its SSM
 * inventory, or its EBS volumes through a snapshot), matches the inventory, writes the inventory
 * object to the state store, and returns a JobResult: everything the planner needs to update the
 * instance's history (findings over time, coverage, events). The planner alone merges findings and
 * writes the index, so a job run twice (a redelivered message) changes nothing twice.
 */

import { ScanError } from '../engine/errors.js';
import type { Finding } from '../engine/findings/index.js';
import type { Inventory } from '../engine/inventory/types.js';
import { runScans } from '../engine/scan/run.js';
import { findingsForInventories } from '../engine/scan/scan-targets.js';
import type { VulnStore } from '../engine/vulndb/index.js';
import type { ScanPool } from '../workers/pool.js';
import type { ScanMode, ScanStatusReason } from './coverage.js';
import type { SchedulerClients, SchedulerConfig } from './pass.js';
import type { ScanJob } from './queue.js';
import { listApplications } from './ssm.js';
import {
  platformOf,
  type SourceHint,
  sourceHintsOf,
  ssmEntriesToPackages,
  ssmInventory,
} from './ssm-inventory.js';
import { putJson, type StateStore } from './state-store.js';

export interface JobResult {
  schemaVersion: 1;
  job: ScanJob;
  attemptAt: string;
  completedAt: string;
  scanMode: ScanMode;
  reason: ScanStatusReason;
  /** The scan read something usable (complete or partial): its inventory was written here. */
  inventoryKey?: string;
  /** dpkg binary → source package names this disk scan showed (hints for SSM inventories). */
  sourceHints?: Record<string, SourceHint>;
  /** Matched findings of this scan, before they are merged into the instance's history. */
  findings?: Finding[];
  outcome?: { state: string; reasons: string[] };
  snapshots?: { created: string[]; reused: string[]; deleteFailed: number };
  packages?: number;
  ssmCaptureTime?: string;
  /** Why the scan failed (no usable inventory). */
  message?: string;
  phaseMs: Record<string, number>;
  /** Which `snapscan worker` ran it (absent in the scheduler's own process). */
  worker?: string;
  /** The job's message went to the dead-letter queue: no worker could complete it. */
  deadLettered?: { receives: number };
}

export interface ExecuteDeps {
  cfg: Pick<
    SchedulerConfig,
    'snapshotTtlMs' | 'snapshotPollMs' | 'reuseSnapshotsMaxAgeMs' | 'ebsConcurrency' | 'langSkip'
  >;
  clients: Pick<SchedulerClients, 'ec2' | 'ssm' | 'credentials'>;
  pool: ScanPool;
  store: VulnStore;
  state: StateStore;
  /** dpkg source names learned from disk scans, for SSM inventories (read only here). */
  hints: ReadonlyMap<string, SourceHint>;
  now: () => Date;
  /** The run id created snapshots are tagged with (snapscan:run): the pass, or the worker. */
  runId: string;
  signal?: AbortSignal;
}

export const inventoryKeyOf = (job: Pick<ScanJob, 'instanceId' | 'passId'>): string =>
  `instances/${job.instanceId}/${job.passId}.inventory.json`;

/**
 * Runs the job. Undefined when the signal aborted it (not an attempt: the next pass, or another
 * worker, does it again). Throws only when writing state failed.
 */
export async function executeJob(job: ScanJob, d: ExecuteDeps): Promise<{ result: JobResult } | undefined> {
  const attemptAt = d.now();
  const t0 = performance.now();
  const phaseMs: Record<string, number> = {};
  let inventory: Inventory | undefined;
  let error: { code: string; name?: string; message: string } | undefined;
  let snapshots: JobResult['snapshots'];
  let ssmCaptureTime: string | undefined;
  if (job.method === 'ssm') {
    try {
      const platform = platformOf(job.platform ?? {});
      if (!platform) throw new ScanError('unsupported', `${job.instanceId}: SSM platform not supported`);
      const apps = await listApplications(
        d.clients.ssm(job.region, job.accountId),
        job.instanceId,
        d.signal ? { signal: d.signal } : {},
      );
      const { packages } = ssmEntriesToPackages(apps.entries, platform, {
        sourceHints: d.hints as Map<string, SourceHint>,
      });
      inventory = ssmInventory(
        { type: 'instance', id: job.instanceId, accountId: job.accountId, region: job.region },
        platform,
        packages,
        apps.captureTime ?? job.captureTime ?? attemptAt.toISOString(),
      );
      ssmCaptureTime = apps.captureTime ?? job.captureTime;
    } catch (err) {
      error = {
        code: (err as ScanError).code ?? 'ssm-error',
        name: (err as Error).name,
        message: (err as Error).message,
      };
    }
  } else {
    const [r] = await runScans({
      instances: [job.instanceId],
      aws: { region: job.region },
      pool: d.pool,
      ec2: d.clients.ec2(job.region, job.accountId),
      accountId: job.accountId,
      // A member account's snapshots are read with its session (they never leave the account).
      ...(d.clients.credentials?.(job.accountId)
        ? { credentials: d.clients.credentials(job.accountId)! }
        : {}),
      runId: d.runId,
      handleSignals: false,
      snapshotTtlMs: d.cfg.snapshotTtlMs,
      snapshotWait: { pollIntervalMs: d.cfg.snapshotPollMs },
      ...(d.cfg.reuseSnapshotsMaxAgeMs !== undefined
        ? { reuseSnapshotsMaxAgeMs: d.cfg.reuseSnapshotsMaxAgeMs }
        : {}),
      ...(d.cfg.ebsConcurrency ? { ebsConcurrency: d.cfg.ebsConcurrency } : {}),
      ...(d.cfg.langSkip ? { langSkip: d.cfg.langSkip } : {}),
      now: d.now,
      ...(d.signal ? { signal: d.signal } : {}),
    });
    if (r!.inventory) inventory = r!.inventory;
    if (r!.error) error = { code: r!.error.code, name: r!.error.name, message: r!.error.message };
    snapshots = {
      created: r!.snapshots?.created ?? [],
      reused: r!.snapshots?.reused ?? [],
      deleteFailed: r!.snapshots?.failed.length ?? 0,
    };
  }
  phaseMs.read = performance.now() - t0;
  if (d.signal?.aborted) return undefined;
  const result: JobResult = {
    schemaVersion: 1,
    job,
    attemptAt: attemptAt.toISOString(),
    completedAt: '',
    scanMode: job.method === 'ssm' ? 'EC2_SSM_AGENT_BASED' : 'EC2_AGENTLESS',
    reason: reasonOfScan(inventory ? { inventory } : { error: error! }),
    phaseMs,
  };
  if (snapshots) result.snapshots = snapshots;
  if (ssmCaptureTime) result.ssmCaptureTime = ssmCaptureTime;
  if (inventory)
    result.outcome = { state: inventory.status.state, reasons: inventory.status.reasons.map((x) => x.code) };
  if (!inventory || inventory.status.state === 'failed') {
    result.message =
      error?.message ?? inventory?.status.reasons.map((x) => x.message).join('; ') ?? 'scan failed';
    result.completedAt = d.now().toISOString();
    return { result };
  }
  result.packages = inventory.packages.length;
  const t1 = performance.now();
  const now = d.now();
  const [m] = await findingsForInventories([inventory], d.store, () => now);
  phaseMs.match = performance.now() - t1;
  const t2 = performance.now();
  const key = inventoryKeyOf(job);
  await putJson(d.state, key, inventory);
  phaseMs.state = performance.now() - t2;
  result.inventoryKey = key;
  if (job.method === 'agentless') {
    // dpkg binary → source names the disk shows, for SSM inventories later (the planner keeps them).
    const learned = new Map<string, SourceHint>();
    sourceHintsOf(inventory, learned);
    if (learned.size) result.sourceHints = Object.fromEntries(learned);
  }
  result.findings = m!.findings;
  result.completedAt = now.toISOString();
  return { result };
}

/** Scan result → coverage reason. A scan that did not read everything is never SUCCESSFUL. */
export function reasonOfScan(r: {
  inventory?: Inventory;
  error?: { code: string; name?: string; message: string };
}): ScanStatusReason {
  if (r.error) {
    if (r.error.code === 'kms-access-denied') return 'ACCESS_DENIED_TO_ENCRYPTION_KEY';
    if (/AccessDenied|UnauthorizedOperation/.test(`${r.error.name ?? ''} ${r.error.message}`))
      return 'ACCESS_DENIED';
    return 'INTERNAL_ERROR';
  }
  const inv = r.inventory!;
  if (inv.status.state === 'complete') return 'SUCCESSFUL';
  if (inv.status.state === 'failed' && inv.status.reasons.some((x) => x.code === 'no-os-identified'))
    return 'UNSUPPORTED_OS';
  if (inv.status.state === 'failed') {
    if (inv.status.reasons.some((x) => x.code === 'read-error' && /kms/i.test(x.message)))
      return 'ACCESS_DENIED_TO_ENCRYPTION_KEY';
    return 'INTERNAL_ERROR';
  }
  return 'PARTIAL_SCAN';
}
