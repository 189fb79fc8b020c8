/**
 * Every hard limit in one place, the unit in the name. A disk belongs to a machine that may be
 * compromised: every length, offset, count, depth and loop taken from it is checked against one of
 * these. There is no user-facing override: tests and benches spread a `Partial<Limits>` over
 * DEFAULT_LIMITS. (No per-file timeout either: every loop is bounded by a count from here instead.)
 */

/*
 * Memory ceilings (peak RSS of the whole process, default limits; measured by bench/memory.ts,
 * one child process per scan, Node 20):
 *
 *   local image scan            300 MiB  measured 136 (Debian minbase) · 155 (sparse 511 MiB rpmdb.sqlite)
 *                                        · 284 (16 MiB dpkg status at MAX_DPKG_STATUS_BYTES, 15,359 pkgs)
 *   snapshot / instance scan    300 MiB  measured 138 (snapshot) · 185-199 (instance, OS packages);
 *                                        548 for an instance scan with a full language walk of a
 *                                        409-package disk, which gets the 256 MiB walk cache
 *                                        (895 GetSnapshotBlock); 340 with the 64 MiB cache but about
 *                                        twice the calls — over the ceiling, chosen for cost and
 *                                        speed (ebsCacheBytes below); a scheduler task holds up to
 *                                        --concurrency × volumes such caches
 *
 * What keeps one input from pushing a scan past them:
 *   - rpm databases above RPMDB_SPILL_ABOVE_BYTES are copied to a private temp file (removed in
 *     finally); SQLite reads it with an 8 MiB page cache; Berkeley DB / ndb are read whole only up
 *     to MAX_RPMDB_IN_MEMORY_BYTES; one header at a time is decoded (MAX_RPM_HEADER_BYTES);
 *   - dpkg status / available: MAX_DPKG_STATUS_BYTES (16 MiB) in memory, parsed stanza by
 *     stanza (each becomes an entry as it ends). Parsed and catalogued a status still costs ~8
 *     bytes of scan memory per byte (~8 KiB per package): a 96 MiB status (92,108 packages),
 *     allowed before, peaked at 893 MiB (1,195 before the streaming parse); it is now refused
 *     with limit-exceeded (121 MiB, outcome partial). apk installed: MAX_PKGDB_BYTES, line by line;
 *   - language walk: MAX_LANG_INFLIGHT_BYTES of file bytes at once (manifests, MAX_LANG_FILE_BYTES
 *     each); archives and executables are read by range (CatalogFile.source), not whole;
 *   - EBS: a block cache (EbsSourceOptions.cacheBytes) plus 64 requests in flight of 512 KiB. Its
 *     size follows the scan (ebsCacheBytes): 64 MiB for an OS inventory (a few dozen blocks), 256 MiB
 *     when the language walk runs — with 64 MiB the walk of a 1.5 GB Debian root re-fetched blocks
 *     (1,063 GetSnapshotBlock for 491 blocks, 10.3 s at 20 ms per block, 311 MiB peak) where 256 MiB
 *     fetches each block once (491 calls, 4.3 s, 434 MiB peak): calls cost money and time;
 *   - scan workers: an 8 MiB young generation (workers/pool.ts); AWS SDK packages load on first use.
 */

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

/** EBS block-cache budget for an OS-only inventory: it reads a few dozen 512 KiB blocks. */
export const EBS_CACHE_BYTES = 64 * MiB;
/** EBS block-cache budget when the language walk runs: enough that no block is fetched twice. */
export const EBS_WALK_CACHE_BYTES = 256 * MiB;

/** The block-cache budget for a scan of these package kinds (see the EBS note above). */
export function ebsCacheBytes(packages: readonly string[]): number {
  return packages.includes('lang') ? EBS_WALK_CACHE_BYTES : EBS_CACHE_BYTES;
}

