/**
 * Coverage records: one per instance per pass (and one per region for a member account whose role
 * could not be assumed, resourceType AWS_ACCOUNT), named with Amazon Inspector's coverage fields
 * (https://docs.aws.amazon.com/inspector/v2/APIReference/API_CoveredResource.html, ScanStatus
 * reason codes from https://docs.aws.amazon.com/inspector/v2/APIReference/API_ScanStatus.html) so
 * dashboards built for Inspector map 1:1. `PARTIAL_SCAN` is snapscan's own: Inspector has no code
 * for "read, but not all of it", and such a scan must never read as `SUCCESSFUL`.
 */
export const SCAN_STATUS_REASONS = [
  'SUCCESSFUL',
  'PENDING_INITIAL_SCAN',
  'EXCLUDED_BY_TAG',
  'EC2_INSTANCE_STOPPED',
  'RESOURCE_TERMINATED',
  'UNMANAGED_EC2_INSTANCE',
  'NO_INVENTORY',
  'STALE_INVENTORY',
  'UNSUPPORTED_OS',
  'ACCESS_DENIED',
  'ACCESS_DENIED_TO_ENCRYPTION_KEY',
  'INTERNAL_ERROR',
  'PARTIAL_SCAN',
] as const;

export type ScanStatusReason = (typeof SCAN_STATUS_REASONS)[number];
export type ScanMode = 'EC2_AGENTLESS' | 'EC2_SSM_AGENT_BASED';

/**
 * ACTIVE: snapscan covers the resource (even if the last scan had a problem); INACTIVE: it does not
 * (as Inspector: excluded, stopped, terminated, and — with no scan to fall back on, ssm-only — an
 * unmanaged instance or one without usable inventory; an OS snapscan cannot evaluate).
 */
const INACTIVE: ReadonlySet<ScanStatusReason> = new Set([
  'EXCLUDED_BY_TAG',
  'EC2_INSTANCE_STOPPED',
  'RESOURCE_TERMINATED',
  'UNMANAGED_EC2_INSTANCE',
  'NO_INVENTORY',
  'STALE_INVENTORY',
  'UNSUPPORTED_OS',
]);

export function statusCodeOf(reason: ScanStatusReason): 'ACTIVE' | 'INACTIVE' {
  return INACTIVE.has(reason) ? 'INACTIVE' : 'ACTIVE';
}

export interface CoverageRecord {
  resourceId: string;
  accountId: string;
  region: string;
  /** AWS_ACCOUNT: a member account the pass could not enter (its role could not be assumed). */
  resourceType: 'AWS_EC2_INSTANCE' | 'AWS_ACCOUNT';
  scanMode?: ScanMode;
  scanStatus: { statusCode: 'ACTIVE' | 'INACTIVE'; reason: ScanStatusReason };
  /** snapscan: why the method was chosen (hybrid fallback), e.g. STALE_INVENTORY with an agentless scan. */
  methodReason?: ScanStatusReason;
  lastScannedAt?: string;
  /** Scan outcome of the last scan (complete | partial | failed) and its reasons. */
  outcome?: { state: string; reasons: string[] };
  snapshots?: { created: string[]; reused: string[] };
  packages?: number;
  findings?: { active: number; suppressed: number; closed: number };
  /**
   * This pass: scanned now, kept from an earlier pass (not due), skipped, failed, or queued (sent to
   * the scan workers, no result by the end of the pass: the last results are kept).
   */
  pass: 'scanned' | 'kept' | 'skipped' | 'failed' | 'queued';
  message?: string;
}
