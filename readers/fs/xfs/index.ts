/**
 * XFS filesystem reader (v4 and v5 superblocks), read-only and lazy.
 *
 * Spec: the Linux kernel's XFS on-disk format — fs/xfs/libxfs/xfs_format.h, xfs_da_format.h and
 * "XFS Algorithms & Data Structures" (Documentation/filesystems/xfs/), as of Linux 6.12 / xfsprogs 6.x.
 *
 *   data device
 *   ┌──────────────── AG 0 ────────────────┬──────── AG 1 ────────┬ … AG agcount-1 (may be short)
 *   │ SB │ AGF │ AGI │ AGFL │ btrees, inode chunks, data, log…    │ SB copy │ AGF │ …
 *   └─ sector 0..3 ────────────────────────┴──────────────────────┴
 *   fs block number  = agno << agblklog | agbno          (extent records, BMBT pointers)
 *   inode number     = agno << (agblklog+inopblog) | agbno << inopblog | slot
 *
 *   inode ─ core (100 B v1/v2, 176 B v3 with CRC) ─ data fork ─ attr fork (di_forkoff*8)
 *            data fork: local (shortform dir, inline symlink) | extents | BMBT root → BMBT blocks
 *   directory: shortform | data blocks below 32 GiB ('XD2B'/'XDB3' single block, 'XD2D'/'XDD3')
 *              + leaf/node hash blocks at 32 GiB + free index at 64 GiB (not needed to list)
 *
 * Only the primary superblock is read at open; inodes, directory blocks and extents are read when a
 * lookup needs them. The log is not replayed: a snapshot of a live filesystem shows what was
 * checkpointed to the metadata blocks.
 */
import type { BlockSource } from '../../block/types.js';
import type { FsFormat, InodeStore } from '../types.js';
import { openXfs, type XfsOpenOptions } from './store.js';
import { XFS_SB_MAGIC } from './superblock.js';

export const id = 'xfs';
export const displayName = 'XFS (v4 and v5)';
export const specUrls = [
  'https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/tree/fs/xfs/libxfs/xfs_format.h',
  'https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/tree/fs/xfs/libxfs/xfs_da_format.h',
  'https://git.kernel.org/pub/scm/fs/xfs/xfs-documentation.git/tree/design/XFS_Filesystem_Structure',
] as const;
export const version = 1;

/** True when the source starts with an XFS superblock magic ('XFSB'). */
export async function probeXfs(source: BlockSource): Promise<boolean> {
  if (source.size < 512n) return false;
  const b = await source.read(0n, 4);
  return b.readUInt32BE(0) === XFS_SB_MAGIC;
}

export const xfs: FsFormat = {
  id,
  displayName,
  specUrls,
  version,
  probe: probeXfs,
  open: (source: BlockSource, opts?: XfsOpenOptions): Promise<InodeStore> => openXfs(source, opts),
};

export { type DirForm, openXfs, XfsInodeStore, type XfsOpenOptions } from './store.js';
