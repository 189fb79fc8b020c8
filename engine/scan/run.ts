/**
 * Runs scans of several targets at once: local images, completed snapshots, and instances (whose
 * volumes are snapshotted, tagged at creation, scanned, and deleted in `finally` — also on
 * SIGINT/SIGTERM). Reading and parsing happen in piscina workers (workers/scan.worker.ts); the main
 * thread only orchestrates. An instance's volumes come back as one inventory whose volumes and
 * package locations name the EBS volume they came from.
 */
import { randomUUID } from 'node:crypto';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import type { AwsClientOptions } from '../../readers/block/ebs/client.js';
import { ScanPool } from '../../workers/pool.js';
import type { ScanTask } from '../../workers/scan.worker.js';
import { createEc2Client, createStsClient, stsSdk } from '../aws/clients.js';
import type { ScanError } from '../errors.js';
import { mergeStatuses } from '../inventory/outcome.js';
import type { Inventory, ResourceRef } from '../inventory/types.js';
import type { PackageKind } from '../pipeline.js';
import { type InstanceSnapshot, withInstanceSnapshots } from '../snapshots/index.js';

export interface ScanRequest {
  images?: string[];
  snapshots?: string[];
  instances?: string[];
  aws?: Omit<AwsClientOptions, 'credentials'>;
  packages?: PackageKind[];
  /** Per-package details (dpkg file lists, licenses). */
  details?: boolean;
  /** Directories the language walk does not enter (`--lang-skip`; default DEFAULT_LANG_SKIP). */
  langSkip?: string[];
  /** Targets scanned at once (worker threads). */
  concurrency?: number;
  /** EBS requests in flight per snapshot. */
  ebsConcurrency?: number;
  runId?: string;
  /** Lifetime of created snapshots (their snapscan:expires-at). */
  snapshotTtlMs?: number;
  snapshotWait?: { timeoutMs?: number; pollIntervalMs?: number };
  now?: () => Date;
  onProgress?: (msg: string) => void;
  signal?: AbortSignal;
  /** Scan an instance from completed snapshots of all its volumes younger than this, when they exist. */
  reuseSnapshotsMaxAgeMs?: number;
  /** Install SIGINT/SIGTERM handlers that delete snapshots and re-raise (default true; the scheduler handles signals itself). */
  handleSignals?: boolean;
  /** Shared across calls (the scheduler): a pool, an EC2 client, the account id (no STS call). */
  pool?: ScanPool;
  ec2?: EC2Client;
  accountId?: string;
  /**
   * Credentials of the account the snapshots live in (the scheduler's member-account session), for
   * the EBS direct reads; `ec2` must sign with the same account. Resolved each time a volume's read
   * starts (the provider renews the session), and handed to the worker thread as static credentials.
   * Default: the SDK's standard chain.
   */
  credentials?: AwsCredentialIdentityProvider;
}

export interface TargetResult {
  target: string;
  inventory?: Inventory;
  error?: ScanError;
  /** Snapshots created for it and whether they were deleted. */
  snapshots?: { created: string[]; deleted: string[]; failed: string[]; reused?: string[] };
}

/** Merges the per-volume inventories of one instance into one. */
function mergeInstance(
  instanceId: string,
  parts: Array<{ snap: InstanceSnapshot; inv: Inventory }>,
  base: ResourceRef,
): Inventory {
  const first = parts[0]!.inv;
  const volumes = parts.flatMap((p) =>
    p.inv.volumes.map((v) => ({
      ...v,
      status: {
        state: v.status.state,
        reasons: v.status.reasons.map((r) => ({ ...r, volume: `${p.snap.volumeId}:${r.volume ?? v.id}` })),
      },
    })),
  );
  const inv: Inventory = {
    ...first,
    resource: { ...base, type: 'instance', id: instanceId },
    volumes,
    packages: parts.flatMap((p) => p.inv.packages),
    // The instance's outcome is decided over all its volumes at once: one volume with an OS is
    // enough for "OS identified", and a data volume beside the root is not a missing OS.
    status: mergeStatuses(
      parts.map((p) => ({ label: p.snap.volumeId, status: p.inv.status })),
      volumes,
    ),
    stats: { reads: 0, bytesRead: 0, distinctBlocks: 0, wallMs: 0 },
  };
  const os = parts.map((p) => p.inv.os).find(Boolean);
  if (os) inv.os = os;
  for (const p of parts) {
    inv.stats.reads += p.inv.stats.reads;
    inv.stats.bytesRead += p.inv.stats.bytesRead;
    inv.stats.distinctBlocks += p.inv.stats.distinctBlocks;
    inv.stats.wallMs = Math.max(inv.stats.wallMs, p.inv.stats.wallMs);
    if (p.inv.stats.ebs) {
      inv.stats.ebs ??= {};
      for (const [k, v] of Object.entries(p.inv.stats.ebs)) inv.stats.ebs[k] = (inv.stats.ebs[k] ?? 0) + v;
    }
  }
  return inv;
}

