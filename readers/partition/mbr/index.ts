/**
 * Master Boot Record partition table ("DOS" label) with extended partitions (EBR chains).
 *   https://en.wikipedia.org/wiki/Master_boot_record#PTE
 *   https://en.wikipedia.org/wiki/Extended_boot_record
 *   util-linux libblkid/src/partitions/dos.c (blkid's sanity checks), Linux block/partitions/msdos.c
 *
 * Sector size is 512 (an MBR has no field for it; 4K-native disks use GPT in practice).
 *
 *   0x000 440  boot code (anything: zeros, GRUB, …)
 *   0x1B8   4  disk signature (blkid/sfdisk print it as 8 hex digits of the LE u32)
 *   0x1BC   2  reserved
 *   0x1BE  64  4 × partition entry
 *   0x1FE   2  0x55 0xAA
 *
 * Partition entry (16 bytes): 0 status (0x00 or 0x80 = bootable) · 1 CHS first (3) · 4 type ·
 *   5 CHS last (3) · 8 LBA first (u32 LE) · 12 sector count (u32 LE). CHS is ignored (LBA wins).
 *
 * Extended partitions (types 0x05, 0x0F, 0x85) hold a chain of EBRs. Each EBR has the same layout;
 * entry 0 is the logical partition (start relative to this EBR), entry 1 links to the next EBR
 * (start relative to the extended partition's start). Logical partitions are numbered from 5.
 *
 * A FAT or NTFS boot sector also ends in 55AA: the table is accepted only when every entry is sane
 * (status 0x00/0x80, used entries with a nonzero start and size, starting inside the disk) and the
 * sector is not a FAT/NTFS/exFAT boot sector (blkid does the same). An entry running past the disk
 * end (a truncated image) is kept, cut at the end, with a typed error (an extended one is dropped).
 * A protective 0xEE entry means GPT: this
 * reader returns null. BSD disklabels in 0xA5/0xA6/0xA9 partitions are read by ../bsd.
 */
import {
  CorruptError,
  checkAborted,
  FormatError,
  type FormatLocation,
  LimitExceededError,
  type ScanError,
  TruncatedError,
} from '../../../engine/errors.js';
import { DEFAULT_LIMITS } from '../../../engine/limits.js';
import { SliceSource } from '../../block/slice.js';
import type { BlockSource } from '../../block/types.js';
import { Cursor } from '../../bytes/cursor.js';
import { readBsdLabel } from '../bsd/index.js';
import type { Partition, PartitionScheme, PartitionTable, ReadOptions } from '../types.js';

export const id = 'mbr';
export const displayName = 'Master Boot Record (DOS) partition table';
export const specUrls = [
  'https://en.wikipedia.org/wiki/Master_boot_record',
  'https://en.wikipedia.org/wiki/Extended_boot_record',
] as const;
export const version = 1;

export const SECTOR_BYTES = 512;
const TABLE_OFFSET = 0x1be;
const EXTENDED_TYPES = new Set([0x05, 0x0f, 0x85]);
const PROTECTIVE_TYPE = 0xee;
/** BSD disklabel containers (FreeBSD 0xa5, OpenBSD 0xa6, NetBSD 0xa9): see ../bsd. */
const BSD_TYPES = new Set([0xa5, 0xa6, 0xa9]);

export interface MbrEntry {
  /** 0..3 in the sector. */
  readonly slot: number;
  readonly status: number;
  readonly type: number;
  /** Relative to the structure's base (disk for the MBR, EBR or extended start for EBRs). */
  readonly lbaStart: number;
  readonly sectors: number;
}

export interface MbrSector {
  readonly diskSignature: number;
  readonly entries: readonly MbrEntry[];
}

