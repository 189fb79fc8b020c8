/**
 * RandomAccess: positional, sized reads over one file's bytes (a jar, an executable). Parsers of
 * large files (zip central directories, ELF section tables) read only the ranges they need through
 * it instead of holding the whole file: a 200 MiB Go binary costs its headers and one section.
 *
 * Reads are exact: a range past `size` throws TruncatedError naming the structure, never returns
 * short. `bufferAccess` serves a Buffer (tests, nested stored jars), `sliceAccess` a window of
 * another RandomAccess (a stored jar inside a jar), `storeAccess` one inode of a filesystem.
 */
import { TruncatedError } from '../../engine/errors.js';
import type { InodeStore } from '../fs/types.js';

export interface RandomAccess {
  /** For error messages: the file's path (nested: `/app.jar!/BOOT-INF/lib/x.jar`). */
  readonly name: string;
  readonly size: number;
  /** Exactly `length` bytes at `offset`; TruncatedError when the range leaves [0, size). */
  read(offset: number, length: number, struct: string): Promise<Buffer>;
  /** Optional hint: these bytes will be read soon (a latency-bound source fetches them now). */
  prefetch?(offset: number, length: number): void;
}

function check(ra: { name: string; size: number }, offset: number, length: number, struct: string): void {
  if (
    !Number.isSafeInteger(offset) ||
    !Number.isSafeInteger(length) ||
    offset < 0 ||
    length < 0 ||
    offset + length > ra.size
  ) {
    throw new TruncatedError(
      { format: ra.name, struct, offset: Math.max(0, Math.min(offset, ra.size)) },
      length,
      Math.max(0, ra.size - offset),
    );
  }
}

export function bufferAccess(buf: Buffer, name: string): RandomAccess {
  return {
    name,
    size: buf.length,
    async read(offset, length, struct) {
      check(this, offset, length, struct);
      return buf.subarray(offset, offset + length);
    },
  };
}

export function sliceAccess(parent: RandomAccess, start: number, size: number, name: string): RandomAccess {
  check(parent, start, size, `slice ${name}`);
  return {
    name,
    size,
    async read(offset, length, struct) {
      check(this, offset, length, struct);
      return parent.read(start + offset, length, struct);
    },
  };
}

/** One regular file of a filesystem, read through its InodeStore (only the ranges asked for). */
export function storeAccess(
  store: InodeStore,
  ino: number,
  size: number,
  name: string,
  signal?: AbortSignal,
): RandomAccess {
  return {
    name,
    size,
    async read(offset, length, struct) {
      check(this, offset, length, struct);
      const b = await store.readData(ino, offset, length, signal);
      if (b.length !== length) {
        throw new TruncatedError({ format: name, struct, offset }, length, b.length);
      }
      return b;
    },
    prefetch(offset, length) {
      // A hint: a failure here is reported by the read that follows.
      store.prefetchData?.(ino, offset + length, offset)?.catch(() => {});
    },
  };
}
