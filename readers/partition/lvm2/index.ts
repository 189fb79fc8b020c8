/**
 * LVM2 physical volumes and their logical volumes (LVM2 on-disk format "LVM2 001", text metadata
 * format version 1).
 *   lvm2 lib/label/label.h, lib/format_text/layout.h, lib/format_text/format-text.c
 *   https://github.com/lvmteam/lvm2/blob/main/lib/format_text/layout.h
 *   https://man7.org/linux/man-pages/man8/lvm.8.html, `man lvmcache`/`lvmraid` for segment types
 *
 * All integers little-endian; "sector" = 512 bytes regardless of the disk's logical sector size.
 *
 *   PV offset
 *   0x000..0x7FF  label in one of sectors 0..3 (normally sector 1, 0x200):
 *       0x00 8 "LABELONE" · 0x08 8 sector_xl (= this sector) · 0x10 4 crc_xl (bytes 0x14..0x1FF)
 *       0x14 4 offset_xl (PV header offset in this sector, 32) · 0x18 8 "LVM2 001"
 *     PV header at label + offset_xl:
 *       0x00 32 PV UUID (no dashes) · 0x20 8 device size (bytes)
 *       disk_locn[] data areas     {u64 offset, u64 size} … {0,0}
 *       disk_locn[] metadata areas {u64 offset, u64 size} … {0,0}
 *   mda offset (usually 0x1000): mda_header, 512 bytes:
 *       0x00 4 checksum (bytes 0x04..0x1FF) · 0x04 16 magic " LVM2 x[5A%r0N*>" · 0x14 4 version (1)
 *       0x18 8 start (= mda offset) · 0x20 8 size · 0x28 raw_locn[] {u64 offset (from mda start),
 *       u64 size, u32 checksum (of the text), u32 flags (1 = ignored)} … {0,0,0,0}
 *     metadata text: a circular buffer after the header; a record that runs past the mda end
 *     continues at mda start + 512.
 *   pe_start (metadata, sectors): physical extent 0; extent i at pe_start + i × extent_size.
 *
 * Checksums use lvm2's calc_crc: CRC-32 (poly 0xEDB88320, reflected), initial 0xf597a6cf, no final
 * inversion. Supported segment types: striped (stripe_count 1 = linear) and linear; others
 * (thin, raid, mirror, cache, snapshot, vdo) give a warning and the LV is skipped.
 */
import {
  BadMagicError,
  CorruptError,
  checkAborted,
  FormatError,
  type FormatLocation,
  LimitExceededError,
  ScanError,
  TruncatedError,
  UnsupportedError,
} from '../../../engine/errors.js';
import { DEFAULT_LIMITS, type Limits } from '../../../engine/limits.js';
import { SliceSource } from '../../block/slice.js';
import type { BlockSource } from '../../block/types.js';
import { crc32 } from '../../bytes/crc32.js';
import { Cursor } from '../../bytes/cursor.js';
import type { Partition, PartitionScheme, PartitionTable, ReadOptions } from '../types.js';
import { type LvmSection, parseLvmConfig } from './config.js';
import { ConcatSource, StripeSource } from './sources.js';

export const id = 'lvm2';
export const displayName = 'LVM2 physical volume and logical volumes';
export const specUrls = [
  'https://github.com/lvmteam/lvm2/blob/main/lib/format_text/layout.h',
  'https://github.com/lvmteam/lvm2/blob/main/lib/label/label.h',
  'https://man7.org/linux/man-pages/man8/lvm.8.html',
] as const;
export const version = 1;

export { LvmSection, parseLvmConfig } from './config.js';
export { ConcatSource, StripeSource } from './sources.js';

const SECTOR = 512;
const LABEL_SCAN_SECTORS = 4;
const LABEL_ID = 'LABELONE';
const LABEL_TYPE = 'LVM2 001';
const MDA_MAGIC = Buffer.from(' LVM2 x[5A%r0N*>', 'latin1');
const MDA_HEADER_SIZE = 512;
const INITIAL_CRC = 0xf597a6cf;
const RAW_LOCN_IGNORED = 1;

