/**
 * readers/os: operating-system detection from release files.
 *
 * Spec: os-release(5), systemd v256 (https://www.freedesktop.org/software/systemd/man/latest/os-release.html);
 * the legacy per-distro files have no spec beyond their one-line shape (see release-files.ts).
 *
 *   /etc/os-release ──► ID ─► family table ─► + VERSION_ID ─► OsInfo
 *        │ (absent)              │
 *        ▼                       ▼ refine version
 *   /usr/lib/os-release     debian_version · system-release · <distro>-release · alpine-release
 *        │ (absent)
 *        ▼
 *   system-release → oracle/alma/rocky/centos/fedora/redhat-release → alpine-release
 *     → lsb-release → debian_version → SuSE-release        (first that parses wins)
 */
export { type DetectOsOptions, detectOs } from './detect.js';
export { OS_RELEASE_FAMILIES, osFromOsRelease, parseOsRelease } from './os-release.js';
export {
  parseAlpineRelease,
  parseDebianVersion,
  parseLsbRelease,
  parseRedhatRelease,
  parseSuseRelease,
  parseSystemRelease,
} from './release-files.js';

export const id = 'os';
export const displayName = 'OS release files';
export const specUrls = ['https://www.freedesktop.org/software/systemd/man/latest/os-release.html'] as const;
export const version = 1;
