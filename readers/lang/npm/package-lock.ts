/**
 * npm's package-lock.json / npm-shrinkwrap.json (https://docs.npmjs.com/cli/v10/configuring-npm/package-lock-json),
 * lockfileVersion 1, 2 and 3, as evidence about the packages installed beside it:
 *
 *   v2, v3: { "lockfileVersion": 3, "packages": {
 *               "": { "name": "app", … },                                  the project itself
 *               "node_modules/debug": { "version": "2.6.9", "resolved": "https://…tgz",
 *                                       "integrity": "sha512-…", "dev": true, "optional": true },
 *               "node_modules/debug/node_modules/ms": { "version": "2.0.0", … },   nested copy
 *               "node_modules/@s/b": { "version": …, "name": "real" },     `name` only for aliases
 *               "node_modules/ws": { "resolved": "packages/ws", "link": true },   workspace link
 *               "packages/ws": { "version": … } } }                          a workspace's source
 *   v1 (npm 5-6; v2 keeps it beside `packages`): { "lockfileVersion": 1, "dependencies": {
 *               "debug": { "version": "2.6.9", "resolved": …, "integrity": …, "dev": true,
 *                          "dependencies": { "ms": { "version": "2.0.0", … } } } } }   nested = node_modules nesting
 *
 * Each entry names where npm installs it: `<lock dir>/<key>` (v2/v3), `<lock dir>/node_modules/a/
 * node_modules/b` (v1). Only node_modules entries are packages: the project (`""`), workspace
 * sources and `link` entries (their target is listed too) are not. v2 is read from `packages`.
 *
 * Bounds: entries ≤ MAX_NPM_LOCK_ENTRIES and nesting ≤ MAX_NPM_LOCK_DEPTH (LimitExceededError,
 * the entries before it kept); the file itself by the walk (MAX_LANG_FILE_BYTES). A malformed
 * entry (not an object, no version, a bad name) is dropped and reported; the rest is read.
 */
import { CorruptError, LimitExceededError, type ScanError } from '../../../engine/errors.js';
import type { Limits } from '../../../engine/limits.js';
import { validNpmName } from './package-json.js';

export interface LockEntry {
  name: string;
  version: string;
  /** Absolute path of the package directory npm installs it in. */
  installPath: string;
  resolved?: string;
  integrity?: string;
  dev?: boolean;
  optional?: boolean;
}

export interface PackageLock {
  lockfileVersion: number;
  entries: LockEntry[];
  /** Dropped entries and a bound hit; what was read before is in `entries`. */
  problems: ScanError[];
}

const FORMAT = 'npm/package-lock.json';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined);

/** `node_modules/a/node_modules/@s/b` → ['a', '@s/b']; undefined when the key is not a node_modules path. */
export function lockKeyChain(key: string): string[] | undefined {
  const parts = key.split('/');
  const chain: string[] = [];
  // A workspace's own node_modules (`packages/ws/node_modules/x`) is installed too: from the first.
  let i = parts.indexOf('node_modules');
  if (i < 0) return undefined;
  while (i < parts.length) {
    if (parts[i] !== 'node_modules') return undefined;
    const a = parts[i + 1];
    if (!a) return undefined;
    if (a.startsWith('@')) {
      const b = parts[i + 2];
      if (!b) return undefined;
      chain.push(`${a}/${b}`);
      i += 3;
    } else {
      chain.push(a);
      i += 2;
    }
  }
  return chain;
}

