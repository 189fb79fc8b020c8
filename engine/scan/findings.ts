/**
 * Inventory → findings: each volume's packages are matched against the advisories of that volume's
 * own OS (distros backport fixes; another distro's data would invent findings), then turned into
 * Inspector-shaped findings with EPSS, KEV and CVSS from the store.
 */

import type { MatchPool } from '../../workers/pool.js';
import type { FindingsLookup } from '../findings/build.js';
import type { Finding, FindingResource } from '../findings/index.js';
import { buildFindings, sortFindings } from '../findings/index.js';
import type { Inventory, VolumeReport } from '../inventory/types.js';
import { matchDetailed } from '../match/index.js';
import type { SkippedPackage } from '../match/matcher.js';
import type { AdvisoryLookup } from '../model/advisory.js';
import type { Match } from '../model/match.js';
import type { OsInfo } from '../model/os.js';
import type { Package } from '../model/package.js';

export const LOCAL_ACCOUNT = 'local';

export function findingResource(inv: Inventory): FindingResource {
  const r = inv.resource;
  const type =
    r.type === 'instance'
      ? 'AWS_EC2_INSTANCE'
      : r.type === 'snapshot'
        ? 'AWS_EBS_SNAPSHOT'
        : r.type === 'volume'
          ? 'AWS_EBS_VOLUME'
          : 'LOCAL_IMAGE';
  return {
    type,
    id: r.id,
    ...(r.region ? { region: r.region } : {}),
    details: {
      ...(inv.os ? { os: inv.os.prettyName ?? `${inv.os.family} ${inv.os.name}` } : {}),
      volumes: inv.volumes.map((v) => v.source ?? v.id),
    },
  };
}

function volumeLabel(v: VolumeReport): string {
  return v.source ? `${v.source.split(' ')[0]}:${v.id}` : v.id;
}

/** Groups packages by the volume they were found on, each with that volume's OS. */
export function packagesByOs(inv: Inventory): Array<{ os: OsInfo | undefined; packages: Package[] }> {
  const osByLabel = new Map(inv.volumes.map((v) => [volumeLabel(v), v.os ?? inv.os]));
  const groups = new Map<string, { os: OsInfo | undefined; packages: Package[] }>();
  for (const p of inv.packages) {
    const label = p.locations[0]?.filesystem ?? '';
    let g = groups.get(label);
    if (!g) {
      g = { os: osByLabel.get(label) ?? inv.os, packages: [] };
      groups.set(label, g);
    }
    g.packages.push(p);
  }
  return [...groups.values()];
}

export interface InventoryMatch {
  matches: Match[];
  skipped: SkippedPackage[];
  lookups: number;
}

/** Matches in this thread (small inventories; workers/ use the same function per chunk). */
export function matchInventory(inv: Inventory, lookup: AdvisoryLookup): InventoryMatch {
  const out: InventoryMatch = { matches: [], skipped: [], lookups: 0 };
  for (const g of packagesByOs(inv)) {
    const r = matchDetailed(g.packages, g.os, lookup);
    out.matches.push(...r.matches);
    out.skipped.push(...r.skipped);
    out.lookups += r.lookups;
  }
  return out;
}

/** Inventories at least this large are matched in the worker pool (its start-up costs ~1-3 s). */
export const POOL_MIN_PACKAGES = 1000;

/** The same as matchInventory, with each volume's packages split across the pool's workers. */
export async function matchInventoryPooled(
  inv: Inventory,
  pool: MatchPool,
  signal?: AbortSignal,
): Promise<InventoryMatch> {
  const out: InventoryMatch = { matches: [], skipped: [], lookups: 0 };
  for (const g of packagesByOs(inv)) {
    const r = await pool.match(g.packages, g.os, signal);
    out.matches.push(...r.matches);
    out.skipped.push(...r.skipped);
    out.lookups += r.lookups;
  }
  return out;
}

export function findingsFor(
  inv: Inventory,
  matches: Match[],
  lookup: FindingsLookup,
  clock: () => Date,
): Finding[] {
  return sortFindings(
    buildFindings(matches, {
      awsAccountId: inv.resource.accountId ?? LOCAL_ACCOUNT,
      resource: findingResource(inv),
      lookup,
      clock,
    }),
  );
}