/** Decodes the table of an MBR or EBR sector; checks only the 55AA signature. */
export function decodeMbrSector(sector: Buffer, offset: bigint, struct = 'MBR'): MbrSector {
  const c = new Cursor(sector, { base: offset, format: id, struct });
  const sig = c.u16beAt(510, 'boot signature');
  if (sig !== 0x55aa) {
    throw new CorruptError(c.loc('boot signature', 510), `0x${sig.toString(16)}`, '!=', '0x55aa');
  }
  const entries: MbrEntry[] = [];
  for (let slot = 0; slot < 4; slot++) {
    const at = TABLE_OFFSET + slot * 16;
    entries.push(
      Object.freeze({
        slot,
        status: c.u8At(at, 'status'),
        type: c.u8At(at + 4, 'type'),
        lbaStart: c.u32leAt(at + 8, 'LBA start'),
        sectors: c.u32leAt(at + 12, 'sector count'),
      }),
    );
  }
  return Object.freeze({
    diskSignature: c.u32leAt(0x1b8, 'disk signature'),
    entries: Object.freeze(entries),
  });
}

/** A FAT12/16/32, NTFS or exFAT volume boot record: a filesystem, not a partition table. */
export function looksLikeVolumeBootRecord(sector: Buffer): boolean {
  if (sector.length < 512) return false;
  const jump = sector[0];
  if (jump !== 0xeb && jump !== 0xe9) return false;
  const oem = sector.subarray(3, 11).toString('latin1');
  if (oem === 'NTFS    ' || oem === 'EXFAT   ') return true;
  const fat16 = sector.subarray(54, 62).toString('latin1');
  const fat32 = sector.subarray(82, 90).toString('latin1');
  if (!fat16.startsWith('FAT') && !fat32.startsWith('FAT')) return false;
  // A real BPB: bytes per sector a power of two in 512..4096, sectors per cluster a power of two.
  const bps = sector.readUInt16LE(11);
  const spc = sector[13]!;
  return bps >= 512 && bps <= 4096 && (bps & (bps - 1)) === 0 && spc > 0 && (spc & (spc - 1)) === 0;
}

/**
 * Why this sector is not a usable MBR, or null when its entries are sane. Entries must have status
 * 0x00/0x80 and, when used, a nonzero start and size inside the disk.
 */
export function mbrSanityProblem(table: MbrSector, diskSectors: bigint): string | null {
  let used = 0;
  for (const e of table.entries) {
    if (e.status !== 0x00 && e.status !== 0x80)
      return `entry ${e.slot + 1} status 0x${e.status.toString(16)}`;
    if (e.type === 0) continue;
    used++;
    if (e.sectors === 0 || e.lbaStart === 0) return `entry ${e.slot + 1} empty extent`;
    // Only the start must be inside the disk: a truncated image still has a real table whose last
    // partition runs past the end (readMbr keeps it cut at the end, with a typed error).
    if (e.type !== PROTECTIVE_TYPE && BigInt(e.lbaStart) >= diskSectors) {
      return `entry ${e.slot + 1} starts at sector ${e.lbaStart} >= disk ${diskSectors}`;
    }
  }
  return used === 0 ? 'no used entries' : null;
}

/**
 * Reads an MBR. Returns null when sector 0 is not an MBR (no 55AA, insane entries, a FAT/NTFS boot
 * sector, an empty table) or is a protective MBR (GPT's business).
 */
/** Byte offsets of LBA 1 at 512- and 4096-byte logical sectors, where a GPT header would sit. */
const GPT_HEADER_LBA1_OFFSETS = [512, 4096] as const;

