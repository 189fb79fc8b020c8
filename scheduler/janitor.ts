/**
 * Janitor: deletes snapshots snapscan left behind (a scan killed with SIGKILL, a lost machine).
 * It deletes a snapshot only when all of these hold, each checked on the client:
 *   - owned by this account (DescribeSnapshots OwnerIds=self),
 *   - tagged snapscan:managed=true,
 *   - tagged snapscan:expires-at with an ISO UTC time that has passed,
 * and it re-reads the snapshot's tags right before each DeleteSnapshot, so a tag changed since the
 * listing (an operator extending the expiry, removing the managed tag) is respected. An untagged
 * snapshot is never deleted.
 */
import type { EC2Client, Snapshot } from '@aws-sdk/client-ec2';
import { ec2Sdk } from '../engine/aws/clients.js';
import { checkAborted } from '../engine/errors.js';
import { notExpiredReason, TAG_EXPIRES_AT, TAG_MANAGED, TAG_RUN, tagMap } from '../engine/snapshots/tags.js';

export interface JanitorOptions {
  now?: Date;
  dryRun?: boolean;
  signal?: AbortSignal;
  /** DescribeSnapshots pages to read at most (1000 snapshots each). Default 100. */
  maxPages?: number;
  onEvent?: (e: JanitorEvent) => void;
  /**
   * Runs known to be dead (a scheduler pass whose process was killed): their snapscan-managed
   * snapshots are deleted without waiting for snapscan:expires-at.
   */
  deadRuns?: ReadonlySet<string>;
}

export type JanitorEvent =
  | { kind: 'delete'; snapshotId: string; runId: string; expiresAt: string; dryRun: boolean }
  | { kind: 'skip'; snapshotId: string; reason: string }
  | { kind: 'fail'; snapshotId: string; error: string };

export interface JanitorReport {
  examined: number;
  deleted: string[];
  /** Expired and would have been deleted (dry run). */
  wouldDelete: string[];
  skipped: { snapshotId: string; reason: string }[];
  failed: { snapshotId: string; error: string }[];
}

/** Why a snapshot must not be deleted now; undefined when it may (expired, or of a dead run). */
function deletableReason(
  tags: Record<string, string>,
  now: Date,
  deadRuns: ReadonlySet<string> | undefined,
): string | undefined {
  if (tags[TAG_MANAGED] === 'true' && deadRuns?.has(tags[TAG_RUN] ?? '')) return undefined;
  return notExpiredReason(tags, now);
}

export async function runJanitor(ec2: EC2Client, o: JanitorOptions = {}): Promise<JanitorReport> {
  const now = o.now ?? new Date();
  const maxPages = o.maxPages ?? 100;
  const report: JanitorReport = { examined: 0, deleted: [], wouldDelete: [], skipped: [], failed: [] };
  const candidates: Snapshot[] = [];
  let token: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    checkAborted(o.signal);
    const out = await ec2.send(
      new (ec2Sdk().DescribeSnapshotsCommand)({
        OwnerIds: ['self'],
        Filters: [{ Name: `tag:${TAG_MANAGED}`, Values: ['true'] }],
        MaxResults: 1000,
        ...(token ? { NextToken: token } : {}),
      }),
    );
    candidates.push(...(out.Snapshots ?? []));
    if (!out.NextToken || out.NextToken === token) break;
    token = out.NextToken;
  }
  for (const snap of candidates) {
    checkAborted(o.signal);
    const id = snap.SnapshotId;
    if (!id) continue;
    report.examined++;
    const reason = deletableReason(tagMap(snap.Tags), now, o.deadRuns);
    if (reason) {
      report.skipped.push({ snapshotId: id, reason });
      o.onEvent?.({ kind: 'skip', snapshotId: id, reason });
      continue;
    }
    try {
      // Re-read the tags just before deleting: the listing may be minutes old.
      const fresh = await ec2.send(
        new (ec2Sdk().DescribeSnapshotsCommand)({ SnapshotIds: [id], OwnerIds: ['self'] }),
      );
      const current = fresh.Snapshots?.find((s) => s.SnapshotId === id);
      const tags = tagMap(current?.Tags);
      const again = current ? deletableReason(tags, now, o.deadRuns) : 'gone before deletion';
      if (again) {
        report.skipped.push({ snapshotId: id, reason: again });
        o.onEvent?.({ kind: 'skip', snapshotId: id, reason: again });
        continue;
      }
      const event = {
        kind: 'delete' as const,
        snapshotId: id,
        runId: tags[TAG_RUN] ?? '',
        expiresAt: tags[TAG_EXPIRES_AT] ?? '',
        dryRun: o.dryRun ?? false,
      };
      if (o.dryRun) report.wouldDelete.push(id);
      else {
        await ec2.send(new (ec2Sdk().DeleteSnapshotCommand)({ SnapshotId: id }));
        report.deleted.push(id);
      }
      o.onEvent?.(event);
    } catch (err) {
      const error = `${(err as Error).name}: ${(err as Error).message}`;
      report.failed.push({ snapshotId: id, error });
      o.onEvent?.({ kind: 'fail', snapshotId: id, error });
    }
  }
  return report;
}
