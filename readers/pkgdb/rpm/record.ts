/**
 * Installed-package record from a validated header blob: the fields scanners report (names after
 * rpm's tags, see tags.ts) plus the files the package owns (DIRNAMES[DIRINDEXES[i]] + BASENAMES[i],
 * or the legacy OLDFILENAMES).
 */
import { CorruptError, ScanError } from '../../../engine/errors.js';
import { type DecodeHeaderOptions, decodeRpmHeaderBlob, type RpmHeaderBlob } from './header-blob.js';
import { decodePgpSignature, formatPgpSignature } from './pgp.js';
import { PGP_HASH_ALGO, Tag } from './tags.js';

export interface RpmFileRecord {
  path: string;
  mode?: number;
  size?: number;
  /** Hex digest in `digestAlgorithm` ('' for directories and other non-regular files). */
  digest?: string;
  username?: string;
  groupname?: string;
  /** RPMFILE_* bits (config 1, doc 2, license 128…). */
  flags?: number;
}

export interface RpmPackageRecord {
  name: string;
  version: string;
  release: string;
  epoch?: number;
  arch?: string;
  sourceRpm?: string;
  size?: number;
  license?: string;
  vendor?: string;
  summary?: string;
  modularityLabel?: string;
  installTime?: number;
  /** Hex of SIGMD5 (the header+payload MD5 rpm records). */
  sigMD5?: string;
  /** `RSA/SHA256, <date>, Key ID <id>` from SIGPGP/SIGGPG, like go-rpmdb's PGP. */
  pgp?: string;
  rsaHeader?: string;
  dsaHeader?: string;
  /** Signing key id (hex) from the header or package signature, when present. */
  signingKeyId?: string;
  /** rpm's name for FILEDIGESTALGO (MD5 when the tag is absent, as rpm assumes). */
  digestAlgorithm: string;
  provides: string[];
  requires: string[];
  files: RpmFileRecord[];
}

function signature(h: RpmHeaderBlob, tag: number): { text: string; keyId?: string } | undefined {
  const b = h.bin(tag);
  if (!b) return undefined;
  try {
    const s = decodePgpSignature(b);
    return { text: formatPgpSignature(s), keyId: s.keyId };
  } catch (err) {
    // A signature we cannot read does not make the package unreadable: rpm -qa lists it too.
    if (err instanceof ScanError) return undefined;
    throw err;
  }
}

function perFile<T>(values: T[] | undefined, n: number): T[] | undefined {
  return values && values.length === n ? values : undefined;
}

export function decodeFiles(h: RpmHeaderBlob, where: () => DecodeHeaderOptions): RpmFileRecord[] {
  let paths: string[];
  const basenames = h.strings(Tag.BASENAMES);
  if (basenames) {
    const dirnames = h.strings(Tag.DIRNAMES) ?? [];
    const dirindexes = h.numbers(Tag.DIRINDEXES) ?? [];
    const loc = { format: where().format ?? 'rpm/header', struct: 'rpm header', offset: where().base ?? 0 };
    if (dirindexes.length !== basenames.length) {
      throw new CorruptError(
        { ...loc, field: 'DIRINDEXES count' },
        dirindexes.length,
        '!=',
        basenames.length,
      );
    }
    paths = new Array<string>(basenames.length);
    for (let i = 0; i < basenames.length; i++) {
      const d = dirnames[dirindexes[i]!];
      if (d === undefined) {
        throw new CorruptError({ ...loc, field: `DIRINDEXES[${i}]` }, dirindexes[i], '>=', dirnames.length);
      }
      paths[i] = d + basenames[i];
    }
  } else {
    paths = h.strings(Tag.OLDFILENAMES) ?? [];
  }
  const n = paths.length;
  if (n === 0) return [];
  const modes = perFile(h.numbers(Tag.FILEMODES), n);
  const sizes = perFile(h.numbers(Tag.LONGFILESIZES) ?? h.numbers(Tag.FILESIZES), n);
  const digests = perFile(h.strings(Tag.FILEDIGESTS), n);
  const users = perFile(h.strings(Tag.FILEUSERNAME), n);
  const groups = perFile(h.strings(Tag.FILEGROUPNAME), n);
  const flags = perFile(h.numbers(Tag.FILEFLAGS), n);
  const out = new Array<RpmFileRecord>(n);
  for (let i = 0; i < n; i++) {
    const f: RpmFileRecord = { path: paths[i]! };
    if (modes) f.mode = modes[i]!;
    if (sizes) f.size = sizes[i]!;
    if (digests) f.digest = digests[i]!;
    if (users) f.username = users[i]!;
    if (groups) f.groupname = groups[i]!;
    if (flags) f.flags = flags[i]!;
    out[i] = f;
  }
  return out;
}

