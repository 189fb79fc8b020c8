/**
 * Extended attributes (attributes.rst). In-inode ("ibody") area: u32 magic 0xEA020000, then entries,
 * values addressed from the first entry. External block: 32-byte header (magic, refcount, h_blocks
 * == 1, hash, checksum), entries from byte 32, values addressed from the block start.
 *
 *   entry: 0x0 u8 e_name_len  0x1 u8 e_name_index  0x2 u16 e_value_offs  0x4 u32 e_value_inum
 *          0x8 u32 e_value_size  0xC u32 e_hash  0x10 name[e_name_len], padded to 4 bytes
 *
 * The entry list ends at a zero u32. Inline data keeps bytes 60.. of a file in "system.data".
 */
import { BadMagicError, CorruptError } from '../../../engine/errors.js';
import { Cursor } from '../../bytes/cursor.js';
import { FORMAT } from './superblock.js';

export const XATTR_MAGIC = 0xea020000;

const PREFIXES: Record<number, string> = {
  1: 'user.',
  2: 'system.posix_acl_access',
  3: 'system.posix_acl_default',
  4: 'trusted.',
  6: 'security.',
  7: 'system.',
  8: 'system.richacl',
};

export interface Xattr {
  readonly index: number;
  /** Full name with its namespace prefix, e.g. `user.myxattr`, `system.data`. */
  readonly name: string;
  /** The value, or undefined when it lives in an EA inode (e_value_inum != 0). */
  readonly value: Buffer | undefined;
  readonly valueInum: number;
}

/**
 * Decodes the in-inode area (kind 'ibody') or an external block (kind 'block'). An empty or
 * magic-less ibody area means "no attributes" (the area is optional); a bad block magic is an error.
 */
export function decodeXattrs(buf: Buffer, absOffset: number, kind: 'ibody' | 'block'): Xattr[] {
  const c = new Cursor(buf, { base: absOffset, format: FORMAT, struct: `xattr ${kind}` });
  if (kind === 'ibody' && (buf.length < 4 || c.u32leAt(0) !== XATTR_MAGIC)) return [];
  const magic = c.u32leAt(0, 'h_magic');
  if (magic !== XATTR_MAGIC)
    throw new BadMagicError(c.loc('h_magic', 0), `0x${magic.toString(16)}`, '0xea020000');
  if (kind === 'block') {
    const blocks = c.u32leAt(8, 'h_blocks');
    if (blocks !== 1) throw new CorruptError(c.loc('h_blocks', 8), blocks, '!=', 1);
  }
  const first = kind === 'ibody' ? 4 : 32;
  const valueBase = kind === 'ibody' ? 4 : 0;
  const out: Xattr[] = [];
  let pos = first;
  // Each entry takes >= 16 bytes and pos strictly advances, so the loop ends within the buffer.
  while (pos + 4 <= buf.length && c.u32leAt(pos) !== 0) {
    const nameLen = c.u8At(pos, 'e_name_len');
    const index = c.u8At(pos + 1, 'e_name_index');
    const valueOffs = c.u16leAt(pos + 2, 'e_value_offs');
    const valueInum = c.u32leAt(pos + 4, 'e_value_inum');
    const valueSize = c.u32leAt(pos + 8, 'e_value_size');
    const name = c.bytesAt(pos + 16, nameLen, 'e_name').toString('utf8');
    let value: Buffer | undefined;
    if (valueInum === 0) {
      const at = valueBase + valueOffs;
      if (valueSize > 0 && (at < pos || at + valueSize > buf.length)) {
        // Values sit after the entry table; an offset into it or past the end is corrupt.
        throw new CorruptError(
          c.loc('e_value_offs', pos + 2),
          at,
          'outside',
          `[${pos}, ${buf.length - valueSize}]`,
        );
      }
      value = valueSize > 0 ? c.bytesAt(at, valueSize, 'e_value') : Buffer.alloc(0);
    }
    out.push(Object.freeze({ index, name: `${PREFIXES[index] ?? `#${index}.`}${name}`, value, valueInum }));
    pos += (16 + nameLen + 3) & ~3;
  }
  return out;
}
