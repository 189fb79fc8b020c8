/**
 * The matcher: packages × advisories → matches. Pure: no I/O beyond the AdvisoryLookup it is given,
 * deterministic output order (input package order, then vulnerability id).
 *
 * OSV semantics (https://ossf.github.io/osv-schema/#evaluation):
 * - `versions`: the installed version equal (by the ecosystem's comparator) to a listed one is affected.
 * - ECOSYSTEM / SEMVER ranges: events sorted by version (introduced "0" first; at equal versions
 *   `introduced` before `fixed`/`last_affected`), swept in order: introduced (v >= e) → affected,
 *   fixed (v >= e) → not, last_affected (v > e) → not. A `limit` bounds the range: v >= limit is
 *   outside it. GIT ranges cannot be evaluated against a package version (they only count when the
 *   entry has nothing else: then the outcome is `unknown`).
 * - withdrawn advisories are ignored.
 * - aliases merged: one Match per package and vulnerability (the CVE id when the advisory or its
 *   aliases name one), listing every advisory id that reported it.
 * - unknown ecosystem, unparsable installed or event version → `status: unknown` with the reason;
 *   never dropped, never "not affected", never a string comparison.
 *
 * Version compared and comparator: the package's type decides (engine/model/package-type.ts): deb
 * advisories keyed by source package compare the source version when the inventory knows it
 * (Debian tracker fixed versions are source versions); rpm compares `epoch:version-release` with a
 * missing epoch = 0; a type without a comparator makes every candidate advisory `unknown`.
 */

import { packageTypeOf } from '../../readers/catalogers.js';
import { ScanError } from '../errors.js';
import type {
  Advisory,
  AdvisoryLookup,
  AffectedPackage,
  AffectedRange,
  RangeEvent,
} from '../model/advisory.js';
import type { Match } from '../model/match.js';
import type { OsInfo } from '../model/os.js';
import type { Package } from '../model/package.js';
import type { PackageTypeInfo } from '../model/package-type.js';
import { comparatorFor, getVersioning, semverComparatorFor } from '../versioning/api.js';
import type { Comparator } from '../versioning/types.js';
import { type LookupKey, lookupKeys, namesAreSource } from './namespace.js';

export interface SkippedPackage {
  package: Package;
  reason: string;
}

export interface MatchResult {
  matches: Match[];
  /** Packages no advisory namespace applies to (OS package without a known distro feed, generic type). */
  skipped: SkippedPackage[];
  /** Lookups made (for throughput figures). */
  lookups: number;
}

type Outcome =
  | { status: 'affected'; reason: string; fixed?: string }
  | { status: 'not-affected' }
  | { status: 'unknown'; reason: string };

