/**
 * rpm record → Package: version `[epoch:]version-release`, source package from SOURCERPM, and a
 * purl per the purl-spec rpm type (https://github.com/package-url/purl-spec, types/rpm):
 * `pkg:rpm/<namespace>/<name>@<version>-<release>?arch=…&epoch=…&distro=<os id>-<version id>`.
 * The namespace is the distro vendor: from the OS the filesystem runs when known, else guessed
 * from the package's VENDOR tag; without either it is left out rather than guessed wrong.
 */

import type { OsInfo } from '../../../engine/model/os.js';
import type { Package } from '../../../engine/model/package.js';
import type { RpmPackageRecord } from './record.js';
import { rpmType } from './type.js';

/** os-release ID → purl namespace. */
const OS_NAMESPACE: Readonly<Record<string, string>> = {
  rhel: 'redhat',
  redhat: 'redhat',
  centos: 'centos',
  rocky: 'rocky',
  almalinux: 'almalinux',
  alma: 'almalinux',
  amzn: 'amazon',
  amazon: 'amazon',
  fedora: 'fedora',
  ol: 'oracle',
  oracle: 'oracle',
  mariner: 'mariner',
  azurelinux: 'azurelinux',
  sles: 'suse',
  sled: 'suse',
  'sle-micro': 'suse',
  sles_sap: 'suse',
  suse: 'suse',
  opensuse: 'opensuse',
  'opensuse-leap': 'opensuse',
  'opensuse-tumbleweed': 'opensuse',
  'opensuse-microos': 'opensuse',
  photon: 'photon',
  openeuler: 'openeuler',
};

/** VENDOR tag patterns → namespace, used only when the OS is unknown. */
const VENDOR_NAMESPACE: ReadonlyArray<[RegExp, string]> = [
  [/red hat/i, 'redhat'],
  [/centos/i, 'centos'],
  [/rocky/i, 'rocky'],
  [/almalinux/i, 'almalinux'],
  [/amazon/i, 'amazon'],
  [/fedora/i, 'fedora'],
  [/opensuse/i, 'opensuse'],
  [/suse/i, 'suse'],
  [/oracle/i, 'oracle'],
  [/microsoft/i, 'mariner'],
  [/vmware/i, 'photon'],
];

export function rpmNamespace(os: OsInfo | undefined, vendor: string | undefined): string | undefined {
  if (os) {
    const byId = OS_NAMESPACE[os.id.toLowerCase()] ?? OS_NAMESPACE[os.family.toLowerCase()];
    if (byId) return byId;
    if (os.id) return os.id.toLowerCase();
  }
  if (vendor) for (const [re, ns] of VENDOR_NAMESPACE) if (re.test(vendor)) return ns;
  return undefined;
}

export function rpmDistro(os: OsInfo | undefined): string | undefined {
  if (!os?.id) return undefined;
  const v = os.versionId ?? '';
  return v ? `${os.id}-${v}` : os.id;
}

/** `name-version-release.src.rpm` → parts; rpm forbids '-' in version and release. */
export function parseSourceRpm(s: string): { name: string; version: string; release: string } | undefined {
  const m = /^(.+)-([^-]+)-([^-]+)\.(?:no)?src\.rpm$/.exec(s);
  if (!m) return undefined;
  return { name: m[1]!, version: m[2]!, release: m[3]! };
}

export function evr(epoch: number | undefined, version: string, release: string): string {
  const vr = release ? `${version}-${release}` : version;
  return epoch ? `${epoch}:${vr}` : vr;
}

export function rpmPurl(
  p: { name: string; version: string; release: string; epoch?: number; arch?: string; sourceRpm?: string },
  os: OsInfo | undefined,
  vendor: string | undefined,
): string {
  const q: Record<string, string> = {};
  if (p.arch) q.arch = p.arch;
  if (p.epoch) q.epoch = String(p.epoch);
  const distro = rpmDistro(os);
  if (distro) q.distro = distro;
  const version = p.release ? `${p.version}-${p.release}` : p.version;
  return rpmType.purl({ namespace: rpmNamespace(os, vendor), name: p.name, version, qualifiers: q });
}

export interface ToPackageOptions {
  foundBy: string;
  path: string;
  os?: OsInfo;
}

export function rpmRecordToPackage(r: RpmPackageRecord, o: ToPackageOptions): Package {
  const pkg: Package = {
    foundBy: o.foundBy,
    type: rpmType.id,
    name: r.name,
    version: evr(r.epoch, r.version, r.release),
    upstreamVersion: r.version,
    release: r.release,
    purl: rpmPurl(r, o.os, r.vendor),
    locations: [{ path: o.path }],
  };
  if (r.epoch !== undefined) pkg.epoch = r.epoch;
  if (r.arch) pkg.arch = r.arch;
  if (r.vendor) pkg.vendor = r.vendor;
  if (r.license) pkg.licenses = [r.license];
  const src = r.sourceRpm ? parseSourceRpm(r.sourceRpm) : undefined;
  if (src) {
    pkg.sourceName = src.name;
    // The source rpm's file name has no epoch; the binary's epoch applies to its source (as trivy does).
    pkg.sourceVersion = evr(r.epoch, src.version, src.release);
  }
  const md: Record<string, unknown> = {};
  if (r.sourceRpm) md.sourceRpm = r.sourceRpm;
  if (r.size !== undefined) md.size = r.size;
  if (r.installTime !== undefined) md.installTime = r.installTime;
  if (r.modularityLabel) md.modularityLabel = r.modularityLabel;
  if (r.summary) md.summary = r.summary;
  if (r.sigMD5) md.sigMD5 = r.sigMD5;
  if (r.signingKeyId) md.signingKeyId = r.signingKeyId;
  md.digestAlgorithm = r.digestAlgorithm;
  md.provides = r.provides;
  md.requires = r.requires;
  md.files = r.files.map((f) => f.path);
  pkg.metadata = md;
  return pkg;
}
