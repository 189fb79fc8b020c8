/**
 * CycloneDX 1.5 JSON SBOM of one resource, with a `vulnerabilities` section built from its findings,
 * written through @cyclonedx/cyclonedx-library (models + JSON normalizer for spec 1.5, lists sorted so
 * the output is reproducible).
 *
 * - metadata.component: the scanned resource (operating-system component named after the OS when known).
 * - components: one `library` (OS package: `operating-system`… no: CycloneDX has no "OS package" type,
 *   so distro packages are libraries as syft and trivy write them) per package, bom-ref = purl (a
 *   `#<n>` suffix keeps duplicates found at several paths distinct), purl from the package.
 * - a language package an OS package installed (Package.ownedBy) carries `snapscan:ownedBy` = the
 *   OS package's purl (its component's bom-ref unless that purl occurs twice). A property, not a
 *   `dependencies` entry: CycloneDX 1.5 dependencies mean "depends on", and nesting the component
 *   under its owner (`components[].components`, an assembly) would move it out of the flat list
 *   consumers read; the property says "installed by" and leaves the component list as it is.
 * - vulnerabilities: one per vulnerability id; `affects` lists the components; ratings carry every
 *   CVSS vector (method CVSSv2/CVSSv3/CVSSv31/CVSSv4) plus, when the score came from the vendor's word,
 *   an `other` rating with the justification; properties carry the Inspector-style fields
 *   (`snapscan:findingArn`, fixAvailable, exploitAvailable, EPSS).
 *
 * Spec: https://cyclonedx.org/docs/1.5/json/
 */
import { createHash } from 'node:crypto';
import { Enums, Models, Serialize, Spec } from '@cyclonedx/cyclonedx-library';
import { PackageURL } from 'packageurl-js';
import type { Finding } from '../../findings/finding.js';
import type { Package } from '../../model/package.js';
import { type ResourceResult, type SbomContext, sortedPackages } from '../sbom-input.js';

export const id = 'cyclonedx';
export const displayName = 'CycloneDX 1.5 JSON SBOM with vulnerabilities';
export const specUrls = [
  'https://cyclonedx.org/docs/1.5/json/',
  'https://cyclonedx.org/specification/overview/',
];
export const version = 1;

