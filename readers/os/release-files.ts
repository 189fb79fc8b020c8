/**
 * Distro-specific release files, for systems without os-release (RHEL ≤ 6, Amazon Linux AMI,
 * old Debian/Ubuntu, old SUSE) and to refine the version os-release gives (CentOS 7's os-release
 * says "7", its centos-release says "7.6.1810"; Debian's says "12", debian_version "12.5").
 *
 *   /etc/system-release      Amazon Linux release 2 (Karoo)          (AL1: Amazon Linux AMI release 2018.03)
 *   /etc/redhat-release      Red Hat Enterprise Linux Server release 7.9 (Maipo)
 *   /etc/{centos,rocky,almalinux,oracle,fedora}-release             same "<name> release <version>" shape
 *   /etc/debian_version      12.5 | trixie/sid
 *   /etc/alpine-release      3.19.1
 *   /etc/lsb-release         DISTRIB_ID=Ubuntu / DISTRIB_RELEASE=18.04 / DISTRIB_CODENAME=bionic
 *   /etc/SuSE-release        SUSE Linux Enterprise Server 11 (x86_64) / VERSION = 11 / PATCHLEVEL = 4
 *
 * Each parser takes the file's text and returns an OsInfo, or throws CorruptError when the file is
 * present but says nothing usable (the caller reports it and tries the next file).
 */
import { CorruptError } from '../../engine/errors.js';
import type { OsInfo } from '../../engine/model/os.js';
import { parseOsRelease } from './os-release.js';

function unusable(format: string, path: string, detail: string): CorruptError {
  return new CorruptError(
    { format, struct: path, offset: 0, field: 'content' },
    detail,
    'is not',
    'a release line',
  );
}

function firstLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/** Amazon Linux /etc/system-release (or /usr/lib/system-release on AL2022+). Names as trivy reports them. */
export function parseSystemRelease(text: string, path = '/etc/system-release'): OsInfo {
  for (const line of firstLines(text)) {
    const fields = line.split(/\s+/);
    const base = { family: 'amazon', id: 'amzn', source: path, prettyName: line };
    // AL2022/AL2023 print a date-stamped minor ("2023.3.20240219"): their advisories key on the major.
    for (const major of ['2022', '2023']) {
      if (line.startsWith(`Amazon Linux release ${major}`)) {
        return { ...base, name: `${major} (Amazon Linux)`, versionId: major };
      }
    }
    if (line.startsWith('Amazon Linux release 2')) {
      // "Amazon Linux release 2 (Karoo)": version and code name; without the code name it is not AL2's format.
      if (fields.length < 5) continue;
      return { ...base, name: `${fields[3]} ${fields[4]}`, versionId: fields[3]! };
    }
    if (line.startsWith('Amazon Linux')) {
      // AL1: "Amazon Linux AMI release 2018.03" → "AMI release 2018.03".
      const name = fields.slice(2).join(' ');
      const m = /release\s+(\S+)/.exec(line);
      return { ...base, name, ...(m ? { versionId: m[1]! } : {}) };
    }
  }
  throw unusable('amazon', path, JSON.stringify(text.slice(0, 80)));
}

const RELEASE_RE = /^(.*) release (\d[\d.]*)/;

/** "<distro name> release <version> (<codename>)" → family by distro name. */
const REDHAT_NAMES: ReadonlyArray<[RegExp, string, string]> = [
  [/^centos( linux| stream)?$/, 'centos', 'centos'],
  [/^rocky( linux)?$/, 'rocky', 'rocky'],
  [/^alma( ?linux)?$/, 'alma', 'almalinux'],
  [/^oracle( linux( server)?)?$/, 'oracle', 'ol'],
  [/^fedora( linux)?$/, 'fedora', 'fedora'],
];

/**
 * redhat-release and its siblings. `kind` is the file's own family (the file name decides the
 * error prefix, like trivy's per-file analyzers); the distro name in the line decides the family.
 */
export function parseRedhatRelease(text: string, path = '/etc/redhat-release', kind = 'redhatbase'): OsInfo {
  for (const line of firstLines(text)) {
    const m = RELEASE_RE.exec(line);
    if (!m) break;
    const distro = m[1]!.trim().toLowerCase();
    const version = m[2]!;
    let family = 'redhat';
    let id = 'rhel';
    for (const [re, f, i] of REDHAT_NAMES) {
      if (re.test(distro)) {
        family = f;
        id = i;
        break;
      }
    }
    const codename = /\(([^)]+)\)/.exec(line.slice(m[0].length))?.[1];
    return {
      family,
      id,
      name: version,
      versionId: version,
      prettyName: line,
      source: path,
      ...(codename ? { codename } : {}),
    };
  }
  throw unusable(kind, path, JSON.stringify(text.slice(0, 80)));
}

/** /etc/debian_version: "12.5", or "trixie/sid" on testing/unstable. */
export function parseDebianVersion(text: string, path = '/etc/debian_version'): OsInfo {
  const line = firstLines(text)[0];
  if (!line) throw unusable('debian', path, '""');
  return { family: 'debian', id: 'debian', name: line, source: path };
}

/** /etc/alpine-release: "3.19.1" (edge: "3.20_alpha20240329"). */
export function parseAlpineRelease(text: string, path = '/etc/alpine-release'): OsInfo {
  const line = firstLines(text)[0];
  if (!line || !/^\d/.test(line)) throw unusable('alpine', path, JSON.stringify(line ?? ''));
  return { family: 'alpine', id: 'alpine', name: line, versionId: line, source: path };
}

/** /etc/lsb-release: only Ubuntu is identified from it (other distros have os-release). */
export function parseLsbRelease(text: string, path = '/etc/lsb-release'): OsInfo {
  const f = parseOsRelease(text);
  if (f.DISTRIB_ID?.toLowerCase() !== 'ubuntu' || !f.DISTRIB_RELEASE) {
    throw unusable('ubuntu', path, JSON.stringify(text.slice(0, 80)));
  }
  const info: OsInfo = {
    family: 'ubuntu',
    id: 'ubuntu',
    name: f.DISTRIB_RELEASE,
    versionId: f.DISTRIB_RELEASE,
    source: path,
  };
  if (f.DISTRIB_CODENAME) info.codename = f.DISTRIB_CODENAME;
  if (f.DISTRIB_DESCRIPTION) info.prettyName = f.DISTRIB_DESCRIPTION;
  return info;
}

/** Legacy /etc/SuSE-release (SLES ≤ 12, openSUSE ≤ 42 ship os-release too; this is the fallback). */
export function parseSuseRelease(text: string, path = '/etc/SuSE-release'): OsInfo {
  const lines = firstLines(text);
  const title = lines[0] ?? '';
  let version: string | undefined;
  let patch: string | undefined;
  for (const l of lines.slice(1)) {
    const m = /^(VERSION|PATCHLEVEL)\s*=\s*(\S+)/.exec(l);
    if (m?.[1] === 'VERSION') version = m[2];
    if (m?.[1] === 'PATCHLEVEL') patch = m[2];
  }
  if (!version) throw unusable('suse', path, JSON.stringify(title));
  const full = patch && patch !== '0' ? `${version}.${patch}` : version;
  if (/opensuse/i.test(title)) {
    return {
      family: 'opensuse-leap',
      id: 'opensuse',
      name: full,
      versionId: full,
      prettyName: title,
      source: path,
    };
  }
  if (/suse linux enterprise/i.test(title)) {
    return { family: 'sles', id: 'sles', name: full, versionId: full, prettyName: title, source: path };
  }
  throw unusable('suse', path, JSON.stringify(title));
}