export async function readMbr(source: BlockSource, opts: ReadOptions = {}): Promise<PartitionTable | null> {
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const signal = opts.signal;
  if (source.size < BigInt(SECTOR_BYTES)) return null;
  const sector0 = await source.read(0n, SECTOR_BYTES, signal);
  if (sector0[510] !== 0x55 || sector0[511] !== 0xaa) return null;
  const mbr = decodeMbrSector(sector0, 0n);
  if (mbr.entries.some((e) => e.type === PROTECTIVE_TYPE)) return null;
  const diskSectors = source.size / BigInt(SECTOR_BYTES);
  if (mbrSanityProblem(mbr, diskSectors) !== null) return null;
  if (looksLikeVolumeBootRecord(sector0)) return null;

  const diskId = mbr.diskSignature.toString(16).padStart(8, '0');
  const warnings: string[] = [];
  // A GPT header behind a DOS MBR (a disk repartitioned as DOS) is stale: Linux ignores it too.
  const head = await source.read(0n, Number(source.size < 8192n ? source.size : 8192n), signal);
  if (GPT_HEADER_LBA1_OFFSETS.some((at) => head.subarray(at, at + 8).toString('latin1') === 'EFI PART')) {
    warnings.push('gpt: header at LBA 1 ignored: LBA 0 is a DOS MBR, not a protective MBR (as Linux does)');
  }
  const errors: ScanError[] = [];
  const partitions: Partition[] = [];
  const make = (number: number, startSector: bigint, sectors: bigint, e: MbrEntry, container = false) => {
    const start = startSector * BigInt(SECTOR_BYTES);
    const size = sectors * BigInt(SECTOR_BYTES);
    const p: Partition = {
      number,
      scheme: id,
      start,
      size,
      type: `0x${e.type.toString(16).padStart(2, '0')}`,
      // PARTUUID as Linux/blkid spell it: <disk signature>-<2-digit number>.
      uuid: `${diskId}-${number.toString(16).padStart(2, '0')}`,
      source: new SliceSource(source, start, size, `p${number}`),
    };
    if (e.status === 0x80) p.flags = '0x80';
    if (container) p.container = true;
    return p;
  };

  const usable: MbrEntry[] = [];
  for (const e of mbr.entries) {
    if (e.type === 0) continue;
    const end = BigInt(e.lbaStart) + BigInt(e.sectors);
    if (end > diskSectors && !EXTENDED_TYPES.has(e.type) && BigInt(e.lbaStart) < diskSectors) {
      // A truncated image (or a snapshot of a shrunk volume): the partition starts on the disk and
      // runs past its end. Keep what is there, cut at the end, with a typed error (volumes may be
      // incomplete): a root filesystem whose package database lies inside still yields it.
      const have = diskSectors - BigInt(e.lbaStart);
      const err = new TruncatedError(
        {
          format: id,
          struct: `partition entry ${e.slot + 1}`,
          offset: TABLE_OFFSET + e.slot * 16,
          field: 'extent',
        },
        BigInt(e.sectors) * BigInt(SECTOR_BYTES),
        have * BigInt(SECTOR_BYTES),
      );
      errors.push(err);
      warnings.push(`mbr: partition ${e.slot + 1} cut at the end of the disk: ${err.message}`);
      usable.push(e);
      partitions.push(make(e.slot + 1, BigInt(e.lbaStart), have, e));
      continue;
    }
    if (end > diskSectors) {
      const err = new CorruptError(
        {
          format: id,
          struct: `partition entry ${e.slot + 1}`,
          offset: TABLE_OFFSET + e.slot * 16,
          field: 'extent',
        },
        `sectors ${e.lbaStart}..${e.lbaStart + e.sectors - 1}`,
        'outside',
        `disk 0..${diskSectors - 1n}`,
      );
      errors.push(err);
      warnings.push(`mbr: partition ${e.slot + 1} dropped: ${err.message}`);
      continue;
    }
    usable.push(e);
    const isExt = EXTENDED_TYPES.has(e.type);
    partitions.push(make(e.slot + 1, BigInt(e.lbaStart), BigInt(e.sectors), e, isExt));
  }

  // Logical partitions: one shared budget across all extended partitions.
  let nextNumber = 5;
  const budget = { left: limits.MAX_MBR_LOGICAL_PARTITIONS, max: limits.MAX_MBR_LOGICAL_PARTITIONS };
  for (const ext of usable.filter((e) => EXTENDED_TYPES.has(e.type))) {
    nextNumber = await readEbrChain(
      source,
      ext,
      nextNumber,
      budget,
      partitions,
      warnings,
      errors,
      make,
      signal,
    );
  }

  // BSD disklabels inside 0xA5/0xA6/0xA9 slices: their partitions are numbered after the logical
  // ones (blkid's numbering) and replace the slice in listVolumes.
  for (const p of [...partitions]) {
    if (!BSD_TYPES.has(Number.parseInt(p.type, 16))) continue;
    try {
      const nested = await readBsdLabel(source, p, nextNumber, signal);
      if (nested) {
        p.nested = nested;
        nextNumber += nested.partitions.length;
      }
    } catch (err) {
      if (!(err instanceof FormatError)) throw err;
      errors.push(err);
      warnings.push(
        `mbr: partition ${p.number}: BSD disklabel unreadable, probed as one volume: ${err.message}`,
      );
    }
  }

  const table: PartitionTable = { scheme: id, sectorSize: SECTOR_BYTES, id: diskId, partitions, warnings };
  if (errors.length > 0) table.errors = errors;
  return table;
}

