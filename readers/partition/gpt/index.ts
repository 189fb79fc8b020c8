/**
 * GUID Partition Table (UEFI Specification 2.10, §5.3 "GUID Partition Table (GPT) Disk Layout").
 *   https://uefi.org/specs/UEFI/2.10/05_GUID_Partition_Table_Format.html
 *
 * Logical sector size 512 or 4096: the header sits at LBA 1, so its byte offset is the sector size
 * (0x200 or 0x1000); we look for "EFI PART" at both. The backup header is at the last LBA of the
 * disk, its entry array just before it.
 *
 *   LBA 0          protective MBR (one 0xEE entry covering the disk)
 *   LBA 1          GPT header (primary)
 *   LBA 2..        partition entry array (NumberOfPartitionEntries × SizeOfPartitionEntry)
 *   …              partitions (FirstUsableLBA .. LastUsableLBA)
 *   LBA n-1-k..    backup entry array
 *   LBA n-1        GPT header (backup)
 *
 * Header (§5.3.2, little-endian):
 *   0x00  8  Signature "EFI PART"           0x38 16  DiskGUID
 *   0x08  4  Revision (0x00010000)          0x48  8  PartitionEntryLBA
 *   0x0C  4  HeaderSize (92 .. sector)      0x50  4  NumberOfPartitionEntries
 *   0x10  4  HeaderCRC32 (field zeroed)     0x54  4  SizeOfPartitionEntry (128 × 2^n)
 *   0x14  4  Reserved (0)                   0x58  4  PartitionEntryArrayCRC32
 *   0x18  8  MyLBA       0x20 8 AlternateLBA
 *   0x28  8  FirstUsableLBA   0x30 8 LastUsableLBA
 *
 * Entry (§5.3.3): 0x00 16 PartitionTypeGUID (all zero = unused) · 0x10 16 UniquePartitionGUID ·
 *   0x20 8 StartingLBA · 0x28 8 EndingLBA (inclusive) · 0x30 8 Attributes · 0x38 72 name (UTF-16LE)
 *
 * Both CRCs are checked (unlike go-disk's gpt.go, which trusts the header counts): a bad primary
 * header or entry array falls back to the backup with a warning. A bad entry is dropped with a typed
 * error; the other entries are kept.
 */
import {
  BadMagicError,
  CorruptError,
  checkAborted,
  FormatError,
  type FormatLocation,
  LimitExceededError,
  type ScanError,
  TruncatedError,
} from '../../../engine/errors.js';
import { DEFAULT_LIMITS, type Limits } from '../../../engine/limits.js';
import { SliceSource } from '../../block/slice.js';
import type { BlockSource } from '../../block/types.js';
import { crc32 } from '../../bytes/crc32.js';
import { Cursor } from '../../bytes/cursor.js';
import { decodeMbrSector, mbrSanityProblem } from '../mbr/index.js';
import type { Partition, PartitionScheme, PartitionTable, ReadOptions } from '../types.js';

export const id = 'gpt';
export const displayName = 'GUID Partition Table';
export const specUrls = ['https://uefi.org/specs/UEFI/2.10/05_GUID_Partition_Table_Format.html'] as const;
export const version = 1;

const SIGNATURE = Buffer.from('EFI PART', 'latin1');
const HEADER_MIN_BYTES = 92;
const ENTRY_MIN_BYTES = 128;
export const SECTOR_SIZES = [512, 4096] as const;

export interface GptHeader {
  readonly sectorSize: number;
  readonly revision: number;
  readonly headerSize: number;
  readonly headerCrc: number;
  readonly myLba: bigint;
  readonly alternateLba: bigint;
  readonly firstUsableLba: bigint;
  readonly lastUsableLba: bigint;
  readonly diskGuid: string;
  readonly entryLba: bigint;
  readonly entryCount: number;
  readonly entrySize: number;
  readonly entryArrayCrc: number;
}

export interface GptEntry {
  /** 0-based slot in the entry array; the partition number is index + 1. */
  readonly index: number;
  readonly typeGuid: string;
  readonly uniqueGuid: string;
  readonly startLba: bigint;
  /** Inclusive. */
  readonly endLba: bigint;
  readonly attributes: bigint;
  readonly name: string;
}