export const DEFAULT_LIMITS = {
  /** ext4 spec: the extent tree is at most 5 levels deep (ext4_ext_check: depth > EXT4_MAX_EXTENT_DEPTH). */
  MAX_EXTENT_DEPTH: 5,
  /** GPT: the UEFI minimum is 128 entries; real tables never exceed a few thousand. */
  MAX_GPT_ENTRIES: 4096,
  /** GPT entry size must be 128 * 2^n; cap at 4 KiB. */
  MAX_GPT_ENTRY_BYTES: 4096,
  /** MBR extended partition chain: Linux caps logical partitions well below this. */
  MAX_MBR_LOGICAL_PARTITIONS: 256,
  /** LVM2 text metadata read from one metadata area (lvm2's own default mda is 1 MiB; allow growth). */
  MAX_LVM_METADATA_BYTES: 16 * MiB,
  /** LVM2 text config: nesting depth of sections (real metadata nests 5 deep: vg/lvs/lv/segment). */
  MAX_LVM_CONFIG_DEPTH: 16,
  /** LVM2 text config: values, sections and array elements in one metadata text. */
  MAX_LVM_CONFIG_NODES: 1_000_000,
  /** LVM2: segments of one logical volume (each becomes a piece of a concatenating source). */
  MAX_LVM_SEGMENTS_PER_LV: 65_536,
  /** LVM2: logical volumes in one volume group (lvm2's max_lv is unbounded when 0; real VGs have tens). */
  MAX_LVM_LOGICAL_VOLUMES: 4096,
  /** LVM2: physical volumes listed in one volume group's metadata. */
  MAX_LVM_PHYSICAL_VOLUMES: 4096,
  /** Package databases: scalibr's dpkg default is 100 MiB. */
  MAX_PKGDB_BYTES: 100 * MiB,
  /**
   * dpkg status and available files. A real Debian system with 5,000 packages has a ~5 MiB status
   * (~1 KiB per stanza); 16 MiB is ~15,000 packages, three times a large desktop. Parsed, a status
   * costs ~8 bytes of scan memory per byte (bench/memory.ts), so this keeps a scan under the
   * 300 MiB ceiling where MAX_PKGDB_BYTES (96 MiB status: 893 MiB peak) did not. Above it: a
   * limit-exceeded error for the file, never "0 packages".
   */
  MAX_DPKG_STATUS_BYTES: 16 * MiB,
  /** One line in a text database (syft apk: 10 MiB). */
  MAX_LINE_BYTES: 10 * MiB,
  /** Linux's MAXSYMLINKS. */
  MAX_SYMLINK_HOPS: 40,
  /** Entries read from one directory. */
  MAX_DIR_ENTRIES: 1_000_000,
  /** Inodes visited by one bounded walk. */
  MAX_INODES_VISITED: 5_000_000,
  /** Depth of a walk below its start. */
  MAX_WALK_DEPTH: 64,
  /** Path components in one lookup. */
  MAX_PATH_COMPONENTS: 4096,
  /** Bytes of a symlink target (PATH_MAX). */
  MAX_SYMLINK_BYTES: 4096,
  /** Default cap for FileSystem.readFile when the caller gives none. */
  DEFAULT_READ_FILE_BYTES: 64 * MiB,
  /** One per-package metadata file beside a package DB (dpkg info/<pkg>.md5sums, /usr/share/doc/<pkg>/copyright). */
  MAX_PKG_INFO_FILE_BYTES: 16 * MiB,
  /** Small config files (os-release and friends). */
  MAX_CONFIG_FILE_BYTES: 1 * MiB,
  /** rpm header: index entries (rpm's own HEADER_TAGS_MAX is 0xffff). */
  MAX_RPM_HEADER_ENTRIES: 0xffff,
  /**
   * rpm header: data store bytes. rpm's own HEADER_DATA_MAX is 256 MiB; real headers are far
   * smaller (kernel-devel, texlive: a few MiB), and one header is decoded in memory, so 64 MiB.
   */
  MAX_RPM_HEADER_BYTES: 64 * MiB,
  /** Packages in one database. */
  MAX_PACKAGES_PER_DB: 1_000_000,
  /**
   * rpm database file (Berkeley DB Packages on large RHEL hosts reaches a few hundred MiB). Above
   * RPMDB_SPILL_ABOVE_BYTES the file is copied to a temporary file, not held in memory.
   */
  MAX_RPMDB_BYTES: 512 * MiB,
  /** rpm databases larger than this are spilled to a temporary file (rpmdb.sqlite of a RHEL 9 server: 10-60 MiB). */
  RPMDB_SPILL_ABOVE_BYTES: 32 * MiB,
  /**
   * Berkeley DB and ndb rpm databases are read whole into memory (their pages are followed by
   * pointer); SQLite ones are not (read from the spilled copy). Keeps an image scan under its
   * 300 MiB ceiling: this, plus one decoded header, plus the scan's ~100 MiB baseline.
   */
  MAX_RPMDB_IN_MEMORY_BYTES: 160 * MiB,
  /** Bytes one EBS snapshot block may have (EBS direct uses 512 KiB). */
  MAX_EBS_BLOCK_BYTES: 512 * KiB,
  /** Bytes of one directory's blocks (ext4): 1M entries of ~40 B plus htree slack stay far below. */
  MAX_DIR_BYTES: 256 * MiB,
  /** Language walk: directory depth below the filesystem root (node_modules nest deep; 40 levels is PATH_MAX-ish). */
  MAX_LANG_WALK_DEPTH: 40,
  /** Language walk: directory entries visited on one filesystem (a 1.5 GB root has ~60,000). */
  MAX_LANG_WALK_ENTRIES: 2_000_000,
  /** Language walk: one manifest file (METADATA, package.json, installed.json, deps.json, gemspec). */
  MAX_LANG_FILE_BYTES: 16 * MiB,
  /** Language walk: bytes read from all wanted files of one filesystem together. */
  MAX_LANG_TOTAL_BYTES: 512 * MiB,
  /** Language walk: wanted files on one filesystem (each becomes a read and a parse). */
  MAX_LANG_FILES: 200_000,
  /**
   * npm package-lock.json: package entries in one lockfile (a large monorepo's lock holds ~10-20k;
   * each entry becomes evidence or a declared package).
   */
  MAX_NPM_LOCK_ENTRIES: 100_000,
  /**
   * npm package-lock.json: node_modules nesting of one entry (v1: nested `dependencies` objects;
   * v2/v3: `node_modules/` segments of a key), as MAX_LANG_WALK_DEPTH bounds the walk.
   */
  MAX_NPM_LOCK_DEPTH: 40,
  /**
   * Language walk: file bytes held at once by its parallel whole-file reads (a file larger than
   * this is read alone); 16 reads of up to MAX_LANG_FILE_BYTES each would otherwise hold 256 MiB.
   */
  MAX_LANG_INFLIGHT_BYTES: 48 * MiB,
  /** Bytes one InodeStore.readData call may return (it allocates the result). */
  MAX_READ_DATA_BYTES: 1 * GiB,
  /** Zip central directory entries (a Spring Boot fat jar has ~10-30k; big EARs ~100k). */
  MAX_ZIP_ENTRIES: 500_000,
  /** Bytes of one zip central directory (46 B + name + extra + comment per entry). */
  MAX_ZIP_CENTRAL_DIR_BYTES: 64 * MiB,
  /**
   * Declared or actual inflated/compressed ratio of one zip entry above which it is a zip bomb.
   * Deflate's best case is ~1032:1; real text and class files stay under ~20:1, jars ~1:1.
   */
  MAX_ZIP_COMPRESSION_RATIO: 200,
  /** Entries smaller than this are not ratio-checked (a 1 KiB run of spaces is no bomb). */
  ZIP_RATIO_CHECK_MIN_BYTES: 1 * MiB,
  /** Bytes one inflated zip entry may have (a nested jar held in memory). */
  MAX_ZIP_ENTRY_BYTES: 128 * MiB,
  /** Inflated bytes per top-level archive, nested archives included. */
  MAX_ZIP_INFLATED_BYTES: 512 * MiB,
  /** Archives inside archives (app.ear!/x.war!/WEB-INF/lib/y.jar is 2 below the file). */
  MAX_JAR_NESTING_DEPTH: 4,
  /** Archives opened per top-level file, nested ones included (a WAR's WEB-INF/lib holds hundreds). */
  MAX_JARS_PER_FILE: 10_000,
  /** Sections in one ELF/PE/Mach-O table. */
  MAX_EXEC_SECTIONS: 65_535,
  /** Bytes of the section-name string table read to find a section. */
  MAX_EXEC_STRTAB_BYTES: 4 * MiB,
  /** Go build info (version + module list): Kubernetes' is ~50 KiB. */
  MAX_GO_BUILDINFO_BYTES: 4 * MiB,
  /** cargo-auditable .dep-v0, compressed and inflated (auditable-extract's own default is 8 MiB). */
  MAX_CARGO_AUDIT_BYTES: 8 * MiB,
} as const;

export type Limits = { -readonly [K in keyof typeof DEFAULT_LIMITS]: number };
