/**
 * Legacy ext2/ext3 block maps (blockmap.rst): i_block holds 15 u32 block numbers, 0-11 direct,
 * 12 single-, 13 double-, 14 triple-indirect. An indirect block is an array of block size / 4 u32
 * pointers; 0 is a hole (a whole zero subtree is skipped without reading it). The tree has a fixed
 * shape, so it cannot cycle; the work is bounded by the requested logical range.
 */
import { CorruptError } from '../../../engine/errors.js';
import { Cursor } from '../../bytes/cursor.js';
import { type MetaReader, pushRun, type Run } from './runs.js';
import { FORMAT, type Superblock } from './superblock.js';

const DIRECT = 12;

export async function mapBlockMap(
  sb: Superblock,
  read: MetaReader,
  iBlock: Cursor,
  first: number,
  end: number,
  out: Run[],
): Promise<void> {
  if (end <= first) return;
  const apb = sb.blockSize / 4;
  const check = (c: Cursor, at: number, ptr: number) => {
    if (ptr <= sb.firstDataBlock || ptr >= sb.blocksCount) {
      throw new CorruptError(
        c.loc('block pointer', at),
        ptr,
        'outside',
        `[${sb.firstDataBlock + 1}, ${sb.blocksCount})`,
      );
    }
  };
  // Walks the subtree rooted at pointer `ptr` (level 0 = data block) covering logical blocks
  // [base, base + apb^level).
  const walk = async (c: Cursor, at: number, ptr: number, level: number, base: number): Promise<void> => {
    if (ptr === 0) return;
    check(c, at, ptr);
    if (level === 0) {
      pushRun(out, { lblk: base, pblk: ptr, len: 1, uninit: false });
      return;
    }
    const span = apb ** (level - 1);
    const { buf, offset } = await read(ptr, 'indirect block');
    const ind = new Cursor(buf, { base: offset, format: FORMAT, struct: 'indirect block' });
    const lo = Math.max(0, Math.floor((first - base) / span));
    const hi = Math.min(apb, Math.ceil((end - base) / span));
    for (let i = lo; i < hi; i++)
      await walk(ind, i * 4, ind.u32leAt(i * 4, 'block pointer'), level - 1, base + i * span);
  };
  for (let i = 0; i < DIRECT && i < end; i++) {
    if (i >= first) await walk(iBlock, i * 4, iBlock.u32leAt(i * 4, 'i_block'), 0, i);
  }
  let base = DIRECT;
  for (let level = 1; level <= 3; level++) {
    const span = apb ** level;
    if (base < end && base + span > first) {
      await walk(
        iBlock,
        (DIRECT + level - 1) * 4,
        iBlock.u32leAt((DIRECT + level - 1) * 4, 'i_block'),
        level,
        base,
      );
    }
    base += span;
  }
}