function errorText(err: unknown): string {
  if (err instanceof ScanError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

/** The version string of `pkg` to compare with advisories (its type decides: dpkg source version, rpm EVR). */
export function installedVersion(pkg: Package, bySource: boolean): string {
  const type = packageTypeOf(pkg);
  return type?.installedVersion ? type.installedVersion(pkg, bySource) : pkg.version;
}

function eventVersion(e: RangeEvent): { kind: keyof RangeEvent; version: string } | undefined {
  for (const kind of ['introduced', 'fixed', 'last_affected', 'limit'] as const) {
    const v = e[kind];
    if (typeof v === 'string') return { kind, version: v };
  }
  return undefined;
}

const KIND_ORDER: Record<string, number> = { introduced: 0, fixed: 1, last_affected: 1, limit: 2 };

function describeEvents(events: Array<{ kind: string; version: string }>): string {
  return events.map((e) => `${e.kind} ${e.version}`).join(', ');
}

type Ev = { kind: keyof RangeEvent; version: string };

/** Sorted sweep events and limits per range object and comparator (ranges from a lookup are reused). */
const sortedCache = new WeakMap<
  AffectedRange,
  { cmp: Comparator; sweep: Ev[]; limits: string[]; all: Ev[] }
>();

function prepareRange(range: AffectedRange, cmp: Comparator): { sweep: Ev[]; limits: string[]; all: Ev[] } {
  const hit = sortedCache.get(range);
  if (hit && hit.cmp === cmp) return hit;
  // Fast path, most distro rows: [introduced 0] or [introduced 0, fixed|last_affected X]: already sorted.
  const ev = range.events;
  if (ev.length <= 2 && ev[0]?.introduced === '0' && ev[0].fixed === undefined && ev[0].limit === undefined) {
    const second = ev[1] ? eventVersion(ev[1]) : undefined;
    if (!second || second.kind === 'fixed' || second.kind === 'last_affected') {
      const all: Ev[] = second
        ? [{ kind: 'introduced', version: '0' }, second]
        : [{ kind: 'introduced', version: '0' }];
      return { sweep: all, limits: [], all };
    }
  }
  const all: Ev[] = [];
  for (const e of range.events) {
    const ev = eventVersion(e);
    if (ev) all.push(ev);
  }
  const limits = all.filter((e) => e.kind === 'limit' && e.version !== '*').map((e) => e.version);
  const sweep = all.filter((e) => e.kind !== 'limit');
  const isZero = (e: Ev) => e.kind === 'introduced' && e.version === '0';
  sweep.sort((a, b) => {
    if (isZero(a) || isZero(b)) return isZero(a) === isZero(b) ? 0 : isZero(a) ? -1 : 1;
    return cmp.compare(a.version, b.version) || KIND_ORDER[a.kind]! - KIND_ORDER[b.kind]!;
  });
  const prepared = { cmp, sweep, limits, all };
  sortedCache.set(range, prepared);
  return prepared;
}

/** One range, OSV evaluation. Throws InvalidVersionError for an unparsable event version. */
export function evaluateRange(range: AffectedRange, installed: string, cmp: Comparator): Outcome {
  const { sweep, limits, all } = prepareRange(range, cmp);
  for (const limit of limits) if (cmp.compare(installed, limit) >= 0) return { status: 'not-affected' };
  let vulnerable = false;
  let since = -1;
  for (let i = 0; i < sweep.length; i++) {
    const e = sweep[i]!;
    if (e.kind === 'introduced') {
      if (e.version === '0' || cmp.compare(installed, e.version) >= 0) {
        vulnerable = true;
        since = i;
      }
    } else if (e.kind === 'fixed') {
      if (cmp.compare(installed, e.version) >= 0) vulnerable = false;
    } else if (e.kind === 'last_affected') {
      if (cmp.compare(installed, e.version) > 0) vulnerable = false;
    }
  }
  if (!vulnerable) return { status: 'not-affected' };
  // Reasons are built only for hits: most evaluations are misses.
  const label = `${range.type} [${describeEvents(all)}]`;
  const from = sweep[since]!.version;
  let next: Ev | undefined;
  for (let j = since + 1; j < sweep.length && !next; j++)
    if (sweep[j]!.kind !== 'introduced') next = sweep[j];
  if (next?.kind === 'fixed') {
    return {
      status: 'affected',
      reason: `${label}: ${installed} >= introduced ${from} and < fixed ${next.version}`,
      fixed: next.version,
    };
  }
  if (next?.kind === 'last_affected') {
    return { status: 'affected', reason: `${label}: ${installed} <= last_affected ${next.version}` };
  }
  return { status: 'affected', reason: `${label}: ${installed} >= introduced ${from}, no fix` };
}

/** One affected entry against one installed version. */
export function evaluateAffected(affected: AffectedPackage, ecosystem: string, installed: string): Outcome {
  const pre = precheck(ecosystem, installed);
  return 'status' in pre ? pre : evaluateChecked(affected, ecosystem, installed, pre.cmp);
}

/** The comparator for `ecosystem`, with `installed` known to parse; else the unknown outcome. */
function precheck(
  ecosystem: string,
  installed: string,
): { cmp: Comparator } | Extract<Outcome, { status: 'unknown' }> {
  let cmp: Comparator;
  try {
    cmp = comparatorFor(ecosystem);
  } catch (err) {
    return { status: 'unknown', reason: errorText(err) };
  }
  return checkInstalled(cmp, installed);
}

/** The package type's own comparator (engine/versioning id), with `installed` known to parse. */
function precheckType(
  type: PackageTypeInfo,
  installed: string,
): { cmp: Comparator } | Extract<Outcome, { status: 'unknown' }> {
  if (type.versionScheme === undefined) {
    return { status: 'unknown', reason: `no version comparator for ${type.id} packages` };
  }
  let cmp: Comparator;
  try {
    cmp = getVersioning(type.versionScheme).comparator;
  } catch (err) {
    return { status: 'unknown', reason: errorText(err) };
  }
  return checkInstalled(cmp, installed);
}

function checkInstalled(
  cmp: Comparator,
  installed: string,
): { cmp: Comparator } | Extract<Outcome, { status: 'unknown' }> {
  try {
    cmp.compare(installed, installed);
  } catch (err) {
    return { status: 'unknown', reason: `installed version: ${errorText(err)}` };
  }
  return { cmp };
}

function evaluateChecked(
  affected: AffectedPackage,
  ecosystem: string,
  installed: string,
  cmp: Comparator,
): Outcome {
  const hits: Array<{ out: Extract<Outcome, { status: 'affected' }>; rc: Comparator }> = [];
  const unknowns: string[] = [];
  let evaluable = affected.versions.length > 0;
  for (const range of affected.ranges) {
    if (range.type !== 'ECOSYSTEM' && range.type !== 'SEMVER') continue;
    evaluable = true;
    const rc = range.type === 'SEMVER' ? semverComparatorFor(ecosystem) : cmp;
    try {
      const out = evaluateRange(range, installed, rc);
      if (out.status === 'affected') hits.push({ out, rc });
    } catch (err) {
      unknowns.push(`${range.type} range: ${errorText(err)}`);
    }
  }
  if (hits.length > 0) {
    // Several ranges may affect the version: the lowest fix above it is the one to report.
    let fixed: { v: string; rc: Comparator } | undefined;
    for (const { out, rc } of hits) {
      if (out.fixed !== undefined && (fixed === undefined || rc.compare(out.fixed, fixed.v) < 0)) {
        fixed = { v: out.fixed, rc };
      }
    }
    const reason = hits.map((h) => h.out.reason).join('; ');
    return fixed ? { status: 'affected', reason, fixed: fixed.v } : { status: 'affected', reason };
  }
  // The explicit list, after the ranges (osv.dev lists mostly repeat them): exact string first,
  // then equality by the ecosystem's ordering (1.0 == 1.0.0 in PEP 440).
  if (affected.versions.includes(installed)) {
    return { status: 'affected', reason: `${installed} is listed in the affected versions` };
  }
  for (const v of affected.versions) {
    let equal = false;
    try {
      equal = cmp.compare(installed, v) === 0;
    } catch {
      // an unparsable listed version can only match by exact string, checked above
    }
    if (equal) return { status: 'affected', reason: `${installed} equals the listed affected version ${v}` };
  }
  if (unknowns.length > 0) return { status: 'unknown', reason: unknowns.join('; ') };
  if (!evaluable)
    return { status: 'unknown', reason: 'no ECOSYSTEM/SEMVER range or version list to evaluate' };
  return { status: 'not-affected' };
}

const CVE_RE = /^CVE-\d{4}-\d+$/;
const EMBEDDED_CVE_RE = /^[A-Z]+-(CVE-\d{4}-\d+)$/;

/** Vulnerability id(s) per advisory, aliases merged through the advisories found for one package. */
function vulnerabilityIds(advisories: Advisory[]): Map<string, string[]> {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== undefined && parent.get(r) !== r) r = parent.get(r)!;
    parent.set(x, r);
    return r;
  };
  const union = (a: string, b: string) => {
    const ra = find(a);
    const rb = find(b);
    // The lexically smaller id becomes the root, so a component's name is deterministic.
    if (ra < rb) parent.set(rb, ra);
    else if (rb < ra) parent.set(ra, rb);
  };
  for (const a of advisories) {
    if (!parent.has(a.id)) parent.set(a.id, a.id);
    const embedded = EMBEDDED_CVE_RE.exec(a.id)?.[1];
    for (const alias of embedded ? [...a.aliases, embedded] : a.aliases) {
      if (!parent.has(alias)) parent.set(alias, alias);
      union(a.id, alias);
    }
  }
  const componentCves = new Map<string, Set<string>>();
  for (const node of parent.keys()) {
    if (!CVE_RE.test(node)) continue;
    const r = find(node);
    const s = componentCves.get(r) ?? new Set<string>();
    componentCves.set(r, s);
    s.add(node);
  }
  const out = new Map<string, string[]>();
  for (const a of advisories) {
    const own = [a.id, ...a.aliases].filter((x) => CVE_RE.test(x));
    // `UBUNTU-CVE-…`, `DEBIAN-CVE-…`: per-CVE records named after the CVE (some carry no alias).
    const embedded = EMBEDDED_CVE_RE.exec(a.id)?.[1];
    if (embedded) own.push(embedded);
    if (own.length > 0) {
      out.set(a.id, [...new Set(own)].sort());
      continue;
    }
    const root = find(a.id);
    const cves = componentCves.get(root);
    out.set(a.id, cves ? [...cves].sort() : [root]);
  }
  return out;
}

