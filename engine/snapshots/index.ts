/**
 * Snapshot lifecycle for scanning a running instance:
 *
 *   DescribeInstances ─► CreateSnapshots (all EBS volumes, crash-consistent, tagged at creation)
 *        ─► wait until every snapshot is `completed` (bounded, progress-reporting, `error` fails)
 *        ─► fn(snapshots)  (the scan)
 *        ─► DeleteSnapshot each, in `finally` and on SIGINT/SIGTERM
 *
 * If the process dies without running `finally` (SIGKILL, power loss) the snapshots keep their
 * `snapscan:expires-at` tag and the janitor removes them once that time has passed.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import { sleep } from '../../readers/block/ebs/retry.js';
import { ec2Sdk } from '../aws/clients.js';
import { AbortedError, ScanError } from '../errors.js';
import { managedTags, TAG_MANAGED } from './tags.js';

export * from './tags.js';

export interface InstanceSnapshot {
  snapshotId: string;
  volumeId: string;
  /** Device name from the instance's block device mapping (/dev/xvda). */
  device: string;
  sizeGiB: number;
}

export interface SnapshotProgress {
  snapshotId: string;
  volumeId: string;
  state: string;
  progress: string;
}

export interface WaitOptions {
  /** Give up after this long (default 60 min). */
  timeoutMs?: number;
  /** Time between DescribeSnapshots polls (default 15 s). */
  pollIntervalMs?: number;
  onProgress?: (progress: SnapshotProgress[], elapsedMs: number) => void;
  signal?: AbortSignal;
}

export interface SnapshotInstanceOptions {
  runId: string;
  /** Lifetime written into snapscan:expires-at (default 6 h): the janitor's deadline. */
  ttlMs?: number;
  now?: () => Date;
  excludeBootVolume?: boolean;
  description?: string;
  wait?: WaitOptions;
}

export interface WithSnapshotsOptions extends SnapshotInstanceOptions {
  /**
   * Reuse before creating: when every EBS volume of the instance has a completed snapshot younger
   * than this (a backup tool's daily one), scan those and create none. Reused snapshots are never
   * deleted (snapscan did not create them); snapshots carrying snapscan:managed are never reused.
   */
  reuseMaxAgeMs?: number;
  onReused?: (snapshots: InstanceSnapshot[]) => void;
  /** Install SIGINT/SIGTERM handlers that delete the snapshots, then re-raise (default true). */
  handleSignals?: boolean;
  /** Called once the snapshots exist (before the wait): ids to clean up if this process dies. */
  onCreated?: (snapshots: InstanceSnapshot[]) => void;
  onDeleted?: (result: DeleteResult) => void;
}

export interface DeleteResult {
  deleted: string[];
  failed: { snapshotId: string; error: string }[];
}

export class SnapshotLifecycleError extends ScanError {}

const DEFAULT_TTL_MS = 6 * 60 * 60 * 1000;
/** DescribeSnapshots may not know a snapshot for a moment after CreateSnapshots (eventual consistency). */
const MAX_NOT_FOUND_POLLS = 5;

/**
 * Completed snapshots younger than `maxAgeMs` of each of the instance's EBS volumes, newest first,
 * none of them snapscan's own; undefined unless every volume has one.
 */
export async function findReusableSnapshots(
  ec2: EC2Client,
  instanceId: string,
  maxAgeMs: number,
  now: Date,
  signal?: AbortSignal,
): Promise<InstanceSnapshot[] | undefined> {
  const described = await ec2.send(new (ec2Sdk().DescribeInstancesCommand)({ InstanceIds: [instanceId] }), {
    abortSignal: signal as never,
  });
  const instance = described.Reservations?.flatMap((r) => r.Instances ?? []).find(
    (i) => i.InstanceId === instanceId,
  );
  if (!instance) throw new SnapshotLifecycleError('not-found', `instance ${instanceId} not found`);
  const volumes = (instance.BlockDeviceMappings ?? [])
    .filter((m) => m.Ebs?.VolumeId)
    .map((m) => ({ volumeId: m.Ebs!.VolumeId!, device: m.DeviceName ?? '' }));
  if (volumes.length === 0) return undefined;
  const out = await ec2.send(
    new (ec2Sdk().DescribeSnapshotsCommand)({
      OwnerIds: ['self'],
      Filters: [
        { Name: 'volume-id', Values: volumes.map((v) => v.volumeId) },
        { Name: 'status', Values: ['completed'] },
      ],
    }),
    { abortSignal: signal as never },
  );
  const oldest = now.getTime() - maxAgeMs;
  const picked: InstanceSnapshot[] = [];
  for (const v of volumes) {
    const best = (out.Snapshots ?? [])
      .filter(
        (s) =>
          s.VolumeId === v.volumeId &&
          s.State === 'completed' &&
          s.StartTime !== undefined &&
          new Date(s.StartTime).getTime() >= oldest &&
          !(s.Tags ?? []).some((t) => t.Key === TAG_MANAGED),
      )
      .sort((a, b) => new Date(b.StartTime!).getTime() - new Date(a.StartTime!).getTime())[0];
    if (!best?.SnapshotId) return undefined;
    picked.push({
      snapshotId: best.SnapshotId,
      volumeId: v.volumeId,
      device: v.device,
      sizeGiB: best.VolumeSize ?? 0,
    });
  }
  return picked;
}

