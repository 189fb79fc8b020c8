/**
 * Package URLs (https://github.com/package-url/purl-spec): one builder for every package type.
 * Qualifiers come out sorted by key with empty values dropped (packageurl-js does both), so the
 * string is canonical and can key caches and goldens. Type-specific name rules (PyPI lower-case
 * with `-`, npm scopes as the namespace) belong to the type's own `purl()` in its folder.
 */
import { PackageURL } from 'packageurl-js';
import type { PurlParts } from '../engine/model/package-type.js';

export function buildPurl(type: string, parts: PurlParts): string {
  const q: Record<string, string> = {};
  for (const [k, v] of Object.entries(parts.qualifiers ?? {})) if (v) q[k] = v;
  return new PackageURL(
    type,
    parts.namespace || undefined,
    parts.name,
    parts.version || undefined,
    Object.keys(q).length > 0 ? q : undefined,
    parts.subpath || undefined,
  ).toString();
}
