/**
 * Test helpers for the partition layer: an in-memory BlockSource with a read log, builders for
 * crafted GPT / MBR / LVM2 bytes (with correct CRCs, so one field at a time can be broken), and a
 * cached runner for images made with sgdisk / sfdisk / fdisk on a plain file (no root, no losetup).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TruncatedError } from '../../../engine/errors.js';
import type { BlockSource } from '../../../readers/block/types.js';
import { crc32 } from '../../../readers/bytes/crc32.js';
import { lvmCrc } from '../../../readers/partition/lvm2/index.js';
import { TEST_CACHE } from '../../helpers/paths.js';

export class MemorySource implements BlockSource {
  readonly size: bigint;
  readonly blockSize = 4096;
  readonly log: { offset: bigint; length: number }[] = [];
  constructor(
    readonly buf: Buffer,
    readonly id = 'mem',
  ) {
    this.size = BigInt(buf.length);
  }
  async read(offset: bigint, length: number): Promise<Buffer> {
    this.log.push({ offset, length });
    if (offset < 0n || length < 0 || offset + BigInt(length) > this.size) {
      throw new TruncatedError(
        { format: 'block', struct: this.id, offset, field: 'read' },
        length,
        this.size - offset,
      );
    }
    return Buffer.from(this.buf.subarray(Number(offset), Number(offset) + length));
  }
  bytesRead(): number {
    return this.log.reduce((a, r) => a + r.length, 0);
  }
}

export function haveTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Builds `name` once into .cache/partition/, keyed by the generator's inputs (the script text).
 * The script runs with $IMG set to a temp path, renamed into place on success.
 */
export function cachedImage(name: string, script: string): string {
  const dir = join(TEST_CACHE, 'partition');
  mkdirSync(dir, { recursive: true });
  const key = createHash('sha256').update(script).digest('hex').slice(0, 12);
  const out = join(dir, `${name}-${key}.img`);
  if (existsSync(out)) return out;
  const tmp = `${out}.tmp-${process.pid}`;
  rmSync(tmp, { force: true });
  execFileSync('bash', ['-euo', 'pipefail', '-c', script], {
    env: { ...process.env, IMG: tmp },
    stdio: 'pipe',
  });
  renameSync(tmp, out);
  return out;
}

// ---------------------------------------------------------------------------------------------
// GUIDs

export function guidBytes(guid: string): Buffer {
  const h = guid.replace(/-/g, '');
  const b = Buffer.from(h, 'hex');
  // Mixed endian: the first three groups are little-endian on disk.
  return Buffer.concat([
    Buffer.from(b.subarray(0, 4)).reverse(),
    Buffer.from(b.subarray(4, 6)).reverse(),
    Buffer.from(b.subarray(6, 8)).reverse(),
    b.subarray(8, 16),
  ]);
}

export const LINUX_FS_GUID = '0fc63daf-8483-4772-8e79-3d69d8477de4';
export const LINUX_LVM_GUID = 'e6d6d379-f507-44c2-a23c-238f2a3df928';

// ---------------------------------------------------------------------------------------------
// GPT builder

export interface GptEntrySpec {
  type?: string;
  uuid?: string;
  start: bigint | number;
  /** Inclusive. */
  end: bigint | number;
  name?: string;
  attrs?: bigint;
  /** Slot in the array (default: its position in the list). */
  slot?: number;
}

export interface GptSpec {
  sectorSize: 512 | 4096;
  diskBytes: number;
  entries: GptEntrySpec[];
  entryCount?: number;
  entrySize?: number;
  diskGuid?: string;
}

export interface GptLayout {
  buf: Buffer;
  ss: number;
  lastLba: number;
  primaryHeader: number;
  primaryArray: number;
  backupHeader: number;
  backupArray: number;
  arrayBytes: number;
}

