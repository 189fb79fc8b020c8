/**
 * Match[] (engine/model/match.ts) + store lookups → Finding[] (finding.ts).
 *
 * Score choice (docs/severity-mapping.md): the best available CVSS v3 base score — the vendor's
 * vector first (an advisory in the match), then NVD's, then any other source's — else v4.0, else v2.0,
 * in the same vendor → NVD → other order; else the vendor's severity word through the documented
 * mapping; else no score (UNTRIAGED). `inspectorScoreDetails.adjustedCvss` records which, and why.
 *
 * Determinism: the id is a hash of (account, resource, vulnerability, package identity), timestamps
 * come from the injected clock, lists are sorted, and `sortFindings` gives one total order.
 */
import { createHash } from 'node:crypto';
import { packageTypeOf } from '../../readers/catalogers.js';
import type { Advisory, AffectedPackage } from '../model/advisory.js';
import type { Match } from '../model/match.js';
import type { Package } from '../model/package.js';
import { scoreVector, vectorVersion } from './cvss.js';
import {
  type AdjustedCvss,
  type CvssScore,
  FINDING_SCHEMA_VERSION,
  type Finding,
  type FindingResource,
  type VulnerablePackage,
} from './finding.js';
import { SEVERITY_RANK, severityOf, vendorSeverityScore } from './severity.js';

/** What findings need from the store (VulnStore implements it). */
export interface FindingsLookup {
  epss(cve: string): { score: number; percentile: number } | undefined;
  kev(cve: string): { dateAdded?: string } | undefined;
  cvssFor(cve: string): Array<{ version: string; vector: string; source: string; advisoryId?: string }>;
}

export interface FindingsContext {
  awsAccountId: string;
  resource: FindingResource;
  lookup: FindingsLookup;
  /** Injected clock (tests pass a fixed one). */
  clock: () => Date;
  /** Earlier findings of the same resource, to carry `firstObservedAt` over. */
  previous?: ReadonlyMap<string, Pick<Finding, 'firstObservedAt'>>;
}

const MAX_DESCRIPTION_CHARS = 8192;
const MAX_REFERENCE_URLS = 50;

/** Same as engine/vulndb's vendorOf, kept local so findings need no store import. */
export function advisoryVendor(a: Pick<Advisory, 'id' | 'source'>): string {
  const id = a.id;
  if (/^GHSA-/.test(id)) return 'ghsa';
  if (/^GO-/.test(id)) return 'go';
  if (/^PYSEC-/.test(id)) return 'pypa';
  if (/^RUSTSEC-/.test(id)) return 'rustsec';
  if (/^AL[SBE]A-/.test(id)) return 'almalinux';
  if (/^R[LX]SA-/.test(id)) return 'rocky';
  if (/^(USN|UBUNTU|LSN)-/.test(id)) return 'ubuntu';
  if (/^(DSA|DLA|DTSA|DEBIAN)-/.test(id) || a.source === 'debian-tracker') return 'debian';
  if (/^ALAS/.test(id) || a.source === 'alas') return 'amazon';
  if (/^RH[SBE]A-/.test(id)) return 'redhat';
  if (/^(SUSE|openSUSE)-/.test(id)) return 'suse';
  return a.source;
}

/** Inspector-style source name of the primary advisory. */
function sourceName(a: Advisory, ecosystem: string): string {
  const vendor = advisoryVendor(a);
  if (vendor === 'debian') return 'DEBIAN_CVE';
  if (vendor === 'amazon') {
    const rel = /^Amazon Linux:(\d+)$/.exec(ecosystem)?.[1];
    return rel ? `ALAS_AL${rel}` : 'ALAS';
  }
  if (vendor === 'ghsa') return 'GITHUB';
  if (vendor === 'ubuntu') return 'UBUNTU_CVE';
  if (vendor === 'go') return 'GO_VULNDB';
  return vendor.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
}

function sourceUrl(a: Advisory): string | undefined {
  if (a.source === 'osv') return `https://osv.dev/vulnerability/${encodeURIComponent(a.id)}`;
  return a.references[0];
}

