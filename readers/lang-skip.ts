/**
 * Which directories the language walk (readers/lang-walk.ts) does not enter: the defaults, and the
 * `--lang-skip` list that adds to them or takes some back. Kept apart from the walk so the command
 * line can check the flag without loading the catalogers.
 */
import { ScanError } from '../engine/errors.js';

/**
 * Directories the walk does not enter by default: kernel pseudo-filesystems (empty on a snapshot
 * anyway), volatile and temporary trees, package-manager caches (downloaded archives, not
 * installed packages), logs, documentation trees. `*` matches one path component.
 */
export const DEFAULT_LANG_SKIP: readonly string[] = [
  '/proc',
  '/sys',
  '/dev',
  '/run',
  '/tmp',
  '/var/tmp',
  '/var/run',
  '/var/cache',
  '/var/log',
  '/var/lib/docker',
  '/var/lib/containerd',
  '/lost+found',
  '/root/.cache',
  '/root/.npm',
  '/home/*/.cache',
  '/home/*/.npm',
  // Documentation, manuals, translations, time zones and C headers: thousands of directories
  // (a quarter of a Debian root's) where no package manager installs a package (FHS 4.11).
  '/usr/share/doc',
  '/usr/share/man',
  '/usr/share/info',
  '/usr/share/locale',
  '/usr/share/i18n',
  '/usr/share/zoneinfo',
  '/usr/include',
];

/** Bounds `--lang-skip`: a list longer than this is a mistake, not a configuration. */
export const MAX_LANG_SKIP_PATTERNS = 256;

/**
 * `--lang-skip LIST` (comma-separated): each `/path` (a `*` component matches any one name) is not
 * entered, in addition to DEFAULT_LANG_SKIP; `!/path` walks a default one after all (`!/tmp`).
 * Undefined for an empty or absent list (the defaults).
 */
export function langSkipList(raw: string | undefined): string[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const items = raw
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  if (items.length > MAX_LANG_SKIP_PATTERNS)
    throw new ScanError('invalid-argument', `--lang-skip: more than ${MAX_LANG_SKIP_PATTERNS} patterns`);
  const norm = (p: string) => `/${p.split('/').filter(Boolean).join('/')}`;
  const skip = new Set(DEFAULT_LANG_SKIP);
  for (const item of items) {
    const negate = item.startsWith('!');
    const path = negate ? item.slice(1) : item;
    if (!path.startsWith('/') || path.length > 4096 || path.split('/').some((c) => c === '..'))
      throw new ScanError(
        'invalid-argument',
        `--lang-skip: "${item}" must be an absolute directory path (optionally with * components, or ! before it)`,
      );
    if (negate) {
      if (!skip.delete(norm(path)))
        throw new ScanError('invalid-argument', `--lang-skip: "${item}" names no default skipped directory`);
    } else skip.add(norm(path));
  }
  return [...skip];
}

/** The `--lang-skip` flag as scan, inventory, scheduler and worker declare it (engine/cli/args.ts spec). */
export const LANG_SKIP_OPTION = {
  type: 'string',
  arg: 'LIST',
  description:
    'language walk: also skip these directories (comma-separated, * = one name); !/DIR walks a default-skipped one (/proc, /tmp, caches, docs…)',
} as const;
