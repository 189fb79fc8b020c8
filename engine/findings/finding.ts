/**
 * The finding record: Amazon Inspector's finding shape (same field names, so consumers of Inspector
 * exports read ours) plus `schemaVersion`, `matchStatus`/`matchReason` and EPSS percentile.
 * JSON Schema: schemas/finding.schema.json (keep both in step; bump FINDING_SCHEMA_VERSION on any
 * change a consumer could notice).
 *
 * Inspector reference: https://docs.aws.amazon.com/inspector/v2/APIReference/API_Finding.html
 */
import type { Severity } from './severity.js';

export const FINDING_SCHEMA_VERSION = '1.0';
export const FINDING_SCHEMA_ID = 'https://snapscan.dev/schemas/finding/1.0/finding.schema.json';

export type YesNo = 'YES' | 'NO';

export interface CvssScore {
  baseScore: number;
  scoringVector: string;
  /** `2.0`, `3.0`, `3.1`, `4.0`. */
  version: string;
  /** Who assigned it: `nvd`, `ghsa`, `ubuntu`, `amazon`… */
  source: string;
}

export interface ScoreAdjustment {
  metric: string;
  reason: string;
}

export interface AdjustedCvss {
  score: number;
  /** Where the score came from. */
  scoreSource: 'VENDOR_CVSS' | 'NVD_CVSS' | 'OTHER_CVSS' | 'VENDOR_SEVERITY' | 'NONE';
  /** Who assigned the vector or word (`ghsa`, `nvd`, `debian`…). */
  cvssSource?: string;
  scoringVector?: string;
  version?: string;
  adjustments: ScoreAdjustment[];
}

export interface VulnerablePackage {
  name: string;
  version: string;
  epoch: number;
  release?: string;
  arch?: string;
  /** Inspector's enum: OS, NODEPKG, PYTHONPKG, JAR, GOBINARY, GEMSPEC, CARGO, NUGET… */
  packageManager: string;
  filePath?: string;
  /** Fixed version, or `NotAvailable` (Inspector's word) when there is no fix. */
  fixedInVersion: string;
  remediation?: string;
  /** Package URL of the installed package (not in Inspector; links findings to the SBOM). */
  purl?: string;
  /** Source package the advisory named, when it was matched by source (Debian tracker). */
  sourceName?: string;
}

export interface FindingResource {
  /** `AWS_EC2_INSTANCE`, `AWS_EBS_SNAPSHOT`, `AWS_EBS_VOLUME`, `LOCAL_IMAGE`. */
  type: string;
  id: string;
  partition?: string;
  region?: string;
  tags?: Record<string, string>;
  details?: Record<string, unknown>;
}

export interface Finding {
  schemaVersion: string;
  findingArn: string;
  awsAccountId: string;
  type: 'PACKAGE_VULNERABILITY';
  title: string;
  description: string;
  severity: Severity;
  /** Inspector's `inspectorScore`: the score the severity was banded from (absent when UNTRIAGED). */
  inspectorScore?: number;
  inspectorScoreDetails: { adjustedCvss: AdjustedCvss };
  status: 'ACTIVE' | 'SUPPRESSED' | 'CLOSED';
  fixAvailable: 'YES' | 'NO' | 'PARTIAL';
  exploitAvailable: YesNo;
  exploitabilityDetails?: { lastKnownExploitAt: string };
  epss?: { score: number; percentile: number };
  packageVulnerabilityDetails: {
    vulnerabilityId: string;
    source: string;
    sourceUrl?: string;
    cvss: CvssScore[];
    relatedVulnerabilities: string[];
    referenceUrls: string[];
    vendorSeverity?: string;
    /** Vendor status word qualifying the match (Debian `undetermined`, `end-of-life`). */
    vendorStatus?: string;
    vendorCreatedAt?: string;
    vendorUpdatedAt?: string;
    /** Every advisory that reported this vulnerability for this package. */
    advisoryIds: string[];
    vulnerablePackages: VulnerablePackage[];
  };
  remediation: { recommendation: { text: string; Url?: string } };
  resources: FindingResource[];
  /** `affected`: the version was evaluated and is affected; `unknown`: it could not be evaluated. */
  matchStatus: 'affected' | 'unknown';
  matchReason: string;
  firstObservedAt: string;
  lastObservedAt: string;
  updatedAt: string;
}