/** The upgrade command the package's type gives, else a plain sentence. */
function remediationCommand(p: Package, fixed: string | undefined): string | undefined {
  if (!fixed) return undefined;
  const type = packageTypeOf(p);
  return type?.remediation ? type.remediation(p, fixed) : `Upgrade ${p.name} to ${fixed}`;
}

/** Package identity for the finding id: stays the same across version changes of that package. */
function packageIdentity(p: Package): string {
  return [p.type, p.name, p.arch ?? '', p.locations[0]?.path ?? ''].join('\u0000');
}

export function findingArn(
  account: string,
  resource: FindingResource,
  vulnerabilityId: string,
  p: Package,
): string {
  const h = createHash('sha256')
    .update([account, resource.type, resource.id, vulnerabilityId, packageIdentity(p)].join('\u0001'))
    .digest('hex')
    .slice(0, 32);
  return `arn:snapscan:${resource.region ?? ''}:${account}:finding/${h}`;
}

interface Candidate extends CvssScore {
  cls: 'VENDOR_CVSS' | 'NVD_CVSS' | 'OTHER_CVSS';
}

const CLASS_ORDER = { VENDOR_CVSS: 0, NVD_CVSS: 1, OTHER_CVSS: 2 } as const;
const VERSION_ORDER: Record<string, number> = { '3.1': 0, '3.0': 1, '4.0': 2, '2.0': 3 };

/** Every scorable vector for the match, classified vendor / NVD / other, deduplicated. */
function candidates(m: Match, lookup: FindingsLookup): Candidate[] {
  const own = new Set(m.advisoryIds);
  const out = new Map<string, Candidate>();
  const add = (vector: string, source: string, cls: Candidate['cls']) => {
    const s = scoreVector(vector);
    if (!s) return;
    const key = `${s.vector}|${source}`;
    const prev = out.get(key);
    if (prev && CLASS_ORDER[prev.cls] <= CLASS_ORDER[cls]) return;
    out.set(key, { baseScore: s.baseScore, scoringVector: s.vector, version: s.version, source, cls });
  };
  for (const a of m.advisories) {
    for (const sv of a.severity) {
      if (!sv.type.startsWith('CVSS_') && !vectorVersion(sv.score)) continue;
      add(sv.score, sv.source ?? advisoryVendor(a), 'VENDOR_CVSS');
    }
  }
  if (/^CVE-/.test(m.vulnerabilityId)) {
    for (const r of lookup.cvssFor(m.vulnerabilityId)) {
      const cls =
        r.source === 'nvd'
          ? 'NVD_CVSS'
          : r.advisoryId && own.has(r.advisoryId)
            ? 'VENDOR_CVSS'
            : 'OTHER_CVSS';
      add(r.vector, r.source, cls);
    }
  }
  return [...out.values()].sort(
    (x, y) =>
      (VERSION_ORDER[x.version] ?? 9) - (VERSION_ORDER[y.version] ?? 9) ||
      CLASS_ORDER[x.cls] - CLASS_ORDER[y.cls] ||
      cmp(x.source, y.source) ||
      cmp(x.scoringVector, y.scoringVector),
  );
}

/** v3 (vendor, NVD, other), else v4, else v2: the candidate list is already in that order. */
function pickCvss(cands: Candidate[]): Candidate | undefined {
  const major = (v: string) => v.slice(0, 1);
  for (const want of ['3', '4', '2']) {
    const c = cands.find((x) => major(x.version) === want);
    if (c) return c;
  }
  return undefined;
}

function vendorWord(m: Match, primary: Advisory | undefined): { word: string; vendor: string } | undefined {
  for (const a of [...m.affected].sort((x, y) => cmp(x.advisoryId, y.advisoryId))) {
    if (a.vendorSeverity) {
      const adv = m.advisories.find((x) => x.id === a.advisoryId) ?? primary;
      return { word: a.vendorSeverity, vendor: adv ? advisoryVendor(adv) : '' };
    }
  }
  for (const a of m.advisories)
    if (a.vendorSeverity) return { word: a.vendorSeverity, vendor: advisoryVendor(a) };
  return undefined;
}

