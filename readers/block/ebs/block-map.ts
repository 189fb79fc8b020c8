/**
 * The sparse block map of a snapshot, built from ListSnapshotBlocks pages. The answer comes from an
 * API, but it describes a disk that may belong to a hostile machine and travels over a network, so it
 * is validated like on-disk data: sizes in range, indexes inside the volume and strictly ascending,
 * geometry equal on every page, pagination that always advances.
 *
 *   ListSnapshotBlocks page (REST-JSON)
 *   { Blocks: [{BlockIndex, BlockToken}…]  ascending, only blocks that were written
 *     VolumeSize: GiB   BlockSize: bytes (524288)   ExpiryTime: epoch s of the tokens   NextToken? }
 */
import { CorruptError, LimitExceededError } from '../../../engine/errors.js';
import { DEFAULT_LIMITS } from '../../../engine/limits.js';

const GiB = 1024n ** 3n;
/** EBS volumes are at most 64 TiB. */
export const MAX_VOLUME_GIB = 64 * 1024;
/** Tokens are opaque strings of a few hundred bytes; refuse absurd ones. */
const MAX_TOKEN_CHARS = 4096;
/** Pages that return no block but a NextToken, tolerated per listing. */
export const MAX_EMPTY_PAGES = 100;

export interface ListedPage {
  Blocks?: { BlockIndex?: number; BlockToken?: string }[];
  VolumeSize?: number;
  BlockSize?: number;
  ExpiryTime?: Date;
  NextToken?: string;
}

export interface BlockEntry {
  token: string;
  /** Epoch ms when the token expires (Infinity when the page gave no ExpiryTime). */
  expiresAt: number;
}

export class BlockMap {
  readonly blocks = new Map<number, BlockEntry>();
  volumeGiB = 0;
  blockSize = 0;
  blockCount = 0;

  constructor(
    readonly snapshotId: string,
    private readonly maxBlockBytes = DEFAULT_LIMITS.MAX_EBS_BLOCK_BYTES,
  ) {}

  get volumeBytes(): bigint {
    return BigInt(this.volumeGiB) * GiB;
  }

  private loc(field: string) {
    return { format: 'ebs', struct: `ListSnapshotBlocks ${this.snapshotId}`, offset: 0, field };
  }

  /**
   * Adds one page. `after` is the index the page must start above (-1 for the first page of a
   * listing); returns the last index seen so the caller can check the next page advances.
   */
  addPage(page: ListedPage, after: number): number {
    const size = page.VolumeSize;
    const bs = page.BlockSize;
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 1 || size > MAX_VOLUME_GIB) {
      throw new CorruptError(this.loc('VolumeSize'), size, 'not in', `1..${MAX_VOLUME_GIB} GiB`);
    }
    if (
      typeof bs !== 'number' ||
      !Number.isInteger(bs) ||
      bs < 512 ||
      bs > this.maxBlockBytes ||
      (bs & (bs - 1)) !== 0
    ) {
      throw new CorruptError(
        this.loc('BlockSize'),
        bs,
        'not a power of two in',
        `512..${this.maxBlockBytes}`,
      );
    }
    if (this.volumeGiB === 0) {
      this.volumeGiB = size;
      this.blockSize = bs;
      this.blockCount = Number(this.volumeBytes / BigInt(bs));
    } else if (size !== this.volumeGiB || bs !== this.blockSize) {
      throw new CorruptError(
        this.loc('VolumeSize/BlockSize'),
        `${size}/${bs}`,
        '!=',
        `${this.volumeGiB}/${this.blockSize}`,
      );
    }
    const blocks = page.Blocks ?? [];
    if (blocks.length > 10_000) {
      throw new LimitExceededError(this.loc('Blocks'), 'MaxResults', blocks.length, 10_000);
    }
    const expiresAt = page.ExpiryTime instanceof Date ? page.ExpiryTime.getTime() : Number.POSITIVE_INFINITY;
    let last = after;
    for (const b of blocks) {
      const i = b.BlockIndex;
      if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= this.blockCount) {
        throw new CorruptError(this.loc('BlockIndex'), i, 'not in', `0..${this.blockCount - 1}`);
      }
      if (i <= last)
        throw new CorruptError(this.loc('BlockIndex'), i, '<=', `previous ${last} (not ascending)`);
      const token = b.BlockToken;
      if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_CHARS) {
        throw new CorruptError(
          this.loc('BlockToken'),
          `${String(token).length} chars`,
          'not in',
          `1..${MAX_TOKEN_CHARS}`,
        );
      }
      this.blocks.set(i, { token, expiresAt });
      last = i;
    }
    return last;
  }
}