export async function runScans(req: ScanRequest): Promise<TargetResult[]> {
  const progress = req.onProgress ?? (() => {});
  const packages = req.packages ?? ['os', 'lang'];
  const now = req.now?.().toISOString();
  const runId = req.runId ?? randomUUID();
  const aws = req.aws ?? {};
  const total = (req.images?.length ?? 0) + (req.snapshots?.length ?? 0) + (req.instances?.length ?? 0);
  const pool = req.pool ?? new ScanPool({ threads: Math.min(req.concurrency ?? 4, Math.max(1, total)) });
  let accountId: string | undefined = req.accountId;
  if (!accountId && (req.snapshots?.length ?? 0) + (req.instances?.length ?? 0) > 0) {
    try {
      const sts = createStsClient(aws);
      accountId = (await sts.send(new (stsSdk().GetCallerIdentityCommand)({}))).Account;
      sts.destroy();
    } catch {
      // The account id only labels results; a scan without sts:GetCallerIdentity still runs.
    }
  }
  const base: Partial<ResourceRef> = {
    ...(accountId ? { accountId } : {}),
    ...(aws.region ? { region: aws.region } : {}),
  };
  const runTask = (task: ScanTask): Promise<Inventory> =>
    pool.scan(
      { ...task, details: req.details ?? false, ...(req.langSkip ? { langSkip: req.langSkip } : {}) },
      req.signal,
    );
  const snapshotTarget = async (snapshotId: string) => ({
    kind: 'snapshot' as const,
    snapshotId,
    aws: req.credentials ? { ...aws, credentials: await req.credentials() } : aws,
    ...(req.ebsConcurrency ? { concurrency: req.ebsConcurrency } : {}),
  });
  const jobs: Array<Promise<TargetResult>> = [];
  for (const path of req.images ?? []) {
    jobs.push(
      runTask({
        target: { kind: 'image', path },
        resource: { type: 'image', id: path },
        packages,
        ...(now ? { now } : {}),
      }).then(
        (inventory) => ({ target: path, inventory }),
        (error: ScanError) => ({ target: path, error }),
      ),
    );
  }
  for (const id of req.snapshots ?? []) {
    jobs.push(
      snapshotTarget(id)
        .then((target) =>
          runTask({
            target,
            resource: { ...base, type: 'snapshot', id },
            packages,
            ...(now ? { now } : {}),
          }),
        )
        .then(
          (inventory) => ({ target: id, inventory }),
          (error: ScanError) => ({ target: id, error }),
        ),
    );
  }
  const ec2 = req.ec2 ?? ((req.instances?.length ?? 0) > 0 ? createEc2Client(aws) : undefined);
  for (const instanceId of req.instances ?? []) {
    const result: TargetResult = { target: instanceId, snapshots: { created: [], deleted: [], failed: [] } };
    jobs.push(
      withInstanceSnapshots(
        ec2!,
        instanceId,
        {
          runId,
          ...(req.snapshotTtlMs ? { ttlMs: req.snapshotTtlMs } : {}),
          ...(req.now ? { now: req.now } : {}),
          ...(req.reuseSnapshotsMaxAgeMs !== undefined ? { reuseMaxAgeMs: req.reuseSnapshotsMaxAgeMs } : {}),
          ...(req.handleSignals !== undefined ? { handleSignals: req.handleSignals } : {}),
          onReused: (snaps) => {
            result.snapshots!.reused = snaps.map((s) => s.snapshotId);
            progress(`${instanceId}: reusing ${snaps.length} completed snapshot(s)`);
          },
          wait: {
            ...req.snapshotWait,
            ...(req.signal ? { signal: req.signal } : {}),
            onProgress: (ps) =>
              progress(
                `${instanceId}: waiting for ${ps.map((p) => `${p.snapshotId} ${p.state} ${p.progress}`).join(', ')}`,
              ),
          },
          onCreated: (snaps) => {
            result.snapshots!.created = snaps.map((s) => s.snapshotId);
            progress(`${instanceId}: created ${snaps.length} tagged snapshot(s)`);
          },
          onDeleted: (r) => {
            result.snapshots!.deleted = r.deleted;
            result.snapshots!.failed = r.failed.map((f) => `${f.snapshotId}: ${f.error}`);
          },
        },
        async (snaps) => {
          progress(`${instanceId}: scanning ${snaps.length} volume(s)`);
          const parts = await Promise.all(
            snaps.map(async (snap) => ({
              snap,
              inv: await runTask({
                target: await snapshotTarget(snap.snapshotId),
                resource: {
                  ...base,
                  type: 'instance',
                  id: instanceId,
                  volumeId: snap.volumeId,
                  device: snap.device,
                },
                sourceLabel: snap.volumeId,
                packages,
                ...(now ? { now } : {}),
              }),
            })),
          );
          for (const p of parts)
            for (const v of p.inv.volumes) v.source = `${p.snap.volumeId} (${p.snap.device})`;
          return mergeInstance(instanceId, parts, base as ResourceRef);
        },
      ).then(
        (inventory) => ({ ...result, inventory }),
        (error: ScanError) => ({ ...result, error }),
      ),
    );
  }
  try {
    return await Promise.all(jobs);
  } finally {
    if (!req.ec2) ec2?.destroy();
    if (!req.pool) await pool.close();
  }
}
