/**
 * `snapscan demo` on a machine without network and without ../shared: the two inventories and
 * their SBOMs are still written, then one line says what findings need; the exit is non-zero.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { DEMO_IMAGES, NO_VULNDATA_LINE, run } from '../../../../engine/cli/commands/demo.js';
import { EXIT } from '../../../../engine/cli/exit-codes.js';
import type { Inventory } from '../../../../engine/inventory/types.js';

const work = mkdtempSync(join(tmpdir(), 'snapscan-demo-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

describe('engine/cli/commands/demo', () => {
  it('offline, no ../shared, no --vulndata: inventories + SBOMs, one line on what findings need, exit 1', async () => {
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      return true;
    });
    const out = join(work, 'out');
    let updates = 0;
    const code = await run(['--db', join(work, 'empty.sqlite'), '--out', out], {
      images: DEMO_IMAGES,
      sharedVulndata: join(work, 'no-shared-here'),
      updateFromFeeds: async () => {
        updates++;
        return false;
      },
    });
    expect(code).toBe(EXIT.ERROR);
    expect(updates).toBe(1);
    expect(lines.at(-1)).toBe(`snapscan demo: ${NO_VULNDATA_LINE}`);
    expect(readdirSync(join(out, 'inventory')).sort()).toEqual([
      'almalinux-9-cloud.json',
      'debian-12-cloud.json',
    ]);
    expect(readdirSync(join(out, 'sbom')).sort()).toEqual([
      'almalinux-9-cloud.cdx.json',
      'almalinux-9-cloud.spdx.json',
      'debian-12-cloud.cdx.json',
      'debian-12-cloud.spdx.json',
    ]);
    // No findings file: an empty one would read as "no vulnerabilities".
    expect(existsSync(join(out, 'findings'))).toBe(false);
    for (const [name, family] of [
      ['debian-12-cloud', 'debian'],
      ['almalinux-9-cloud', 'alma'],
    ] as const) {
      const inv = JSON.parse(readFileSync(join(out, 'inventory', `${name}.json`), 'utf8')) as Inventory;
      expect(inv.status.state).toBe('complete');
      expect(inv.os?.family).toBe(family);
      expect(inv.packages.length).toBeGreaterThan(30);
      const cdx = JSON.parse(readFileSync(join(out, 'sbom', `${name}.cdx.json`), 'utf8'));
      expect(cdx.bomFormat).toBe('CycloneDX');
      expect(cdx.components.length).toBeGreaterThanOrEqual(inv.packages.length);
      const spdx = JSON.parse(readFileSync(join(out, 'sbom', `${name}.spdx.json`), 'utf8'));
      expect(spdx.spdxVersion).toBe('SPDX-2.3');
      expect(spdx.packages.length).toBe(inv.packages.length + 1);
    }
  });
});
