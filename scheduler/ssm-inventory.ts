/**
 * SSM inventory → snapscan packages, so an instance whose SSM agent reports its software is
 * evaluated through the same matcher as a disk scan, with no snapshot.
 *
 * Inputs (https://docs.aws.amazon.com/systems-manager/latest/userguide/inventory-schema.html):
 *   DescribeInstanceInformation: PingStatus, PlatformType, PlatformName, PlatformVersion
 *   ListInventoryEntries TypeName=AWS:Application: CaptureTime, Entries[{ Name, Version, Release,
 *   Epoch, Architecture, PackageId, … }] — strings as the agent reports them (rpm: VERSION, RELEASE,
 *   EPOCH, PackageId = the source rpm; dpkg: Version is the full `[epoch:]upstream[-revision]`).
 *
 * The package manager follows the platform: rpm for Amazon Linux, the RHEL family and SUSE; dpkg for
 * Debian and Ubuntu. dpkg entries carry no source package, and Debian/Ubuntu advisories are keyed by
 * source package: `sourceHints` (binary → source, learned from the disk scans of the same release)
 * fills it in; without a hint the binary name is used, as for packages whose names agree.
 */

import type { Inventory } from '../engine/inventory/types.js';
import { INVENTORY_SCHEMA_VERSION } from '../engine/inventory/types.js';
import type { OsInfo } from '../engine/model/os.js';
import type { Package } from '../engine/model/package.js';
import { TOOL } from '../engine/version.js';
import { debType } from '../readers/pkgdb/dpkg/type.js';
import { splitDebVersion } from '../readers/pkgdb/dpkg/version.js';
import { distroQualifier, purlNamespace } from '../readers/pkgdb/purl.js';
import { evr, parseSourceRpm, rpmPurl } from '../readers/pkgdb/rpm/package.js';
import { rpmType } from '../readers/pkgdb/rpm/type.js';

export interface SsmPlatform {
  platformType?: string;
  platformName?: string;
  platformVersion?: string;
}

/** SSM PlatformName → os-release ID and family (readers/os/os-release.ts OS_RELEASE_FAMILIES). */
const PLATFORMS: Array<{ test: RegExp; id: string; family: string; pm: 'rpm' | 'dpkg' }> = [
  { test: /^amazon linux/i, id: 'amzn', family: 'amazon', pm: 'rpm' },
  { test: /^red hat enterprise linux/i, id: 'rhel', family: 'redhat', pm: 'rpm' },
  { test: /^almalinux/i, id: 'almalinux', family: 'alma', pm: 'rpm' },
  { test: /^rocky linux/i, id: 'rocky', family: 'rocky', pm: 'rpm' },
  { test: /^centos/i, id: 'centos', family: 'centos', pm: 'rpm' },
  { test: /^oracle linux/i, id: 'ol', family: 'oracle', pm: 'rpm' },
  { test: /^(suse linux enterprise server|sles)/i, id: 'sles', family: 'sles', pm: 'rpm' },
  { test: /^debian/i, id: 'debian', family: 'debian', pm: 'dpkg' },
  { test: /^ubuntu/i, id: 'ubuntu', family: 'ubuntu', pm: 'dpkg' },
];

export function platformOf(p: SsmPlatform): { os: OsInfo; pm: 'rpm' | 'dpkg' } | undefined {
  if (p.platformType && p.platformType !== 'Linux') return undefined;
  const name = (p.platformName ?? '').trim();
  const hit = PLATFORMS.find((x) => x.test.test(name));
  const version = (p.platformVersion ?? '').trim();
  if (!hit || !version) return undefined;
  return {
    os: {
      family: hit.family,
      id: hit.id,
      name: version,
      versionId: version,
      prettyName: `${name} ${version}`,
      source: 'ssm:DescribeInstanceInformation',
    },
    pm: hit.pm,
  };
}

export type SsmEntry = Record<string, string | undefined>;

export interface SourceHint {
  sourceName: string;
  sourceVersion: string;
}

/** Key of a source hint: distro, binary name, full version. */
export function hintKey(os: OsInfo, name: string, version: string): string {
  return `${os.id}-${os.versionId ?? os.name}\u0000${name}\u0000${version}`;
}

/** The package database path a disk scan of this OS reports, so finding ids agree across methods. */
export function packageDbPath(pm: 'rpm' | 'dpkg', os: OsInfo): string {
  if (pm === 'dpkg') return '/var/lib/dpkg/status';
  const major = Number(/^(\d+)/.exec(os.versionId ?? '')?.[1] ?? 0);
  // rpm ≥ 4.16 (RHEL 9 family, Amazon Linux 2023, SLES 15 SP?) keeps the sqlite database.
  const sqlite =
    (os.id === 'amzn' && major >= 2022) ||
    (['rhel', 'almalinux', 'rocky', 'centos', 'ol'].includes(os.id) && major >= 9);
  return sqlite ? '/var/lib/rpm/rpmdb.sqlite' : '/var/lib/rpm/Packages';
}

const LABEL = 'ssm';

/**
 * The agent reports architectures in one vocabulary for every package manager (dpkg `amd64` reads
 * `x86_64`); dpkg's own names come back so package identities (and finding ids) match a disk scan.
 */
