/** Logical → physical mapping runs shared by extent trees, block maps and the data reader. */

export interface Run {
  /** First logical block. */
  readonly lblk: number;
  /** First physical block. */
  readonly pblk: number;
  /** Blocks in the run. */
  readonly len: number;
  /** Uninitialized (preallocated) extent: reads as zeros. */
  readonly uninit: boolean;
}

/** Reads one file-system block of metadata (cached); `offset` is its absolute byte offset. */
export type MetaReader = (block: number, struct: string) => Promise<{ buf: Buffer; offset: number }>;

/** Appends a run, merging it into the previous one when both are contiguous. */
export function pushRun(out: Run[], r: Run): void {
  const last = out[out.length - 1];
  if (
    last &&
    last.uninit === r.uninit &&
    last.lblk + last.len === r.lblk &&
    last.pblk + last.len === r.pblk
  ) {
    out[out.length - 1] = { lblk: last.lblk, pblk: last.pblk, len: last.len + r.len, uninit: r.uninit };
    return;
  }
  out.push(r);
}
