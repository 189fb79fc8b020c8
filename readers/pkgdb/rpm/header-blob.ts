/**
 * rpm header blob, as stored in every rpmdb backend (rpm 4.x lib/header.c: headerImport,
 * hdrblobVerifyInfo, hdrblobVerifyRegion; format: https://rpm-software-management.github.io/rpm/manual/format_header.html).
 * The database stores the header without the 8-byte "8eade801" intro that package files carry.
 *
 *   0      il   u32 BE   number of index entries            (<= MAX_RPM_HEADER_ENTRIES)
 *   4      dl   u32 BE   bytes of the data store            (<= MAX_RPM_HEADER_BYTES)
 *   8      il × 16-byte index entries, big-endian:
 *            +0 tag  i32 | +4 type u32 | +8 offset i32 (into the data store) | +12 count u32
 *   8+16il dl bytes of data store
 *
 * Region: when the first entry's tag is 61/62/63 (HEADERIMAGE/SIGNATURES/IMMUTABLE) it is a BIN
 * entry of count 16 whose offset points at a 16-byte trailer inside the data store; the trailer is
 * an index entry {same tag, BIN, -(ril × 16), 16}: the first `ril` entries are the signed, immutable
 * part. Entries after the region ("dribbles", e.g. INSTALLTIME added at install) override region
 * entries with the same tag, as in rpm's headerImport.
 *
 * Every entry is checked before anything is read: type in 0..9, offset aligned for its type,
 * [offset, offset+size) inside the data store, counts bounded by the bytes they need, and each
 * string of STRING / STRING_ARRAY / I18NSTRING NUL-terminated inside the data store.
 */
import { CorruptError, LimitExceededError, TruncatedError } from '../../../engine/errors.js';
import { DEFAULT_LIMITS, type Limits } from '../../../engine/limits.js';
import { Cursor, toSafeNumber } from '../../bytes/cursor.js';
import { REGION_TAG_COUNT, RegionTag, RPM_MAX_TYPE, RpmType } from './tags.js';

export const FORMAT = 'rpm/header';
const INDEX_ENTRY_BYTES = 16;

export interface RpmIndexEntry {
  readonly tag: number;
  readonly type: number;
  /** Offset into the data store. */
  readonly offset: number;
  readonly count: number;
  /** Bytes the entry's data occupies (strings: up to and including the last NUL). */
  readonly size: number;
}

export interface DecodeHeaderOptions {
  /** Absolute offset of the blob in its container, for error messages. */
  base?: number | bigint;
  /** Format id for errors (the container's, e.g. `rpm/bdb`), defaults to `rpm/header`. */
  format?: string;
  limits?: Pick<Limits, 'MAX_RPM_HEADER_ENTRIES' | 'MAX_RPM_HEADER_BYTES'>;
}

function elementSize(type: number): number {
  switch (type) {
    case RpmType.INT16:
      return 2;
    case RpmType.INT32:
      return 4;
    case RpmType.INT64:
      return 8;
    default:
      return 1;
  }
}

/**
 * A validated header blob: entries by tag (the last one wins), with typed accessors that decode
 * lazily from the already bounds-checked data store.
 */
export class RpmHeaderBlob {
  /** Number of entries in the region (0 for a legacy header without one). */
  readonly regionEntries: number;
  readonly regionTag: number | undefined;

  constructor(
    private readonly data: Cursor,
    readonly entries: ReadonlyMap<number, RpmIndexEntry>,
    region: { tag: number | undefined; entries: number },
  ) {
    this.regionTag = region.tag;
    this.regionEntries = region.entries;
  }

  has(tag: number): boolean {
    return this.entries.has(tag);
  }

  private typeError(e: RpmIndexEntry, want: string): CorruptError {
    return new CorruptError(this.data.loc(`tag ${e.tag} type`, e.offset), e.type, 'is not', want);
  }

  /** STRING, or the first element of STRING_ARRAY / I18NSTRING (the C locale). */
  string(tag: number): string | undefined {
    const e = this.entries.get(tag);
    if (!e) return undefined;
    if (e.type !== RpmType.STRING && e.type !== RpmType.STRING_ARRAY && e.type !== RpmType.I18NSTRING) {
      throw this.typeError(e, 'a string type');
    }
    const end = this.data.buf.indexOf(0, e.offset);
    return this.data.buf.toString('utf8', e.offset, end);
  }

