/**
 * Every format folder is registered in its layer's explicit registry and exports the metadata the
 * layer requires (id, displayName, specUrls, version), and has a readme naming what it supports.
 * A folder added without registering it — or a registry entry without a folder — fails here.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { versionings } from '../../engine/versioning/api.js';
import { ALL_CATALOGERS, PACKAGE_MODULES } from '../../readers/catalogers.js';
import { FS_FORMATS } from '../../readers/fs/formats.js';
import { formats as partitionFormats } from '../../readers/partition/probe.js';
import { REPO_ROOT } from '../helpers/paths.js';

function moduleFolders(layer: string): string[] {
  return PACKAGE_MODULES.filter((m) => m.id.startsWith(`${layer}/`)).map((m) => m.id.slice(layer.length + 1));
}

function folders(dir: string): string[] {
  return readdirSync(join(REPO_ROOT, dir))
    .filter((n) => statSync(join(REPO_ROOT, dir, n)).isDirectory())
    .sort();
}

const layers = [
  { dir: 'readers/fs', registered: () => FS_FORMATS.map((f) => f.id) },
  { dir: 'readers/partition', registered: () => partitionFormats.map((s) => s.id) },
  // One module per package type; a folder may hold several catalogers (rpm: database and manifest).
  { dir: 'readers/pkgdb', registered: () => moduleFolders('pkgdb') },
  { dir: 'readers/lang', registered: () => moduleFolders('lang') },
  { dir: 'engine/versioning', registered: () => [...versionings.keys()] },
];

describe('contract: registries', () => {
  it.each(layers)(
    '$dir: every folder is registered and every registration has a folder',
    ({ dir, registered }) => {
      expect([...new Set(registered())].sort()).toEqual(folders(dir));
    },
  );

  const modules = layers.flatMap(({ dir }) => folders(dir).map((name) => ({ dir, name })));
  it.each(modules)(
    '$dir/$name: exports id, displayName, specUrls, version and has a readme',
    async ({ dir, name }) => {
      const mod = (await import(join(REPO_ROOT, dir, name, 'index.ts'))) as Record<string, unknown>;
      expect(typeof mod.id).toBe('string');
      expect(String(mod.id).endsWith(name)).toBe(true);
      expect(typeof mod.displayName).toBe('string');
      expect(Array.isArray(mod.specUrls) && (mod.specUrls as unknown[]).length > 0).toBe(true);
      expect(Number.isInteger(mod.version)).toBe(true);
      expect(existsSync(join(REPO_ROOT, dir, name, 'readme.md'))).toBe(true);
    },
  );

  it.each(ALL_CATALOGERS.map((c) => ({ id: c.id, c })))(
    'cataloger $id names its kind and either paths or wants',
    ({ c }) => {
      expect(['os', 'lang']).toContain(c.kind);
      expect(Boolean(c.paths?.length) || typeof c.wants === 'function').toBe(true);
    },
  );
});
