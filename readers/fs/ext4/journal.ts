/**
 * jbd2 journal replay, read-only (kernel Documentation/filesystems/ext4/journal.rst, fs/jbd2/recovery.c).
 * A snapshot of a running machine is crash-consistent: its superblock often says "needs_recovery",
 * and the newest metadata (e.g. a just-updated package database's directory or inode) may exist
 * only in the journal. Instead of writing anything, replay builds an overlay: file-system block →
 * the journal block holding its newest committed copy; the store patches reads with it.
 *
 * All journal fields are big-endian. Every block starts with a 12-byte header:
 *   0x0 u32 h_magic 0xC03B3998   0x4 u32 h_blocktype   0x8 u32 h_sequence
 * Block types: 1 descriptor, 2 commit, 3/4 superblock v1/v2, 5 revoke.
 * Superblock: 0xC s_blocksize, 0x10 s_maxlen, 0x14 s_first, 0x18 s_sequence, 0x1C s_start (0 = clean),
 *   0x24 s_feature_compat, 0x28 s_feature_incompat.
 * Descriptor: tags (csum v3: u32 blocknr, u32 flags, u32 blocknr_high, u32 csum; otherwise u32
 *   blocknr, u16 csum, u16 flags, [u32 blocknr_high if 64bit], [+2 if csum v2]), each followed by a
 *   16-byte UUID unless SAME_UUID; the data blocks follow the descriptor in log order.
 * Revoke: 0xC u32 r_count (bytes used), then u32 or u64 (64bit) block numbers.
 *
 * Checksums and fast-commit blocks are not used: a transaction counts once its commit block is seen
 * (what recovery.c does without async_commit).
 */
import { BadMagicError, CorruptError, LimitExceededError } from '../../../engine/errors.js';
import { Cursor, toSafeNumber } from '../../bytes/cursor.js';
import { FORMAT } from './superblock.js';

export const JBD2_MAGIC = 0xc03b3998;
const T_DESCRIPTOR = 1;
const T_COMMIT = 2;
const T_SB_V1 = 3;
const T_SB_V2 = 4;
const T_REVOKE = 5;

const INCOMPAT_64BIT = 0x2;
const INCOMPAT_CSUM_V2 = 0x8;
const INCOMPAT_CSUM_V3 = 0x10;

const FLAG_ESCAPE = 0x1;
const FLAG_SAME_UUID = 0x2;
const FLAG_LAST_TAG = 0x8;

export interface JournalSuperblock {
  readonly blockSize: number;
  readonly maxLen: number;
  readonly first: number;
  readonly sequence: number;
  /** First log block of the oldest live transaction; 0 = nothing to replay. */
  readonly start: number;
  readonly incompat: number;
}

export function decodeJournalSuperblock(
  buf: Buffer,
  absOffset: number,
  fsBlockSize: number,
): JournalSuperblock {
  const c = new Cursor(buf, { base: absOffset, format: FORMAT, struct: 'journal superblock' });
  const magic = c.u32beAt(0, 'h_magic');
  if (magic !== JBD2_MAGIC)
    throw new BadMagicError(c.loc('h_magic', 0), `0x${magic.toString(16)}`, '0xc03b3998');
  const type = c.u32beAt(4, 'h_blocktype');
  if (type !== T_SB_V1 && type !== T_SB_V2)
    throw new CorruptError(c.loc('h_blocktype', 4), type, 'not in', '{3, 4}');
  const blockSize = c.u32beAt(0xc, 's_blocksize');
  if (blockSize !== fsBlockSize)
    throw new CorruptError(c.loc('s_blocksize', 0xc), blockSize, '!=', fsBlockSize);
  const maxLen = c.u32beAt(0x10, 's_maxlen');
  const first = c.u32beAt(0x14, 's_first');
  const start = c.u32beAt(0x1c, 's_start');
  if (first < 1 || first >= maxLen)
    throw new CorruptError(c.loc('s_first', 0x14), first, 'not in', `[1, ${maxLen})`);
  if (start !== 0 && (start < first || start >= maxLen)) {
    throw new CorruptError(c.loc('s_start', 0x1c), start, 'not in', `[${first}, ${maxLen})`);
  }
  return Object.freeze({
    blockSize,
    maxLen,
    first,
    sequence: c.u32beAt(0x18, 's_sequence'),
    start,
    incompat: type === T_SB_V2 ? c.u32beAt(0x28, 's_feature_incompat') : 0,
  });
}

export interface JournalReplay {
  /** File-system block → journal log block with its newest committed copy. */
  readonly blocks: Map<number, { log: number; escaped: boolean }>;
  readonly transactions: number;
}