function scoreMatch(m: Match, primary: Advisory | undefined, lookup: FindingsLookup) {
  const cands = candidates(m, lookup);
  const chosen = pickCvss(cands);
  const word = vendorWord(m, primary);
  const adjustments: AdjustedCvss['adjustments'] = [];
  let adjusted: AdjustedCvss;
  if (chosen) {
    adjusted = {
      score: chosen.baseScore,
      scoreSource: chosen.cls,
      cvssSource: chosen.source,
      scoringVector: chosen.scoringVector,
      version: chosen.version,
      adjustments,
    };
    const passedOver = cands.filter((c) => c !== chosen && c.baseScore !== chosen.baseScore);
    if (passedOver.length > 0) {
      const first = passedOver[0]!;
      adjustments.push({
        metric: 'source',
        reason: `CVSS v${chosen.version} from ${chosen.source} (${chosen.cls}) preferred over ${first.source} v${first.version} base ${first.baseScore}`,
      });
    }
  } else if (word && vendorSeverityScore(word.vendor, word.word) !== undefined) {
    const score = vendorSeverityScore(word.vendor, word.word)!;
    adjusted = { score, scoreSource: 'VENDOR_SEVERITY', cvssSource: word.vendor, adjustments };
    adjustments.push({
      metric: 'baseScore',
      reason: `no CVSS vector known; ${word.vendor} severity "${word.word}" mapped to ${score} (docs/severity-mapping.md)`,
    });
  } else {
    adjusted = { score: 0, scoreSource: 'NONE', adjustments };
    adjustments.push({
      metric: 'baseScore',
      reason: 'no CVSS vector and no rated vendor severity: untriaged',
    });
  }
  const cvss: CvssScore[] = cands.map(({ cls: _cls, ...c }) => c);
  return { adjusted, cvss, word };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function toVulnerablePackage(m: Match): VulnerablePackage {
  const p = m.package;
  const vp: VulnerablePackage = {
    name: p.name,
    version: p.upstreamVersion ?? p.version,
    epoch: p.epoch ?? 0,
    // Matched packages always have a registered type (the matcher skips the others).
    packageManager: packageTypeOf(p)?.packageManager ?? 'OS',
    fixedInVersion: m.fixedVersion ?? 'NotAvailable',
    purl: p.purl,
  };
  if (p.release) vp.release = p.release;
  if (p.arch) vp.arch = p.arch;
  const path = p.locations[0]?.path;
  if (path) vp.filePath = path;
  const rem = remediationCommand(p, m.fixedVersion);
  if (rem) vp.remediation = rem;
  const bySource = m.affected.find((a: AffectedPackage) => a.nameIsSource && a.name !== p.name);
  if (bySource) vp.sourceName = bySource.name;
  return vp;
}

/** One finding per match. */
export function buildFinding(m: Match, ctx: FindingsContext): Finding {
  const now = ctx.clock().toISOString();
  const advisories = [...m.advisories].sort((a, b) => cmp(a.id, b.id));
  const primary = advisories.find((a) => a.details || a.summary) ?? advisories[0];
  const { adjusted, cvss, word } = scoreMatch(m, primary, ctx.lookup);
  const hasScore = adjusted.scoreSource !== 'NONE';
  const cve = /^CVE-/.test(m.vulnerabilityId) ? m.vulnerabilityId : undefined;
  const kev = cve ? ctx.lookup.kev(cve) : undefined;
  const epss = cve ? ctx.lookup.epss(cve) : undefined;
  const arn = findingArn(ctx.awsAccountId, ctx.resource, m.vulnerabilityId, m.package);
  const related = new Set<string>();
  for (const a of advisories) {
    related.add(a.id);
    for (const al of a.aliases) related.add(al);
  }
  related.delete(m.vulnerabilityId);
  const refs = new Set<string>();
  for (const a of advisories) for (const r of a.references) if (refs.size < MAX_REFERENCE_URLS) refs.add(r);
  const vendorStatus = m.affected.map((a) => a.vendorStatus).find((s) => s !== undefined);
  const vp = toVulnerablePackage(m);
  const text = (primary?.details ?? primary?.summary ?? m.vulnerabilityId).slice(0, MAX_DESCRIPTION_CHARS);
  const finding: Finding = {
    schemaVersion: FINDING_SCHEMA_VERSION,
    findingArn: arn,
    awsAccountId: ctx.awsAccountId,
    type: 'PACKAGE_VULNERABILITY',
    title: `${m.vulnerabilityId} - ${m.package.name}`,
    description: text,
    severity: hasScore ? severityOf(adjusted.score) : 'UNTRIAGED',
    inspectorScoreDetails: { adjustedCvss: adjusted },
    status: 'ACTIVE',
    fixAvailable: m.fixedVersion ? 'YES' : 'NO',
    exploitAvailable: kev ? 'YES' : 'NO',
    packageVulnerabilityDetails: {
      vulnerabilityId: m.vulnerabilityId,
      source: primary ? sourceName(primary, m.ecosystem) : 'UNKNOWN',
      cvss,
      relatedVulnerabilities: [...related].sort(),
      referenceUrls: [...refs],
      advisoryIds: [...new Set(m.advisoryIds)].sort(),
      vulnerablePackages: [vp],
    },
    remediation: {
      recommendation: {
        text: m.fixedVersion ? `Upgrade ${m.package.name} to ${m.fixedVersion} or later.` : 'None Provided',
      },
    },
    resources: [ctx.resource],
    matchStatus: m.status,
    matchReason: m.reason,
    firstObservedAt: ctx.previous?.get(arn)?.firstObservedAt ?? now,
    lastObservedAt: now,
    updatedAt: now,
  };
  if (hasScore) finding.inspectorScore = adjusted.score;
  if (kev?.dateAdded) finding.exploitabilityDetails = { lastKnownExploitAt: `${kev.dateAdded}T00:00:00Z` };
  if (epss) finding.epss = { score: epss.score, percentile: epss.percentile };
  const pvd = finding.packageVulnerabilityDetails;
  if (primary) {
    const url = sourceUrl(primary);
    if (url) pvd.sourceUrl = url;
    if (primary.published) pvd.vendorCreatedAt = primary.published;
    if (primary.modified && !primary.modified.startsWith('0001-')) pvd.vendorUpdatedAt = primary.modified;
  }
  if (word) pvd.vendorSeverity = word.word;
  if (vendorStatus) pvd.vendorStatus = vendorStatus;
  if (primary?.references[0] && /^https?:/.test(primary.references[0])) {
    finding.remediation.recommendation.Url = sourceUrl(primary) ?? primary.references[0];
  }
  return finding;
}

/** Severity (high first), score, vulnerability id, package, version, id: one total order. */
export function compareFindings(a: Finding, b: Finding): number {
  const pa = a.packageVulnerabilityDetails;
  const pb = b.packageVulnerabilityDetails;
  const va = pa.vulnerablePackages[0];
  const vb = pb.vulnerablePackages[0];
  return (
    cmp(a.resources[0]?.id ?? '', b.resources[0]?.id ?? '') ||
    SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
    (b.inspectorScore ?? -1) - (a.inspectorScore ?? -1) ||
    cmp(pa.vulnerabilityId, pb.vulnerabilityId) ||
    cmp(va?.name ?? '', vb?.name ?? '') ||
    cmp(va?.version ?? '', vb?.version ?? '') ||
    cmp(a.findingArn, b.findingArn)
  );
}

export function sortFindings(findings: Finding[]): Finding[] {
  return [...findings].sort(compareFindings);
}

/**
 * Builds and sorts the findings of one resource. Two matches with the same id (the same package and
 * vulnerability reported twice by a caller) collapse into one, keeping the one with a fix.
 */
export function buildFindings(matches: Match[], ctx: FindingsContext): Finding[] {
  const byArn = new Map<string, Finding>();
  for (const m of matches) {
    const f = buildFinding(m, ctx);
    const prev = byArn.get(f.findingArn);
    if (!prev || (prev.fixAvailable === 'NO' && f.fixAvailable === 'YES')) byArn.set(f.findingArn, f);
  }
  return sortFindings([...byArn.values()]);
}