function writeHeader(
  buf: Buffer,
  at: number,
  f: {
    my: number;
    alt: number;
    first: number;
    last: number;
    entryLba: number;
    count: number;
    size: number;
    arrayCrc: number;
    guid: string;
  },
): void {
  buf.fill(0, at, at + 92);
  buf.write('EFI PART', at, 'latin1');
  buf.writeUInt32LE(0x00010000, at + 8);
  buf.writeUInt32LE(92, at + 12);
  buf.writeBigUInt64LE(BigInt(f.my), at + 24);
  buf.writeBigUInt64LE(BigInt(f.alt), at + 32);
  buf.writeBigUInt64LE(BigInt(f.first), at + 40);
  buf.writeBigUInt64LE(BigInt(f.last), at + 48);
  guidBytes(f.guid).copy(buf, at + 56);
  buf.writeBigUInt64LE(BigInt(f.entryLba), at + 72);
  buf.writeUInt32LE(f.count, at + 80);
  buf.writeUInt32LE(f.size, at + 84);
  buf.writeUInt32LE(f.arrayCrc, at + 88);
  fixGptHeaderCrc(buf, at);
}

/** Recomputes the header CRC after a field was edited (so only the intended check fails). */
export function fixGptHeaderCrc(buf: Buffer, at: number): void {
  const size = buf.readUInt32LE(at + 12);
  buf.writeUInt32LE(0, at + 16);
  buf.writeUInt32LE(crc32(buf.subarray(at, at + size)), at + 16);
}

/** A whole disk: protective MBR, primary header + array, backup array + header. */
export function buildGpt(spec: GptSpec): GptLayout {
  const ss = spec.sectorSize;
  const count = spec.entryCount ?? 128;
  const esize = spec.entrySize ?? 128;
  const buf = Buffer.alloc(spec.diskBytes);
  const lastLba = spec.diskBytes / ss - 1;
  const arrayBytes = count * esize;
  const arraySectors = Math.ceil(arrayBytes / ss);
  // Protective MBR.
  buf.writeUInt8(0xee, 446 + 4);
  buf.writeUInt32LE(1, 446 + 8);
  buf.writeUInt32LE(Math.min(lastLba, 0xffffffff), 446 + 12);
  buf.writeUInt16BE(0x55aa, 510);
  const array = Buffer.alloc(arrayBytes);
  spec.entries.forEach((e, i) => {
    const at = (e.slot ?? i) * esize;
    guidBytes(e.type ?? LINUX_FS_GUID).copy(array, at);
    guidBytes(e.uuid ?? `00000000-0000-4000-8000-${(i + 1).toString(16).padStart(12, '0')}`).copy(
      array,
      at + 16,
    );
    array.writeBigUInt64LE(BigInt(e.start), at + 32);
    array.writeBigUInt64LE(BigInt(e.end), at + 40);
    array.writeBigUInt64LE(e.attrs ?? 0n, at + 48);
    if (e.name) array.write(e.name.slice(0, 36), at + 56, 'utf16le');
  });
  const arrayCrc = crc32(array);
  const first = 2 + arraySectors;
  const last = lastLba - 1 - arraySectors;
  const guid = spec.diskGuid ?? '11111111-2222-4333-8444-555555555555';
  const primaryArray = 2 * ss;
  const backupArray = (lastLba - arraySectors) * ss;
  array.copy(buf, primaryArray);
  array.copy(buf, backupArray);
  writeHeader(buf, ss, { my: 1, alt: lastLba, first, last, entryLba: 2, count, size: esize, arrayCrc, guid });
  writeHeader(buf, lastLba * ss, {
    my: lastLba,
    alt: 1,
    first,
    last,
    entryLba: lastLba - arraySectors,
    count,
    size: esize,
    arrayCrc,
    guid,
  });
  return {
    buf,
    ss,
    lastLba,
    primaryHeader: ss,
    primaryArray,
    backupHeader: lastLba * ss,
    backupArray,
    arrayBytes,
  };
}

// ---------------------------------------------------------------------------------------------
// MBR builder

export interface MbrEntrySpec {
  status?: number;
  type: number;
  start: number;
  sectors: number;
}

/** Writes a 4-entry table + 55AA into the sector at byte `at` of `buf`. */
export function writeMbrSector(buf: Buffer, at: number, entries: MbrEntrySpec[], signature?: number): void {
  entries.forEach((e, i) => {
    const o = at + 446 + i * 16;
    buf.writeUInt8(e.status ?? 0, o);
    buf.writeUInt8(e.type, o + 4);
    buf.writeUInt32LE(e.start, o + 8);
    buf.writeUInt32LE(e.sectors, o + 12);
  });
  if (signature !== undefined) buf.writeUInt32LE(signature, at + 440);
  buf.writeUInt16BE(0x55aa, at + 510);
}

