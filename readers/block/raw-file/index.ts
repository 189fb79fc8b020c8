/**
 * Raw image file as a BlockSource: positional reads through one FileHandle, never a whole-file
 * buffer. The image may be a disk (with a partition table) or a bare filesystem.
 */
import { type BigIntStats, constants } from 'node:fs';
import { type FileHandle, open, readFile, stat } from 'node:fs/promises';
import { fsErrorText, SourceError, TruncatedError } from '../../../engine/errors.js';
import type { BlockSource } from '../types.js';

export const id = 'raw-file';
export const displayName = 'Raw disk image file';

export class RawFileSource implements BlockSource {
  readonly blockSize = 4096;
  private constructor(
    readonly id: string,
    readonly size: bigint,
    private readonly fh: FileHandle,
  ) {}

  /**
   * Opens a regular file or a block device. The path is stat'ed before it is opened: opening a
   * FIFO without a writer (or a terminal, a socket) would block forever, so anything else is
   * refused with one line naming what it is. The open itself is non-blocking, and the opened
   * descriptor is checked again (the path could have been swapped in between).
   */
  static async open(path: string): Promise<RawFileSource> {
    let st: BigIntStats;
    try {
      st = await stat(path, { bigint: true });
    } catch (err) {
      throw new SourceError(`cannot open image ${path}: ${fsErrorText(err)}`, { cause: err });
    }
    if (!st.isFile() && !st.isBlockDevice()) {
      throw new SourceError(
        `cannot open image ${path}: it is a ${kindOf(st)}, not a regular file or block device`,
      );
    }
    let fh: FileHandle;
    try {
      fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (err) {
      throw new SourceError(`cannot open image ${path}: ${fsErrorText(err)}`, { cause: err });
    }
    try {
      const fst = await fh.stat({ bigint: true });
      if (fst.ino !== st.ino || fst.dev !== st.dev) {
        throw new SourceError(`cannot open image ${path}: it changed while being opened`);
      }
      const size = fst.isBlockDevice() ? await blockDeviceBytes(path, fst) : fst.size;
      return new RawFileSource(`image:${path}`, size, fh);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  async read(offset: bigint, length: number): Promise<Buffer> {
    if (offset < 0n || length < 0 || offset + BigInt(length) > this.size) {
      throw new TruncatedError(
        { format: 'block', struct: this.id, offset, field: 'read' },
        length,
        // What is left from `offset`: never negative (an offset past the end has 0 bytes).
        offset >= this.size ? 0n : offset < 0n ? this.size : this.size - offset,
      );
    }
    const buf = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.fh.read(buf, done, length - done, Number(offset) + done);
      if (bytesRead === 0) {
        throw new TruncatedError({ format: 'block', struct: this.id, offset, field: 'read' }, length, done);
      }
      done += bytesRead;
    }
    return buf;
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

function kindOf(st: BigIntStats): string {
  if (st.isDirectory()) return 'directory';
  if (st.isFIFO()) return 'FIFO (named pipe)';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice()) return 'character device';
  if (st.isSymbolicLink()) return 'symbolic link';
  return 'special file';
}

/**
 * A block device's size: stat reports 0 for it, so read the kernel's count of 512-byte sectors
 * from /sys/dev/block/MAJOR:MINOR/size (Linux sysfs ABI, Documentation/ABI/stable/sysfs-block).
 */
async function blockDeviceBytes(path: string, st: BigIntStats): Promise<bigint> {
  const rdev = st.rdev;
  // glibc gnu_dev_major/minor: major = bits 8-19 and 32-43, minor = bits 0-7 and 20-31 (sysmacros.h).
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  try {
    const text = await readFile(`/sys/dev/block/${major}:${minor}/size`, 'utf8');
    const sectors = BigInt(text.trim());
    return sectors * 512n;
  } catch (err) {
    throw new SourceError(`cannot size block device ${path} (${major}:${minor}): ${fsErrorText(err)}`, {
      cause: err,
    });
  }
}
