/**
 * os-release(5): newline-separated KEY=VALUE assignments, shell-compatible quoting.
 * https://www.freedesktop.org/software/systemd/man/latest/os-release.html
 *
 *   NAME="Debian GNU/Linux"        # value in double quotes: \" \\ \$ \` are escapes
 *   ID=debian                      # unquoted: no spaces or shell specials
 *   VERSION_ID='12'                # single quotes: taken literally
 *   # comment                      # '#' at line start; blank lines ignored
 *
 * Lines that are not assignments are ignored (the spec says so: "lines not matching the format
 * should be ignored"), so a corrupt file yields fewer fields, never an error.
 */
import type { OsInfo } from '../../engine/model/os.js';

const KEY_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Text → field map. Later assignments win, as in a shell. */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    if (!KEY_RE.test(key)) continue;
    out[key] = unquote(line.slice(eq + 1).trim());
  }
  return out;
}

/** Shell-style unquoting of one value: "…" with backslash escapes, '…' literal, or bare. */
export function unquote(v: string): string {
  if (v.length >= 2 && v[0] === "'" && v.endsWith("'")) return v.slice(1, -1);
  if (v.length >= 2 && v[0] === '"' && v.endsWith('"')) {
    const inner = v.slice(1, -1);
    return inner.replace(/\\(["\\$`])/g, '$1');
  }
  // Unbalanced quotes: strip any stray quote characters at the ends, like most readers do.
  return v.replace(/^["']+|["']+$/g, '');
}

/**
 * os-release ID → normalised family. The family strings are the OS type names trivy uses, so
 * vulnerability sources keyed that way line up. An ID not in this table is not identified.
 */
export const OS_RELEASE_FAMILIES: Readonly<Record<string, string>> = {
  debian: 'debian',
  ubuntu: 'ubuntu',
  alpine: 'alpine',
  amzn: 'amazon',
  rhel: 'redhat',
  centos: 'centos',
  rocky: 'rocky',
  almalinux: 'alma',
  ol: 'oracle',
  fedora: 'fedora',
  // openSUSE Leap 42 says ID=opensuse, Leap 15 says ID=opensuse-leap.
  opensuse: 'opensuse-leap',
  'opensuse-leap': 'opensuse-leap',
  'opensuse-tumbleweed': 'opensuse-tumbleweed',
  sles: 'sles',
  sles_sap: 'sles',
  // SLE Micro was briefly rebranded "SL Micro" (6.0), and ships a Rancher flavour.
  'sle-micro': 'slem',
  'sl-micro': 'slem',
  'sle-micro-rancher': 'slem',
  mariner: 'cbl-mariner',
  azurelinux: 'azurelinux',
  photon: 'photon',
  wolfi: 'wolfi',
  chainguard: 'chainguard',
  bottlerocket: 'bottlerocket',
  echo: 'echo',
  minimos: 'minimos',
  coreos: 'coreos',
  activestate: 'activestate',
};

/**
 * Field map → OsInfo. Needs a known ID and a VERSION_ID, except Debian testing/sid, which has no
 * VERSION_ID in os-release (its /etc/debian_version names it; detect.ts fills that in).
 */
export function osFromOsRelease(fields: Record<string, string>, source: string): OsInfo | undefined {
  const id = fields.ID?.toLowerCase();
  if (!id) return undefined;
  const family = OS_RELEASE_FAMILIES[id];
  if (!family) return undefined;
  const versionId = fields.VERSION_ID || undefined;
  if (!versionId && family !== 'debian') return undefined;
  const info: OsInfo = { family, id, name: versionId ?? '', source };
  if (versionId) info.versionId = versionId;
  const codename = fields.VERSION_CODENAME || fields.UBUNTU_CODENAME;
  if (codename) info.codename = codename;
  if (fields.PRETTY_NAME) info.prettyName = fields.PRETTY_NAME;
  if (fields.CPE_NAME) info.cpe = fields.CPE_NAME;
  if (fields.ID_LIKE) info.idLike = fields.ID_LIKE.split(/\s+/).filter(Boolean);
  return info;
}
