/**
 * XFS symlink targets. Short targets live in the inode's data fork (format local); longer ones in
 * "remote" blocks mapped by extents. On v5 each mapped buffer (one extent) starts with a header
 * (struct xfs_dsymlink_hdr, xfs_format.h):
 *
 *   0x00 sl_magic 'XSLM'  0x04 sl_offset u32 (byte offset of this chunk in the target)
 *   0x08 sl_bytes u32     0x0c sl_crc __le32 (over the whole buffer)  0x10 sl_uuid[16]
 *   0x20 sl_owner u64     0x28 sl_blkno u64 (daddr)  0x30 sl_lsn u64     0x38 target bytes…
 */
import { CorruptError, FormatError } from '../../../engine/errors.js';
import { Cursor } from '../../bytes/cursor.js';
import { crcWithHole, FORMAT, type XfsSuperblock } from './superblock.js';

export const XFS_SYMLINK_MAGIC = 0x58534c4d; // 'XSLM'
export const SYMLINK_HDR_BYTES = 56;
const SL_CRC_OFFSET = 12;
/** XFS_SYMLINK_MAXLEN: the kernel refuses longer targets. */
export const XFS_SYMLINK_MAXLEN = 1024;

export interface RemoteSymlinkChunk {
  readonly offset: number;
  readonly data: Buffer;
}

/**
 * Decodes one remote symlink buffer (one extent's bytes) read at absolute byte `base`. v4 buffers are
 * raw target bytes (`want` of them); v5 ones carry the header, checked against owner, uuid, blkno, CRC.
 */
export function decodeRemoteSymlinkBlock(
  buf: Buffer,
  sb: XfsSuperblock,
  base: bigint,
  owner: number,
  expectOffset: number,
  want: number,
  verifyCrc = true,
): RemoteSymlinkChunk {
  const c = new Cursor(buf, { base, format: FORMAT, struct: `symlink block (inode ${owner})` });
  if (!sb.hasCrc) {
    return Object.freeze({ offset: expectOffset, data: c.bytesAt(0, Math.min(want, buf.length), 'target') });
  }
  const magic = c.u32beAt(0, 'sl_magic');
  if (magic !== XFS_SYMLINK_MAGIC) {
    throw new FormatError(
      'bad-magic',
      c.loc('sl_magic', 0),
      `sl_magic 0x${magic.toString(16)} != 0x58534c4d`,
    );
  }
  if (verifyCrc) {
    const stored = c.u32leAt(SL_CRC_OFFSET, 'sl_crc');
    const computed = crcWithHole(buf, SL_CRC_OFFSET);
    if (stored !== computed) {
      throw new FormatError(
        'checksum-mismatch',
        c.loc('sl_crc', SL_CRC_OFFSET),
        `sl_crc 0x${stored.toString(16)} != computed 0x${computed.toString(16)}`,
      );
    }
  }
  const offset = c.u32beAt(4, 'sl_offset');
  if (offset !== expectOffset) throw new CorruptError(c.loc('sl_offset', 4), offset, '!=', expectOffset);
  const bytes = c.u32beAt(8, 'sl_bytes');
  if (bytes > want || bytes > buf.length - SYMLINK_HDR_BYTES || bytes === 0) {
    throw new CorruptError(
      c.loc('sl_bytes', 8),
      bytes,
      'outside',
      `[1, ${Math.min(want, buf.length - SYMLINK_HDR_BYTES)}]`,
    );
  }
  if (!c.bytesAt(16, 16, 'sl_uuid').equals(sb.metaUuid)) {
    throw new CorruptError(c.loc('sl_uuid', 16), 'uuid', '!=', 'superblock meta uuid');
  }
  const own = c.u64beAt(32, 'sl_owner');
  if (own !== BigInt(owner)) throw new CorruptError(c.loc('sl_owner', 32), own, '!=', owner);
  return Object.freeze({ offset, data: c.bytesAt(SYMLINK_HDR_BYTES, bytes, 'target') });
}
