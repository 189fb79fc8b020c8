/**
 * engine/inventory/cyclonedx.ts: the inventory's CycloneDX 1.5 document passes the official schema
 * and names the OS package that installed a language package (`snapscan:ownedBy`, the owner's purl,
 * which is also its component's bom-ref). The real Debian root's inventory is checked the same way
 * in test/e2e/lang-images.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { inventoryToCycloneDx } from '../../../engine/inventory/cyclonedx.js';
import type { Inventory } from '../../../engine/inventory/types.js';
import { cdxValidator } from '../../helpers/cdx-schema.js';

const deb = 'pkg:deb/debian/python3-requests@2.28.1%2Bdfsg-1?arch=all&distro=debian-12';
const inv: Inventory = {
  schemaVersion: '2.0',
  tool: { name: 'snapscan', version: '0.1.0' },
  resource: { type: 'image', id: 'disk.img' },
  scannedAt: '2025-03-01T00:00:00.000Z',
  os: { family: 'debian', id: 'debian', name: 'bookworm', versionId: '12' } as Inventory['os'],
  volumes: [],
  packages: [
    {
      foundBy: 'pkgdb/dpkg',
      type: 'deb',
      name: 'python3-requests',
      version: '2.28.1+dfsg-1',
      purl: deb,
      locations: [{ path: '/var/lib/dpkg/status', filesystem: 'p1' }],
    },
    {
      foundBy: 'lang/pypi',
      type: 'pypi',
      name: 'requests',
      version: '2.28.1',
      purl: 'pkg:pypi/requests@2.28.1',
      locations: [{ path: '/usr/lib/python3/dist-packages/requests-2.28.1.egg-info/PKG-INFO' }],
      ownedBy: deb,
    },
    {
      foundBy: 'lang/pypi',
      type: 'pypi',
      name: 'requests',
      version: '2.28.1',
      purl: 'pkg:pypi/requests@2.28.1',
      locations: [{ path: '/opt/venv/lib/python3.11/site-packages/requests-2.28.1.egg-info/PKG-INFO' }],
    },
  ],
  status: { state: 'complete', issues: [], reasons: [] } as unknown as Inventory['status'],
  stats: { reads: 0, bytesRead: 0, distinctBlocks: 0, wallMs: 0 },
};

type Component = { 'bom-ref': string; properties?: Array<{ name: string; value: string }> };

describe('engine/inventory/cyclonedx', () => {
  const validate = cdxValidator();
  it('an owned language package carries snapscan:ownedBy; the unowned copy does not; schema-valid', () => {
    const doc = JSON.parse(inventoryToCycloneDx(inv));
    expect(validate(doc)).toBe(true);
    expect(validate.errors ?? []).toEqual([]);
    const ownedBy = (c: Component) => c.properties?.find((p) => p.name === 'snapscan:ownedBy')?.value;
    const requests = (doc.components as Component[]).filter((c) => c['bom-ref'].startsWith('pkg:pypi/'));
    expect(requests.map(ownedBy).sort()).toEqual([deb, undefined]);
    expect((doc.components as Component[]).some((c) => c['bom-ref'] === deb)).toBe(true);
  });
});
