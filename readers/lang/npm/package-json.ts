/**
 * package.json of an installed Node.js package (https://docs.npmjs.com/cli/v10/configuring-npm/package-json).
 *
 *   { "name": "@scope/name", "version": "1.2.3", "license": "MIT",
 *     "dependencies": { "x": "^1.0.0" }, "optionalDependencies": {…}, "devDependencies": {…},
 *     "workspaces": ["packages/*"] }
 *
 * `license` is an SPDX expression string, or the deprecated `{ "type": … }` object, or the older
 * `licenses` array of such objects/strings: empty, numeric and unknown shapes name no license.
 * The name follows npm's rules (validate-npm-package-name): at most 214 characters, URL-safe, a
 * scope only as `@scope/name`; a bad name is an error on the file. Dependency maps keep only
 * string ranges (a bad element is dropped, not the file).
 */
import { CorruptError } from '../../../engine/errors.js';

export interface PackageJson {
  name?: string;
  version?: string;
  licenses: string[];
  dependencies: Record<string, string>;
  optionalDependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  workspaces?: string[];
}

const MAX_NAME_CHARS = 214;

function urlSafe(s: string): boolean {
  return s.length > 0 && encodeURIComponent(s) === s;
}

export function validNpmName(name: string): boolean {
  if (name.length === 0 || name.length > MAX_NAME_CHARS || name.trim() !== name) return false;
  if (name.startsWith('.') || name.startsWith('_')) return false;
  const m = /^@([^/]+)\/([^/]+)$/.exec(name);
  if (m) return urlSafe(m[1]!) && urlSafe(m[2]!) && !m[2]!.startsWith('.');
  return urlSafe(name);
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!v || typeof v !== 'object' || Array.isArray(v)) return out;
  for (const [k, r] of Object.entries(v as Record<string, unknown>)) if (typeof r === 'string') out[k] = r;
  return out;
}

function licenseOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v.trim() || undefined;
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const t = (v as Record<string, unknown>).type;
    return typeof t === 'string' && t.trim() ? t.trim() : undefined;
  }
  return undefined;
}

function licensesOf(doc: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const field of [doc.license, doc.licenses]) {
    const list = Array.isArray(field) ? field : [field];
    for (const l of list) {
      const s = licenseOf(l);
      if (s && !out.includes(s)) out.push(s);
    }
  }
  return out;
}

export function parsePackageJson(bytes: Buffer): PackageJson {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new CorruptError(
      { format: 'npm/package.json', struct: 'document', offset: 0 },
      (err as Error).message,
      'is',
      'valid JSON',
    );
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new CorruptError(
      { format: 'npm/package.json', struct: 'document', offset: 0 },
      Array.isArray(doc) ? 'array' : typeof doc,
      'is not',
      'an object',
    );
  }
  const d = doc as Record<string, unknown>;
  const out: PackageJson = {
    licenses: licensesOf(d),
    dependencies: stringMap(d.dependencies),
    optionalDependencies: stringMap(d.optionalDependencies),
    devDependencies: stringMap(d.devDependencies),
  };
  if (typeof d.name === 'string') {
    if (!validNpmName(d.name)) {
      throw new CorruptError(
        { format: 'npm/package.json', struct: 'document', offset: 0, field: 'name' },
        JSON.stringify(d.name.slice(0, 80)),
        'is not',
        'a valid npm package name (URL-friendly, at most 214 characters, @scope/name)',
      );
    }
    out.name = d.name;
  }
  if (typeof d.version === 'string' && d.version.trim()) out.version = d.version.trim();
  const ws = Array.isArray(d.workspaces)
    ? d.workspaces
    : d.workspaces && typeof d.workspaces === 'object'
      ? (d.workspaces as Record<string, unknown>).packages
      : undefined;
  if (Array.isArray(ws)) out.workspaces = ws.filter((w): w is string => typeof w === 'string');
  return out;
}
