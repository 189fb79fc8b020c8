/**
 * Inventory → CycloneDX 1.5 JSON through the CycloneDX library (models + normalizer + serializer),
 * so the output follows the spec the library validates against. Deterministic: sorted components,
 * bom-refs derived from purls, serial number derived from the resource id and scan time. A language
 * package an OS package installed carries `snapscan:ownedBy` (the OS package's purl).
 */
import { createHash } from 'node:crypto';
import { Enums, Models, Serialize, Spec } from '@cyclonedx/cyclonedx-library';
import { PackageURL } from 'packageurl-js';
import type { Inventory } from './types.js';

function uuidFrom(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  // RFC 4122 layout with version 5-like bits so validators accept it.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function inventoryToCycloneDx(inv: Inventory): string {
  const bom = new Models.Bom();
  bom.serialNumber = `urn:uuid:${uuidFrom(`${inv.resource.type}:${inv.resource.id}:${inv.scannedAt}`)}`;
  bom.metadata.timestamp = new Date(inv.scannedAt);
  bom.metadata.tools.components.add(
    new Models.Component(Enums.ComponentType.Application, inv.tool.name, { version: inv.tool.version }),
  );
  const subjectType = inv.resource.type === 'image' ? Enums.ComponentType.Data : Enums.ComponentType.Device;
  bom.metadata.component = new Models.Component(subjectType, inv.resource.id, {
    bomRef: `resource:${inv.resource.type}:${inv.resource.id}`,
  });
  if (inv.os) {
    const os = new Models.Component(Enums.ComponentType.OperatingSystem, inv.os.id || inv.os.family, {
      version: inv.os.versionId ?? inv.os.name,
      bomRef: `os:${inv.os.family}:${inv.os.name}`,
      description: inv.os.prettyName,
    });
    bom.components.add(os);
  }
  const seen = new Set<string>();
  for (const p of inv.packages) {
    let ref = p.purl;
    for (let i = 2; seen.has(ref); i++) ref = `${p.purl}#${i}`;
    seen.add(ref);
    const c = new Models.Component(Enums.ComponentType.Library, p.name, {
      version: p.version,
      bomRef: ref,
      purl: PackageURL.fromString(p.purl).toString(),
      publisher: p.maintainer ?? p.vendor,
    });
    for (const lic of p.licenses ?? []) c.licenses.add(new Models.NamedLicense(lic));
    c.properties.add(new Models.Property('snapscan:package:type', p.type));
    c.properties.add(new Models.Property('snapscan:cataloger', p.foundBy));
    if (p.sourceName) c.properties.add(new Models.Property('snapscan:package:source-name', p.sourceName));
    if (p.sourceVersion)
      c.properties.add(new Models.Property('snapscan:package:source-version', p.sourceVersion));
    // The OS package that installed this language package (its purl, also its bom-ref unless the
    // purl occurs twice): a property, as engine/export/cyclonedx explains.
    if (p.ownedBy) c.properties.add(new Models.Property('snapscan:ownedBy', p.ownedBy));
    // Only a lockfile declares it (not installed): inventoried, not matched.
    if (p.declaredOnly) c.properties.add(new Models.Property('snapscan:declaredOnly', 'true'));
    for (const loc of p.locations) {
      c.properties.add(new Models.Property('snapscan:location', `${loc.filesystem ?? ''}:${loc.path}`));
    }
    bom.components.add(c);
  }
  const serializer = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(Spec.Spec1dot5));
  return serializer.serialize(bom, { sortLists: true, space: 2 });
}
