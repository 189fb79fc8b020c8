/**
 * Raw image files as snapshot contents. EBS lists only blocks that were written; a fresh volume
 * restored from an image lists the blocks holding data, so the emulator lists the 512 KiB blocks that
 * contain a non-zero byte. Reads past the end of the file are zeros (the volume is sized in GiB and
 * usually larger than the image).
 */
import { createHash } from 'node:crypto';
import { type FileHandle, open } from 'node:fs/promises';

/** EBS snapshot block size (the EBS direct APIs always answer 524288). */
export const EMULATOR_BLOCK_BYTES = 512 * 1024;

export class ImageStore {
  private readonly handles = new Map<string, Promise<FileHandle>>();
  private readonly listings = new Map<string, Promise<number[]>>();

  constructor(readonly blockSize: number) {}

  private handle(path: string): Promise<FileHandle> {
    let h = this.handles.get(path);
    if (!h) {
      h = open(path, 'r');
      this.handles.set(path, h);
    }
    return h;
  }

  async fileSize(path: string): Promise<number> {
    const fh = await this.handle(path);
    return (await fh.stat()).size;
  }

  /** Indexes of blocks with at least one non-zero byte, ascending. Computed once per image. */
  written(path: string): Promise<number[]> {
    let l = this.listings.get(path);
    if (!l) {
      l = this.scan(path);
      this.listings.set(path, l);
    }
    return l;
  }

  private async scan(path: string): Promise<number[]> {
    const fh = await this.handle(path);
    const size = (await fh.stat()).size;
    const out: number[] = [];
    const buf = Buffer.alloc(this.blockSize);
    const blocks = Math.ceil(size / this.blockSize);
    for (let i = 0; i < blocks; i++) {
      const { bytesRead } = await fh.read(buf, 0, this.blockSize, i * this.blockSize);
      if (hasNonZero(buf, bytesRead)) out.push(i);
    }
    return out;
  }

  /** One whole block, zero-padded past the end of the file. */
  async block(path: string, index: number): Promise<Buffer> {
    const fh = await this.handle(path);
    const buf = Buffer.alloc(this.blockSize);
    let done = 0;
    while (done < this.blockSize) {
      const { bytesRead } = await fh.read(buf, done, this.blockSize - done, index * this.blockSize + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return buf;
  }

  async close(): Promise<void> {
    for (const h of this.handles.values()) {
      // A handle whose open failed has nothing to close.
      await h.then((fh) => fh.close()).catch(() => {});
    }
    this.handles.clear();
  }
}

const ZEROS = Buffer.alloc(1024 * 1024);

function hasNonZero(buf: Buffer, len: number): boolean {
  // memcmp against a zero buffer: a 64 MiB image is scanned in milliseconds.
  for (let i = 0; i < len; i += ZEROS.length) {
    const n = Math.min(ZEROS.length, len - i);
    if (!buf.subarray(i, i + n).equals(ZEROS.subarray(0, n))) return true;
  }
  return false;
}

export function sha256b64(data: Buffer): string {
  return createHash('sha256').update(data).digest('base64');
}
