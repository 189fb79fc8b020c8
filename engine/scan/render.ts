/** Scan results for people (table) and programs (JSON). */
import type { Finding, Severity } from '../findings/index.js';
import { SEVERITY_RANK } from '../findings/index.js';
import { formatColumns } from '../inventory/table.js';
import type { Inventory } from '../inventory/types.js';

export interface ScanReport {
  target: string;
  inventory?: Inventory;
  findings: Finding[];
  error?: { code: string; message: string };
  snapshots?: { created: string[]; deleted: string[]; failed: string[] };
  /** Packages no advisory namespace covers (e.g. an OS without a feed), with why. */
  unmatched: number;
}

export const SEVERITIES: readonly Severity[] = [
  'CRITICAL',
  'HIGH',
  'MEDIUM',
  'LOW',
  'INFORMATIONAL',
  'UNTRIAGED',
];

export function severitySummary(findings: readonly Finding[]): Record<Severity, number> {
  const out = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of findings) out[f.severity]++;
  return out;
}

export function atOrAbove(findings: readonly Finding[], min: Severity): Finding[] {
  return findings.filter((f) => SEVERITY_RANK[f.severity] >= SEVERITY_RANK[min]);
}

/** The installed version as the package manager writes it: `[epoch:]version[-release]`. */
function installedText(p: { version: string; epoch: number; release?: string }): string {
  return `${p.epoch ? `${p.epoch}:` : ''}${p.version}${p.release ? `-${p.release}` : ''}`;
}

export function renderTable(reports: readonly ScanReport[]): string {
  const out: string[] = [];
  for (const r of reports) {
    const inv = r.inventory;
    const os = inv?.os ? ` — ${inv.os.prettyName ?? `${inv.os.family} ${inv.os.name}`}` : '';
    out.push(`${r.target}${os}`);
    if (r.error) {
      out.push(`  scan failed: ${r.error.message}`, '');
      continue;
    }
    const s = severitySummary(r.findings);
    out.push(
      `  ${inv?.packages.length ?? 0} packages, ${r.findings.length} findings: ${
        SEVERITIES.filter((k) => s[k] > 0)
          .map((k) => `${s[k]} ${k.toLowerCase()}`)
          .join(', ') || 'none'
      }`,
    );
    if (r.findings.length) {
      const rows = [
        ['SEVERITY', 'SCORE', 'VULNERABILITY', 'PACKAGE', 'INSTALLED', 'FIXED IN', 'EPSS', 'KEV'],
      ];
      for (const f of r.findings) {
        const p = f.packageVulnerabilityDetails.vulnerablePackages[0];
        rows.push([
          f.severity,
          f.inspectorScore?.toFixed(1) ?? '-',
          f.packageVulnerabilityDetails.vulnerabilityId,
          p?.name ?? '',
          p ? installedText(p) : '',
          p?.fixedInVersion === 'NotAvailable' ? '(no fix)' : (p?.fixedInVersion ?? ''),
          f.epss ? f.epss.score.toFixed(3) : '-',
          f.exploitAvailable === 'YES' ? 'yes' : '',
        ]);
      }
      out.push(
        formatColumns(rows)
          .split('\n')
          .map((l) => `  ${l}`)
          .join('\n'),
      );
    }
    for (const i of inv?.status.issues ?? [])
      out.push(`  note: ${i.stage} ${i.location}: ${i.error.message}`);
    if (r.snapshots?.created.length) {
      out.push(
        `  snapshots: created ${r.snapshots.created.join(', ')}; deleted ${r.snapshots.deleted.length}/${r.snapshots.created.length}`,
      );
    }
    out.push('');
  }
  return `${out.join('\n')}\n`;
}

export function renderJson(reports: readonly ScanReport[], meta: Record<string, unknown>): string {
  const results = reports.map((r) => ({
    target: r.target,
    ...(r.error ? { error: r.error } : {}),
    ...(r.inventory
      ? {
          resource: r.inventory.resource,
          os: r.inventory.os,
          status: r.inventory.status,
          stats: r.inventory.stats,
          packageCount: r.inventory.packages.length,
        }
      : {}),
    summary: severitySummary(r.findings),
    findings: r.findings,
    ...(r.snapshots ? { snapshots: r.snapshots } : {}),
  }));
  return `${JSON.stringify({ ...meta, results }, null, 2)}\n`;
}
