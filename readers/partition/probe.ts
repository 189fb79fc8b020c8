/**
 * Partition probe: the one entry point the pipeline calls.
 *
 *   disk ──► GPT? ──► MBR? ──► none (one volume: the whole disk, number 0)
 *              │       └─► 0xA5/0xA6/0xA9 slice: BSD disklabel? ──► nested 'bsd' table
 *              └──────┴─────────┴──► each partition: an LVM2 PV? ──► nested 'lvm2' table of LVs
 *
 * GPT is tried first (a protective MBR must not be read as a DOS table). Every partition is
 * returned, none is skipped by name or type; `listVolumes` flattens the tree into the leaf volumes
 * the pipeline probes for a filesystem (a PV is replaced by its LVs, a BSD slice by its
 * partitions, an MBR extended container holds only EBRs and is left out).
 *
 * VGs spanning several PVs on the same disk are assembled from all PVs found; the LVs hang under
 * the PV whose metadata was used (highest seqno), the other PVs get an empty nested table that
 * says where the LVs are. LVs needing a PV on another disk are skipped with a warning.
 */
import { checkAborted, FormatError, type ScanError } from '../../engine/errors.js';
import type { BlockSource } from '../block/types.js';
import * as bsd from './bsd/index.js';
import * as gpt from './gpt/index.js';
import * as lvm2 from './lvm2/index.js';
import * as mbr from './mbr/index.js';
import type { Partition, PartitionScheme, PartitionTable, ReadOptions } from './types.js';

/** Disk-level schemes in probe order (explicit list; no registration by import side effect). */
export const schemes: readonly PartitionScheme[] = [gpt.scheme, mbr.scheme];
/** Schemes found inside a partition (BSD disklabels are read by the MBR reader itself). */
export const nestedSchemes: readonly PartitionScheme[] = [lvm2.scheme];
/** Every format folder of this layer with its metadata (for the contract test and `--version`). */
export const formats = [gpt, mbr, bsd, lvm2].map(({ id, displayName, specUrls, version }) => ({
  id,
  displayName,
  specUrls,
  version,
}));

/** A single volume covering the whole source (a bare filesystem or a whole-disk PV). */
export function wholeDiskTable(source: BlockSource): PartitionTable {
  return {
    scheme: 'none',
    sectorSize: 512,
    partitions: [{ number: 0, scheme: 'none', start: 0n, size: source.size, type: 'none', source }],
    warnings: [],
  };
}

export async function readPartitions(source: BlockSource, opts: ReadOptions = {}): Promise<PartitionTable> {
  checkAborted(opts.signal);
  let table = await gpt.readGpt(source, opts);
  if (!table) {
    table = await mbr.readMbr(source, opts);
    if (table) {
      const head = await source.read(0n, Number(source.size < 8192n ? source.size : 8192n), opts.signal);
      if (gpt.hasGptSignature(head)) {
        table.warnings.push(
          'gpt: header at LBA 1 ignored: LBA 0 is a DOS MBR, not a protective MBR (as Linux does)',
        );
      }
    }
  }
  table ??= wholeDiskTable(source);
  await attachLvm(table, opts);
  return table;
}

async function attachLvm(table: PartitionTable, opts: ReadOptions): Promise<void> {
  const found: { part: Partition; pv: lvm2.PhysicalVolume }[] = [];
  for (const part of table.partitions) {
    checkAborted(opts.signal);
    if (part.container || part.nested) continue;
    try {
      const pv = await lvm2.readPhysicalVolume(part.source, opts);
      if (pv) found.push({ part, pv });
    } catch (err) {
      // A bad PV structure is reported on the partition; I/O failures and aborts propagate.
      if (!(err instanceof FormatError)) throw err;
      // The PV label was there but its metadata is unusable: the partition holds no readable LVs.
      const nested: PartitionTable = {
        scheme: lvm2.id,
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
  const groups = new Map<string, { part: Partition; pv: lvm2.PhysicalVolume }[]>();
  for (const f of found) {
    if (!f.pv.vg) {
      f.part.nested = lvm2.volumeGroupTable(f.pv, [f.pv]);
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
    owner.part.nested = lvm2.volumeGroupTable(owner.pv, pvs);
    for (const m of members) {
      if (m === owner) continue;
      m.part.nested = {
        scheme: lvm2.id,
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

/**
 * Every leaf volume to probe for a filesystem, depth first: partitions without a nested table,
 * and the volumes of nested tables (LVM LVs). Extended MBR containers are skipped (they hold EBRs).
 */
export function listVolumes(table: PartitionTable): Partition[] {
  const out: Partition[] = [];
  const walk = (t: PartitionTable, depth: number) => {
    for (const p of t.partitions) {
      if (p.nested) {
        // Nesting is one level in practice (disk → PV → LV); the bound keeps a bug from looping.
        if (depth < 4) walk(p.nested, depth + 1);
      } else if (!p.container) {
        out.push(p);
      }
    }
  };
  walk(table, 0);
  return out;
}

/** All warnings of a table and its nested tables, prefixed with where they came from. */
export function allWarnings(table: PartitionTable): string[] {
  const out = [...table.warnings];
  for (const p of table.partitions) {
    if (p.nested) out.push(...allWarnings(p.nested).map((w) => `partition ${p.number}: ${w}`));
  }
  return out;
}

/**
 * The typed errors of a table and its nested tables: entries that were dropped, LVM metadata that
 * could not be read. Each one means volumes may be missing: never a mere warning.
 */
export function allErrors(table: PartitionTable): Array<{ where: string; error: ScanError }> {
  const out = (table.errors ?? []).map((error) => ({ where: table.scheme, error }));
  for (const p of table.partitions) {
    if (p.nested) {
      for (const e of allErrors(p.nested))
        out.push({ where: `partition ${p.number}: ${e.where}`, error: e.error });
    }
  }
  return out;
}
