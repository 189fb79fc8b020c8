/**
 * rpm header tag numbers and data types used by the cataloger (rpm 4.x include/rpm/rpmtag.h).
 * Only the tags we read are listed; any other tag is still bounds-checked by the header decoder.
 */

/** Header entry data types (rpmTagType, rpmtag.h). */
export const RpmType = {
  NULL: 0,
  CHAR: 1,
  INT8: 2,
  INT16: 3,
  INT32: 4,
  INT64: 5,
  STRING: 6,
  BIN: 7,
  STRING_ARRAY: 8,
  I18NSTRING: 9,
} as const;

export const RPM_MAX_TYPE = RpmType.I18NSTRING;

/** Region tags (header_internal.h / rpmtag.h): the first entry of a header blob names its region. */
export const RegionTag = {
  HEADERIMAGE: 61,
  HEADERSIGNATURES: 62,
  HEADERIMMUTABLE: 63,
} as const;

/** A region entry and its trailer are BIN entries of exactly 16 bytes (REGION_TAG_TYPE/COUNT). */
export const REGION_TAG_COUNT = 16;

export const Tag = {
  /** Signature tags copied into the installed header (RPMTAG_SIG* = 256 + RPMSIGTAG_*). */
  SIGSIZE: 257,
  SIGPGP: 259,
  SIGMD5: 261,
  SIGGPG: 262,
  DSAHEADER: 267,
  RSAHEADER: 268,
  SHA1HEADER: 269,
  SHA256HEADER: 273,

  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  EPOCH: 1003,
  SUMMARY: 1004,
  BUILDTIME: 1006,
  INSTALLTIME: 1008,
  SIZE: 1009,
  VENDOR: 1011,
  LICENSE: 1014,
  ARCH: 1022,
  OLDFILENAMES: 1027,
  FILESIZES: 1028,
  FILEMODES: 1030,
  FILEDIGESTS: 1035,
  FILEFLAGS: 1037,
  FILEUSERNAME: 1039,
  FILEGROUPNAME: 1040,
  SOURCERPM: 1044,
  PROVIDENAME: 1047,
  REQUIRENAME: 1049,
  DIRINDEXES: 1116,
  BASENAMES: 1117,
  DIRNAMES: 1118,
  LONGFILESIZES: 5008,
  LONGSIZE: 5009,
  FILEDIGESTALGO: 5011,
  MODULARITYLABEL: 5096,
} as const;

/** rpm's pgpHashAlgo values (rpmpgp.h), the names go-rpmdb and rpm print. */
export const PGP_HASH_ALGO: Readonly<Record<number, string>> = {
  1: 'PGPHASHALGO_MD5',
  2: 'PGPHASHALGO_SHA1',
  3: 'PGPHASHALGO_RIPEMD160',
  5: 'PGPHASHALGO_MD2',
  6: 'PGPHASHALGO_TIGER192',
  7: 'PGPHASHALGO_HAVAL_5_160',
  8: 'PGPHASHALGO_SHA256',
  9: 'PGPHASHALGO_SHA384',
  10: 'PGPHASHALGO_SHA512',
  11: 'PGPHASHALGO_SHA224',
};
