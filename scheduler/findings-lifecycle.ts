/**
 * Findings over time, per resource. A finding seen again keeps its findingArn and firstObservedAt,
 * gets a new lastObservedAt and stays ACTIVE (or SUPPRESSED when a rule matches); one no longer seen
 * becomes CLOSED and is kept for `closedRetentionMs`, then dropped. A scan that did not read
 * everything (partial) closes nothing: what was not read is never taken as fixed.
 */
import type { Finding } from '../engine/findings/index.js';
import { type SuppressionRule, suppressionFor } from './suppressions.js';

export interface MergeOptions {
  now: Date;
  closedRetentionMs: number;
  rules: readonly SuppressionRule[];
  tags?: Readonly<Record<string, string>>;
  /** false for a partial scan: unseen findings stay as they were. */
  closeUnseen: boolean;
}

export interface MergeResult {
  findings: Finding[];
  /** New, or seen again after being CLOSED. */
  opened: Finding[];
  closed: Finding[];
  /** Newly SUPPRESSED (was not suppressed before). */
  suppressed: Finding[];
}

function withSuppression(f: Finding, o: MergeOptions): Finding {
  const rule = suppressionFor(f, o.rules, o.tags);
  return { ...f, status: rule ? 'SUPPRESSED' : 'ACTIVE' };
}

export function mergeFindings(
  previous: readonly Finding[],
  current: readonly Finding[],
  o: MergeOptions,
): MergeResult {
  const now = o.now.toISOString();
  const prevByArn = new Map(previous.map((f) => [f.findingArn, f]));
  const out: MergeResult = { findings: [], opened: [], closed: [], suppressed: [] };
  const seen = new Set<string>();
  for (const cur of current) {
    if (seen.has(cur.findingArn)) continue;
    seen.add(cur.findingArn);
    const prev = prevByArn.get(cur.findingArn);
    const next = withSuppression(
      {
        ...cur,
        firstObservedAt: prev?.firstObservedAt ?? now,
        lastObservedAt: now,
      },
      o,
    );
    const changed =
      !prev ||
      prev.status !== next.status ||
      prev.severity !== next.severity ||
      prev.fixAvailable !== next.fixAvailable;
    next.updatedAt = changed ? now : prev.updatedAt;
    if (!prev || prev.status === 'CLOSED') {
      next.firstObservedAt = now;
      out.opened.push(next);
    }
    if (next.status === 'SUPPRESSED' && prev?.status !== 'SUPPRESSED') out.suppressed.push(next);
    out.findings.push(next);
  }
  for (const prev of previous) {
    if (seen.has(prev.findingArn)) continue;
    if (prev.status === 'CLOSED') {
      if (o.now.getTime() - Date.parse(prev.updatedAt) < o.closedRetentionMs) out.findings.push(prev);
      continue;
    }
    if (!o.closeUnseen) {
      // Not re-evaluated (a partial scan): the suppression rules still apply as of now.
      out.findings.push(withSuppression(prev, o));
      continue;
    }
    const closed: Finding = { ...prev, status: 'CLOSED', updatedAt: now };
    out.closed.push(closed);
    out.findings.push(closed);
  }
  return out;
}

export function countByStatus(findings: readonly Finding[]): {
  active: number;
  suppressed: number;
  closed: number;
} {
  const c = { active: 0, suppressed: 0, closed: 0 };
  for (const f of findings) {
    if (f.status === 'ACTIVE') c.active++;
    else if (f.status === 'SUPPRESSED') c.suppressed++;
    else c.closed++;
  }
  return c;
}
