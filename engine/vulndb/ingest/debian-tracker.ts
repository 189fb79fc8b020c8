/**
 * Debian security tracker JSON (https://security-tracker.debian.org/tracker/data/json).
 *
 *   { "<source package>": { "<CVE-… | TEMP-…>": {
 *       "description"?, "scope"?, "debianbug"?,
 *       "releases": { "<codename>": { "status": "resolved" | "open" | "undetermined",
 *                                      "fixed_version"?, "urgency", "repositories": {…} } } | [] } } }
 *
 * Normalisation (docs/severity-mapping.md has the urgency → score side):
 * - One advisory per tracker id, `DEBIAN-<id>` (the naming osv.dev uses for the same data), source
 *   `debian-tracker`, aliases `[CVE-…]`; one AffectedPackage per (source package, release) with
 *   ecosystem `Debian:<major>` from the codename table below and `nameIsSource: true` (the tracker
 *   is keyed by source package; the matcher maps binary packages to their Source:).
 * - `resolved` + `fixed_version` "0" → the release was never affected: no entry.
 * - `resolved` + version V → range introduced 0, fixed V.
 * - `open` → range introduced 0 with no fix: affected, `fixAvailable: NO`.
 * - `undetermined` → treated as `open` (affected, no fix) with `vendorStatus: undetermined`, because
 *   the tracker has not ruled the release out and "nothing missed" beats silence; the finding shows
 *   the status so a reader can discount it.
 * - Any other status (not seen in the JSON today; `not-affected` appears only in the text lists) → no
 *   entry.
 * - `urgency`: the `**` / `*` suffix (urgency taken from NVD, not set by Debian) is stripped;
 *   `not yet assigned` → no vendor severity; `end-of-life` → no vendor severity and
 *   `vendorStatus: end-of-life` (the release gets no more fixes); `unimportant` is kept as the vendor
 *   severity (the issue is real but Debian will not fix it: scored low by the severity mapping).
 * - `sid` has no release number and unknown codenames have none either: their rows are not stored.
 */
import type { Advisory, AffectedPackage } from '../../model/advisory.js';
import { DEBIAN_CODENAMES } from '../../model/debian-releases.js';

export { DEBIAN_CODENAMES };

import { type AdvisoryRecord, isRecord, strOrUndef } from './types.js';

export const id = 'debian-tracker';
export const displayName = 'Debian security tracker JSON';
export const specUrls = [
  'https://security-tracker.debian.org/tracker/data/json',
  'https://security-team.debian.org/security_tracker.html',
];
export const version = 1;

const URGENCY_RANK: Record<string, number> = { unimportant: 0, low: 1, medium: 2, high: 3 };

export function normaliseUrgency(raw: string | undefined): { urgency?: string; status?: string } {
  if (!raw) return {};
  const u = raw.replace(/\*+$/, '').trim().toLowerCase();
  if (u === '' || u === 'not yet assigned') return {};
  if (u === 'end-of-life') return { status: 'end-of-life' };
  return { urgency: u };
}

export interface DebianParseStats {
  packages: number;
  entries: number;
  notAffected: number;
  skippedRelease: number;
}

/** Converts the parsed tracker JSON into one record per tracker id (CVE-… / TEMP-…), sorted by id. */
export function parseDebianTracker(doc: unknown, stats?: DebianParseStats): AdvisoryRecord[] {
  if (!isRecord(doc)) throw new TypeError('Debian tracker JSON is not an object');
  const byId = new Map<string, AdvisoryRecord>();
  for (const [pkg, cves] of Object.entries(doc)) {
    if (!isRecord(cves)) continue;
    if (stats) stats.packages++;
    for (const [trackerId, entry] of Object.entries(cves)) {
      if (!isRecord(entry)) continue;
      const advisoryId = `DEBIAN-${trackerId}`;
      let rec = byId.get(advisoryId);
      if (!rec) {
        const advisory: Advisory = {
          id: advisoryId,
          source: 'debian-tracker',
          aliases: /^CVE-/.test(trackerId) ? [trackerId] : [],
          severity: [],
          references: [`https://security-tracker.debian.org/tracker/${trackerId}`],
        };
        const description = strOrUndef(entry.description);
        if (description) advisory.details = description;
        rec = { advisory, affected: [] };
        byId.set(advisoryId, rec);
      } else if (!rec.advisory.details && strOrUndef(entry.description)) {
        rec.advisory.details = entry.description as string;
      }
      const releases = isRecord(entry.releases) ? entry.releases : {};
      for (const [codename, rel] of Object.entries(releases)) {
        if (!isRecord(rel)) continue;
        const major = DEBIAN_CODENAMES[codename];
        if (!major) {
          if (stats) stats.skippedRelease++;
          continue;
        }
        const status = strOrUndef(rel.status);
        const fixed = strOrUndef(rel.fixed_version);
        const { urgency, status: urgencyStatus } = normaliseUrgency(strOrUndef(rel.urgency));
        const affected: AffectedPackage = {
          advisoryId,
          ecosystem: `Debian:${major}`,
          name: pkg,
          nameIsSource: true,
          ranges: [],
          versions: [],
        };
        if (status === 'resolved') {
          if (!fixed || fixed === '0') {
            if (stats) stats.notAffected++;
            continue;
          }
          affected.ranges.push({ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] });
        } else if (status === 'open' || status === 'undetermined') {
          affected.ranges.push({ type: 'ECOSYSTEM', events: [{ introduced: '0' }] });
          if (status === 'undetermined') affected.vendorStatus = 'undetermined';
        } else {
          if (stats) stats.notAffected++;
          continue;
        }
        if (urgency) affected.vendorSeverity = urgency;
        if (urgencyStatus && !affected.vendorStatus) affected.vendorStatus = urgencyStatus;
        rec.affected.push(affected);
        if (stats) stats.entries++;
        const prev = rec.advisory.vendorSeverity;
        if (urgency && (prev === undefined || (URGENCY_RANK[urgency] ?? -1) > (URGENCY_RANK[prev] ?? -1))) {
          rec.advisory.vendorSeverity = urgency;
        }
      }
    }
  }
  return [...byId.values()].sort((a, b) =>
    a.advisory.id < b.advisory.id ? -1 : a.advisory.id > b.advisory.id ? 1 : 0,
  );
}

/** Cheap test on the first bytes of a file: `{"pkg": {"CVE-…": {` (or TEMP-…). */
export function sniffDebianTracker(head: string): boolean {
  return /^\s*\{\s*"[^"]{1,200}"\s*:\s*\{\s*"(CVE-\d{4}-\d+|TEMP-[0-9A-Za-z-]+)"\s*:\s*\{/.test(head);
}