/** lvm2 calc_crc: raw CRC-32 register update from 0xf597a6cf, without pre/post inversion. */
export function lvmCrc(data: Uint8Array, seed = INITIAL_CRC): number {
  // crc32(data, prev) computes ~update(~prev, data); feeding prev = ~seed gives ~update(seed, data).
  return ~crc32(data, ~seed >>> 0) >>> 0;
}

/** "Vynv4kAPH8xQERHSBb8VJ3SvFFPB5O1U" → "Vynv4k-APH8-xQER-HSBb-8VJ3-SvFF-PB5O1U" (lvm2's 6-4-4-4-4-4-6). */
export function formatLvmUuid(raw: string): string {
  if (raw.length !== 32) return raw;
  const cuts = [6, 4, 4, 4, 4, 4, 6];
  const out: string[] = [];
  let at = 0;
  for (const c of cuts) {
    out.push(raw.slice(at, at + c));
    at += c;
  }
  return out.join('-');
}

const stripDashes = (s: string) => s.replace(/-/g, '');

export interface DiskLocn {
  readonly offset: bigint;
  readonly size: bigint;
}

export interface PvLabel {
  /** Sector (0..3) holding the label. */
  readonly sector: number;
  readonly pvUuid: string;
  readonly deviceSize: bigint;
  readonly dataAreas: readonly DiskLocn[];
  readonly metadataAreas: readonly DiskLocn[];
}

/**
 * Decodes the label sector and PV header. Throws BadMagicError when the sector carries no LVM2
 * label, CorruptError on a CRC or layout problem.
 */
