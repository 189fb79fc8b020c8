/**
 * LVM2 as a nested scheme: finds the PVs among a table's partitions and hangs each volume group's
 * LVs under the partition whose PV carries the newest metadata (highest seqno). VGs spanning several
 * PVs on the same disk are assembled from all PVs found; the other PVs get an empty nested table
 * that says where the LVs are. A PV whose metadata cannot be read gets an empty nested table
 * carrying the typed error (the scan reports it as a damaged partition table, not a warning).
 */
import { checkAborted, FormatError } from '../../../engine/errors.js';
import type { NestedScheme, Partition, PartitionTable, ReadOptions } from '../types.js';
import {
  displayName,
  id,
  type PhysicalVolume,
  readPhysicalVolume,
  specUrls,
  version,
  volumeGroupTable,
} from './index.js';

export async function attachVolumeGroups(table: PartitionTable, opts: ReadOptions): Promise<void> {
  const found: { part: Partition; pv: PhysicalVolume }[] = [];
  for (const part of table.partitions) {
    checkAborted(opts.signal);
    if (part.container || part.nested) continue;
    try {
      const pv = await readPhysicalVolume(part.source, opts);
      if (pv) found.push({ part, pv });
    } catch (err) {
      // A bad PV structure is reported on the partition; I/O failures and aborts propagate.
      if (!(err instanceof FormatError)) throw err;
      // The PV label was there but its metadata is unusable: the partition holds no readable LVs.
      const nested: PartitionTable = {
        scheme: id,
        sectorSize: 512,
        partitions: [],
        warnings: [`lvm2: partition ${part.number}: ${err.message}`],
        errors: [err],
      };
      part.nested = nested;
      table.warnings.push(`lvm2: partition ${part.number} is a PV with unreadable metadata: ${err.message}`);
    }
  }
  if (found.length === 0) return;
  // Group PVs by VG id; the copy with the highest seqno is authoritative.
  const groups = new Map<string, { part: Partition; pv: PhysicalVolume }[]>();
  for (const f of found) {
    if (!f.pv.vg) {
      f.part.nested = volumeGroupTable(f.pv, [f.pv]);
      continue;
    }
    const key = f.pv.vg.id;
    const list = groups.get(key) ?? [];
    list.push(f);
    groups.set(key, list);
  }
  for (const members of groups.values()) {
    const owner = members.reduce((a, b) => (b.pv.vg!.seqno > a.pv.vg!.seqno ? b : a));
    const pvs = members.map((m) => m.pv);
    owner.part.nested = volumeGroupTable(owner.pv, pvs);
    for (const m of members) {
      if (m === owner) continue;
      m.part.nested = {
        scheme: id,
        sectorSize: 512,
        id: m.pv.vg!.id,
        partitions: [],
        warnings: [
          `lvm2: PV ${m.pv.label.pvUuid} belongs to VG ${owner.pv.vg!.name}; its LVs are listed under partition ${owner.part.number}`,
        ],
      };
    }
  }
}

export const nestedScheme: NestedScheme = {
  id,
  displayName,
  specUrls,
  version,
  attach: attachVolumeGroups,
};
