/**
 * Findings: Match[] + store lookups → Inspector-shaped findings (finding.ts, schemas/finding.schema.json),
 * with CVSS scoring (cvss.ts) and the severity bands and vendor-word mapping (severity.ts,
 * docs/severity-mapping.md).
 */

export type { FindingsContext, FindingsLookup } from './build.js';
export { buildFinding, buildFindings, compareFindings, findingArn, sortFindings } from './build.js';
export { scoreVector } from './cvss.js';
export type { Finding, FindingResource, VulnerablePackage } from './finding.js';
export { FINDING_SCHEMA_ID, FINDING_SCHEMA_VERSION } from './finding.js';
export type { Severity } from './severity.js';
export { SEVERITY_RANK, severityOf, vendorSeverityScore } from './severity.js';

export const id = 'findings';
export const displayName = 'Inspector-compatible package vulnerability findings';
export const specUrls = [
  'https://docs.aws.amazon.com/inspector/v2/APIReference/API_Finding.html',
  'https://www.first.org/cvss/v3.1/specification-document',
];
export const version = 1;
