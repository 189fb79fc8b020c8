/**
 * CISA Known Exploited Vulnerabilities catalog (JSON feed).
 *
 *   { "title", "catalogVersion": "2025.08.25", "dateReleased": "…Z", "count": N,
 *     "vulnerabilities": [ { "cveID", "vendorProject", "product", "vulnerabilityName", "dateAdded",
 *                            "shortDescription", "requiredAction", "dueDate",
 *                            "knownRansomwareCampaignUse", "notes", "cwes" } ] }
 *
 * A CVE in the catalog makes a finding `exploitAvailable: YES`. Entries without a CVE id are skipped.
 */
import type { KevEntry } from '../store.js';
import { isRecord, strOrUndef } from './types.js';

export const id = 'kev';
export const displayName = 'CISA Known Exploited Vulnerabilities (JSON)';
export const specUrls = [
  'https://www.cisa.gov/known-exploited-vulnerabilities-catalog',
  'https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities_schema.json',
];
export const version = 1;

export interface KevCatalog {
  catalogVersion?: string;
  dateReleased?: string;
  entries: Array<{ entry: KevEntry; record: Record<string, unknown> }>;
  skipped: number;
}

export function parseKev(doc: unknown): KevCatalog {
  if (!isRecord(doc) || !Array.isArray(doc.vulnerabilities)) {
    throw new TypeError('KEV JSON: no "vulnerabilities" array');
  }
  const out: KevCatalog = { entries: [], skipped: 0 };
  const cv = strOrUndef(doc.catalogVersion);
  if (cv) out.catalogVersion = cv;
  const dr = strOrUndef(doc.dateReleased);
  if (dr) out.dateReleased = dr;
  for (const v of doc.vulnerabilities) {
    const cve = isRecord(v) ? strOrUndef(v.cveID) : undefined;
    if (!isRecord(v) || !cve || !/^CVE-\d{4}-\d{4,}$/.test(cve)) {
      out.skipped++;
      continue;
    }
    const entry: KevEntry = { cve };
    const map: Array<[keyof KevEntry, string]> = [
      ['vendor', 'vendorProject'],
      ['product', 'product'],
      ['name', 'vulnerabilityName'],
      ['dateAdded', 'dateAdded'],
      ['dueDate', 'dueDate'],
      ['knownRansomwareCampaignUse', 'knownRansomwareCampaignUse'],
    ];
    for (const [k, src] of map) {
      const val = strOrUndef(v[src]);
      if (val) entry[k] = val;
    }
    out.entries.push({ entry, record: v });
  }
  return out;
}

export function sniffKev(head: string): boolean {
  return (
    /"catalogVersion"\s*:/.test(head) || (/"vulnerabilities"\s*:/.test(head) && /"cveID"\s*:/.test(head))
  );
}
