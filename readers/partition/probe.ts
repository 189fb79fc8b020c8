/**
 * Partition probe: the one entry point the pipeline calls.
 *
 *   disk ──► GPT? ──► MBR? ──► none (one volume: the whole disk, number 0)
 *              │       └─► 0xA5/0xA6/0xA9 slice: BSD disklabel? ──► nested 'bsd' table
 *              └──────┴─────────┴──► each partition: an LVM2 PV? ──► nested 'lvm2' table of LVs
 *
 * The schemes are tried in registry order, GPT first (a protective MBR must not be read as a DOS
 * table); the nested schemes (LVM2) then look inside every partition. Every partition is
 * returned, none is skipped by name or type; `listVolumes` flattens the tree into the leaf volumes
 * the pipeline probes for a filesystem (a PV is replaced by its LVs, a BSD slice by its
 * partitions, an MBR extended container holds only EBRs and is left out).
 *
 * VGs spanning several PVs on the same disk are assembled from all PVs found; the LVs hang under
 * the PV whose metadata was used (highest seqno), the other PVs get an empty nested table that
 * says where the LVs are. LVs needing a PV on another disk are skipped with a warning.
 */
import { BadMagicError, checkAborted, type ScanError } from '../../engine/errors.js';
import type { BlockSource } from '../block/types.js';
import * as bsd from './bsd/index.js';
import * as gpt from './gpt/index.js';
import * as lvm2Attach from './lvm2/attach.js';
import * as lvm2 from './lvm2/index.js';
import * as mbr from './mbr/index.js';
import type { NestedScheme, Partition, PartitionScheme, PartitionTable, ReadOptions } from './types.js';

/** Disk-level schemes in probe order (explicit list; no registration by import side effect). */
export const schemes: readonly PartitionScheme[] = [gpt.scheme, mbr.scheme];
/** Schemes found inside a partition (BSD disklabels are read by the MBR reader itself). */
export const nestedSchemes: readonly NestedScheme[] = [lvm2Attach.nestedScheme];
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

/**
 * Reads the disk's table: the first disk-level scheme of the registry that recognises the source
 * wins (a probe answers null, or BadMagicError, for "not mine"; any other error propagates), else
 * the whole disk is one volume. Then every nested scheme of the registry looks inside the volumes.
 */
export async function readPartitions(source: BlockSource, opts: ReadOptions = {}): Promise<PartitionTable> {
  checkAborted(opts.signal);
  let table: PartitionTable | null = null;
  for (const s of schemes) {
    try {
      table = await s.read(source, opts);
    } catch (err) {
      if (!(err instanceof BadMagicError)) throw err;
    }
    if (table) break;
  }
  table ??= wholeDiskTable(source);
  for (const n of nestedSchemes) {
    checkAborted(opts.signal);
    await n.attach(table, opts);
  }
  return table;
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