const DPKG_ARCH: Record<string, string> = { x86_64: 'amd64', aarch64: 'arm64', i386: 'i386', i686: 'i386' };
const clean = (v: string | undefined) =>
  v === undefined || v === '' || v === '(none)' ? undefined : v.trim();

export function ssmEntriesToPackages(
  entries: readonly SsmEntry[],
  platform: { os: OsInfo; pm: 'rpm' | 'dpkg' },
  o: { sourceHints?: ReadonlyMap<string, SourceHint>; dbPath?: string } = {},
): { packages: Package[]; skipped: string[] } {
  const { os, pm } = platform;
  const path = o.dbPath ?? packageDbPath(pm, os);
  const packages: Package[] = [];
  const skipped: string[] = [];
  for (const e of entries) {
    const name = clean(e.Name);
    const version = clean(e.Version);
    if (!name || !version) {
      skipped.push(`entry without Name/Version: ${JSON.stringify(e).slice(0, 200)}`);
      continue;
    }
    const reported = clean(e.Architecture);
    const arch = pm === 'dpkg' && reported ? (DPKG_ARCH[reported] ?? reported) : reported;
    if (pm === 'rpm') {
      const release = clean(e.Release) ?? '';
      const epochRaw = clean(e.Epoch);
      const epoch = epochRaw !== undefined && /^\d+$/.test(epochRaw) ? Number(epochRaw) : undefined;
      const sourceRpm = clean(e.PackageId);
      const pkg: Package = {
        foundBy: 'ssm/AWS:Application',
        type: rpmType.id,
        name,
        version: evr(epoch, version, release),
        upstreamVersion: version,
        release,
        purl: rpmPurl(
          { name, version, release, ...(epoch !== undefined ? { epoch } : {}), ...(arch ? { arch } : {}) },
          os,
          undefined,
        ),
        locations: [{ path, filesystem: LABEL }],
      };
      if (epoch !== undefined) pkg.epoch = epoch;
      if (arch) pkg.arch = arch;
      const src = sourceRpm ? parseSourceRpm(sourceRpm) : undefined;
      if (src) {
        pkg.sourceName = src.name;
        pkg.sourceVersion = evr(epoch, src.version, src.release);
      }
      packages.push(pkg);
    } else {
      // dpkg: the agent reports ${Version} (epoch included); an Epoch field, if any, is folded in.
      const epochRaw = clean(e.Epoch);
      const full =
        epochRaw && /^\d+$/.test(epochRaw) && epochRaw !== '0' && !version.includes(':')
          ? `${epochRaw}:${version}`
          : version;
      const hint = o.sourceHints?.get(hintKey(os, name, full));
      const sourceName = hint?.sourceName ?? name;
      const sourceVersion = hint?.sourceVersion ?? full;
      const upstream =
        sourceName !== name || sourceVersion !== full
          ? sourceVersion !== full
            ? `${sourceName}@${sourceVersion}`
            : sourceName
          : undefined;
      const pkg: Package = {
        foundBy: 'ssm/AWS:Application',
        type: debType.id,
        name,
        version: full,
        sourceName,
        sourceVersion,
        purl: debType.purl({
          namespace: purlNamespace(os, 'debian'),
          name,
          version: full,
          qualifiers: { arch, distro: distroQualifier(os), upstream },
        }),
        locations: [{ path, filesystem: LABEL }],
      };
      const v = splitDebVersion(full);
      if (v) {
        if (v.epoch !== undefined) pkg.epoch = v.epoch;
        pkg.upstreamVersion = v.upstream;
        if (v.revision !== undefined) pkg.release = v.revision;
      }
      if (arch) pkg.arch = arch;
      packages.push(pkg);
    }
  }
  packages.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.version < b.version ? -1 : 1));
  return { packages, skipped };
}

/** Binary → source hints from a disk inventory (dpkg packages whose source differs from the name). */
export function sourceHintsOf(inv: Inventory, into: Map<string, SourceHint>): void {
  const os = inv.os;
  if (!os) return;
  for (const p of inv.packages) {
    if (p.type !== debType.id || !p.sourceName) continue;
    into.set(hintKey(os, p.name, p.version), {
      sourceName: p.sourceName,
      sourceVersion: p.sourceVersion ?? p.version,
    });
  }
}

/** An Inventory built from SSM entries: one pseudo-volume `ssm` carrying the platform's OS. */
export function ssmInventory(
  resource: Inventory['resource'],
  platform: { os: OsInfo; pm: 'rpm' | 'dpkg' },
  packages: Package[],
  captureTime: string,
): Inventory {
  return {
    schemaVersion: INVENTORY_SCHEMA_VERSION,
    tool: { name: TOOL.name, version: TOOL.version },
    resource,
    scannedAt: captureTime,
    os: platform.os,
    volumes: [
      {
        id: LABEL,
        partition: { scheme: 'ssm', number: 0, start: '0', size: '0', type: 'AWS:Application' },
        os: platform.os,
        packageCount: packages.length,
        status: { state: 'complete', reasons: [] },
      },
    ],
    packages,
    status: { state: 'complete', reasons: [], issues: [] },
    stats: { reads: 0, bytesRead: 0, distinctBlocks: 0, wallMs: 0 },
  };
}