export function parsePackageLock(bytes: Buffer, lockPath: string, limits: Limits): PackageLock {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new CorruptError(
      { format: FORMAT, struct: 'document', offset: 0 },
      (err as Error).message,
      'is',
      'valid JSON',
    );
  }
  if (!isObject(doc)) {
    throw new CorruptError(
      { format: FORMAT, struct: 'document', offset: 0 },
      typeof doc,
      'is not',
      'an object',
    );
  }
  const version = doc.lockfileVersion;
  if (version !== 1 && version !== 2 && version !== 3) {
    throw new CorruptError(
      { format: FORMAT, struct: 'document', offset: 0, field: 'lockfileVersion' },
      JSON.stringify(version ?? null),
      'not in',
      '{1, 2, 3}',
    );
  }
  const dir = lockPath.slice(0, lockPath.lastIndexOf('/'));
  const out: PackageLock = { lockfileVersion: version, entries: [], problems: [] };
  const drop = (key: string, why: string) =>
    out.problems.push(
      new CorruptError(
        { format: FORMAT, struct: `entry ${JSON.stringify(key.slice(0, 200))}`, offset: 0 },
        why,
        'is',
        'not a package entry',
      ),
    );
  const hit = new Set<string>();
  const bound = (limit: 'MAX_NPM_LOCK_ENTRIES' | 'MAX_NPM_LOCK_DEPTH', value: number) =>
    new LimitExceededError(
      { format: FORMAT, struct: limit === 'MAX_NPM_LOCK_DEPTH' ? 'entry' : 'packages', offset: 0 },
      limit,
      value,
      limits[limit],
    );

  const add = (key: string, e: Record<string, unknown>, name: string, installPath: string): boolean => {
    if (out.entries.length >= limits.MAX_NPM_LOCK_ENTRIES) {
      out.problems.push(bound('MAX_NPM_LOCK_ENTRIES', out.entries.length + 1));
      return false;
    }
    const v = str(e.version);
    if (!v) {
      drop(key, 'no version');
      return true;
    }
    if (!validNpmName(name)) {
      drop(key, 'an invalid package name');
      return true;
    }
    const entry: LockEntry = { name, version: v, installPath };
    const resolved = str(e.resolved);
    const integrity = str(e.integrity);
    if (resolved) entry.resolved = resolved;
    if (integrity) entry.integrity = integrity;
    if (e.dev === true) entry.dev = true;
    if (e.optional === true || e.devOptional === true) entry.optional = true;
    out.entries.push(entry);
    return true;
  };

  if (version >= 2 && isObject(doc.packages)) {
    for (const [key, e] of Object.entries(doc.packages)) {
      if (key === '') continue; // the project itself
      const chain = lockKeyChain(key);
      if (!chain) continue; // a workspace's source folder: a project, not an installed dependency
      if (chain.length > limits.MAX_NPM_LOCK_DEPTH) {
        if (!hit.has('depth')) out.problems.push(bound('MAX_NPM_LOCK_DEPTH', chain.length));
        hit.add('depth');
        continue;
      }
      if (!isObject(e)) {
        drop(key, typeof e);
        continue;
      }
      if (e.link === true) continue; // a symlink to a workspace, listed under its own key
      // `name` is written only when it differs from the folder (an alias `"x": "npm:real@1"`).
      if (!add(key, e, str(e.name) ?? chain[chain.length - 1]!, `${dir}/${key}`)) break;
    }
    return out;
  }

  // v1: nested `dependencies`, walked with an explicit stack (no recursion on untrusted depth).
  if (!isObject(doc.dependencies)) return out;
  const stack: Array<{ deps: Record<string, unknown>; at: string; depth: number }> = [
    { deps: doc.dependencies, at: dir, depth: 1 },
  ];
  while (stack.length > 0) {
    const { deps, at, depth } = stack.pop()!;
    for (const [name, e] of Object.entries(deps)) {
      const installPath = `${at}/node_modules/${name}`;
      const key = installPath.slice(dir.length + 1);
      if (!isObject(e)) {
        drop(key, typeof e);
        continue;
      }
      if (!add(key, e, name, installPath)) return out;
      if (isObject(e.dependencies)) {
        if (depth + 1 > limits.MAX_NPM_LOCK_DEPTH) {
          if (!hit.has('depth')) out.problems.push(bound('MAX_NPM_LOCK_DEPTH', depth + 1));
          hit.add('depth');
        } else stack.push({ deps: e.dependencies, at: installPath, depth: depth + 1 });
      }
    }
  }
  // Depth-first order depends on the stack: keep the file's path order.
  out.entries.sort((a, b) => (a.installPath < b.installPath ? -1 : a.installPath > b.installPath ? 1 : 0));
  return out;
}
