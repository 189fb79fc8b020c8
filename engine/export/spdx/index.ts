/**
 * SPDX 2.3 JSON document of one resource.
 *
 * Spec: https://spdx.github.io/spdx-spec/v2.3/ (chapters 6 document creation, 7 packages,
 * 11 relationships; Annex F external repository identifiers).
 *
 * - document: spdxVersion SPDX-2.3, dataLicense CC0-1.0 (required by §6.2), SPDXID SPDXRef-DOCUMENT,
 *   documentNamespace a unique URI without `#` derived from run, account and resource (§6.5), created
 *   in `YYYY-MM-DDThh:mm:ssZ` (§6.9: no fractional seconds), creator `Tool: snapscan-<version>`.
 * - one package per installed package: SPDXID `SPDXRef-Package-<n>-<name>` (only [A-Za-z0-9.-] allowed,
 *   §7.2), downloadLocation NOASSERTION (we saw the installed files, not where they came from),
 *   filesAnalyzed false (we list no files, so no verification code is owed, §7.8), a
 *   PACKAGE-MANAGER/purl external reference, and SECURITY/advisory references for its findings.
 * - relationships: DOCUMENT DESCRIBES the resource package; the resource CONTAINS each package.
 */
import { createHash } from 'node:crypto';
import type { Package } from '../../model/package.js';
import { type ResourceResult, type SbomContext, sortedPackages } from '../sbom-input.js';

export const id = 'spdx';
export const displayName = 'SPDX 2.3 JSON';
export const specUrls = ['https://spdx.github.io/spdx-spec/v2.3/'];
export const version = 1;

function spdxIdPart(s: string): string {
  return s.replace(/[^A-Za-z0-9.-]/g, '-').slice(0, 64) || 'x';
}

function spdxTime(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}

/** One line of text for SPDX single-line fields (no control characters from hostile package data). */
function line(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 1024);
}

export function spdxJson(r: ResourceResult, ctx: SbomContext): string {
  const h = createHash('sha256')
    .update(`${ctx.runId}\u0000${r.awsAccountId}\u0000${r.resource.id}`)
    .digest('hex');
  const resourceId = 'SPDXRef-Resource';
  const advisoriesByPurl = new Map<string, Set<string>>();
  for (const f of r.findings) {
    const vp = f.packageVulnerabilityDetails.vulnerablePackages[0];
    const url = f.packageVulnerabilityDetails.sourceUrl;
    if (!vp?.purl || !url || !/^https?:\/\/[^\s#]+$/.test(url)) continue;
    const set = advisoriesByPurl.get(vp.purl) ?? new Set<string>();
    set.add(url);
    advisoriesByPurl.set(vp.purl, set);
  }
  const packages: Array<Record<string, unknown>> = [
    {
      SPDXID: resourceId,
      name: line(r.os?.prettyName ?? r.resource.id),
      ...(r.os?.versionId ? { versionInfo: line(r.os.versionId) } : {}),
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      comment: line(`${r.resource.type} ${r.resource.id} in account ${r.awsAccountId}`),
    },
  ];
  const relationships: Array<Record<string, string>> = [
    { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: resourceId },
  ];
  sortedPackages(r.packages).forEach((p: Package, i) => {
    const spdxId = `SPDXRef-Package-${i + 1}-${spdxIdPart(p.name)}`;
    const externalRefs: Array<Record<string, string>> = [];
    if (p.purl) {
      externalRefs.push({
        referenceCategory: 'PACKAGE-MANAGER',
        referenceType: 'purl',
        referenceLocator: p.purl,
      });
    }
    for (const url of [...(advisoriesByPurl.get(p.purl) ?? [])].sort()) {
      externalRefs.push({ referenceCategory: 'SECURITY', referenceType: 'advisory', referenceLocator: url });
    }
    const pkg: Record<string, unknown> = {
      SPDXID: spdxId,
      name: line(p.name),
      versionInfo: line(p.version),
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      primaryPackagePurpose: 'LIBRARY',
      externalRefs,
    };
    if (p.licenses && p.licenses.length > 0) pkg.licenseDeclared = 'NOASSERTION';
    if (p.vendor) pkg.supplier = `Organization: ${line(p.vendor)}`;
    if (p.sourceName)
      pkg.sourceInfo = line(
        `built from source package ${p.sourceName}${p.sourceVersion ? ` ${p.sourceVersion}` : ''}`,
      );
    packages.push(pkg);
    relationships.push({
      spdxElementId: resourceId,
      relationshipType: 'CONTAINS',
      relatedSpdxElement: spdxId,
    });
  });
  const doc = {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: line(`snapscan ${r.resource.id}`),
    documentNamespace: `https://snapscan.dev/spdx/${encodeURIComponent(ctx.runId)}/${h.slice(0, 32)}`,
    creationInfo: {
      created: spdxTime(ctx.createdAt),
      creators: [`Tool: ${ctx.tool.name}-${ctx.tool.version}`],
    },
    documentDescribes: [resourceId],
    packages,
    relationships,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