/** Decodes one header blob into a package record. Throws a FormatError for a bad blob. */
export function decodeRpmPackage(bytes: Buffer, opts: DecodeHeaderOptions = {}): RpmPackageRecord {
  const h = decodeRpmHeaderBlob(bytes, opts);
  const loc = () => ({ format: opts.format ?? 'rpm/header', struct: 'rpm header', offset: opts.base ?? 0 });
  const name = h.string(Tag.NAME);
  if (name === undefined || name === '')
    throw new CorruptError({ ...loc(), field: 'NAME' }, 'missing', 'in', 'header');
  const version = h.string(Tag.VERSION) ?? '';
  const release = h.string(Tag.RELEASE) ?? '';
  const rec: RpmPackageRecord = {
    name,
    version,
    release,
    digestAlgorithm: 'PGPHASHALGO_MD5',
    provides: h.strings(Tag.PROVIDENAME) ?? [],
    requires: h.strings(Tag.REQUIRENAME) ?? [],
    files: decodeFiles(h, () => opts),
  };
  const epoch = h.number(Tag.EPOCH);
  if (epoch !== undefined) rec.epoch = epoch;
  const str = (tag: number) => h.string(tag);
  const arch = str(Tag.ARCH);
  if (arch !== undefined) rec.arch = arch;
  const sourceRpm = str(Tag.SOURCERPM);
  if (sourceRpm !== undefined) rec.sourceRpm = sourceRpm;
  const size = h.number(Tag.LONGSIZE) ?? h.number(Tag.SIZE);
  if (size !== undefined) rec.size = size;
  const license = str(Tag.LICENSE);
  if (license !== undefined) rec.license = license;
  const vendor = str(Tag.VENDOR);
  if (vendor !== undefined) rec.vendor = vendor;
  const summary = str(Tag.SUMMARY);
  if (summary !== undefined) rec.summary = summary;
  const modularityLabel = str(Tag.MODULARITYLABEL);
  if (modularityLabel !== undefined) rec.modularityLabel = modularityLabel;
  const installTime = h.number(Tag.INSTALLTIME);
  if (installTime !== undefined) rec.installTime = installTime;
  const md5 = h.bin(Tag.SIGMD5);
  if (md5) rec.sigMD5 = md5.toString('hex');
  const algo = h.number(Tag.FILEDIGESTALGO);
  if (algo !== undefined) rec.digestAlgorithm = PGP_HASH_ALGO[algo] ?? `PGPHASHALGO_${algo}`;
  const pgp = signature(h, Tag.SIGPGP) ?? signature(h, Tag.SIGGPG);
  const rsa = signature(h, Tag.RSAHEADER);
  const dsa = signature(h, Tag.DSAHEADER);
  if (pgp) rec.pgp = pgp.text;
  if (rsa) rec.rsaHeader = rsa.text;
  if (dsa) rec.dsaHeader = dsa.text;
  const keyId = rsa?.keyId ?? dsa?.keyId ?? pgp?.keyId;
  if (keyId) rec.signingKeyId = keyId;
  return rec;
}
