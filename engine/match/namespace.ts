/**
 * Inventory → advisory namespace: which OSV ecosystem string(s) a package's advisories live under.
 *
 * Distro packages are matched ONLY against their own distro release's advisories: distros backport
 * fixes under their own version numbers, so upstream (language-ecosystem) ranges would invent
 * findings. Language packages use their OSV ecosystem.
 *
 * Ecosystem strings follow https://ossf.github.io/osv-schema/#affectedpackage-field and the
 * osv.dev exports (see ../shared/vulndata/osv). Which of the two applies, and the language
 * ecosystem and advisory name, come from the package's type (readers/catalogers.ts PACKAGE_MODULES):

 *   Debian 12            → Debian:12                      (names are source packages)
 *   Ubuntu 22.04 (LTS)   → Ubuntu:22.04:LTS, Ubuntu:Pro:22.04:LTS (ESM fixes live under Pro)
 *   Ubuntu 25.10         → Ubuntu:25.10
 *   Alpine 3.19.1        → Alpine:v3.19                   (names are origin packages)
 *   AlmaLinux 9.4        → AlmaLinux:9        Rocky 8.9 → Rocky Linux:8
 *   RHEL 9.4             → Red Hat:enterprise_linux:9::{baseos,appstream,crb}
 *   SLES 15 SP5          → SUSE:Linux Enterprise Server 15 SP5 (+ the Basesystem and Server
 *                          Applications modules); openSUSE Leap 15.5 → openSUSE:Leap 15.5
 *   Amazon Linux 2       → Amazon Linux:2 (not an OSV ecosystem: the string engine/vulndb's ALAS
 *                          ingest writes, `amazonEcosystem()` in engine/vulndb/ingest/alas.ts)
 */
import { packageTypeOf } from '../../readers/catalogers.js';
import { DEBIAN_CODENAMES } from '../model/debian-releases.js';
import type { OsInfo } from '../model/os.js';
import type { Package } from '../model/package.js';
import { osvEcosystem } from '../model/package-type.js';

/** Must equal engine/vulndb/ingest/alas.ts amazonEcosystem(): a test checks they agree. */
export const AMAZON_LINUX_ECOSYSTEM_PREFIX = 'Amazon Linux';

/** Ecosystem bases whose advisory package names are source packages unless an entry says otherwise. */
const SOURCE_NAMED: ReadonlySet<string> = new Set(['Debian', 'Ubuntu', 'Alpine', 'Wolfi', 'Chainguard']);

export function namesAreSource(ecosystem: string): boolean {
  const colon = ecosystem.indexOf(':');
  return SOURCE_NAMED.has(colon < 0 ? ecosystem : ecosystem.slice(0, colon));
}

function major(v: string | undefined): string | undefined {
  const m = v ? /^(\d+)/.exec(v) : null;
  return m ? m[1] : undefined;
}

function majorMinor(v: string | undefined): [string, string] | undefined {
  const m = v ? /^(\d+)\.(\d+)/.exec(v) : null;
  return m ? [m[1]!, m[2]!] : undefined;
}

/** The advisory ecosystems of an OS release; [] when we have no distro feed for it. */
export function osEcosystems(os: OsInfo | undefined): string[] {
  if (!os) return [];
  const v = os.versionId ?? os.name;
  switch (os.family) {
    case 'debian': {
      const m =
        major(os.versionId) ??
        major(os.name) ?? // testing/unstable images whose os-release has no VERSION_ID
        DEBIAN_CODENAMES[os.codename ?? ''];
      return m ? [`Debian:${m}`] : [];
    }
    case 'ubuntu': {
      const mm = majorMinor(v);
      if (!mm) return [];
      const ver = `${mm[0]}.${mm[1].padStart(2, '0')}`;
      // LTS releases are the even years' April releases.
      const lts = Number(mm[0]) % 2 === 0 && mm[1] === '04';
      return lts ? [`Ubuntu:${ver}:LTS`, `Ubuntu:Pro:${ver}:LTS`] : [`Ubuntu:${ver}`];
    }
    case 'alpine': {
      const mm = majorMinor(v);
      return mm ? [`Alpine:v${mm[0]}.${mm[1]}`] : [];
    }
    case 'alma': {
      const m = major(v);
      return m ? [`AlmaLinux:${m}`] : [];
    }
    case 'rocky': {
      const m = major(v);
      return m ? [`Rocky Linux:${m}`] : [];
    }
    case 'redhat': {
      const m = major(v);
      return m ? ['baseos', 'appstream', 'crb'].map((repo) => `Red Hat:enterprise_linux:${m}::${repo}`) : [];
    }
    case 'sles': {
      const mm = majorMinor(v) ?? (major(v) ? [major(v)!, '0'] : undefined);
      if (!mm) return [];
      const sp = mm[1] === '0' ? `${mm[0]}` : `${mm[0]} SP${mm[1]}`;
      return [
        `SUSE:Linux Enterprise Server ${sp}`,
        `SUSE:Linux Enterprise Module for Basesystem ${sp}`,
        `SUSE:Linux Enterprise Module for Server Applications ${sp}`,
      ];
    }
    case 'opensuse-leap': {
      const mm = majorMinor(v);
      return mm ? [`openSUSE:Leap ${mm[0]}.${mm[1]}`] : [];
    }
    case 'opensuse-tumbleweed':
      return ['openSUSE:Tumbleweed'];
    case 'amazon': {
      // AL1 reports 2018.03 (or 2017.09 …); AL2 "2"; AL2022/AL2023 their year.
      const m = major(v);
      if (!m) return [];
      const release =
        m === '2' || m === '2022' || m === '2023'
          ? m
          : Number(m) >= 2011 && Number(m) < 2022
            ? '1'
            : undefined;
      return release ? [`${AMAZON_LINUX_ECOSYSTEM_PREFIX}:${release}`] : [];
    }
    default:
      return [];
  }
}

/** The OSV ecosystem of a language package (from its registered type); undefined for OS and unknown types. */
export function languageEcosystem(pkg: Package): string | undefined {
  const t = packageTypeOf(pkg);
  return t ? osvEcosystem(t) : undefined;
}

export interface LookupKey {
  ecosystem: string;
  name: string;
  /** Whether `name` is the package's source name (entries keyed by source names apply). */
  isSource: boolean;
  /** Whether `name` is the package's own (binary) name. */
  isBinary: boolean;
}

/**
 * Every (ecosystem, name) to ask the store about for one package; [] when nothing applies. The
 * package's type says where its advisories live: the distro's feed (looked up by source and binary
 * name) or one OSV ecosystem (under the name the type's advisories use).
 */
export function lookupKeys(pkg: Package, os: OsInfo | undefined): LookupKey[] {
  const type = packageTypeOf(pkg);
  if (!type) return [];
  if (type.advisories.from === 'distro') {
    const keys: LookupKey[] = [];
    const source = pkg.sourceName || pkg.name;
    for (const ecosystem of osEcosystems(os)) {
      if (source === pkg.name) {
        keys.push({ ecosystem, name: pkg.name, isSource: true, isBinary: true });
      } else {
        keys.push({ ecosystem, name: source, isSource: true, isBinary: false });
        keys.push({ ecosystem, name: pkg.name, isSource: false, isBinary: true });
      }
    }
    return keys;
  }
  const name = type.advisoryName ? type.advisoryName(pkg) : pkg.name;
  return [{ ecosystem: type.advisories.ecosystem, name, isSource: true, isBinary: true }];
}
