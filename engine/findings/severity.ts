/**
 * Score → severity bands, and the vendor-severity-word → score mapping used when no CVSS vector is
 * known. The table is documented (with its reasons) in docs/severity-mapping.md; keep both in step.
 */

export type Severity = 'INFORMATIONAL' | 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL' | 'UNTRIAGED';

export const SEVERITY_RANK: Record<Severity, number> = {
  CRITICAL: 5,
  HIGH: 4,
  MEDIUM: 3,
  LOW: 2,
  INFORMATIONAL: 1,
  UNTRIAGED: 0,
};

/**
 * CVSS qualitative bands (CVSS v3.1 spec §5): 0 none → INFORMATIONAL, 0.1–3.9 LOW, 4.0–6.9 MEDIUM,
 * 7.0–8.9 HIGH, 9.0–10 CRITICAL. Scores carry one decimal; anything else is rounded first so 3.95
 * cannot fall between bands. No score at all is UNTRIAGED (Inspector's word), not INFORMATIONAL.
 */
export function severityOf(score: number | undefined): Severity {
  if (score === undefined || !Number.isFinite(score)) return 'UNTRIAGED';
  const s = Math.round(score * 10) / 10;
  if (s <= 0) return 'INFORMATIONAL';
  if (s < 4) return 'LOW';
  if (s < 7) return 'MEDIUM';
  if (s < 9) return 'HIGH';
  return 'CRITICAL';
}

/**
 * Vendor word → representative score, per vendor. One number per band, chosen inside the band
 * (low 3.0, medium 5.5, high 8.0, critical 9.5; "negligible"-type words 1.0) so the severity the
 * vendor meant survives the round trip through `severityOf`.
 */
export const VENDOR_SEVERITY_SCORES: Record<string, Record<string, number>> = {
  // Debian tracker urgency (security-team.debian.org/security_tracker.html)
  debian: { unimportant: 1.0, low: 3.0, medium: 5.5, high: 8.0 },
  // Ubuntu CVE tracker priority (ubuntu.com/security/cves/about#priority)
  ubuntu: { negligible: 1.0, low: 3.0, medium: 5.5, high: 8.0, critical: 9.5 },
  // Amazon Linux ALAS severity
  amazon: { low: 3.0, medium: 5.5, important: 8.0, critical: 9.5 },
  // Red Hat impact (access.redhat.com/security/updates/classification), used by AlmaLinux and Rocky too
  redhat: { low: 3.0, moderate: 5.5, important: 8.0, critical: 9.5 },
  almalinux: { low: 3.0, moderate: 5.5, important: 8.0, critical: 9.5 },
  rocky: { low: 3.0, moderate: 5.5, important: 8.0, critical: 9.5 },
  // GitHub advisory database severity
  ghsa: { low: 3.0, moderate: 5.5, high: 8.0, critical: 9.5 },
  // SUSE rating
  suse: { low: 3.0, moderate: 5.5, important: 8.0, critical: 9.5 },
};

/** Fallback for vendors without their own row: the common English words. */
const GENERIC_SCORES: Record<string, number> = {
  negligible: 1.0,
  unimportant: 1.0,
  low: 3.0,
  moderate: 5.5,
  medium: 5.5,
  important: 8.0,
  high: 8.0,
  critical: 9.5,
};

/** Score for a vendor's word, undefined for words that rate nothing ("untriaged", "not yet assigned"). */
export function vendorSeverityScore(vendor: string, word: string): number | undefined {
  const w = word.trim().toLowerCase();
  const table = VENDOR_SEVERITY_SCORES[vendor];
  if (table && w in table) return table[w];
  return GENERIC_SCORES[w];
}