interface Hit {
  advisory: Advisory;
  affected: AffectedPackage;
  ecosystem: string;
  /** The package type's comparator (absent when the outcome is unknown for want of one). */
  cmp: Comparator | undefined;
  outcome: Exclude<Outcome, { status: 'not-affected' }>;
}

function lowestFixed(hits: Hit[]): string | undefined {
  let best: { fixed: string; cmp: Comparator } | undefined;
  for (const h of hits) {
    if (h.outcome.status !== 'affected' || h.outcome.fixed === undefined || !h.cmp) continue;
    const cmp = h.cmp;
    try {
      if (!best || cmp.compare(h.outcome.fixed, best.fixed) < 0) best = { fixed: h.outcome.fixed, cmp };
    } catch {
      // a SEMVER-range fix in a scheme that cannot read it: keep the first one found
      best ??= { fixed: h.outcome.fixed, cmp };
    }
  }
  return best?.fixed;
}

/** Matches every package; reports packages no advisory namespace applies to. */
export function matchDetailed(
  packages: Package[],
  os: OsInfo | undefined,
  lookup: AdvisoryLookup,
): MatchResult {
  const matches: Match[] = [];
  const skipped: SkippedPackage[] = [];
  let lookups = 0;
  for (const pkg of packages) {
    if (pkg.ownedBy) {
      // Installed by an OS package: that package's distro advisories cover it (no double report).
      skipped.push({
        package: pkg,
        reason: `owned by ${pkg.ownedBy}: matched through its distro's advisories`,
      });
      continue;
    }
    if (pkg.declaredOnly) {
      // Only a lockfile says so: not installed where it would be, so nothing to report on the machine.
      skipped.push({ package: pkg, reason: 'declared in a lockfile, not installed: not matched' });
      continue;
    }
    const type = packageTypeOf(pkg);
    const keys = type ? lookupKeys(pkg, os) : [];
    if (!type || keys.length === 0) {
      skipped.push({
        package: pkg,
        reason: !type
          ? `no registered package type ${pkg.type}`
          : os || type.advisories.from !== 'distro'
            ? `no advisory namespace for ${pkg.type} package on ${os ? `${os.family} ${os.versionId ?? os.name}` : 'unknown OS'}`
            : `no OS identified: ${pkg.type} packages are matched only against their distro's advisories`,
      });
      continue;
    }
    const hits: Hit[] = [];
    for (const key of keys) {
      lookups++;
      const defaultSource = namesAreSource(key.ecosystem);
      // Per key: at most two installed versions (binary, source), each checked once.
      const checked = new Map<string, ReturnType<typeof precheck>>();
      for (const { advisory, affected } of lookup.affected(key.ecosystem, key.name)) {
        if (advisory.withdrawn) continue;
        if (!appliesTo(affected, key)) continue;
        // Entries keyed by source package carry source versions (Debian tracker, DSA/DLA).
        const bySource = affected.nameIsSource ?? defaultSource;
        const installed = type.installedVersion ? type.installedVersion(pkg, bySource) : pkg.version;
        let pre = checked.get(installed);
        if (!pre) {
          pre = precheckType(type, installed);
          checked.set(installed, pre);
        }
        const outcome = 'status' in pre ? pre : evaluateChecked(affected, key.ecosystem, installed, pre.cmp);
        if (outcome.status === 'not-affected') continue;
        hits.push({
          advisory,
          affected,
          ecosystem: key.ecosystem,
          cmp: 'status' in pre ? undefined : pre.cmp,
          outcome,
        });
      }
    }
    if (hits.length === 0) continue;
    const ids = vulnerabilityIds(hits.map((h) => h.advisory));
    const groups = new Map<string, Hit[]>();
    for (const h of hits) {
      for (const vid of ids.get(h.advisory.id)!) {
        const g = groups.get(vid) ?? [];
        groups.set(vid, g);
        g.push(h);
      }
    }
    for (const vid of [...groups.keys()].sort()) matches.push(toMatch(pkg, vid, groups.get(vid)!));
  }
  return { matches, skipped, lookups };
}

