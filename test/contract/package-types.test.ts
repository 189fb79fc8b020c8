/**
 * A package type is its folder plus one registry line (readers/catalogers.ts PACKAGE_MODULES).
 * These checks prove it: every registered type carries the knowledge the matcher, findings and
 * exports ask for; its comparator and package-manager name exist; its catalogers live in its own
 * folder; and no shipped file outside the type's folder names the type id (nothing switches on it).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFindings } from '../../engine/findings/build.js';
import { matchDetailed } from '../../engine/match/matcher.js';
import { MemoryLookup } from '../../engine/match/memory-lookup.js';
import { lookupKeys } from '../../engine/match/namespace.js';
import type { Package } from '../../engine/model/package.js';
import { versionings } from '../../engine/versioning/api.js';
import { PACKAGE_MODULES, PACKAGE_TYPES, packageTypeOf } from '../../readers/catalogers.js';
import { REPO_ROOT } from '../helpers/paths.js';

const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'schemas/finding.schema.json'), 'utf8'));

function findEnum(node: unknown, key: string): string[] | undefined {
  if (!node || typeof node !== 'object') return undefined;
  const rec = node as Record<string, unknown>;
  const own = rec[key] as { enum?: string[] } | undefined;
  if (own?.enum) return own.enum;
  for (const v of Object.values(rec)) {
    const hit = findEnum(v, key);
    if (hit) return hit;
  }
  return undefined;
}
const PACKAGE_MANAGERS = findEnum(schema, 'packageManager') ?? [];

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const n of readdirSync(join(REPO_ROOT, dir))) {
    const p = join(dir, n);
    if (statSync(join(REPO_ROOT, p)).isDirectory()) out.push(...tsFiles(p));
    else if (n.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Code only: block and line comments removed (good enough for our own sources). */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

const modules = PACKAGE_MODULES.map((m) => ({ id: m.id, m }));

describe('contract: package types', () => {
  it('type ids are unique', () => {
    expect(PACKAGE_TYPES.size).toBe(PACKAGE_MODULES.length);
  });

  it.each(modules)('$id: knowledge the matcher, findings and exports ask for', ({ m }) => {
    const t = m.packageType;
    expect(t.id).toMatch(/^[a-z][a-z0-9.+-]*$/);
    expect(PACKAGE_MANAGERS).toContain(t.packageManager);
    if (t.versionScheme !== undefined) expect(versionings.has(t.versionScheme)).toBe(true);
    expect(t.advisories.from === 'distro' || t.advisories.ecosystem.length > 0).toBe(true);
    // purl() writes a purl of its own type.
    expect(t.purl({ namespace: 'example', name: 'x', version: '1.0' })).toMatch(new RegExp(`^pkg:${t.id}/`));
    for (const c of m.catalogers) expect(c.id.startsWith(`${m.id.split('/')[0]}/`)).toBe(true);
    for (const c of m.catalogers) expect(c.kind).toBe(t.kind);
  });

  it.each(modules)(
    '$id: a package of this type is matched and becomes a finding with no other code',
    ({ m }) => {
      const t = m.packageType;
      const pkg: Package = {
        foundBy: 'contract',
        type: t.id,
        name: 'demo',
        version: '1.0.0',
        purl: t.purl({ namespace: 'example', name: 'demo', version: '1.0.0' }),
        locations: [{ path: '/x' }],
      };
      expect(packageTypeOf(pkg)).toBe(t);
      const os = { family: 'debian', id: 'debian', name: '12', versionId: '12', source: 't' };
      const keys = lookupKeys(pkg, os);
      expect(keys.length).toBeGreaterThan(0);
      const lookup = new MemoryLookup(
        keys.map((k) => ({
          advisory: {
            id: `T-${t.id}`,
            source: 'osv',
            aliases: ['CVE-2000-0001'],
            severity: [],
            references: [],
          },
          affected: [
            {
              advisoryId: `T-${t.id}`,
              ecosystem: k.ecosystem,
              name: k.name,
              versions: [],
              ranges: [{ type: 'ECOSYSTEM' as const, events: [{ introduced: '0' }, { fixed: '2.0.0' }] }],
            },
          ],
        })),
      );
      const { matches } = matchDetailed([pkg], os, lookup);
      expect(matches).toHaveLength(1);
      // No comparator: an explicit unknown, never "not affected".
      expect(matches[0]!.status).toBe(t.versionScheme ? 'affected' : 'unknown');
      const [f] = buildFindings(matches, {
        awsAccountId: '000000000000',
        resource: { type: 'LOCAL_IMAGE', id: 'disk' },
        lookup: { epss: () => undefined, kev: () => undefined, cvssFor: () => [] },
        clock: () => new Date(0),
      });
      expect(f!.packageVulnerabilityDetails.vulnerablePackages[0]!.packageManager).toBe(t.packageManager);
      expect(f!.packageVulnerabilityDetails.vulnerablePackages[0]!.filePath).toBe('/x');
    },
  );

  // Ecosystem and version-scheme names coincide with some type ids (`npm`, `deb`): those layers
  // speak ecosystems, not package types, and are left out.
  const shipped = ['engine', 'readers', 'workers', 'scheduler']
    .flatMap(tsFiles)
    .filter((f) => !f.startsWith('engine/versioning/') && !f.startsWith('engine/vulndb/'));
  // `type: 'deb'`, `.type === 'deb'`, `case 'deb':`: building or switching on a type id. (A
  // package-manager union such as `pm: 'rpm' | 'dpkg'` in the SSM reader is not a package type.)
  const usesTypeId = (id: string) =>
    new RegExp(`(?:\\btype\\s*(?::|[!=]==?)\\s*|\\bcase\\s+)['"\`]${id}['"\`]`);
  it.each(modules)('$id: no shipped file outside its folder builds or switches on the type id', ({ m }) => {
    const folder = join('readers', m.id);
    const offenders = shipped
      .filter((f) => !f.startsWith(`${folder}/`))
      .filter((f) => usesTypeId(m.packageType.id).test(code(readFileSync(join(REPO_ROOT, f), 'utf8'))))
      .map((f) => relative('.', f));
    expect(offenders).toEqual([]);
  });
});
