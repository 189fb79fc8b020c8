/**
 * NVD CVE API 2.0 JSON (the `/rest/json/cves/2.0` response shape, also used by the yearly mirrors):
 *
 *   { "vulnerabilities": [ { "cve": { "id": "CVE-…", "metrics": {
 *       "cvssMetricV40" | "cvssMetricV31" | "cvssMetricV30" | "cvssMetricV2": [
 *         { "source": "nvd@nist.gov", "type": "Primary" | "Secondary",
 *           "cvssData": { "version": "3.1", "vectorString": "CVSS:3.1/…", "baseScore": 9.8 } } ] } } } ] }
 *
 * Only NVD's own (`type: Primary`) metrics are stored in `nvd_cvss`: secondary ones are the CNA's,
 * which reach us through the vendor's advisories anyway. Used as the fallback score source after the
 * vendor's CVSS (docs/severity-mapping.md).
 */
import { isRecord, strOrUndef } from './types.js';

export const id = 'nvd';
export const displayName = 'NVD CVE API 2.0 JSON (CVSS metrics only)';
export const specUrls = ['https://nvd.nist.gov/developers/vulnerabilities'];
export const version = 1;

export interface NvdCvssRow {
  cve: string;
  version: string;
  vector: string;
  baseScore?: number;
}

const METRIC_KEYS = ['cvssMetricV40', 'cvssMetricV31', 'cvssMetricV30', 'cvssMetricV2'];

export function parseNvd(doc: unknown): { rows: NvdCvssRow[]; skipped: number } {
  if (!isRecord(doc) || !Array.isArray(doc.vulnerabilities))
    throw new TypeError('NVD JSON: no "vulnerabilities" array');
  const rows: NvdCvssRow[] = [];
  let skipped = 0;
  for (const v of doc.vulnerabilities) {
    const cve = isRecord(v) && isRecord(v.cve) ? v.cve : undefined;
    const cveId = cve ? strOrUndef(cve.id) : undefined;
    if (!cve || !cveId || !isRecord(cve.metrics)) {
      skipped++;
      continue;
    }
    for (const key of METRIC_KEYS) {
      const list = cve.metrics[key];
      if (!Array.isArray(list)) continue;
      const primary = list.find((m) => isRecord(m) && m.type === 'Primary' && isRecord(m.cvssData));
      if (!isRecord(primary) || !isRecord(primary.cvssData)) continue;
      const version = strOrUndef(primary.cvssData.version);
      const vector = strOrUndef(primary.cvssData.vectorString);
      if (!version || !vector) continue;
      const row: NvdCvssRow = { cve: cveId, version, vector };
      if (typeof primary.cvssData.baseScore === 'number') row.baseScore = primary.cvssData.baseScore;
      rows.push(row);
    }
  }
  return { rows, skipped };
}

export function sniffNvd(head: string): boolean {
  return /"vulnerabilities"\s*:/.test(head) && /"(format|resultsPerPage)"\s*:/.test(head);
}
