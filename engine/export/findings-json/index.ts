/**
 * Findings as NDJSON (one finding JSON a line, schemas/finding.schema.json) and CSV (RFC 4180).
 *
 * CSV cells that start with = + - @ or a tab/CR are prefixed with `'`: package names and descriptions
 * come from a disk that may be hostile, and spreadsheet programs execute such cells as formulas
 * (OWASP "CSV injection").
 */
import type { Finding } from '../../findings/finding.js';

export const id = 'findings-json';
export const displayName = 'Findings NDJSON and CSV';
export const specUrls = ['https://github.com/ndjson/ndjson-spec', 'https://www.rfc-editor.org/rfc/rfc4180'];
export const version = 1;

export function findingsNdjson(findings: readonly Finding[]): Buffer {
  return Buffer.from(findings.map((f) => `${JSON.stringify(f)}\n`).join(''), 'utf8');
}

export const CSV_COLUMNS = [
  'findingArn',
  'awsAccountId',
  'resourceType',
  'resourceId',
  'severity',
  'inspectorScore',
  'vulnerabilityId',
  'packageName',
  'packageVersion',
  'packageRelease',
  'packageArch',
  'packageManager',
  'filePath',
  'fixAvailable',
  'fixedInVersion',
  'exploitAvailable',
  'epssScore',
  'epssPercentile',
  'matchStatus',
  'source',
  'advisoryIds',
  'title',
] as const;

export function csvCell(v: string | number | undefined): string {
  if (v === undefined) return '';
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function findingsCsv(findings: readonly Finding[]): Buffer {
  const lines = [CSV_COLUMNS.join(',')];
  for (const f of findings) {
    const pvd = f.packageVulnerabilityDetails;
    const p = pvd.vulnerablePackages[0];
    const r = f.resources[0];
    const row: Record<(typeof CSV_COLUMNS)[number], string | number | undefined> = {
      findingArn: f.findingArn,
      awsAccountId: f.awsAccountId,
      resourceType: r?.type,
      resourceId: r?.id,
      severity: f.severity,
      inspectorScore: f.inspectorScore,
      vulnerabilityId: pvd.vulnerabilityId,
      packageName: p?.name,
      packageVersion: p?.version,
      packageRelease: p?.release,
      packageArch: p?.arch,
      packageManager: p?.packageManager,
      filePath: p?.filePath,
      fixAvailable: f.fixAvailable,
      fixedInVersion: p?.fixedInVersion,
      exploitAvailable: f.exploitAvailable,
      epssScore: f.epss?.score,
      epssPercentile: f.epss?.percentile,
      matchStatus: f.matchStatus,
      source: pvd.source,
      advisoryIds: pvd.advisoryIds.join(' '),
      title: f.title,
    };
    lines.push(CSV_COLUMNS.map((c) => csvCell(row[c])).join(','));
  }
  return Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8');
}