type Make = (number: number, start: bigint, sectors: bigint, e: MbrEntry) => Partition;

/**
 * Walks one EBR chain. Bounded three ways: a visited set of EBR offsets (cycles), every EBR must lie
 * inside the extended partition, and at most MAX_MBR_LOGICAL_PARTITIONS hops in total. A bad link
 * ends the chain with a typed error; the logical partitions found so far are kept.
 */
async function readEbrChain(
  source: BlockSource,
  ext: MbrEntry,
  firstNumber: number,
  budget: { left: number; max: number },
  out: Partition[],
  warnings: string[],
  errors: ScanError[],
  make: Make,
  signal: AbortSignal | undefined,
): Promise<number> {
  const extStart = BigInt(ext.lbaStart);
  const extEnd = extStart + BigInt(ext.sectors); // exclusive
  const visited = new Set<bigint>();
  let number = firstNumber;
  let ebr = extStart;
  const fail = (err: ScanError) => {
    errors.push(err);
    warnings.push(`mbr: extended partition ${ext.slot + 1}: ${err.message}`);
  };
  for (;;) {
    checkAborted(signal);
    const loc: FormatLocation = { format: id, struct: 'EBR', offset: ebr * BigInt(SECTOR_BYTES) };
    if (visited.has(ebr)) {
      fail(new CorruptError({ ...loc, field: 'next EBR' }, `sector ${ebr}`, 'already', 'visited (cycle)'));
      break;
    }
    if (ebr < extStart || ebr >= extEnd) {
      fail(
        new CorruptError(
          { ...loc, field: 'next EBR' },
          `sector ${ebr}`,
          'outside',
          `extended ${extStart}..${extEnd - 1n}`,
        ),
      );
      break;
    }
    if (budget.left <= 0) {
      fail(
        new LimitExceededError(
          { ...loc, field: 'logical partitions' },
          'MAX_MBR_LOGICAL_PARTITIONS',
          budget.max + 1,
          budget.max,
        ),
      );
      break;
    }
    budget.left--;
    visited.add(ebr);
    let table: MbrSector;
    try {
      const sector = await source.read(ebr * BigInt(SECTOR_BYTES), SECTOR_BYTES, signal);
      table = decodeMbrSector(sector, ebr * BigInt(SECTOR_BYTES), 'EBR');
    } catch (err) {
      if (err instanceof CorruptError) {
        fail(err);
        break;
      }
      throw err;
    }
    const [logical, link] = table.entries as [MbrEntry, MbrEntry];
    if (logical.type !== 0 && logical.sectors > 0) {
      const start = ebr + BigInt(logical.lbaStart);
      const end = start + BigInt(logical.sectors);
      if (logical.lbaStart === 0 || end > extEnd) {
        const err = new CorruptError(
          { ...loc, field: 'logical partition' },
          `sectors ${start}..${end - 1n}`,
          'outside',
          `extended ${extStart}..${extEnd - 1n}`,
        );
        errors.push(err);
        warnings.push(`mbr: logical partition ${number} dropped: ${err.message}`);
      } else {
        out.push(make(number, start, BigInt(logical.sectors), logical));
      }
      number++;
    }
    if (link.type === 0 || link.sectors === 0 || !EXTENDED_TYPES.has(link.type)) break;
    ebr = extStart + BigInt(link.lbaStart);
  }
  return number;
}

export const scheme: PartitionScheme = {
  id,
  displayName,
  specUrls,
  version,
  read: readMbr,
};
