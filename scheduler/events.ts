/**
 * EventBridge events (`--events-bus NAME`): new, closed and suppressed findings, and scan failures.
 * PutEvents takes at most 10 entries and 256 KB per call, an entry's size counted as AWS documents it
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html: UTF-8 bytes of
 * Source, DetailType, Detail and each Resources ARN, plus 14 bytes when Time is set). Entries the
 * service rejects (FailedEntryCount) are retried once, then reported.
 */
import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import type { Finding } from '../engine/findings/index.js';

export const EVENT_SOURCE = 'snapscan';
export const MAX_ENTRIES_PER_CALL = 10;
export const MAX_BYTES_PER_CALL = 256 * 1024;

export type EventKind = 'finding-new' | 'finding-closed' | 'finding-suppressed' | 'scan-failed';
const DETAIL_TYPES: Record<EventKind, string> = {
  'finding-new': 'snapscan Finding New',
  'finding-closed': 'snapscan Finding Closed',
  'finding-suppressed': 'snapscan Finding Suppressed',
  'scan-failed': 'snapscan Scan Failed',
};

export function entrySize(e: PutEventsRequestEntry): number {
  let n = e.Time ? 14 : 0;
  for (const s of [e.Source, e.DetailType, e.Detail]) if (s) n += Buffer.byteLength(s, 'utf8');
  for (const r of e.Resources ?? []) n += Buffer.byteLength(r, 'utf8');
  return n;
}

export function findingEvent(
  kind: Exclude<EventKind, 'scan-failed'>,
  f: Finding,
  busName: string,
  time: Date,
): PutEventsRequestEntry {
  return {
    EventBusName: busName,
    Source: EVENT_SOURCE,
    DetailType: DETAIL_TYPES[kind],
    Time: time,
    Resources: f.resources.map((r) => r.id).filter((id) => id.startsWith('arn:') || id.startsWith('i-')),
    Detail: JSON.stringify({
      findingArn: f.findingArn,
      awsAccountId: f.awsAccountId,
      status: f.status,
      severity: f.severity,
      vulnerabilityId: f.packageVulnerabilityDetails.vulnerabilityId,
      packages: f.packageVulnerabilityDetails.vulnerablePackages.map((p) => ({
        name: p.name,
        version: p.version,
        fixedInVersion: p.fixedInVersion,
      })),
      resourceId: f.resources[0]?.id,
      firstObservedAt: f.firstObservedAt,
      lastObservedAt: f.lastObservedAt,
      updatedAt: f.updatedAt,
    }),
  };
}

export function scanFailedEvent(
  d: { instanceId: string; accountId: string; region: string; reason: string; message: string },
  busName: string,
  time: Date,
): PutEventsRequestEntry {
  return {
    EventBusName: busName,
    Source: EVENT_SOURCE,
    DetailType: DETAIL_TYPES['scan-failed'],
    Time: time,
    Resources: [d.instanceId],
    Detail: JSON.stringify(d),
  };
}

/** Splits entries into PutEvents calls; an entry alone over the byte limit is returned as rejected. */
export function batchEntries(entries: readonly PutEventsRequestEntry[]): {
  batches: PutEventsRequestEntry[][];
  tooLarge: PutEventsRequestEntry[];
} {
  const batches: PutEventsRequestEntry[][] = [];
  const tooLarge: PutEventsRequestEntry[] = [];
  let cur: PutEventsRequestEntry[] = [];
  let bytes = 0;
  for (const e of entries) {
    const n = entrySize(e);
    if (n > MAX_BYTES_PER_CALL) {
      tooLarge.push(e);
      continue;
    }
    if (cur.length === MAX_ENTRIES_PER_CALL || bytes + n > MAX_BYTES_PER_CALL) {
      batches.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(e);
    bytes += n;
  }
  if (cur.length) batches.push(cur);
  return { batches, tooLarge };
}

export interface PublishReport {
  sent: number;
  failed: number;
  calls: number;
}

export async function publishEvents(
  client: Pick<EventBridgeClient, 'send'>,
  entries: readonly PutEventsRequestEntry[],
): Promise<PublishReport> {
  const { batches, tooLarge } = batchEntries(entries);
  const report: PublishReport = { sent: 0, failed: tooLarge.length, calls: 0 };
  for (const batch of batches) {
    let pending = batch;
    for (let attempt = 0; attempt < 2 && pending.length; attempt++) {
      report.calls++;
      const res = await client.send(new PutEventsCommand({ Entries: pending }));
      const failed = (res.Entries ?? [])
        .map((r, i) => (r.ErrorCode ? pending[i]! : undefined))
        .filter((e): e is PutEventsRequestEntry => !!e);
      report.sent += pending.length - failed.length;
      pending = failed;
    }
    report.failed += pending.length;
  }
  return report;
}
