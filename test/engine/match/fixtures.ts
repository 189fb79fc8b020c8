/** Tiny hand-written advisory sets for matcher tests. */

import { type AdvisoryEntry, MemoryLookup } from '../../../engine/match/memory-lookup.js';
import type { Advisory, AffectedPackage, AffectedRange, RangeEvent } from '../../../engine/model/advisory.js';
import type { OsInfo } from '../../../engine/model/os.js';
import type { Package, PackageType } from '../../../engine/model/package.js';

export function adv(
  id: string,
  aliases: string[],
  affected: Array<Omit<AffectedPackage, 'advisoryId' | 'versions'> & { versions?: string[] }>,
  extra: Partial<Advisory> = {},
): AdvisoryEntry {
  return {
    advisory: { id, source: extra.source ?? 'osv', aliases, severity: [], references: [], ...extra },
    affected: affected.map((a) => ({ versions: [], ...a, advisoryId: id })),
  };
}

export function range(...events: RangeEvent[]): AffectedRange {
  return { type: 'ECOSYSTEM', events };
}

export function semverRange(...events: RangeEvent[]): AffectedRange {
  return { type: 'SEMVER', events };
}

export function pkg(type: PackageType, name: string, version: string, extra: Partial<Package> = {}): Package {
  return {
    foundBy: 'test',
    type,
    name,
    version,
    purl: `pkg:${type}/${name}@${version}`,
    locations: [],
    ...extra,
  };
}

export function db(...entries: AdvisoryEntry[]): MemoryLookup {
  return new MemoryLookup(entries);
}

export const DEBIAN_12: OsInfo = {
  family: 'debian',
  id: 'debian',
  name: '12.5',
  versionId: '12',
  source: 't',
};
export const ALMA_9: OsInfo = { family: 'alma', id: 'almalinux', name: '9.4', versionId: '9.4', source: 't' };
export const UBUNTU_2204: OsInfo = {
  family: 'ubuntu',
  id: 'ubuntu',
  name: '22.04',
  versionId: '22.04',
  source: 't',
};