/** Creates one snapshot per EBS volume of the instance, tagged at creation. Does not wait. */
export async function createInstanceSnapshots(
  ec2: EC2Client,
  instanceId: string,
  o: SnapshotInstanceOptions,
): Promise<InstanceSnapshot[]> {
  if (!/^i-[0-9a-f]{8,17}$/.test(instanceId)) {
    throw new SnapshotLifecycleError('invalid-argument', `not an instance id: "${instanceId}"`);
  }
  const now = o.now?.() ?? new Date();
  const expiresAt = new Date(now.getTime() + (o.ttlMs ?? DEFAULT_TTL_MS));
  const described = await ec2.send(new (ec2Sdk().DescribeInstancesCommand)({ InstanceIds: [instanceId] }));
  const instance = described.Reservations?.flatMap((r) => r.Instances ?? []).find(
    (i) => i.InstanceId === instanceId,
  );
  if (!instance) throw new SnapshotLifecycleError('not-found', `instance ${instanceId} not found`);
  const devices = new Map<string, string>();
  for (const m of instance.BlockDeviceMappings ?? []) {
    if (m.Ebs?.VolumeId && m.DeviceName) devices.set(m.Ebs.VolumeId, m.DeviceName);
  }
  if (devices.size === 0)
    throw new SnapshotLifecycleError('not-found', `instance ${instanceId} has no EBS volume`);
  const created = await ec2.send(
    new (ec2Sdk().CreateSnapshotsCommand)({
      InstanceSpecification: { InstanceId: instanceId, ExcludeBootVolume: o.excludeBootVolume ?? false },
      Description: o.description ?? `snapscan run ${o.runId}`,
      TagSpecifications: [{ ResourceType: 'snapshot', Tags: managedTags(o.runId, expiresAt, instanceId) }],
    }),
  );
  return (created.Snapshots ?? []).map((s) => ({
    snapshotId: s.SnapshotId ?? '',
    volumeId: s.VolumeId ?? '',
    device: devices.get(s.VolumeId ?? '') ?? '',
    sizeGiB: s.VolumeSize ?? 0,
  }));
}

/** Polls DescribeSnapshots until every snapshot is `completed`; `error` or the deadline fails. */
export async function waitForSnapshots(
  ec2: EC2Client,
  snapshotIds: string[],
  o: WaitOptions = {},
): Promise<void> {
  const timeoutMs = o.timeoutMs ?? 60 * 60 * 1000;
  const interval = o.pollIntervalMs ?? 15_000;
  const start = Date.now();
  let notFound = 0;
  for (;;) {
    if (o.signal?.aborted) throw new AbortedError('snapshot wait aborted');
    let progress: SnapshotProgress[];
    try {
      const out = await ec2.send(new (ec2Sdk().DescribeSnapshotsCommand)({ SnapshotIds: snapshotIds }), {
        abortSignal: o.signal as never,
      });
      progress = (out.Snapshots ?? []).map((s) => ({
        snapshotId: s.SnapshotId ?? '',
        volumeId: s.VolumeId ?? '',
        state: s.State ?? 'unknown',
        progress: s.Progress ?? '',
      }));
    } catch (err) {
      if (o.signal?.aborted) throw new AbortedError('snapshot wait aborted');
      if (
        (err as { name?: string }).name === 'InvalidSnapshot.NotFound' &&
        ++notFound <= MAX_NOT_FOUND_POLLS
      ) {
        progress = snapshotIds.map((id) => ({
          snapshotId: id,
          volumeId: '',
          state: 'pending',
          progress: '',
        }));
      } else throw err;
    }
    const elapsed = Date.now() - start;
    o.onProgress?.(progress, elapsed);
    const failed = progress.filter((p) => p.state === 'error');
    if (failed.length) {
      throw new SnapshotLifecycleError(
        'snapshot-failed',
        `snapshot ${failed.map((f) => `${f.snapshotId} (${f.volumeId})`).join(', ')} ended in state error`,
      );
    }
    const done = progress.filter((p) => p.state === 'completed').length;
    if (done === snapshotIds.length) return;
    if (elapsed + interval > timeoutMs) {
      throw new SnapshotLifecycleError(
        'snapshot-timeout',
        `snapshots not completed after ${Math.round(elapsed / 1000)} s: ${progress
          .filter((p) => p.state !== 'completed')
          .map((p) => `${p.snapshotId} ${p.state} ${p.progress}`)
          .join(', ')}`,
      );
    }
    await sleep(interval, o.signal).catch(() => {
      throw new AbortedError('snapshot wait aborted');
    });
  }
}

