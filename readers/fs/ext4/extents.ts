/**
 * Extent trees (extents.rst, ext4_extents.h). The root lives in i_block (4 entries); deeper nodes
 * are whole blocks. Every node starts with a 12-byte header:
 *
 *   0x0 u16 eh_magic 0xF30A  0x2 u16 eh_entries  0x4 u16 eh_max  0x6 u16 eh_depth  0x8 u32 eh_generation
 *
 * followed by 12-byte entries: index (depth > 0) `u32 ei_block, u32 ei_leaf_lo, u16 ei_leaf_hi` or
 * leaf (depth 0) `u32 ee_block, u16 ee_len, u16 ee_start_hi, u32 ee_start_lo`. ee_len > 32768 marks
 * an uninitialized extent of ee_len - 32768 blocks (reads as zeros).
 *
 * Only the part of the tree overlapping the requested logical range is read. Checks follow
 * ext4_ext_check: magic, entries <= max, max <= what fits, depth <= MAX_EXTENT_DEPTH, child depth ==
 * parent depth - 1, keys strictly increasing; plus a visited set of node blocks (cycles) and a node
 * budget derived from the range size.
 */
import { BadMagicError, CorruptError, LimitExceededError } from '../../../engine/errors.js';
import { DEFAULT_LIMITS } from '../../../engine/limits.js';
import { Cursor } from '../../bytes/cursor.js';
import { type MetaReader, pushRun, type Run } from './runs.js';
import { FORMAT, type Superblock } from './superblock.js';

export const EXTENT_MAGIC = 0xf30a;
const HEADER_BYTES = 12;
const ENTRY_BYTES = 12;
const INIT_MAX_LEN = 32768;

export interface ExtentHeader {
  readonly entries: number;
  readonly max: number;
  readonly depth: number;
}

/** Header at c.pos = 0; `capacity` is how many entries fit in the node. */
export function decodeExtentHeader(c: Cursor, capacity: number, maxDepth: number): ExtentHeader {
  const magic = c.u16leAt(0, 'eh_magic');
  if (magic !== EXTENT_MAGIC)
    throw new BadMagicError(c.loc('eh_magic', 0), `0x${magic.toString(16)}`, '0xf30a');
  const entries = c.u16leAt(2, 'eh_entries');
  const max = c.u16leAt(4, 'eh_max');
  const depth = c.u16leAt(6, 'eh_depth');
  if (max === 0 || max > capacity)
    throw new CorruptError(c.loc('eh_max', 4), max, 'not in', `[1, ${capacity}]`);
  if (entries > max) throw new CorruptError(c.loc('eh_entries', 2), entries, '>', `eh_max ${max}`);
  if (depth > maxDepth) {
    throw new LimitExceededError(c.loc('eh_depth', 6), 'MAX_EXTENT_DEPTH', depth, maxDepth);
  }
  return Object.freeze({ entries, max, depth });
}

interface Pending {
  cursor: Cursor;
  capacity: number;
  /** Expected depth of this node (from the parent), or -1 for the root. */
  depth: number;
  /** Logical range this node may cover, from its parent's keys. */
  lo: number;
  hi: number;
}

/**
 * Appends to `out` the mapped runs of logical blocks [first, end) of an extent-mapped inode, in
 * logical order. Holes are simply absent.
 */
