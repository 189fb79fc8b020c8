import type { Advisory, AffectedPackage } from '../../model/advisory.js';

/** One normalised advisory and the packages it affects, ready for SourceWriter.addAdvisory. */
export interface AdvisoryRecord {
  advisory: Advisory;
  affected: AffectedPackage[];
}

/** Feed kinds ingest understands; `detect` maps a path to one of them. */
export type FeedKind =
  | 'osv'
  | 'osv-zip'
  | 'debian-tracker'
  | 'debian-list'
  | 'alpine-secdb'
  | 'redhat-csaf'
  | 'suse-oval'
  | 'alas-updateinfo'
  | 'alas-json'
  | 'epss'
  | 'kev'
  | 'nvd';

/** What one import did: counts for `db info` and the CLI, and the records it had to skip, with why. */
export interface IngestReport {
  kind: FeedKind | 'directory';
  location: string;
  files: number;
  records: number;
  affected: number;
  skipped: number;
  /** First problems met (bounded), `path: message`. */
  problems: string[];
}

export const MAX_PROBLEMS_KEPT = 50;

export function newReport(kind: IngestReport['kind'], location: string): IngestReport {
  return { kind, location, files: 0, records: 0, affected: 0, skipped: 0, problems: [] };
}

export function noteProblem(report: IngestReport, where: string, err: unknown): void {
  report.skipped++;
  if (report.problems.length < MAX_PROBLEMS_KEPT) {
    report.problems.push(`${where}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function strOrUndef(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

export function stringArray(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.length > 0) : [];
}