/** Deletes each snapshot; a failure is reported, not thrown, so the others are still deleted. */
export async function deleteSnapshots(ec2: EC2Client, snapshotIds: string[]): Promise<DeleteResult> {
  const result: DeleteResult = { deleted: [], failed: [] };
  for (const id of snapshotIds) {
    try {
      await ec2.send(new (ec2Sdk().DeleteSnapshotCommand)({ SnapshotId: id }));
      result.deleted.push(id);
    } catch (err) {
      if ((err as { name?: string }).name === 'InvalidSnapshot.NotFound') result.deleted.push(id);
      else result.failed.push({ snapshotId: id, error: `${(err as Error).name}: ${(err as Error).message}` });
    }
  }
  return result;
}

/** Creates and waits; if the wait fails the snapshots are deleted before the error is thrown. */
export async function snapshotInstance(
  ec2: EC2Client,
  instanceId: string,
  o: SnapshotInstanceOptions,
): Promise<InstanceSnapshot[]> {
  const snaps = await createInstanceSnapshots(ec2, instanceId, o);
  try {
    await waitForSnapshots(
      ec2,
      snaps.map((s) => s.snapshotId),
      o.wait,
    );
  } catch (err) {
    await deleteSnapshots(
      ec2,
      snaps.map((s) => s.snapshotId),
    );
    throw err;
  }
  return snaps;
}

/**
 * Snapshots the instance, runs `fn` on the completed snapshots, and deletes them afterwards: in
 * `finally`, and on SIGINT/SIGTERM (the handler aborts `ctx.signal`, deletes, then re-raises the
 * signal so the process ends the way it was asked to).
 */
export async function withInstanceSnapshots<T>(
  ec2: EC2Client,
  instanceId: string,
  o: WithSnapshotsOptions,
  fn: (snapshots: InstanceSnapshot[], ctx: { signal: AbortSignal }) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const outer = o.wait?.signal;
  if (outer) {
    if (outer.aborted) controller.abort();
    else outer.addEventListener('abort', () => controller.abort(), { once: true });
  }
  let snaps: InstanceSnapshot[] = [];
  let cleanup: Promise<DeleteResult> | undefined;
  let caught: NodeJS.Signals | undefined;
  const clean = (): Promise<DeleteResult> => {
    cleanup ??= deleteSnapshots(
      ec2,
      snaps.map((s) => s.snapshotId),
    ).then((r) => {
      o.onDeleted?.(r);
      return r;
    });
    return cleanup;
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  const onSignal = (sig: NodeJS.Signals) => {
    if (caught) return;
    caught = sig;
    controller.abort();
    // Snapshots known now are deleted at once; ones still being created are deleted when
    // CreateSnapshots answers (the flow below checks `caught`).
    if (snaps.length) void clean().finally(reraise);
  };
  let reraised = false;
  const reraise = () => {
    for (const s of signals) process.removeListener(s, onSignal);
    if (caught && !reraised) {
      reraised = true;
      process.kill(process.pid, caught);
    }
  };
  if (o.reuseMaxAgeMs !== undefined) {
    const reused = await findReusableSnapshots(
      ec2,
      instanceId,
      o.reuseMaxAgeMs,
      o.now?.() ?? new Date(),
      outer,
    );
    if (reused) {
      o.onReused?.(reused);
      return fn(reused, { signal: controller.signal });
    }
  }
  if (o.handleSignals ?? true) for (const s of signals) process.on(s, onSignal);
  try {
    snaps = await createInstanceSnapshots(ec2, instanceId, o);
    o.onCreated?.(snaps);
    if (caught) throw new AbortedError(`interrupted by ${caught}`);
    await waitForSnapshots(
      ec2,
      snaps.map((s) => s.snapshotId),
      { ...o.wait, signal: controller.signal },
    );
    return await fn(snaps, { signal: controller.signal });
  } finally {
    if (snaps.length) await clean();
    if (caught) reraise();
    else for (const s of signals) process.removeListener(s, onSignal);
  }
}