// ---------------------------------------------------------------------------------------------
// LVM2 PV builder

export interface PvSpec {
  bytes: number;
  /** 32 characters, no dashes. */
  uuid: string;
  /** Metadata text (the VG); omitted → orphan PV. */
  metadata?: string;
  mdaOffset?: number;
  mdaSize?: number;
  peStartBytes?: number;
  labelSector?: number;
  /** Put the text so that it wraps around the end of the metadata area. */
  wrap?: boolean;
}

export function lvmUuid(raw: string): string {
  const cuts = [6, 4, 4, 4, 4, 4, 6];
  let at = 0;
  return cuts
    .map((c) => {
      const s = raw.slice(at, at + c);
      at += c;
      return s;
    })
    .join('-');
}

/** A PV image: label (sector 1 by default), PV header, mda header and text with correct CRCs. */
export function buildPv(spec: PvSpec): Buffer {
  const buf = Buffer.alloc(spec.bytes);
  const mdaOffset = spec.mdaOffset ?? 4096;
  const mdaSize = spec.mdaSize ?? 1024 * 1024 - 4096;
  const peStart = spec.peStartBytes ?? 1024 * 1024;
  const ls = (spec.labelSector ?? 1) * 512;
  buf.write('LABELONE', ls, 'latin1');
  buf.writeBigUInt64LE(BigInt(spec.labelSector ?? 1), ls + 8);
  buf.writeUInt32LE(32, ls + 20);
  buf.write('LVM2 001', ls + 24, 'latin1');
  const h = ls + 32;
  buf.write(spec.uuid, h, 'latin1');
  buf.writeBigUInt64LE(BigInt(spec.bytes), h + 32);
  buf.writeBigUInt64LE(BigInt(peStart), h + 40); // data area
  buf.writeBigUInt64LE(0n, h + 48);
  // terminator at h+56..h+72, then the metadata area list
  buf.writeBigUInt64LE(BigInt(mdaOffset), h + 72);
  buf.writeBigUInt64LE(BigInt(mdaSize), h + 80);
  fixLabelCrc(buf, ls);
  // mda header
  buf.fill(0, mdaOffset, mdaOffset + 512);
  buf.write(' LVM2 x[5A%r0N*>', mdaOffset + 4, 'latin1');
  buf.writeUInt32LE(1, mdaOffset + 20);
  buf.writeBigUInt64LE(BigInt(mdaOffset), mdaOffset + 24);
  buf.writeBigUInt64LE(BigInt(mdaSize), mdaOffset + 32);
  if (spec.metadata !== undefined) {
    const text = Buffer.from(`${spec.metadata}\0`, 'utf8');
    let off = 512;
    if (spec.wrap) {
      // Start 100 bytes before the end so the rest continues right after the mda header.
      off = mdaSize - 100;
      text.copy(buf, mdaOffset + off, 0, 100);
      text.copy(buf, mdaOffset + 512, 100);
    } else {
      text.copy(buf, mdaOffset + off);
    }
    buf.writeBigUInt64LE(BigInt(off), mdaOffset + 40);
    buf.writeBigUInt64LE(BigInt(text.length), mdaOffset + 48);
    buf.writeUInt32LE(lvmCrc(text), mdaOffset + 56);
  }
  fixMdaCrc(buf, mdaOffset);
  return buf;
}

export function fixLabelCrc(buf: Buffer, labelAt: number): void {
  buf.writeUInt32LE(lvmCrc(buf.subarray(labelAt + 20, labelAt + 512)), labelAt + 16);
}

export function fixMdaCrc(buf: Buffer, mdaAt: number): void {
  buf.writeUInt32LE(lvmCrc(buf.subarray(mdaAt + 4, mdaAt + 512)), mdaAt);
}

/** Fills every 4 KiB block of `buf` with a tag naming its (pv, byte offset), for mapping checks. */
export function tagBlocks(buf: Buffer, pv: string, from: number): void {
  for (let at = from; at + 4096 <= buf.length; at += 4096)
    buf.write(`${pv}@${at}`.padEnd(32, '.'), at, 'latin1');
}
