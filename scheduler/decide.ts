/**
 * Decide, per discovered instance, with no I/O: excluded, stopped, terminated, not due (kept as
 * is) or due; and for a due instance, how to evaluate it (hybrid: SSM inventory when the agent is
 * online and its AWS:Application inventory is fresh, else an agentless snapshot scan).
 */
import type { ScanMode, ScanStatusReason } from './coverage.js';
import type { DiscoveredInstance } from './discover.js';
import type { ManagedInstance } from './ssm.js';
import { platformOf } from './ssm-inventory.js';

export type SchedulerMode = 'hybrid' | 'agentless' | 'ssm-only';
export const SCHEDULER_MODES: readonly SchedulerMode[] = ['hybrid', 'agentless', 'ssm-only'];

/** snapscan:exclude=true, and Amazon Inspector's own exclusion tag (any value). */
export const EXCLUDE_TAG = 'snapscan:exclude';
export const INSPECTOR_EXCLUDE_TAG = 'InspectorEc2Exclusion';

export function excludedByTag(tags: Readonly<Record<string, string>>): boolean {
  return tags[EXCLUDE_TAG]?.toLowerCase() === 'true' || INSPECTOR_EXCLUDE_TAG in tags;
}

export type Eligibility =
  | { kind: 'eligible' }
  | { kind: 'skip'; reason: Extract<ScanStatusReason, 'EXCLUDED_BY_TAG' | 'EC2_INSTANCE_STOPPED'> }
  | { kind: 'terminated' }
  /** pending, shutting-down: looked at again next pass. */
  | { kind: 'transient'; state: string };

export function eligibility(i: DiscoveredInstance): Eligibility {
  if (i.state === 'terminated') return { kind: 'terminated' };
  if (excludedByTag(i.tags)) return { kind: 'skip', reason: 'EXCLUDED_BY_TAG' };
  if (i.state === 'stopped' || i.state === 'stopping')
    return { kind: 'skip', reason: 'EC2_INSTANCE_STOPPED' };
  if (i.state !== 'running') return { kind: 'transient', state: i.state };
  return { kind: 'eligible' };
}

export type MethodChoice =
  | { method: 'ssm'; scanMode: 'EC2_SSM_AGENT_BASED'; captureTime: string }
  | { method: 'agentless'; scanMode: 'EC2_AGENTLESS'; reason?: ScanStatusReason }
  /** ssm-only without usable inventory: nothing to evaluate, the coverage reason says why. */
  | { method: 'none'; reason: ScanStatusReason };

export function chooseMethod(
  mode: SchedulerMode,
  managed: ManagedInstance | undefined,
  captureTime: string | undefined,
  now: Date,
  maxInventoryAgeMs: number,
): MethodChoice {
  if (mode === 'agentless') return { method: 'agentless', scanMode: 'EC2_AGENTLESS' };
  let reason: ScanStatusReason;
  if (managed?.pingStatus !== 'Online') reason = 'UNMANAGED_EC2_INSTANCE';
  else if (!platformOf(managed)) reason = 'UNSUPPORTED_OS';
  else if (!captureTime) reason = 'NO_INVENTORY';
  else {
    const t = Date.parse(captureTime);
    if (Number.isNaN(t) || now.getTime() - t > maxInventoryAgeMs) reason = 'STALE_INVENTORY';
    else return { method: 'ssm', scanMode: 'EC2_SSM_AGENT_BASED', captureTime };
  }
  return mode === 'ssm-only'
    ? { method: 'none', reason }
    : { method: 'agentless', scanMode: 'EC2_AGENTLESS', reason };
}

/** What the state store remembers of an instance's last evaluation. */
export interface LastScan {
  lastScannedAt?: string;
  lastAttemptAt?: string;
  scanMode?: ScanMode;
  /** The SSM inventory's CaptureTime the last SSM evaluation used. */
  ssmCaptureTime?: string;
  failed?: boolean;
}

export interface DueOptions {
  now: Date;
  intervalMs: number;
  /** A failed scan is tried again after this long (not every pass). */
  retryFailedMs: number;
}

/** Due (with how long it has been due, for the due-longest-first order) or not. */
export function dueness(
  last: LastScan | undefined,
  choice: MethodChoice,
  o: DueOptions,
): { due: boolean; overdueMs: number } {
  const now = o.now.getTime();
  if (!last?.lastScannedAt && !last?.lastAttemptAt) return { due: true, overdueMs: Number.MAX_SAFE_INTEGER };
  if (last.failed && last.lastAttemptAt) {
    const since = now - Date.parse(last.lastAttemptAt);
    if (since >= o.retryFailedMs) return { due: true, overdueMs: since - o.retryFailedMs };
  }
  if (last.lastScannedAt) {
    const since = now - Date.parse(last.lastScannedAt);
    if (since >= o.intervalMs) return { due: true, overdueMs: since - o.intervalMs };
  } else if (!last.failed) return { due: true, overdueMs: 0 };
  // New SSM inventory since the last SSM evaluation: re-evaluating it costs no snapshot.
  if (
    choice.method === 'ssm' &&
    last.scanMode === 'EC2_SSM_AGENT_BASED' &&
    last.ssmCaptureTime !== choice.captureTime
  )
    return { due: true, overdueMs: 0 };
  return { due: false, overdueMs: 0 };
}