/** Mixed-endian GUID (§Appendix A): the first three fields little-endian, the rest as stored. */
export function formatGuid(b: Buffer): string {
  const h = (x: Buffer) => x.toString('hex');
  const le = (x: Buffer) => Buffer.from(x).reverse().toString('hex');
  return `${le(b.subarray(0, 4))}-${le(b.subarray(4, 6))}-${le(b.subarray(6, 8))}-${h(b.subarray(8, 10))}-${h(b.subarray(10, 16))}`;
}

function isZero(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/**
 * Decodes and validates one GPT header sector read at `lba`. `lastLba` is the disk's last LBA at
 * this sector size. Throws BadMagicError (no signature), CorruptError (CRC, cross-field checks),
 * LimitExceededError (entry count/size).
 */
export function decodeGptHeader(
  sector: Buffer,
  lba: bigint,
  sectorSize: number,
  lastLba: bigint,
  limits: Limits = DEFAULT_LIMITS,
  /** Accept a LastUsableLBA past the end: the last resort on a disk image cut short. */
  shortDisk = false,
): GptHeader {
  const base = lba * BigInt(sectorSize);
  const c = new Cursor(sector, { base, format: id, struct: 'header' });
  const sig = c.bytesAt(0, 8, 'signature');
  if (!sig.equals(SIGNATURE)) {
    throw new BadMagicError(c.loc('signature', 0), JSON.stringify(sig.toString('latin1')), '"EFI PART"');
  }
  const revision = c.u32leAt(8, 'revision');
  const headerSize = c.u32leAt(12, 'header size');
  if (headerSize < HEADER_MIN_BYTES || headerSize > sectorSize) {
    throw new CorruptError(
      c.loc('header size', 12),
      headerSize,
      'outside',
      `${HEADER_MIN_BYTES}..${sectorSize}`,
    );
  }
  const headerCrc = c.u32leAt(16, 'header CRC32');
  // §5.3.2: the CRC covers HeaderSize bytes with the CRC field itself zeroed.
  const copy = Buffer.from(c.bytesAt(0, headerSize, 'header'));
  copy.writeUInt32LE(0, 16);
  const actualCrc = crc32(copy);
  if (actualCrc !== headerCrc) {
    throw new CorruptError(c.loc('header CRC32', 16), hex32(actualCrc), '!=', hex32(headerCrc));
  }
  const myLba = c.u64leAt(24, 'MyLBA');
  if (myLba !== lba) throw new CorruptError(c.loc('MyLBA', 24), myLba, '!=', lba);
  const alternateLba = c.u64leAt(32, 'AlternateLBA');
  const firstUsableLba = c.u64leAt(40, 'FirstUsableLBA');
  const lastUsableLba = c.u64leAt(48, 'LastUsableLBA');
  if (firstUsableLba > lastUsableLba + 1n) {
    throw new CorruptError(
      c.loc('FirstUsableLBA', 40),
      firstUsableLba,
      '>',
      `LastUsableLBA+1 ${lastUsableLba + 1n}`,
    );
  }
  if (lastUsableLba > lastLba && !shortDisk) {
    throw new CorruptError(c.loc('LastUsableLBA', 48), lastUsableLba, '>', `last disk LBA ${lastLba}`);
  }
  const diskGuid = formatGuid(c.bytesAt(56, 16, 'DiskGUID'));
  const entryLba = c.u64leAt(72, 'PartitionEntryLBA');
  const entryCount = c.u32leAt(80, 'NumberOfPartitionEntries');
  const entrySize = c.u32leAt(84, 'SizeOfPartitionEntry');
  const entryArrayCrc = c.u32leAt(88, 'PartitionEntryArrayCRC32');
  if (entryCount > limits.MAX_GPT_ENTRIES) {
    throw new LimitExceededError(
      c.loc('NumberOfPartitionEntries', 80),
      'MAX_GPT_ENTRIES',
      entryCount,
      limits.MAX_GPT_ENTRIES,
    );
  }
  // §5.3.2: SizeOfPartitionEntry is 128 × 2^n.
  if (
    entrySize < ENTRY_MIN_BYTES ||
    entrySize % ENTRY_MIN_BYTES !== 0 ||
    !isPow2(entrySize / ENTRY_MIN_BYTES)
  ) {
    throw new CorruptError(c.loc('SizeOfPartitionEntry', 84), entrySize, 'is not', '128 × 2^n');
  }
  if (entrySize > limits.MAX_GPT_ENTRY_BYTES) {
    throw new LimitExceededError(
      c.loc('SizeOfPartitionEntry', 84),
      'MAX_GPT_ENTRY_BYTES',
      entrySize,
      limits.MAX_GPT_ENTRY_BYTES,
    );
  }
  const arrayBytes = BigInt(entryCount) * BigInt(entrySize);
  const arraySectors = (arrayBytes + BigInt(sectorSize) - 1n) / BigInt(sectorSize);
  if (entryLba < 1n || entryLba + arraySectors - 1n > lastLba) {
    throw new CorruptError(
      c.loc('PartitionEntryLBA', 72),
      `${entryLba}+${arraySectors}`,
      'outside',
      `disk LBA 1..${lastLba}`,
    );
  }
  return Object.freeze({
    sectorSize,
    revision,
    headerSize,
    headerCrc,
    myLba,
    alternateLba,
    firstUsableLba,
    lastUsableLba,
    diskGuid,
    entryLba,
    entryCount,
    entrySize,
    entryArrayCrc,
  });
}

/** Decodes one entry; returns null for an unused slot (type GUID all zero). */
export function decodeGptEntry(c: Cursor, at: number, index: number): GptEntry | null {
  const type = c.bytesAt(at, 16, 'PartitionTypeGUID');
  if (isZero(type)) return null;
  const nameBytes = c.bytesAt(at + 56, 72, 'PartitionName');
  let end = 0;
  while (end + 1 < nameBytes.length && (nameBytes[end] !== 0 || nameBytes[end + 1] !== 0)) end += 2;
  return Object.freeze({
    index,
    typeGuid: formatGuid(type),
    uniqueGuid: formatGuid(c.bytesAt(at + 16, 16, 'UniquePartitionGUID')),
    startLba: c.u64leAt(at + 32, 'StartingLBA'),
    endLba: c.u64leAt(at + 40, 'EndingLBA'),
    attributes: c.u64leAt(at + 48, 'Attributes'),
    name: nameBytes.subarray(0, end).toString('utf16le'),
  });
}

function isPow2(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

function hex32(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

interface LoadedTable {
  header: GptHeader;
  entries: GptEntry[];
}

/** Reads and checks one header and its entry array (both CRCs). */
async function loadAt(
  source: BlockSource,
  sectorSize: number,
  lba: bigint,
  limits: Limits,
  signal: AbortSignal | undefined,
  onHeader?: (h: GptHeader) => void,
  shortDisk = false,
): Promise<LoadedTable> {
  const lastLba = source.size / BigInt(sectorSize) - 1n;
  const off = lba * BigInt(sectorSize);
  if (lba < 1n || lba > lastLba) {
    throw new TruncatedError({ format: id, struct: 'header', offset: off }, sectorSize, source.size - off);
  }
  const sector = await source.read(off, sectorSize, signal);
  const header = decodeGptHeader(sector, lba, sectorSize, lastLba, limits, shortDisk);
  onHeader?.(header);
  const arrayBytes = header.entryCount * header.entrySize; // bounded by the limits above
  const arrayOff = header.entryLba * BigInt(sectorSize);
  const array = arrayBytes === 0 ? Buffer.alloc(0) : await source.read(arrayOff, arrayBytes, signal);
  const actual = crc32(array);
  if (actual !== header.entryArrayCrc) {
    throw new CorruptError(
      { format: id, struct: 'partition entry array', offset: arrayOff, field: 'PartitionEntryArrayCRC32' },
      hex32(actual),
      '!=',
      hex32(header.entryArrayCrc),
    );
  }
  const c = new Cursor(array, { base: arrayOff, format: id, struct: 'partition entry' });
  const entries: GptEntry[] = [];
  for (let i = 0; i < header.entryCount; i++) {
    checkAborted(signal);
    const e = decodeGptEntry(c, i * header.entrySize, i);
    if (e) entries.push(e);
  }
  return { header, entries };
}

/** The protective MBR's 0xEE entry, if any: its end LBA is a hint for the backup header. */
function protectiveEnd(lba0: Buffer): bigint | null {
  if (lba0.length < 512 || lba0[510] !== 0x55 || lba0[511] !== 0xaa) return null;
  for (let i = 0; i < 4; i++) {
    const at = 446 + i * 16;
    if (lba0[at + 4] === 0xee) {
      const start = BigInt(lba0.readUInt32LE(at + 8));
      const count = BigInt(lba0.readUInt32LE(at + 12));
      return start + count - 1n;
    }
  }
  return null;
}

function hasSaneMbr(lba0: Buffer, diskBytes: bigint): boolean {
  if (lba0.length < 512 || lba0[510] !== 0x55 || lba0[511] !== 0xaa) return false;
  const table = decodeMbrSector(lba0.subarray(0, 512), 0n);
  return mbrSanityProblem(table, diskBytes / 512n) === null;
}

/** True when LBA 1 (at either sector size) carries a GPT signature; for "stale GPT" warnings. */
export function hasGptSignature(head: Buffer): boolean {
  return SECTOR_SIZES.some((ss) => hasSignatureAt(head, ss));
}

function hasSignatureAt(buf: Buffer, at: number): boolean {
  return buf.length >= at + 8 && buf.subarray(at, at + 8).equals(SIGNATURE);
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Reads the GPT of `source`. Returns null when there is neither a GPT signature at LBA 1 (for 512 or
 * 4096-byte sectors) nor a protective MBR. Throws when a GPT is present but neither header is usable.
 */
export async function readGpt(source: BlockSource, opts: ReadOptions = {}): Promise<PartitionTable | null> {
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const signal = opts.signal;
  const headLen = Number(source.size < 8192n ? source.size : 8192n);
  if (headLen < 1024) return null;
  const head = await source.read(0n, headLen, signal);
  const pmbrEnd = protectiveEnd(head);
  const warnings: string[] = [];

  const withPrimary = SECTOR_SIZES.filter((ss) => hasSignatureAt(head, ss));
  if (withPrimary.length === 0 && pmbrEnd === null) return null;
  // Linux (block/partitions/efi.c) ignores a GPT unless LBA 0 is a protective MBR: a disk
  // repartitioned as DOS can keep a stale GPT header. A sane MBR without 0xEE wins; with no MBR at
  // all the GPT is still read.
  if (pmbrEnd === null && hasSaneMbr(head, source.size)) return null;

  let primaryError: unknown = null;
  // AlternateLBA of a primary header whose own CRC checked out (only its entry array was bad): the
  // backup location on a grown disk, where the last LBA holds nothing yet.
  const alternates = new Map<number, bigint>();
  for (const ss of withPrimary) {
    try {
      const t = await loadAt(source, ss, 1n, limits, signal, (h) => alternates.set(ss, h.alternateLba));
      return build(source, t, warnings);
    } catch (err) {
      // Only a bad structure falls back to the backup; an I/O failure or an abort propagates.
      if (!(err instanceof FormatError)) throw err;
      primaryError ??= err;
      warnings.push(`gpt: primary header (sector size ${ss}) unusable: ${errMessage(err)}`);
    }
  }
  if (withPrimary.length === 0) {
    warnings.push('gpt: protective MBR present but no primary header at LBA 1');
  }

  // Backup: the checked primary's AlternateLBA, then the disk's last LBA, then the protective MBR's
  // end (a disk grown without moving the backup, e.g. an enlarged EBS volume before growpart).
  const sizes = withPrimary.length > 0 ? withPrimary : SECTOR_SIZES;
  for (const ss of sizes) {
    const lastLba = source.size / BigInt(ss) - 1n;
    const candidates = new Set<bigint>();
    const alt = alternates.get(ss);
    if (alt !== undefined && alt >= 2n && alt <= lastLba) candidates.add(alt);
    candidates.add(lastLba);
    if (pmbrEnd !== null && pmbrEnd >= 2n && pmbrEnd <= lastLba) candidates.add(pmbrEnd);
    for (const lba of candidates) {
      checkAborted(signal);
      try {
        const sector = await source.read(lba * BigInt(ss), ss, signal);
        if (!hasSignatureAt(sector, 0)) continue;
        const t = await loadAt(source, ss, lba, limits, signal);
        warnings.push(`gpt: using backup header at LBA ${lba} (sector size ${ss})`);
        return build(source, t, warnings);
      } catch (err) {
        if (!(err instanceof FormatError)) throw err;
        primaryError ??= err;
        warnings.push(`gpt: backup header at LBA ${lba} (sector size ${ss}) unusable: ${errMessage(err)}`);
      }
    }
  }
  // Last resort, a disk cut short (a truncated image, a snapshot of a shrunk volume): the primary
  // header's CRCs hold but its LastUsableLBA and the backup lie past the end. Keep the partitions
  // that start on the disk (the last one clamped) and say the table is damaged: a root filesystem
  // whose package database still lies inside the disk yields its packages, as a partial scan.
  for (const ss of withPrimary) {
    checkAborted(signal);
    try {
      const t = await loadAt(source, ss, 1n, limits, signal, undefined, true);
      const lastLba = source.size / BigInt(ss) - 1n;
      if (t.header.lastUsableLba <= lastLba) continue;
      warnings.push(
        `gpt: disk ends at LBA ${lastLba}, before the header's LastUsableLBA ${t.header.lastUsableLba}: partitions kept up to the end`,
      );
      const shortError = new TruncatedError(
        { format: id, struct: 'header', offset: BigInt(ss), field: 'LastUsableLBA' },
        (t.header.lastUsableLba + 1n) * BigInt(ss),
        source.size,
      );
      return build(source, t, warnings, shortError);
    } catch (err) {
      if (!(err instanceof FormatError)) throw err;
    }
  }
  if (primaryError) throw primaryError;
  throw new CorruptError(
    { format: id, struct: 'header', offset: 512, field: 'signature' },
    'none',
    'found; expected',
    'a GPT header behind the protective MBR',
  );
}

function build(
  source: BlockSource,
  t: LoadedTable,
  warnings: string[],
  /** Set when the disk is shorter than the header says: entries running past the end are clamped. */
  shortDisk?: TruncatedError,
): PartitionTable {
  const { header } = t;
  const ss = BigInt(header.sectorSize);
  const lastLba = source.size / ss - 1n;
  const partitions: Partition[] = [];
  const errors: ScanError[] = shortDisk ? [shortDisk] : [];
  for (const e of t.entries) {
    const number = e.index + 1;
    const loc: FormatLocation = {
      format: id,
      struct: `partition entry ${number}`,
      offset: header.entryLba * ss + BigInt(e.index * header.entrySize),
    };
    let err: ScanError | null = null;
    let endLba = e.endLba;
    if (
      shortDisk &&
      e.startLba >= 1n &&
      e.startLba <= lastLba &&
      e.endLba > lastLba &&
      e.endLba >= e.startLba
    ) {
      endLba = lastLba;
      const cut = new TruncatedError(
        { ...loc, field: 'EndingLBA' },
        (e.endLba - e.startLba + 1n) * ss,
        (lastLba - e.startLba + 1n) * ss,
      );
      errors.push(cut);
      warnings.push(`gpt: partition ${number} cut at the end of the disk: ${cut.message}`);
    }
    if (e.endLba < e.startLba) {
      err = new CorruptError({ ...loc, field: 'EndingLBA' }, e.endLba, '<', `StartingLBA ${e.startLba}`);
    } else if (endLba > lastLba || e.startLba < 1n) {
      err = new CorruptError(
        { ...loc, field: 'LBA range' },
        `${e.startLba}..${e.endLba}`,
        'outside',
        `disk 1..${lastLba}`,
      );
    }
    if (err) {
      errors.push(err);
      warnings.push(`gpt: partition ${number} dropped: ${err.message}`);
      continue;
    }
    if (e.startLba < header.firstUsableLba || endLba > header.lastUsableLba) {
      warnings.push(
        `gpt: partition ${number} (${e.startLba}..${e.endLba}) outside the usable range ${header.firstUsableLba}..${header.lastUsableLba}`,
      );
    }
    const start = e.startLba * ss;
    const size = (endLba - e.startLba + 1n) * ss;
    const p: Partition = {
      number,
      scheme: id,
      start,
      size,
      type: e.typeGuid,
      uuid: e.uniqueGuid,
      flags: `0x${e.attributes.toString(16)}`,
      source: new SliceSource(source, start, size, `p${number}`),
    };
    if (e.name !== '') p.name = e.name;
    partitions.push(p);
  }
  // Overlaps are reported, not resolved: each partition is still probed.
  const sorted = [...partitions].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (cur.start < prev.start + prev.size) {
      warnings.push(`gpt: partitions ${prev.number} and ${cur.number} overlap`);
    }
  }
  const table: PartitionTable = {
    scheme: id,
    sectorSize: header.sectorSize,
    id: header.diskGuid,
    partitions,
    warnings,
  };
  if (errors.length > 0) table.errors = errors;
  return table;
}

export const scheme: PartitionScheme = {
  id,
  displayName,
  specUrls,
  version,
  read: readGpt,
};
