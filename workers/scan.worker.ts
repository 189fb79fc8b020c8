/**
 * piscina entry point: reads and parses one target (a local image or an EBS snapshot) and returns
 * its inventory. I/O-bound: one worker keeps many EBS requests in flight, and several workers scan
 * several targets at once while the main thread stays responsive. Errors cross the thread boundary
 * as plain objects (serializeError) and are rebuilt on the main thread.
 */

import type { AwsCredentialIdentity } from '@aws-sdk/types';
import type { SerializedError } from '../engine/errors.js';
import { serializeError } from '../engine/errors.js';
import type { Inventory, ResourceRef } from '../engine/inventory/types.js';
import { ebsCacheBytes } from '../engine/limits.js';
import { type PackageKind, scanBlockSource } from '../engine/pipeline.js';
import type { AwsClientOptions } from '../readers/block/ebs/client.js';
import { openSnapshotSource } from '../readers/block/ebs/index.js';
import { RawFileSource } from '../readers/block/raw-file/index.js';

export type ScanTarget =
  | { kind: 'image'; path: string }
  | {
      kind: 'snapshot';
      snapshotId: string;
      /**
       * Region/endpoint overrides, and static credentials when the snapshot lives in a member account
       * (resolved on the main thread from the account's session: a provider cannot cross threads).
       */
      aws: Omit<AwsClientOptions, 'credentials'> & { credentials?: AwsCredentialIdentity };
      concurrency?: number;
      cacheBytes?: number;
    };

export interface ScanTask {
  target: ScanTarget;
  resource: ResourceRef;
  /** Volume label used in package locations when a resource has several volumes. */
  sourceLabel?: string;
  packages: PackageKind[];
  /** Per-package details (dpkg file lists, licenses): see ScanOptions.details. */
  details?: boolean;
  /** Directories the language walk does not enter (default DEFAULT_LANG_SKIP; `--lang-skip`). */
  langSkip?: string[];
  /** Fixed clock (ISO) for deterministic output. */
  now?: string;
}

export type ScanTaskResult = { ok: true; inventory: Inventory } | { ok: false; error: SerializedError };

export async function scanTask(task: ScanTask): Promise<ScanTaskResult> {
  try {
    const now = task.now ? () => new Date(task.now!) : undefined;
    if (task.target.kind === 'image') {
      const source = await RawFileSource.open(task.target.path);
      try {
        const inventory = await scanBlockSource(source, {
          resource: task.resource,
          packages: task.packages,
          sourceLabel: task.sourceLabel,
          details: task.details ?? false,
          ...(task.langSkip ? { langWalk: { skip: task.langSkip } } : {}),
          now,
        });
        return { ok: true, inventory };
      } finally {
        await source.close();
      }
    }
    const t = task.target;
    const source = await openSnapshotSource({
      snapshotId: t.snapshotId,
      ...t.aws,
      ...(t.concurrency ? { concurrency: t.concurrency } : {}),
      cacheBytes: t.cacheBytes ?? ebsCacheBytes(task.packages),
    });
    try {
      const inventory = await scanBlockSource(source, {
        resource: task.resource,
        packages: task.packages,
        sourceLabel: task.sourceLabel,
        details: task.details ?? false,
        ...(task.langSkip ? { langWalk: { skip: task.langSkip } } : {}),
        now,
        extraStats: () => {
          const s = source.stats();
          return {
            listCalls: s.listCalls,
            getCalls: s.getCalls,
            distinctBlocksFetched: s.distinctBlocksFetched,
            bytesFetched: s.bytesFetched,
            cacheHits: s.cacheHits,
            coalescedReads: s.coalescedReads,
            retries: s.retries,
            throttles: s.throttles,
            checksumFailures: s.checksumFailures,
            costUsd: s.costUsd,
          };
        },
      });
      return { ok: true, inventory };
    } finally {
      source.close();
    }
  } catch (err) {
    return { ok: false, error: serializeError(err) };
  }
}

export default scanTask;
