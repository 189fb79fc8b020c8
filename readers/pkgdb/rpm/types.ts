/** What each rpmdb backend reader hands back: raw header blobs keyed by instance number. */
import type { ScanError } from '../../../engine/errors.js';

export interface RpmDbRecord {
  /** Header instance number (sqlite hnum, BDB key, NDB pkgidx). */
  key: number;
  /** The header blob (il, dl, index, data store). */
  blob: Buffer;
  /** Absolute offset of the blob in the file when it is contiguous there (0 when unknown). */
  offset: number;
}

export interface RpmDbRead {
  records: RpmDbRecord[];
  /** Per-record problems; the other records were still read. */
  errors: ScanError[];
}