  strings(tag: number): string[] | undefined {
    const e = this.entries.get(tag);
    if (!e) return undefined;
    if (e.type === RpmType.STRING) return [this.string(tag)!];
    if (e.type !== RpmType.STRING_ARRAY && e.type !== RpmType.I18NSTRING) {
      throw this.typeError(e, 'a string array');
    }
    const out = new Array<string>(e.count);
    let pos = e.offset;
    const buf = this.data.buf;
    for (let i = 0; i < e.count; i++) {
      // Validated at decode time: each of the `count` strings ends inside the data store.
      const end = buf.indexOf(0, pos);
      out[i] = buf.toString('utf8', pos, end);
      pos = end + 1;
    }
    return out;
  }

  /** CHAR / INT8 / INT16 / INT32 as unsigned numbers; INT64 when each value fits in 2^53. */
  numbers(tag: number): number[] | undefined {
    const e = this.entries.get(tag);
    if (!e) return undefined;
    const out = new Array<number>(e.count);
    const buf = this.data.buf;
    switch (e.type) {
      case RpmType.CHAR:
      case RpmType.INT8:
        for (let i = 0; i < e.count; i++) out[i] = buf[e.offset + i]!;
        return out;
      case RpmType.INT16:
        for (let i = 0; i < e.count; i++) out[i] = buf.readUInt16BE(e.offset + 2 * i);
        return out;
      case RpmType.INT32:
        for (let i = 0; i < e.count; i++) out[i] = buf.readUInt32BE(e.offset + 4 * i);
        return out;
      case RpmType.INT64:
        for (let i = 0; i < e.count; i++) {
          out[i] = toSafeNumber(
            buf.readBigUInt64BE(e.offset + 8 * i),
            Number.MAX_SAFE_INTEGER,
            this.data.loc(`tag ${tag}`, e.offset + 8 * i),
          );
        }
        return out;
      default:
        throw this.typeError(e, 'an integer type');
    }
  }

  number(tag: number): number | undefined {
    const e = this.entries.get(tag);
    if (!e) return undefined;
    return this.numbers(tag)![0];
  }

  /** BIN (or any type) as a copy of its raw bytes. */
  bin(tag: number): Buffer | undefined {
    const e = this.entries.get(tag);
    if (!e) return undefined;
    return Buffer.from(this.data.bytesAt(e.offset, e.size));
  }
}

/**
 * Validates and indexes a header blob. Throws TruncatedError / CorruptError / LimitExceededError
 * naming the entry and its absolute offset.
 */