export async function mapExtents(
  sb: Superblock,
  read: MetaReader,
  root: Cursor,
  first: number,
  end: number,
  out: Run[],
  maxDepth: number = DEFAULT_LIMITS.MAX_EXTENT_DEPTH,
): Promise<void> {
  if (end <= first) return;
  const visited = new Set<number>();
  // Each level has at most (end - first) + 1 nodes overlapping the range (children cover disjoint,
  // non-empty key ranges), so this budget is never hit by a well-formed tree.
  const budget = (maxDepth + 1) * (end - first + 1) + 1;
  let nodes = 0;
  const rootCap = Math.floor((root.length - HEADER_BYTES) / ENTRY_BYTES);
  const stack: Pending[] = [{ cursor: root, capacity: rootCap, depth: -1, lo: 0, hi: 2 ** 32 }];
  const blockCap = Math.floor((sb.blockSize - HEADER_BYTES) / ENTRY_BYTES);
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (++nodes > budget) {
      throw new LimitExceededError(node.cursor.loc('extent node'), 'extent nodes per read', nodes, budget);
    }
    const h = decodeExtentHeader(node.cursor, node.capacity, maxDepth);
    if (node.depth >= 0 && h.depth !== node.depth) {
      throw new CorruptError(
        node.cursor.loc('eh_depth', 6),
        h.depth,
        '!=',
        `parent depth - 1 (${node.depth})`,
      );
    }
    const c = node.cursor;
    if (h.depth === 0) {
      let prevEnd = node.lo;
      for (let i = 0; i < h.entries; i++) {
        const at = HEADER_BYTES + i * ENTRY_BYTES;
        const lblk = c.u32leAt(at, 'ee_block');
        const rawLen = c.u16leAt(at + 4, 'ee_len');
        const uninit = rawLen > INIT_MAX_LEN;
        const len = uninit ? rawLen - INIT_MAX_LEN : rawLen;
        const pblk = c.u16leAt(at + 6, 'ee_start_hi') * 2 ** 32 + c.u32leAt(at + 8, 'ee_start_lo');
        if (len === 0) throw new CorruptError(c.loc('ee_len', at + 4), 0, '==', 'an empty extent');
        if (lblk < prevEnd || lblk + len > node.hi) {
          // Name the extent, not a derived bound: node.hi - len goes negative when ee_len is large.
          throw new CorruptError(
            c.loc('ee_block', at),
            `${lblk}..${lblk + len - 1} (ee_len ${len})`,
            'outside',
            `[${prevEnd}, ${node.hi - 1}]`,
          );
        }
        if (pblk <= sb.firstDataBlock || pblk + len > sb.blocksCount) {
          throw new CorruptError(
            c.loc('ee_start', at + 6),
            `${pblk}..${pblk + len - 1} (ee_len ${len})`,
            'outside',
            `[${sb.firstDataBlock + 1}, ${sb.blocksCount - 1}]`,
          );
        }
        prevEnd = lblk + len;
        const s = Math.max(lblk, first);
        const e = Math.min(lblk + len, end);
        if (s < e) pushRun(out, { lblk: s, pblk: pblk + (s - lblk), len: e - s, uninit });
      }
      continue;
    }
    // Index node: children cover [ei_block[i], ei_block[i+1]); push in reverse so the stack pops them
    // in logical order.
    const children: Pending[] = [];
    let prevKey = -1;
    for (let i = 0; i < h.entries; i++) {
      const at = HEADER_BYTES + i * ENTRY_BYTES;
      const key = c.u32leAt(at, 'ei_block');
      if (key <= prevKey || key < node.lo || key >= node.hi) {
        throw new CorruptError(c.loc('ei_block', at), key, 'outside', `(${prevKey}, ${node.hi})`);
      }
      prevKey = key;
      const nextKey = i + 1 < h.entries ? c.u32leAt(at + ENTRY_BYTES, 'ei_block') : node.hi;
      const lo = i === 0 ? node.lo : key;
      const hi = Math.min(Math.max(nextKey, lo), node.hi);
      if (hi <= first || lo >= end) continue;
      const leaf = c.u32leAt(at + 4, 'ei_leaf_lo') + c.u16leAt(at + 8, 'ei_leaf_hi') * 2 ** 32;
      if (leaf <= sb.firstDataBlock || leaf >= sb.blocksCount) {
        throw new CorruptError(
          c.loc('ei_leaf', at + 4),
          leaf,
          'outside',
          `[${sb.firstDataBlock + 1}, ${sb.blocksCount})`,
        );
      }
      if (visited.has(leaf)) {
        throw new CorruptError(
          c.loc('ei_leaf', at + 4),
          leaf,
          'is',
          'a node already visited (extent tree cycle)',
        );
      }
      visited.add(leaf);
      const { buf, offset } = await read(leaf, 'extent node');
      const child = new Cursor(buf, { base: offset, format: FORMAT, struct: 'extent node' });
      children.push({ cursor: child, capacity: blockCap, depth: h.depth - 1, lo, hi });
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
}
