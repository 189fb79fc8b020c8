/**
 * Hard limits for vulnerability-feed input. Feeds come over the network and from local folders a user
 * points us at: a truncated download, a zip bomb or a runaway directory must give a typed error, never
 * a hang or unbounded memory. Kept beside the store (not in engine/limits.ts) because nothing else
 * reads them; the unit is in each name, as there.
 */
import { GiB, MiB } from '../limits.js';

export const VULNDB_LIMITS = {
  /** One OSV/ALAS/KEV JSON or YAML document read whole into memory (the largest OSV record is ~5 MiB). */
  MAX_RECORD_BYTES: 64 * MiB,
  /** A whole feed document parsed at once: the Debian tracker JSON is ~70 MiB today, KEV ~1.5 MiB. */
  MAX_DOCUMENT_BYTES: 1 * GiB,
  /** Entries in one OSV all.zip (npm's has ~200k today). */
  MAX_ZIP_ENTRIES: 2_000_000,
  /** Zips up to this size are read into memory before iterating (OSV's largest all.zip is a few hundred MiB). */
  MAX_ZIP_IN_MEMORY_BYTES: 1 * GiB,
  /** Uncompressed bytes of one zip entry (also guards against a lying size field: yauzl checks it). */
  MAX_ZIP_ENTRY_BYTES: 64 * MiB,
  /** Files visited by one directory walk. */
  MAX_WALK_FILES: 2_000_000,
  /** Directory depth of one walk. */
  MAX_WALK_DEPTH: 32,
  /** Bytes downloaded for one feed. */
  MAX_DOWNLOAD_BYTES: 4 * GiB,
  /** Decompressed bytes of one gzip feed (EPSS is ~10 MiB, ALAS updateinfo ~30 MiB). */
  MAX_GUNZIP_BYTES: 1 * GiB,
  /** Redirect hops followed by `db update` (each hop is a new request). */
  MAX_REDIRECTS: 5,
  /** Affected entries / events per advisory (real records have at most a few thousand). */
  MAX_AFFECTED_PER_ADVISORY: 100_000,
} as const;