export function decodeRpmHeaderBlob(bytes: Buffer, opts: DecodeHeaderOptions = {}): RpmHeaderBlob {
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const format = opts.format ?? FORMAT;
  const base = opts.base ?? 0;
  const c = new Cursor(bytes, { base, format, struct: 'rpm header' });
  const il = c.u32be('index count');
  const dl = c.u32be('data length');
  if (il > limits.MAX_RPM_HEADER_ENTRIES) {
    throw new LimitExceededError(
      c.loc('index count', 0),
      'MAX_RPM_HEADER_ENTRIES',
      il,
      limits.MAX_RPM_HEADER_ENTRIES,
    );
  }
  if (dl > limits.MAX_RPM_HEADER_BYTES) {
    throw new LimitExceededError(
      c.loc('data length', 4),
      'MAX_RPM_HEADER_BYTES',
      dl,
      limits.MAX_RPM_HEADER_BYTES,
    );
  }
  if (il < 1) throw new CorruptError(c.loc('index count', 0), il, '<', 1);
  const dataStart = 8 + il * INDEX_ENTRY_BYTES;
  const total = dataStart + dl;
  if (total > bytes.length) throw new TruncatedError(c.loc('header', 0), total, bytes.length);
  // rpm's hdrblobInit requires the blob to be exactly the header: trailing bytes mean a bad length.
  if (total !== bytes.length) throw new CorruptError(c.loc('blob length', 0), bytes.length, '!=', total);

  const data = c.sub(dataStart, dl, 'rpm header data');
  const dbuf = data.buf;
  const entries = new Map<number, RpmIndexEntry>();
  let region: { tag: number | undefined; entries: number } = { tag: undefined, entries: 0 };

  for (let i = 0; i < il; i++) {
    const at = 8 + i * INDEX_ENTRY_BYTES;
    const tag = c.i32beAt(at, 'tag');
    const type = c.u32beAt(at + 4, 'type');
    const offset = c.i32beAt(at + 8, 'offset');
    const count = c.u32beAt(at + 12, 'count');
    const field = `entry ${i} (tag ${tag})`;
    if (type > RPM_MAX_TYPE) throw new CorruptError(c.loc(`${field} type`, at + 4), type, '>', RPM_MAX_TYPE);
    if (offset < 0 || offset > dl)
      throw new CorruptError(c.loc(`${field} offset`, at + 8), offset, 'outside', `[0, ${dl}]`);
    const align = elementSize(type);
    if (offset % align !== 0)
      throw new CorruptError(c.loc(`${field} offset`, at + 8), offset, 'not aligned to', align);
    if (count < 1) throw new CorruptError(c.loc(`${field} count`, at + 12), count, '<', 1);
    // Each element needs at least `align` bytes: a count beyond the remaining data is a lie.
    const room = dl - offset;
    if (count > Math.floor(room / align)) {
      throw new CorruptError(c.loc(`${field} count`, at + 12), count, '>', Math.floor(room / align));
    }
    let size: number;
    if (type === RpmType.STRING || type === RpmType.STRING_ARRAY || type === RpmType.I18NSTRING) {
      if (type === RpmType.STRING && count !== 1) {
        throw new CorruptError(c.loc(`${field} count`, at + 12), count, '!=', 1);
      }
      let pos = offset;
      for (let k = 0; k < count; k++) {
        const nul = dbuf.indexOf(0, pos);
        if (nul < 0) {
          throw new CorruptError(
            data.loc(`${field} string ${k}`, pos),
            'no NUL',
            'before end of data store at',
            dl,
          );
        }
        pos = nul + 1;
      }
      size = pos - offset;
    } else {
      size = count * align;
    }

    if (
      tag === RegionTag.HEADERIMAGE ||
      tag === RegionTag.HEADERSIGNATURES ||
      tag === RegionTag.HEADERIMMUTABLE
    ) {
      if (i === 0) region = decodeRegion(c, data, { tag, type, offset, count }, il, dl);
      // A region tag elsewhere carries no package data; it was bounds-checked above.
      continue;
    }
    entries.set(tag, Object.freeze({ tag, type, offset, count, size }));
  }
  return new RpmHeaderBlob(data, entries, region);
}

function decodeRegion(
  c: Cursor,
  data: Cursor,
  e: { tag: number; type: number; offset: number; count: number },
  il: number,
  dl: number,
): { tag: number; entries: number } {
  if (e.type !== RpmType.BIN || e.count !== REGION_TAG_COUNT) {
    throw new CorruptError(
      c.loc('region tag', 8),
      `type ${e.type} count ${e.count}`,
      '!=',
      'type 7 count 16',
    );
  }
  if (e.offset + REGION_TAG_COUNT > dl) {
    throw new CorruptError(c.loc('region trailer offset', 16), e.offset + REGION_TAG_COUNT, '>', dl);
  }
  const tTag = data.i32beAt(e.offset, 'region trailer tag');
  const tType = data.u32beAt(e.offset + 4, 'region trailer type');
  const tOffset = data.i32beAt(e.offset + 8, 'region trailer offset');
  const tCount = data.u32beAt(e.offset + 12, 'region trailer count');
  // Old packages put HEADERIMAGE in the signature region trailer (rpm fixes this up too).
  const trailerTag = e.tag === RegionTag.HEADERSIGNATURES && tTag === RegionTag.HEADERIMAGE ? e.tag : tTag;
  if (trailerTag !== e.tag || tType !== RpmType.BIN || tCount !== REGION_TAG_COUNT) {
    throw new CorruptError(
      data.loc('region trailer', e.offset),
      `tag ${tTag} type ${tType} count ${tCount}`,
      '!=',
      `tag ${e.tag} type 7 count 16`,
    );
  }
  const regionBytes = -tOffset;
  const ril = regionBytes / INDEX_ENTRY_BYTES;
  if (tOffset > 0 || !Number.isInteger(ril) || ril < 1 || ril > il) {
    throw new CorruptError(
      data.loc('region trailer offset', e.offset + 8),
      tOffset,
      'is not',
      `-16 × [1, ${il}]`,
    );
  }
  return { tag: e.tag, entries: ril };
}