/** Deterministic RFC 4122 name-based (version 5 layout) UUID from a string. */
export function stableUuid(name: string): string {
  const h = createHash('sha1').update(name).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

const RATING_METHOD: Record<string, Enums.Vulnerability.RatingMethod> = {
  '2.0': Enums.Vulnerability.RatingMethod.CVSSv2,
  '3.0': Enums.Vulnerability.RatingMethod.CVSSv3,
  '3.1': Enums.Vulnerability.RatingMethod.CVSSv31,
  '4.0': Enums.Vulnerability.RatingMethod.CVSSv4,
};

function cdxSeverity(score: number | undefined): Enums.Vulnerability.Severity {
  const S = Enums.Vulnerability.Severity;
  if (score === undefined) return S.Unknown;
  const s = Math.round(score * 10) / 10;
  if (s <= 0) return S.None;
  if (s < 4) return S.Low;
  if (s < 7) return S.Medium;
  if (s < 9) return S.High;
  return S.Critical;
}

function safeUrl(u: string | undefined): string | undefined {
  if (!u) return undefined;
  try {
    return new URL(u).href;
  } catch {
    return undefined;
  }
}

function parsePurl(p: string): PackageURL | undefined {
  try {
    return PackageURL.fromString(p);
  } catch {
    return undefined;
  }
}

function packageKey(purl: string | undefined, path: string | undefined): string {
  return `${purl ?? ''}\u0000${path ?? ''}`;
}

/** Builds the CycloneDX document (as a JSON string, 2-space indented). */
export function cyclonedxJson(r: ResourceResult, ctx: SbomContext): string {
  const bom = new Models.Bom();
  bom.serialNumber = `urn:uuid:${stableUuid(`${ctx.runId}\u0000${r.awsAccountId}\u0000${r.resource.id}`)}`;
  bom.metadata.timestamp = ctx.createdAt;
  bom.metadata.tools.components.add(
    new Models.Component(Enums.ComponentType.Application, ctx.tool.name, { version: ctx.tool.version }),
  );
  const subject = new Models.Component(
    Enums.ComponentType.OperatingSystem,
    r.os?.prettyName ?? r.os?.name ?? r.resource.id,
    { bomRef: 'snapscan:resource', description: `${r.resource.type} ${r.resource.id}` },
  );
  if (r.os?.versionId) subject.version = r.os.versionId;
  subject.properties.add(new Models.Property('snapscan:resourceId', r.resource.id));
  subject.properties.add(new Models.Property('snapscan:awsAccountId', r.awsAccountId));
  bom.metadata.component = subject;

  const refs = new Map<string, Models.Component>();
  const byPurl = new Map<string, Models.Component>();
  const used = new Set<string>();
  sortedPackages(r.packages).forEach((p: Package) => {
    let ref = p.purl || `snapscan:pkg/${p.type}/${p.name}@${p.version}`;
    for (let n = 2; used.has(ref); n++) ref = `${p.purl}#${n}`;
    used.add(ref);
    const c = new Models.Component(Enums.ComponentType.Library, p.name, { version: p.version, bomRef: ref });
    // Only a purl that parses goes in (the schema does not check it; consumers do).
    const purl = parsePurl(p.purl);
    if (purl) c.purl = purl.toString();
    for (const loc of p.locations.slice(0, 8))
      c.properties.add(new Models.Property('snapscan:location', loc.path));
    c.properties.add(new Models.Property('snapscan:foundBy', p.foundBy));
    if (p.sourceName) c.properties.add(new Models.Property('snapscan:sourcePackage', p.sourceName));
    if (p.ownedBy) c.properties.add(new Models.Property('snapscan:ownedBy', p.ownedBy));
    // Only a lockfile declares it (not installed): inventoried, not matched.
    if (p.declaredOnly) c.properties.add(new Models.Property('snapscan:declaredOnly', 'true'));
    bom.components.add(c);
    refs.set(packageKey(p.purl, p.locations[0]?.path), c);
    if (!byPurl.has(p.purl)) byPurl.set(p.purl, c);
  });

  const byVuln = new Map<string, Finding[]>();
  for (const f of r.findings) {
    const k = f.packageVulnerabilityDetails.vulnerabilityId;
    const list = byVuln.get(k) ?? [];
    list.push(f);
    byVuln.set(k, list);
  }
  for (const [vulnId, findings] of [...byVuln.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const first = findings[0]!;
    const pvd = first.packageVulnerabilityDetails;
    const v = new Models.Vulnerability.Vulnerability({ bomRef: `snapscan:vuln/${vulnId}`, id: vulnId });
    const srcUrl = safeUrl(pvd.sourceUrl);
    v.source = new Models.Vulnerability.Source({ name: pvd.source, ...(srcUrl ? { url: srcUrl } : {}) });
    if (first.description) v.description = first.description;
    v.recommendation = first.remediation.recommendation.text;
    if (pvd.vendorCreatedAt && !Number.isNaN(Date.parse(pvd.vendorCreatedAt)))
      v.published = new Date(pvd.vendorCreatedAt);
    if (pvd.vendorUpdatedAt && !Number.isNaN(Date.parse(pvd.vendorUpdatedAt)))
      v.updated = new Date(pvd.vendorUpdatedAt);
    for (const c of pvd.cvss) {
      const method = RATING_METHOD[c.version];
      if (!method) continue;
      v.ratings.add(
        new Models.Vulnerability.Rating({
          source: new Models.Vulnerability.Source({ name: c.source }),
          score: c.baseScore,
          severity: cdxSeverity(c.baseScore),
          method,
          vector: c.scoringVector,
        }),
      );
    }
    const adj = first.inspectorScoreDetails.adjustedCvss;
    if (adj.scoreSource === 'VENDOR_SEVERITY') {
      v.ratings.add(
        new Models.Vulnerability.Rating({
          source: new Models.Vulnerability.Source({ name: adj.cvssSource ?? pvd.source }),
          score: adj.score,
          severity: cdxSeverity(adj.score),
          method: Enums.Vulnerability.RatingMethod.Other,
          justification: adj.adjustments.map((a) => a.reason).join('; '),
        }),
      );
    }
    for (const rel of pvd.relatedVulnerabilities) {
      v.references.add(
        new Models.Vulnerability.Reference(rel, new Models.Vulnerability.Source({ name: 'alias' })),
      );
    }
    for (const url of pvd.referenceUrls.slice(0, 20)) {
      const u = safeUrl(url);
      if (u) v.advisories.add(new Models.Vulnerability.Advisory(u));
    }
    for (const f of findings) {
      const vp = f.packageVulnerabilityDetails.vulnerablePackages[0];
      const comp =
        refs.get(packageKey(vp?.purl, vp?.filePath)) ?? (vp?.purl ? byPurl.get(vp.purl) : undefined);
      if (!comp) continue;
      const affect = new Models.Vulnerability.Affect(comp.bomRef);
      const ver = vp?.release ? `${vp.version}-${vp.release}` : vp?.version;
      if (ver) {
        affect.versions.add(
          new Models.Vulnerability.AffectedSingleVersion(ver, {
            status:
              f.matchStatus === 'unknown'
                ? Enums.Vulnerability.AffectStatus.Unknown
                : Enums.Vulnerability.AffectStatus.Affected,
          }),
        );
      }
      v.affects.add(affect);
    }
    v.properties.add(
      new Models.Property(
        'snapscan:findingArn',
        findings
          .map((f) => f.findingArn)
          .sort()
          .join(' '),
      ),
    );
    v.properties.add(new Models.Property('snapscan:severity', first.severity));
    v.properties.add(new Models.Property('snapscan:fixAvailable', first.fixAvailable));
    v.properties.add(new Models.Property('snapscan:exploitAvailable', first.exploitAvailable));
    if (first.epss) {
      v.properties.add(new Models.Property('snapscan:epss:score', String(first.epss.score)));
      v.properties.add(new Models.Property('snapscan:epss:percentile', String(first.epss.percentile)));
    }
    bom.vulnerabilities.add(v);
  }
  const serializer = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(Spec.Spec1dot5));
  return serializer.serialize(bom, { sortLists: true, space: 2 });
}