function appliesTo(affected: AffectedPackage, key: LookupKey): boolean {
  const entryIsSource = affected.nameIsSource ?? namesAreSource(key.ecosystem);
  return entryIsSource ? key.isSource : key.isBinary;
}

function toMatch(pkg: Package, vulnerabilityId: string, hits: Hit[]): Match {
  const advisories = new Map<string, Advisory>();
  for (const h of hits) advisories.set(h.advisory.id, h.advisory);
  const advisoryIds = [...advisories.keys()].sort();
  const affectedHits = hits.filter((h) => h.outcome.status === 'affected');
  const status = affectedHits.length > 0 ? 'affected' : 'unknown';
  const reasonHits = status === 'affected' ? affectedHits : hits;
  const reason = [
    ...new Set(reasonHits.map((h) => `${h.advisory.id} (${h.ecosystem}): ${h.outcome.reason}`)),
  ].join(' | ');
  const m: Match = {
    package: pkg,
    vulnerabilityId,
    advisoryIds,
    advisories: advisoryIds.map((id) => advisories.get(id)!),
    affected: hits.map((h) => h.affected),
    ecosystem: reasonHits[0]!.ecosystem,
    status,
    reason,
  };
  if (status === 'affected') {
    // Unfixed in one advisory but fixed in another (e.g. tracker open, DSA fixed): the fix exists.
    const fixed = lowestFixed(affectedHits);
    if (fixed !== undefined) m.fixedVersion = fixed;
  }
  return m;
}

/** The contract entry point: matches only (see matchDetailed for skipped packages). */
export function match(packages: Package[], os: OsInfo | undefined, lookup: AdvisoryLookup): Match[] {
  return matchDetailed(packages, os, lookup).matches;
}