/** Reads one journal log block (0-based within the journal inode). */
export type JournalReader = (log: number) => Promise<{ buf: Buffer; offset: number }>;

interface Tx {
  seq: number;
  writes: Array<{ block: number; log: number; escaped: boolean }>;
  revokes: number[];
}

/**
 * Scans the log from s_start and returns the overlay of committed, non-revoked blocks. The walk
 * visits each log block at most once (hop budget = log length), so a corrupt log cannot loop.
 */
export async function replayJournal(
  jsb: JournalSuperblock,
  read: JournalReader,
  fsBlocksCount: number,
): Promise<JournalReplay> {
  const blocks = new Map<number, { log: number; escaped: boolean }>();
  if (jsb.start === 0) return { blocks, transactions: 0 };
  const wide = (jsb.incompat & INCOMPAT_64BIT) !== 0;
  const csum3 = (jsb.incompat & INCOMPAT_CSUM_V3) !== 0;
  const csum2 = (jsb.incompat & INCOMPAT_CSUM_V2) !== 0;
  const tagBytes = csum3 ? 16 : (csum2 ? 14 : 12) - (wide ? 0 : 4);
  const tailBytes = csum2 || csum3 ? 4 : 0;
  const logLen = jsb.maxLen - jsb.first;
  const next = (p: number) => (p + 1 >= jsb.maxLen ? jsb.first : p + 1);

  const txs: Tx[] = [];
  let cur: Tx = { seq: jsb.sequence, writes: [], revokes: [] };
  let pos = jsb.start;
  let steps = 0;
  const step = () => {
    if (++steps > logLen) {
      throw new LimitExceededError(
        { format: FORMAT, struct: 'journal', offset: 0, field: 'log blocks' },
        'journal log length',
        steps,
        logLen,
      );
    }
  };
  for (;;) {
    step();
    const { buf, offset } = await read(pos);
    const c = new Cursor(buf, { base: offset, format: FORMAT, struct: 'journal block' });
    // The end of the log: a block that is not the next expected header (recovery.c does the same).
    if (c.u32beAt(0) !== JBD2_MAGIC || c.u32beAt(8) !== cur.seq >>> 0) break;
    const type = c.u32beAt(4, 'h_blocktype');
    if (type === T_DESCRIPTOR) {
      const limit = buf.length - tailBytes;
      let at = 12;
      let log = pos;
      while (at + tagBytes <= limit) {
        const tagAt = at;
        const lo = c.u32beAt(at, 't_blocknr');
        const flags = csum3 ? c.u32beAt(at + 4, 't_flags') : c.u16beAt(at + 6, 't_flags');
        const hi = wide ? c.u32beAt(at + 8, 't_blocknr_high') : 0;
        at += tagBytes + (flags & FLAG_SAME_UUID ? 0 : 16);
        step();
        log = next(log);
        const block = toSafeNumber(
          (BigInt(hi) << 32n) | BigInt(lo),
          Number.MAX_SAFE_INTEGER,
          c.loc('t_blocknr', tagAt),
        );
        cur.writes.push({ block, log, escaped: (flags & FLAG_ESCAPE) !== 0 });
        if (flags & FLAG_LAST_TAG) break;
      }
      pos = next(log);
    } else if (type === T_REVOKE) {
      const count = c.u32beAt(12, 'r_count');
      const recBytes = wide ? 8 : 4;
      if (count < 16 || count > buf.length - tailBytes) {
        throw new CorruptError(c.loc('r_count', 12), count, 'not in', `[16, ${buf.length - tailBytes}]`);
      }
      for (let at = 16; at + recBytes <= count; at += recBytes) {
        cur.revokes.push(
          wide
            ? toSafeNumber(c.u64beAt(at, 'revoke block'), Number.MAX_SAFE_INTEGER, c.loc('revoke block', at))
            : c.u32beAt(at, 'revoke block'),
        );
      }
      pos = next(pos);
    } else if (type === T_COMMIT) {
      txs.push(cur);
      cur = { seq: (cur.seq + 1) >>> 0, writes: [], revokes: [] };
      pos = next(pos);
    } else {
      break;
    }
  }
  // A block is replayed unless a revoke in the same or a later committed transaction covers it.
  const revokedAt = new Map<number, number>();
  txs.forEach((tx, i) => {
    for (const b of tx.revokes) revokedAt.set(b, i);
  });
  txs.forEach((tx, i) => {
    for (const w of tx.writes) {
      const r = revokedAt.get(w.block);
      if (r !== undefined && r >= i) continue;
      if (w.block >= fsBlocksCount) continue; // a block outside the volume cannot be applied
      blocks.set(w.block, { log: w.log, escaped: w.escaped });
    }
  });
  return { blocks, transactions: txs.length };
}