export function decodePvLabel(sectorBytes: Buffer, sector: number): PvLabel {
  const c = new Cursor(sectorBytes, { base: sector * SECTOR, format: id, struct: 'label header' });
  const magic = c.bytesAt(0, 8, 'id').toString('latin1');
  if (magic !== LABEL_ID) throw new BadMagicError(c.loc('id', 0), JSON.stringify(magic), LABEL_ID);
  const type = c.bytesAt(24, 8, 'type').toString('latin1');
  if (type !== LABEL_TYPE) throw new BadMagicError(c.loc('type', 24), JSON.stringify(type), LABEL_TYPE);
  const sectorXl = c.u64leAt(8, 'sector_xl');
  if (sectorXl !== BigInt(sector)) throw new CorruptError(c.loc('sector_xl', 8), sectorXl, '!=', sector);
  const crc = c.u32leAt(16, 'crc_xl');
  const actual = lvmCrc(c.bytesAt(20, SECTOR - 20, 'label'));
  if (actual !== crc) throw new CorruptError(c.loc('crc_xl', 16), hex32(actual), '!=', hex32(crc));
  const offset = c.u32leAt(20, 'offset_xl');
  if (offset < 32 || offset + 40 > SECTOR)
    throw new CorruptError(c.loc('offset_xl', 20), offset, 'outside', '32..472');
  const h = c.sub(offset, SECTOR - offset, 'PV header');
  const pvUuid = h.bytesAt(0, 32, 'pv_uuid').toString('latin1');
  if (!/^[A-Za-z0-9!#]{32}$/.test(pvUuid)) {
    throw new CorruptError(h.loc('pv_uuid', 0), JSON.stringify(pvUuid), 'is not', 'a 32-character LVM UUID');
  }
  const deviceSize = h.u64leAt(32, 'device_size_xl');
  h.seek(40);
  // Both lists end with a zero entry; the sector bounds them (the cursor throws TruncatedError).
  const list = (field: string): DiskLocn[] => {
    const out: DiskLocn[] = [];
    for (;;) {
      const off = h.u64le(`${field} offset`);
      const size = h.u64le(`${field} size`);
      if (off === 0n) return out;
      out.push(Object.freeze({ offset: off, size }));
    }
  };
  const dataAreas = list('data area');
  const metadataAreas = list('metadata area');
  return Object.freeze({
    sector,
    pvUuid: formatLvmUuid(pvUuid),
    deviceSize,
    dataAreas: Object.freeze(dataAreas),
    metadataAreas: Object.freeze(metadataAreas),
  });
}

export interface RawLocn {
  readonly offset: bigint;
  readonly size: bigint;
  readonly checksum: number;
  readonly flags: number;
}

export interface MdaHeader {
  readonly start: bigint;
  readonly size: bigint;
  readonly version: number;
  /** raw_locn[0] is the committed metadata. */
  readonly locations: readonly RawLocn[];
}

/** Decodes a metadata area header read at absolute offset `offset`. */
export function decodeMdaHeader(bytes: Buffer, offset: bigint): MdaHeader {
  const c = new Cursor(bytes, { base: offset, format: id, struct: 'mda header' });
  const magic = c.bytesAt(4, 16, 'magic');
  if (!magic.equals(MDA_MAGIC)) {
    throw new BadMagicError(
      c.loc('magic', 4),
      JSON.stringify(magic.toString('latin1')),
      JSON.stringify(MDA_MAGIC.toString('latin1')),
    );
  }
  const checksum = c.u32leAt(0, 'checksum');
  const actual = lvmCrc(c.bytesAt(4, MDA_HEADER_SIZE - 4, 'mda header'));
  if (actual !== checksum) throw new CorruptError(c.loc('checksum', 0), hex32(actual), '!=', hex32(checksum));
  const ver = c.u32leAt(20, 'version');
  if (ver !== 1) throw new CorruptError(c.loc('version', 20), ver, '!=', 1);
  const start = c.u64leAt(24, 'start');
  if (start !== offset) throw new CorruptError(c.loc('start', 24), start, '!=', offset);
  const size = c.u64leAt(32, 'size');
  const locations: RawLocn[] = [];
  for (let at = 40; at + 24 <= MDA_HEADER_SIZE; at += 24) {
    const o = c.u64leAt(at, 'raw_locn offset');
    if (o === 0n) break;
    locations.push(
      Object.freeze({
        offset: o,
        size: c.u64leAt(at + 8, 'raw_locn size'),
        checksum: c.u32leAt(at + 16, 'raw_locn checksum'),
        flags: c.u32leAt(at + 20, 'raw_locn flags'),
      }),
    );
  }
  return Object.freeze({ start, size, version: ver, locations: Object.freeze(locations) });
}

function hex32(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

// ---------------------------------------------------------------------------------------------
// Volume group metadata (text) → model

export interface LvmStripe {
  /** Name of the PV in the VG metadata (pv0…). */
  readonly pv: string;
  readonly startExtent: number;
}

export interface LvmSegment {
  readonly startExtent: number;
  readonly extentCount: number;
  readonly type: string;
  readonly stripeCount: number;
  /** Sectors; 0 when linear. */
  readonly stripeSize: number;
  readonly stripes: readonly LvmStripe[];
}

export interface LvmLogicalVolume {
  readonly name: string;
  readonly id: string;
  readonly status: readonly string[];
  readonly segments: readonly LvmSegment[];
}

export interface LvmPhysicalVolumeRef {
  readonly name: string;
  readonly id: string;
  /** Sectors. */
  readonly peStart: number;
  readonly peCount: number;
}

export interface LvmVolumeGroup {
  readonly name: string;
  readonly id: string;
  readonly seqno: number;
  /** Sectors. */
  readonly extentSize: number;
  readonly pvs: readonly LvmPhysicalVolumeRef[];
  readonly lvs: readonly LvmLogicalVolume[];
}

function need<T>(v: T | undefined, where: string, field: string, kind: string, at: FormatLocation): T {
  if (v === undefined)
    throw new CorruptError({ ...at, field: `${where}.${field}` }, 'missing', 'expected', kind);
  return v;
}

/**
 * Interprets parsed metadata text as one volume group (lvm2 lib/format_text/import_vsn1.c).
 * Structural problems throw CorruptError / LimitExceededError; a bad LV is reported by the
 * assembler, not here, unless the metadata itself is malformed.
 */
export function decodeVolumeGroup(
  root: LvmSection,
  at: FormatLocation,
  limits: Limits = DEFAULT_LIMITS,
): LvmVolumeGroup {
  const vgs = root.sections();
  if (vgs.length !== 1) throw new CorruptError({ ...at, field: 'volume groups' }, vgs.length, '!=', 1);
  const vg = vgs[0]!;
  const w = vg.name;
  const extentSize = need(vg.number('extent_size'), w, 'extent_size', 'a number', at);
  if (extentSize <= 0) throw new CorruptError({ ...at, field: `${w}.extent_size` }, extentSize, '<=', 0);
  const pvSec = vg.section('physical_volumes');
  const pvs: LvmPhysicalVolumeRef[] = [];
  for (const p of pvSec?.sections() ?? []) {
    if (pvs.length >= limits.MAX_LVM_PHYSICAL_VOLUMES) {
      throw new LimitExceededError(
        { ...at, field: `${w}.physical_volumes` },
        'MAX_LVM_PHYSICAL_VOLUMES',
        pvs.length + 1,
        limits.MAX_LVM_PHYSICAL_VOLUMES,
      );
    }
    const pw = `${w}.${p.name}`;
    pvs.push(
      Object.freeze({
        name: p.name,
        id: need(p.string('id'), pw, 'id', 'a string', at),
        peStart: need(p.number('pe_start'), pw, 'pe_start', 'a number', at),
        peCount: need(p.number('pe_count'), pw, 'pe_count', 'a number', at),
      }),
    );
  }
  const lvs: LvmLogicalVolume[] = [];
  for (const l of vg.section('logical_volumes')?.sections() ?? []) {
    if (lvs.length >= limits.MAX_LVM_LOGICAL_VOLUMES) {
      throw new LimitExceededError(
        { ...at, field: `${w}.logical_volumes` },
        'MAX_LVM_LOGICAL_VOLUMES',
        lvs.length + 1,
        limits.MAX_LVM_LOGICAL_VOLUMES,
      );
    }
    const lw = `${w}.${l.name}`;
    const segments: LvmSegment[] = [];
    for (const s of l.sections()) {
      if (segments.length >= limits.MAX_LVM_SEGMENTS_PER_LV) {
        throw new LimitExceededError(
          { ...at, field: `${lw}.segments` },
          'MAX_LVM_SEGMENTS_PER_LV',
          segments.length + 1,
          limits.MAX_LVM_SEGMENTS_PER_LV,
        );
      }
      const sw = `${lw}.${s.name}`;
      const type = need(s.string('type'), sw, 'type', 'a string', at);
      const raw = s.array('stripes') ?? [];
      const stripes: LvmStripe[] = [];
      for (let i = 0; i + 1 < raw.length; i += 2) {
        const pv = raw[i];
        const ext = raw[i + 1];
        if (typeof pv !== 'string' || typeof ext !== 'number') {
          throw new CorruptError(
            { ...at, field: `${sw}.stripes` },
            JSON.stringify([pv, ext]),
            'is not',
            '"pvN", extent',
          );
        }
        stripes.push(Object.freeze({ pv, startExtent: ext }));
      }
      segments.push(
        Object.freeze({
          startExtent: need(s.number('start_extent'), sw, 'start_extent', 'a number', at),
          extentCount: need(s.number('extent_count'), sw, 'extent_count', 'a number', at),
          type,
          stripeCount: s.number('stripe_count') ?? stripes.length,
          stripeSize: s.number('stripe_size') ?? 0,
          stripes: Object.freeze(stripes),
        }),
      );
    }
    segments.sort((a, b) => a.startExtent - b.startExtent);
    lvs.push(
      Object.freeze({
        name: l.name,
        id: l.string('id') ?? '',
        status: Object.freeze((l.array('status') ?? []).map(String)),
        segments: Object.freeze(segments),
      }),
    );
  }
  return Object.freeze({
    name: vg.name,
    id: need(vg.string('id'), w, 'id', 'a string', at),
    seqno: vg.number('seqno') ?? 0,
    extentSize,
    pvs: Object.freeze(pvs),
    lvs: Object.freeze(lvs),
  });
}

// ---------------------------------------------------------------------------------------------
// Reading a PV

export interface PhysicalVolume {
  readonly source: BlockSource;
  readonly label: PvLabel;
  /** The committed metadata of the VG this PV belongs to; null for an orphan PV. */
  readonly vg: LvmVolumeGroup | null;
  readonly warnings: readonly string[];
}

/** Finds the label in sectors 0..3. Returns null when there is none (not a PV). */
export async function probeLvm2(source: BlockSource, signal?: AbortSignal): Promise<PvLabel | null> {
  const len = Math.min(LABEL_SCAN_SECTORS * SECTOR, Number(source.size < 2048n ? source.size : 2048n));
  if (len < SECTOR) return null;
  const head = await source.read(0n, len, signal);
  for (let s = 0; (s + 1) * SECTOR <= len; s++) {
    if (head.subarray(s * SECTOR, s * SECTOR + 8).toString('latin1') !== LABEL_ID) continue;
    try {
      return decodePvLabel(head.subarray(s * SECTOR, (s + 1) * SECTOR), s);
    } catch (err) {
      if (err instanceof BadMagicError) continue;
      throw err;
    }
  }
  return null;
}

/**
 * Reads a PV: label, then the committed metadata from the first usable metadata area. Returns null
 * when the source is not a PV. An unreadable metadata area is a warning when another one works.
 */
export async function readPhysicalVolume(
  source: BlockSource,
  opts: ReadOptions = {},
): Promise<PhysicalVolume | null> {
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const label = await probeLvm2(source, opts.signal);
  if (!label) return null;
  const warnings: string[] = [];
  let vg: LvmVolumeGroup | null = null;
  let firstError: unknown = null;
  for (const mda of label.metadataAreas) {
    checkAborted(opts.signal);
    try {
      const got = await readMetadataArea(source, mda, limits, opts.signal);
      if (got && (!vg || got.seqno > vg.seqno)) vg = got;
      if (vg) break;
    } catch (err) {
      if (!(err instanceof FormatError)) throw err;
      firstError ??= err;
      warnings.push(`lvm2: metadata area at 0x${mda.offset.toString(16)} unusable: ${err.message}`);
    }
  }
  if (!vg && firstError) throw firstError;
  if (!vg) warnings.push(`lvm2: PV ${label.pvUuid} carries no volume group metadata (orphan PV)`);
  return Object.freeze({ source, label, vg, warnings: Object.freeze(warnings) });
}

async function readMetadataArea(
  source: BlockSource,
  mda: DiskLocn,
  limits: Limits,
  signal: AbortSignal | undefined,
): Promise<LvmVolumeGroup | null> {
  const loc: FormatLocation = { format: id, struct: 'metadata area', offset: mda.offset };
  if (mda.size < BigInt(MDA_HEADER_SIZE) || mda.offset + mda.size > source.size) {
    throw new TruncatedError({ ...loc, field: 'size' }, mda.offset + mda.size, source.size);
  }
  const header = decodeMdaHeader(await source.read(mda.offset, MDA_HEADER_SIZE, signal), mda.offset);
  if (header.size !== mda.size)
    throw new CorruptError({ ...loc, field: 'mda size' }, header.size, '!=', mda.size);
  const rl = header.locations[0];
  if (!rl || rl.size === 0n) return null;
  if (rl.flags & RAW_LOCN_IGNORED) return null;
  const area = header.size - BigInt(MDA_HEADER_SIZE);
  const textLoc: FormatLocation = { format: id, struct: 'raw_locn', offset: mda.offset + 40n };
  if (rl.offset < BigInt(MDA_HEADER_SIZE) || rl.offset >= header.size) {
    throw new CorruptError({ ...textLoc, field: 'offset' }, rl.offset, 'outside', `512..${header.size - 1n}`);
  }
  if (rl.size > BigInt(limits.MAX_LVM_METADATA_BYTES)) {
    throw new LimitExceededError(
      { ...textLoc, field: 'size' },
      'MAX_LVM_METADATA_BYTES',
      rl.size,
      limits.MAX_LVM_METADATA_BYTES,
    );
  }
  if (rl.size > area)
    throw new CorruptError({ ...textLoc, field: 'size' }, rl.size, '>', `metadata area ${area}`);
  // The text may wrap: the part past the mda end continues right after the mda header.
  const first = rl.offset + rl.size <= header.size ? rl.size : header.size - rl.offset;
  const parts = [await source.read(mda.offset + rl.offset, Number(first), signal)];
  if (first < rl.size) {
    parts.push(await source.read(mda.offset + BigInt(MDA_HEADER_SIZE), Number(rl.size - first), signal));
  }
  const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  const crc = lvmCrc(bytes);
  if (crc !== rl.checksum)
    throw new CorruptError({ ...textLoc, field: 'checksum' }, hex32(crc), '!=', hex32(rl.checksum));
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  const text = bytes.subarray(0, end).toString('utf8');
  const textAt: FormatLocation = { format: id, struct: 'metadata text', offset: mda.offset + rl.offset };
  const root = parseLvmConfig(text, { limits, offset: textAt.offset });
  return decodeVolumeGroup(root, textAt, limits);
}

// ---------------------------------------------------------------------------------------------
// Assembling logical volumes

export interface AssembledVolumeGroup {
  readonly vg: LvmVolumeGroup;
  readonly partitions: Partition[];
  readonly warnings: string[];
  readonly errors: ScanError[];
}

/**
 * Builds one BlockSource per LV from the PVs at hand (matched to the metadata by PV UUID). An LV
 * whose PVs are missing or whose segments are unsupported or out of range is skipped with a warning
 * and a typed error; the others are returned, numbered 1.. in metadata order.
 */
export function assembleVolumeGroup(
  vg: LvmVolumeGroup,
  pvsAtHand: readonly PhysicalVolume[],
): AssembledVolumeGroup {
  const warnings: string[] = [];
  const errors: ScanError[] = [];
  const partitions: Partition[] = [];
  const byUuid = new Map(pvsAtHand.map((p) => [stripDashes(p.label.pvUuid), p] as const));
  const pvByName = new Map<string, { ref: LvmPhysicalVolumeRef; pv: PhysicalVolume | undefined }>();
  for (const ref of vg.pvs) pvByName.set(ref.name, { ref, pv: byUuid.get(stripDashes(ref.id)) });
  const extentBytes = BigInt(vg.extentSize) * BigInt(SECTOR);
  const idBase = pvsAtHand[0]?.source.id ?? 'lvm2';

  let number = 0;
  for (const lv of vg.lvs) {
    number++;
    const name = `${vg.name}/${lv.name}`;
    try {
      const pieces: BlockSource[] = [];
      let expect = 0;
      for (const seg of lv.segments) {
        const segLoc: FormatLocation = {
          format: id,
          struct: `LV ${name} segment`,
          offset: 0,
          field: 'start_extent',
        };
        if (seg.startExtent !== expect)
          throw new CorruptError(segLoc, seg.startExtent, '!=', `${expect} (segments must be contiguous)`);
        expect += seg.extentCount;
        pieces.push(segmentSource(name, vg, seg, pvByName, extentBytes));
      }
      if (pieces.length === 0) {
        throw new UnsupportedError('lvm2-empty-lv', `lvm2: LV ${name} has no segments`);
      }
      // One id scheme for every LV, whatever its segment count: `<disk>#p2#lv:vg/lv`.
      const source = new ConcatSource(`${idBase}#lv:${name}`, pieces);
      const types = [
        ...new Set(lv.segments.map((s) => (s.type === 'striped' && s.stripeCount === 1 ? 'linear' : s.type))),
      ];
      partitions.push({
        number,
        scheme: id,
        start: 0n,
        size: source.size,
        type: types.join('+'),
        name,
        uuid: lv.id,
        flags: lv.status.join(','),
        source,
      });
    } catch (err) {
      if (!(err instanceof ScanError)) throw err;
      errors.push(err);
      warnings.push(`lvm2: LV ${name} skipped: ${err.message}`);
    }
  }
  return { vg, partitions, warnings, errors };
}

function segmentSource(
  lvName: string,
  vg: LvmVolumeGroup,
  seg: LvmSegment,
  pvByName: Map<string, { ref: LvmPhysicalVolumeRef; pv: PhysicalVolume | undefined }>,
  extentBytes: bigint,
): BlockSource {
  const where = `${lvName} extents ${seg.startExtent}+${seg.extentCount}`;
  if (seg.type !== 'striped' && seg.type !== 'linear') {
    throw new UnsupportedError(
      `lvm2-segment-${seg.type}`,
      `lvm2: LV segment type "${seg.type}" (${where}) is not supported`,
    );
  }
  const loc: FormatLocation = { format: id, struct: `LV ${lvName} segment`, offset: seg.startExtent };
  const n = seg.stripes.length;
  if (n === 0 || seg.stripeCount !== n)
    throw new CorruptError({ ...loc, field: 'stripe_count' }, seg.stripeCount, '!=', `${n} stripes listed`);
  if (seg.extentCount <= 0 || seg.extentCount % n !== 0) {
    throw new CorruptError(
      { ...loc, field: 'extent_count' },
      seg.extentCount,
      'is not a positive multiple of',
      n,
    );
  }
  const perStripe = seg.extentCount / n;
  const slices = seg.stripes.map((st, i) => {
    const entry = pvByName.get(st.pv);
    if (!entry) throw new CorruptError({ ...loc, field: 'stripes' }, st.pv, 'is not', 'a PV of the VG');
    if (!entry.pv) {
      throw new ScanError(
        'lvm2-missing-pv',
        `lvm2: LV ${lvName} needs PV ${entry.ref.name} (${entry.ref.id}), which is not on this disk`,
      );
    }
    if (st.startExtent < 0 || st.startExtent + perStripe > entry.ref.peCount) {
      throw new CorruptError(
        { ...loc, field: 'stripe extents' },
        `${st.startExtent}+${perStripe}`,
        '>',
        `pe_count ${entry.ref.peCount}`,
      );
    }
    const start = BigInt(entry.ref.peStart) * BigInt(SECTOR) + BigInt(st.startExtent) * extentBytes;
    const size = BigInt(perStripe) * extentBytes;
    const pvSrc = entry.pv.source;
    if (start + size > pvSrc.size)
      throw new TruncatedError({ ...loc, field: 'stripe extents' }, start + size, pvSrc.size);
    return new SliceSource(pvSrc, start, size, `lv:${lvName}#s${seg.startExtent}.${i}`);
  });
  if (n === 1) return slices[0]!;
  // lvm2 requires a power-of-two stripe size of at least one page (STRIPE_SIZE_MIN, 8 sectors); a
  // tiny chunk would turn one read into thousands of sub-reads.
  if (seg.stripeSize < 8 || (seg.stripeSize & (seg.stripeSize - 1)) !== 0) {
    throw new CorruptError(
      { ...loc, field: 'stripe_size' },
      seg.stripeSize,
      'is not',
      'a power of two >= 8 sectors',
    );
  }
  const chunk = seg.stripeSize * SECTOR;
  if (chunk <= 0 || BigInt(chunk) > extentBytes || extentBytes % BigInt(chunk) !== 0n) {
    throw new CorruptError(
      { ...loc, field: 'stripe_size' },
      seg.stripeSize,
      'does not divide',
      `extent_size ${vg.extentSize}`,
    );
  }
  return new StripeSource(`lv:${lvName}#${seg.startExtent}`, slices, chunk);
}

/**
 * One PV read as a table: its VG's LVs (assembled from this PV alone). Null when not a PV. Used by
 * the scheme registry; readPartitions groups PVs across partitions for multi-PV VGs.
 */
export async function readLvm2(source: BlockSource, opts: ReadOptions = {}): Promise<PartitionTable | null> {
  const pv = await readPhysicalVolume(source, opts);
  if (!pv) return null;
  return volumeGroupTable(pv, [pv]);
}

/** The nested table for the PV that carries `owner`'s metadata. */
export function volumeGroupTable(owner: PhysicalVolume, all: readonly PhysicalVolume[]): PartitionTable {
  const warnings = [...owner.warnings];
  if (!owner.vg) return { scheme: id, sectorSize: SECTOR, id: owner.label.pvUuid, partitions: [], warnings };
  const a = assembleVolumeGroup(owner.vg, all);
  const table: PartitionTable = {
    scheme: id,
    sectorSize: SECTOR,
    id: owner.vg.id,
    partitions: a.partitions,
    warnings: [...warnings, ...a.warnings],
  };
  if (a.errors.length > 0) table.errors = a.errors;
  return table;
}

export const scheme: PartitionScheme = {
  id,
  displayName,
  specUrls,
  version,
  read: readLvm2,
};
