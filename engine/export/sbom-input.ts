import type { Finding, FindingResource } from '../findings/finding.js';
import type { OsInfo } from '../model/os.js';
import type { Package } from '../model/package.js';

/** What the SBOM writers and the run exporter need about one scanned resource. */
export interface ResourceResult {
  awsAccountId: string;
  resource: FindingResource;
  os?: OsInfo;
  packages: Package[];
  findings: Finding[];
  /** Known only by its findings (no inventory read): no SBOM is written for it. */
  noSbom?: boolean;
}

export interface ToolInfo {
  name: string;
  version: string;
}

export interface SbomContext {
  runId: string;
  /** Timestamp written into the documents (injected clock). */
  createdAt: Date;
  tool: ToolInfo;
}

/** Packages in one deterministic order: purl, then name, version, first location. */
export function sortedPackages(packages: readonly Package[]): Package[] {
  const key = (p: Package) => [p.purl, p.name, p.version, p.locations[0]?.path ?? ''].join('\u0000');
  return [...packages].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
