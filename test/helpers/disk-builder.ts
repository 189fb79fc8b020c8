/**
 * Builds whole-disk image FILES for end-to-end tests, sparsely (no whole-disk Buffers): a GPT with
 * 512- or 4096-byte logical sectors, an MBR, an LVM2 physical volume with one VG and one linear LV,
 * and filesystems made from a directory tree with `mkfs.xfs -p PROTOFILE` or `mkfs.ext4 -d`, all
 * without root, loop devices or mounts. Filesystem images are copied into partitions 64 KiB at a
 * time, skipping all-zero chunks, so a 1 GiB disk holding a 64 MiB filesystem costs a few MiB.
 *
 * GPT (UEFI 2.10 §5.3), LBA = logical sector (512 or 4096 bytes):
 *
 *   LBA 0        protective MBR: one 0xEE entry from LBA 1 to the end (capped at 2^32-1)
 *   LBA 1        primary header (92 bytes, CRC32 over the header with its CRC field zeroed)
 *   LBA 2..      entry array (128 × 128 bytes; CRC32 in both headers)
 *   ...          partitions (1 MiB aligned)
 *   last-32/4..  backup entry array (16 KiB: 32 sectors of 512, 4 of 4096)
 *   last LBA     backup header (MyLBA/AlternateLBA swapped, PartitionEntryLBA → backup array)
 *
 * LVM2 PV (lvm2 lib/format_text/layout.h), offsets from the start of the PV:
 *
 *   512          label_header "LABELONE", sector_xl=1, crc_xl (lvm's CRC over bytes 20..511),
 *                offset_xl=32, type "LVM2 001"
 *   544          pv_header: uuid[32], device_size, data areas {pe_start,0} {0,0}, metadata areas
 *                {4096, mda size} {0,0}
 *   4096         mda_header: checksum, magic " LVM2 x[5A%r0N*>", version 1, start, size, raw_locn
 *                {offset 512, size, text checksum} {0}
 *   4096+512     the VG metadata text, NUL-terminated
 *   pe_start     extent 0 (1 MiB, as lvm's default alignment)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  ftruncateSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { crc32 } from '../../readers/bytes/crc32.js';
import { lvmCrc } from '../../readers/partition/lvm2/index.js';
import { genBdb } from '../fixtures/rpmdb/gen-bdb.js';
import {
  fixGptHeaderCrc,
  guidBytes,
  LINUX_FS_GUID,
  LINUX_LVM_GUID,
  lvmUuid,
} from '../readers/partition/helpers.js';
import { SHARED_FIXTURES, TEST_CACHE } from './paths.js';

const BUILDER_VERSION = 2;
const MiB = 1024 * 1024;
const CHUNK = 64 * 1024;

export const CACHE_ISSUE4 = join(TEST_CACHE, 'issue4');

function toolVersion(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
}

export function haveTools(...cmds: string[]): boolean {
  return cmds.every((c) => spawnSync('sh', ['-c', `command -v ${c}`], { stdio: 'ignore' }).status === 0);
}

// ---------------------------------------------------------------------------------------------
// Cache

/** A short hash of the inputs: strings, buffers, or objects (JSON). */
export function inputsKey(...parts: unknown[]): string {
  const h = createHash('sha256').update(`disk-builder-v${BUILDER_VERSION}`);
  for (const p of parts) {
    h.update('\0');
    h.update(typeof p === 'string' || Buffer.isBuffer(p) ? p : JSON.stringify(p));
  }
  return h.digest('hex').slice(0, 16);
}

/**
 * Returns `dir/name-KEY.ext`, building it first with `build(tmpPath)` when absent; the temp file is
 * renamed into place, so a half-built image is never reused.
 */
export function cachedFile(
  name: string,
  key: string,
  build: (tmp: string) => void,
  dir = CACHE_ISSUE4,
): string {
  mkdirSync(dir, { recursive: true });
  const dot = name.lastIndexOf('.');
  const out = join(dir, dot > 0 ? `${name.slice(0, dot)}-${key}${name.slice(dot)}` : `${name}-${key}`);
  if (existsSync(out)) return out;
  const tmp = `${out}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  build(tmp);
  renameSync(tmp, out);
  // Drop what older inputs built under the same name (these are 1 GiB sparse files).
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  const stale = new RegExp(
    `^${stem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-[0-9a-f]{16}${ext.replace('.', '\\.')}$`,
  );
  for (const f of readdirSync(dir)) {
    if (stale.test(f) && join(dir, f) !== out) rmSync(join(dir, f), { recursive: true, force: true });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Source trees

/** File contents (string/Buffer), a host file to copy ({ from }), a symlink, or an empty directory. */
export type TreeFile = string | Buffer | { from: string } | { symlink: string } | { dir: true };
export type TreeSpec = Record<string, TreeFile>;

function fileBytes(f: TreeFile): Buffer | undefined {
  if (typeof f === 'string') return Buffer.from(f);
  if (Buffer.isBuffer(f)) return f;
  if ('from' in f) return readFileSync(f.from);
  return undefined;
}

function describeEntry(f: TreeFile): string {
  if (typeof f === 'object' && 'symlink' in f) return `-> ${f.symlink}`;
  return 'dir';
}

/** A content key of a tree spec (paths, bytes, symlink targets), for cache keys. */
export function treeKey(spec: TreeSpec): string {
  const h = createHash('sha256');
  for (const p of Object.keys(spec).sort()) {
    const f = spec[p]!;
    h.update(`${p}\0`);
    const b = fileBytes(f);
    h.update(b ? createHash('sha256').update(b).digest() : describeEntry(f));
    h.update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

/** Writes the tree under `dir` (paths relative, '/'-separated). */
export function writeTree(dir: string, spec: TreeSpec): void {
  for (const [p, f] of Object.entries(spec)) {
    const full = join(dir, p.replace(/^\/+/, ''));
    if (typeof f === 'object' && 'dir' in f) {
      mkdirSync(full, { recursive: true });
      continue;
    }
    mkdirSync(dirname(full), { recursive: true });
    const b = fileBytes(f);
    if (b) writeFileSync(full, b);
    else symlinkSync((f as { symlink: string }).symlink, full);
  }
}

/** The tree written once under .cache/issue4/NAME-KEY.tree/. */
export function cachedTree(spec: TreeSpec, name = 'tree'): string {
  return cachedFile(`${name}.tree`, treeKey(spec), (tmp) => {
    mkdirSync(tmp, { recursive: true });
    writeTree(tmp, spec);
  });
}

// ---------------------------------------------------------------------------------------------
// Filesystems

/**
 * A protofile mode field (mkfs.xfs(8) "Prototype files"): type character, `u` for set-user-id or
 * `-`, `g` for set-group-id or `-`, then the owner/group/other permission bits as three octal digits
 * (the format has no place for the sticky bit).
 */
export function protoMode(type: string, mode: number): string {
  const perm = mode & 0o777;
  return `${type}${mode & 0o4000 ? 'u' : '-'}${mode & 0o2000 ? 'g' : '-'}${perm.toString(8).padStart(3, '0')}`;
}

/**
 * mkfs.xfs(8) -p protofile for a host directory: regular files, directories, symlinks. Files are
 * 0644 owned by root unless `keepModes`: then each file keeps its mode, owner and group.
 */
export function xfsProtofile(root: string, opts: { keepModes?: boolean } = {}): string {
  const lines = ['/dev/null', '0 0', 'd--755 0 0'];
  const visit = (rel: string, indent: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      if (/\s/.test(name)) throw new Error(`protofile: names with white space are not expressible: ${name}`);
      const p = join(root, rel, name);
      const st = lstatSync(p);
      if (st.isDirectory()) {
        lines.push(`${indent}${name} d--755 0 0`);
        visit(join(rel, name), `${indent} `);
        lines.push(`${indent}$`);
      } else if (st.isSymbolicLink()) {
        lines.push(`${indent}${name} l--777 0 0 ${readlinkSync(p)}`);
      } else if (opts.keepModes) {
        lines.push(`${indent}${name} ${protoMode('-', st.mode)} ${st.uid} ${st.gid} ${p}`);
      } else {
        lines.push(`${indent}${name} ---644 0 0 ${p}`);
      }
    }
  };
  visit('', ' ');
  lines.push('$');
  return `${lines.join('\n')}\n`;
}

export interface XfsOptions {
  sizeMiB?: number;
  /** Filesystem sector size (`-s size=`): 4096 on 4Kn disks. */
  sectorSize?: 512 | 4096;
  /** v5 (CRC) superblocks by default. */
  crc?: boolean;
  uuid?: string;
}

export const XFS_VERSION = haveTools('mkfs.xfs') ? toolVersion('mkfs.xfs', ['-V']) : undefined;
export const E2FS_VERSION = haveTools('mkfs.ext4') ? toolVersion('mkfs.ext4', ['-V']) : undefined;

/** An XFS image of `tree` made with `mkfs.xfs -p`, cached by the tree's content and the options. */
export function xfsImage(name: string, spec: TreeSpec, opts: XfsOptions = {}): string {
  const sizeMiB = opts.sizeMiB ?? 64;
  const key = inputsKey('xfs', treeKey(spec), opts, XFS_VERSION);
  return cachedFile(`${name}.xfs`, key, (tmp) => {
    const tree = cachedTree(spec, name);
    const proto = `${tmp}.proto`;
    writeFileSync(proto, xfsProtofile(tree));
    // mkfs.xfs refuses filesystems under 300 MiB unless run under fstests (these variables).
    const env = { ...process.env, TEST_DIR: '1', TEST_DEV: '1', QA_CHECK_FS: '1' };
    try {
      execFileSync(
        'mkfs.xfs',
        [
          '-q',
          '-f',
          '-m',
          `crc=${opts.crc === false ? 0 : 1},uuid=${opts.uuid ?? '6c1f3a52-0b7e-4c1d-9a57-2d0e3f4a5b6c'}`,
          '-s',
          `size=${opts.sectorSize ?? 512}`,
          '-p',
          proto,
          '-d',
          `file,name=${tmp},size=${sizeMiB}m`,
        ],
        { env, stdio: ['ignore', 'pipe', 'pipe'] },
      );
    } finally {
      rmSync(proto, { force: true });
    }
  });
}

/** An ext4 image of `tree` made with `mkfs.ext4 -d`, cached by the tree's content and size. */
export function ext4Image(name: string, spec: TreeSpec, sizeMiB = 32): string {
  const key = inputsKey('ext4', treeKey(spec), sizeMiB, E2FS_VERSION);
  return cachedFile(`${name}.ext4`, key, (tmp) => {
    const tree = cachedTree(spec, name);
    execFileSync(
      'mkfs.ext4',
      [
        '-q',
        '-F',
        '-b',
        '4096',
        '-U',
        '3e0f6a1c-7d2b-4e59-8c31-5a6b7c8d9e0f',
        '-E',
        'root_owner=0:0',
        '-d',
        tree,
        tmp,
        `${sizeMiB}M`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
  });
}

// ---------------------------------------------------------------------------------------------
// Sparse writes

function writeAt(fd: number, buf: Buffer, at: number): void {
  let done = 0;
  while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done, at + done);
}

/**
 * Copies the file `src` into `fd` at byte `at`, 64 KiB at a time, skipping all-zero chunks (the
 * destination is a fresh sparse file, so they read as zeros). Refuses to overflow `maxBytes`.
 */
export function copySparse(fd: number, src: string, at: number, maxBytes: number): void {
  const size = statSync(src).size;
  if (size > maxBytes) throw new Error(`${src}: ${size} bytes do not fit in ${maxBytes}`);
  const sfd = openSync(src, 'r');
  const buf = Buffer.alloc(CHUNK);
  try {
    for (let off = 0; off < size; off += CHUNK) {
      const n = readSync(sfd, buf, 0, Math.min(CHUNK, size - off), off);
      const chunk = buf.subarray(0, n);
      if (chunk.some((b) => b !== 0)) writeAt(fd, chunk, at + off);
    }
  } finally {
    closeSync(sfd);
  }
}

/** Creates a sparse file of `bytes`, lets `fill` write into it, closes it. */
function sparseFile(path: string, bytes: number, fill: (fd: number) => void): void {
  const fd = openSync(path, 'w');
  try {
    ftruncateSync(fd, bytes);
    fill(fd);
  } finally {
    closeSync(fd);
  }
}

export interface PartitionSpec {
  /** Byte offset (a multiple of the sector size; 1 MiB aligned by convention). */
  startBytes: number;
  sizeBytes: number;
  /** File whose bytes go into the partition (a filesystem or a PV image). */
  image?: string;
}

// ---------------------------------------------------------------------------------------------
// GPT

export interface GptPartitionSpec extends PartitionSpec {
  /** Partition type GUID (default: Linux filesystem). */
  type?: string;
  uuid?: string;
  name?: string;
}

export interface GptDiskSpec {
  sectorSize: 512 | 4096;
  diskBytes: number;
  partitions: GptPartitionSpec[];
  diskGuid?: string;
}

const GPT_ENTRIES = 128;
const GPT_ENTRY_BYTES = 128;

function gptHeader(f: {
  ss: number;
  my: number;
  alt: number;
  first: number;
  last: number;
  entryLba: number;
  arrayCrc: number;
  guid: string;
}): Buffer {
  const b = Buffer.alloc(f.ss);
  b.write('EFI PART', 0, 'latin1');
  b.writeUInt32LE(0x00010000, 8);
  b.writeUInt32LE(92, 12);
  b.writeBigUInt64LE(BigInt(f.my), 24);
  b.writeBigUInt64LE(BigInt(f.alt), 32);
  b.writeBigUInt64LE(BigInt(f.first), 40);
  b.writeBigUInt64LE(BigInt(f.last), 48);
  guidBytes(f.guid).copy(b, 56);
  b.writeBigUInt64LE(BigInt(f.entryLba), 72);
  b.writeUInt32LE(GPT_ENTRIES, 80);
  b.writeUInt32LE(GPT_ENTRY_BYTES, 84);
  b.writeUInt32LE(f.arrayCrc, 88);
  fixGptHeaderCrc(b, 0);
  return b;
}

/** Writes a GPT disk image file: protective MBR, both headers and arrays, partition contents. */
export function writeGptDisk(path: string, spec: GptDiskSpec): void {
  const ss = spec.sectorSize;
  if (spec.diskBytes % ss !== 0) throw new Error('disk size is not a multiple of the sector size');
  const lastLba = spec.diskBytes / ss - 1;
  const array = Buffer.alloc(GPT_ENTRIES * GPT_ENTRY_BYTES);
  const arraySectors = array.length / ss;
  const first = 2 + arraySectors;
  const last = lastLba - 1 - arraySectors;
  spec.partitions.forEach((p, i) => {
    if (p.startBytes % ss !== 0 || p.sizeBytes % ss !== 0)
      throw new Error(`partition ${i + 1} is not sector-aligned`);
    const startLba = p.startBytes / ss;
    const endLba = startLba + p.sizeBytes / ss - 1;
    if (startLba < first || endLba > last) throw new Error(`partition ${i + 1} outside ${first}..${last}`);
    const at = i * GPT_ENTRY_BYTES;
    guidBytes(p.type ?? LINUX_FS_GUID).copy(array, at);
    guidBytes(p.uuid ?? `6b7c8d9e-0000-4000-8000-${(i + 1).toString(16).padStart(12, '0')}`).copy(
      array,
      at + 16,
    );
    array.writeBigUInt64LE(BigInt(startLba), at + 32);
    array.writeBigUInt64LE(BigInt(endLba), at + 40);
    if (p.name) array.write(p.name.slice(0, 36), at + 56, 'utf16le');
  });
  const arrayCrc = crc32(array);
  const guid = spec.diskGuid ?? '1a2b3c4d-5e6f-4a0b-8c1d-2e3f4a5b6c7d';
  // Protective MBR: one 0xEE partition covering the disk from LBA 1 (capped at 2^32-1 sectors).
  const pmbr = Buffer.alloc(512);
  pmbr.writeUInt8(0xee, 446 + 4);
  pmbr.writeUInt32LE(1, 446 + 8);
  pmbr.writeUInt32LE(Math.min(lastLba, 0xffffffff), 446 + 12);
  pmbr.writeUInt16BE(0x55aa, 510);
  sparseFile(path, spec.diskBytes, (fd) => {
    writeAt(fd, pmbr, 0);
    writeAt(fd, gptHeader({ ss, my: 1, alt: lastLba, first, last, entryLba: 2, arrayCrc, guid }), ss);
    writeAt(fd, array, 2 * ss);
    const backupArrayLba = lastLba - arraySectors;
    writeAt(fd, array, backupArrayLba * ss);
    writeAt(
      fd,
      gptHeader({ ss, my: lastLba, alt: 1, first, last, entryLba: backupArrayLba, arrayCrc, guid }),
      lastLba * ss,
    );
    for (const p of spec.partitions) if (p.image) copySparse(fd, p.image, p.startBytes, p.sizeBytes);
  });
}

// ---------------------------------------------------------------------------------------------
// MBR

export interface MbrPartitionSpec extends PartitionSpec {
  /** System id: 0x83 Linux, 0x8e Linux LVM. */
  type: number;
  bootable?: boolean;
}

/** Writes a DOS MBR disk image file (512-byte sectors, up to four primary partitions). */
export function writeMbrDisk(
  path: string,
  spec: { diskBytes: number; partitions: MbrPartitionSpec[]; signature?: number },
): void {
  if (spec.partitions.length > 4) throw new Error('at most four primary partitions');
  const mbr = Buffer.alloc(512);
  spec.partitions.forEach((p, i) => {
    if (p.startBytes % 512 !== 0 || p.sizeBytes % 512 !== 0)
      throw new Error(`partition ${i + 1} is not sector-aligned`);
    const o = 446 + i * 16;
    mbr.writeUInt8(p.bootable ? 0x80 : 0, o);
    // CHS fields left as 0xFE/0xFF/0xFF ("use LBA"), as partitioners do beyond 8 GiB.
    mbr.writeUInt8(0xfe, o + 1);
    mbr.writeUInt16LE(0xffff, o + 2);
    mbr.writeUInt8(p.type, o + 4);
    mbr.writeUInt8(0xfe, o + 5);
    mbr.writeUInt16LE(0xffff, o + 6);
    mbr.writeUInt32LE(p.startBytes / 512, o + 8);
    mbr.writeUInt32LE(p.sizeBytes / 512, o + 12);
  });
  mbr.writeUInt32LE(spec.signature ?? 0x5c4a3b2e, 440);
  mbr.writeUInt16BE(0x55aa, 510);
  sparseFile(path, spec.diskBytes, (fd) => {
    writeAt(fd, mbr, 0);
    for (const p of spec.partitions) if (p.image) copySparse(fd, p.image, p.startBytes, p.sizeBytes);
  });
}

// ---------------------------------------------------------------------------------------------
// LVM2

export interface LvmPvSpec {
  pvBytes: number;
  vgName: string;
  lvName: string;
  /** The LV's contents (a filesystem image); the LV gets just enough extents for it. */
  lvImage: string;
  extentBytes?: number;
  /** 32 characters [A-Za-z0-9]. */
  pvUuid?: string;
  vgUuid?: string;
  lvUuid?: string;
  /** Seconds since the epoch, written as creation_time (fixed for reproducible images). */
  time?: number;
}

const PE_START = MiB;
const MDA_OFFSET = 4096;
const MDA_SIZE = PE_START - MDA_OFFSET;

/** The VG metadata text lvm writes (vgcfgbackup format) for one PV holding one linear LV. */
export function lvmMetadataText(spec: LvmPvSpec): string {
  const ext = spec.extentBytes ?? 4 * MiB;
  const peCount = Math.floor((spec.pvBytes - PE_START) / ext);
  const lvExtents = Math.ceil(statSync(spec.lvImage).size / ext);
  if (lvExtents > peCount) throw new Error(`LV needs ${lvExtents} extents, PV has ${peCount}`);
  const time = spec.time ?? 1_700_000_000;
  return `${spec.vgName} {
id = "${lvmUuid(spec.vgUuid ?? 'VgUuid0123456789abcdefghijklmnop')}"
seqno = 2
format = "lvm2"
status = ["RESIZEABLE", "READ", "WRITE"]
flags = []
extent_size = ${ext / 512}
max_lv = 0
max_pv = 0
metadata_copies = 0

physical_volumes {

pv0 {
id = "${lvmUuid(spec.pvUuid ?? 'PvUuid0123456789abcdefghijklmnop')}"
device = "/dev/xvda2"

status = ["ALLOCATABLE"]
flags = []
dev_size = ${spec.pvBytes / 512}
pe_start = ${PE_START / 512}
pe_count = ${peCount}
}
}

logical_volumes {

${spec.lvName} {
id = "${lvmUuid(spec.lvUuid ?? 'LvUuid0123456789abcdefghijklmnop')}"
status = ["READ", "WRITE", "VISIBLE"]
flags = []
creation_time = ${time}
creation_host = "snapscan-test"
segment_count = 1

segment1 {
start_extent = 0
extent_count = ${lvExtents}

type = "striped"
stripe_count = 1

stripes = [
"pv0", 0
]
}
}
}

}
# Generated by LVM2 version 2.03.16(2) (2022-05-18): snapscan test builder
contents = "Text Format Volume Group"
version = 1

description = ""

creation_host = "snapscan-test"
creation_time = ${time}
`;
}

/** Writes a PV image file: label, PV header, metadata area with the VG text, the LV at pe_start. */
export function writeLvmPv(path: string, spec: LvmPvSpec): void {
  const pvUuid = spec.pvUuid ?? 'PvUuid0123456789abcdefghijklmnop';
  if (!/^[A-Za-z0-9]{32}$/.test(pvUuid)) throw new Error('PV uuid must be 32 alphanumerics');
  const head = Buffer.alloc(PE_START);
  // Label in sector 1.
  const ls = 512;
  head.write('LABELONE', ls, 'latin1');
  head.writeBigUInt64LE(1n, ls + 8);
  head.writeUInt32LE(32, ls + 20);
  head.write('LVM2 001', ls + 24, 'latin1');
  const h = ls + 32;
  head.write(pvUuid, h, 'latin1');
  head.writeBigUInt64LE(BigInt(spec.pvBytes), h + 32);
  head.writeBigUInt64LE(BigInt(PE_START), h + 40); // data area 0: offset, size 0 = to the end
  head.writeBigUInt64LE(0n, h + 48);
  // h+56..h+72: data area list terminator; then metadata area 0 and its terminator.
  head.writeBigUInt64LE(BigInt(MDA_OFFSET), h + 72);
  head.writeBigUInt64LE(BigInt(MDA_SIZE), h + 80);
  // pv_header_extension (lvm2 ≥ 2.02.110): version 2, PV_EXT_USED (the PV belongs to a VG).
  head.writeUInt32LE(2, h + 104);
  head.writeUInt32LE(1, h + 108);
  head.writeUInt32LE(lvmCrc(head.subarray(ls + 20, ls + 512)), ls + 16);
  // mda_header.
  const m = MDA_OFFSET;
  head.write(' LVM2 x[5A%r0N*>', m + 4, 'latin1');
  head.writeUInt32LE(1, m + 20);
  head.writeBigUInt64LE(BigInt(MDA_OFFSET), m + 24);
  head.writeBigUInt64LE(BigInt(MDA_SIZE), m + 32);
  const text = Buffer.from(`${lvmMetadataText(spec)}\0`, 'utf8');
  if (512 + text.length > MDA_SIZE) throw new Error('metadata text does not fit the metadata area');
  text.copy(head, m + 512);
  head.writeBigUInt64LE(512n, m + 40);
  head.writeBigUInt64LE(BigInt(text.length), m + 48);
  head.writeUInt32LE(lvmCrc(text), m + 56);
  head.writeUInt32LE(lvmCrc(head.subarray(m + 4, m + 512)), m);
  sparseFile(path, spec.pvBytes, (fd) => {
    writeAt(fd, head, 0);
    copySparse(fd, spec.lvImage, PE_START, spec.pvBytes - PE_START);
  });
}

/** A cached PV image (keyed by the spec; the LV image's cached path carries its content key). */
export function lvmPvImage(name: string, spec: LvmPvSpec): string {
  const key = inputsKey('lvm', spec);
  return cachedFile(`${name}.pv`, key, (tmp) => writeLvmPv(tmp, spec));
}

export { MiB };

// ---------------------------------------------------------------------------------------------
// Issue 4 end-to-end disks

export const RPM_SQLITE = join(SHARED_FIXTURES, 'rpmdb/cbl-mariner2-sqlite.rpmdb.sqlite');
export const DPKG_ROOT = join(SHARED_FIXTURES, 'dpkg/trivy-ubuntu1804');
export const APK_ROOT = join(SHARED_FIXTURES, 'apk/trivy-alpine');
const ESP_GUID = 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b';
const GiB = 1024 * MiB;

const AL2023_OS_RELEASE = `NAME="Amazon Linux"
VERSION="2023"
ID="amzn"
ID_LIKE="fedora"
VERSION_ID="2023"
PLATFORM_ID="platform:al2023"
PRETTY_NAME="Amazon Linux 2023.6.20241010"
ANSI_COLOR="0;33"
CPE_NAME="cpe:2.3:o:amazon:amazon_linux:2023"
HOME_URL="https://aws.amazon.com/linux/amazon-linux-2023/"
DOCUMENTATION_URL="https://docs.aws.amazon.com/linux/"
SUPPORT_URL="https://aws.amazon.com/premiumsupport/"
BUG_REPORT_URL="https://github.com/amazonlinux/amazon-linux-2023"
VENDOR_NAME="AWS"
VENDOR_URL="https://aws.amazon.com/"
SUPPORT_END="2029-06-30"
`;

const AL2_OS_RELEASE = `NAME="Amazon Linux"
VERSION="2"
ID="amzn"
ID_LIKE="centos rhel fedora"
VERSION_ID="2"
PRETTY_NAME="Amazon Linux 2"
ANSI_COLOR="0;33"
CPE_NAME="cpe:2.3:o:amazon:amazon_linux:2"
HOME_URL="https://amazonlinux.com/"
SUPPORT_END="2026-06-30"
`;

const UBUNTU_1804_OS_RELEASE = `NAME="Ubuntu"
VERSION="18.04.6 LTS (Bionic Beaver)"
ID=ubuntu
ID_LIKE=debian
PRETTY_NAME="Ubuntu 18.04.6 LTS"
VERSION_ID="18.04"
HOME_URL="https://www.ubuntu.com/"
SUPPORT_URL="https://help.ubuntu.com/"
BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"
PRIVACY_POLICY_URL="https://www.ubuntu.com/legal/terms-and-policies/privacy-policy"
VERSION_CODENAME=bionic
UBUNTU_CODENAME=bionic
`;

const ALPINE_OS_RELEASE = `NAME="Alpine Linux"
ID=alpine
VERSION_ID=3.4.6
PRETTY_NAME="Alpine Linux v3.4"
HOME_URL="http://alpinelinux.org"
BUG_REPORT_URL="http://bugs.alpinelinux.org"
`;

// ---------------------------------------------------------------------------------------------
// Images

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

/**
 * The file tree the packages of an rpm database own (as `rpm -ql` lists it, via Debian's rpm on a
 * copy of the database): directories, symlinks with their targets, and regular files — empty, as
 * the contents do not matter to an OS inventory and 190 MiB of them would only slow the builds.
 * Makes the XFS roots look like an installed system (large leaf/node directories such as
 * /usr/bin and /usr/lib64) so that the full-walk figures mean something.
 */
export function rpmFileTree(sqlite: string): TreeSpec {
  const dbpath = mkdtempSync(join(tmpdir(), 'snapscan-rpmdb-'));
  try {
    writeFileSync(join(dbpath, 'rpmdb.sqlite'), readFileSync(sqlite));
    const out = execFileSync(
      'rpm',
      ['--dbpath', dbpath, '-qa', '--qf', '[%{FILENAMES}\t%{FILEMODES}\t%{FILELINKTOS}\n]'],
      { encoding: 'utf8', maxBuffer: 64 * MiB },
    );
    const spec: TreeSpec = {};
    const dirs = new Set<string>();
    const entries = out
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t') as [string, string, string])
      .filter(([path]) => path.startsWith('/') && !/\s/.test(path))
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    for (const [path, mode] of entries) if ((Number(mode) & S_IFMT) === S_IFDIR) dirs.add(path);
    for (const [path, mode, target] of entries) {
      const rel = path.slice(1);
      // Nothing under a path kept as a symlink or file (/lib/security when /lib → usr/lib).
      if ([...parents(path)].some((p) => spec[p.slice(1)] !== undefined && !dirs.has(p))) continue;
      // A path some package owns as a directory stays one.
      if (dirs.has(path)) {
        spec[rel] = { dir: true };
        continue;
      }
      spec[rel] = (Number(mode) & S_IFMT) === S_IFLNK && target ? { symlink: target } : '';
    }
    return spec;
  } finally {
    rmSync(dbpath, { recursive: true, force: true });
  }
}

function* parents(path: string): Generator<string> {
  for (let i = path.indexOf('/', 1); i > 0; i = path.indexOf('/', i + 1)) yield path.slice(0, i);
}

/**
 * Builds (or reuses) issue 4's end-to-end disks under .cache/issue4/ from the shared fixtures:
 * al2023 (GPT 4Kn, XFS 4 KiB sectors, SQLite rpmdb), al2 (MBR, XFS, BerkeleyDB Packages),
 * lvm (GPT → PV → vg0/root → ext4 with a dpkg status), alpine (bare ext4 with an apk database).
 */
export interface Issue4Disks {
  al2023: string;
  al2: string;
  lvm: string;
  alpine: string;
  /** The pieces the disks were assembled from (for cross-checks). */
  parts: { al2023Root: string; al2Root: string; lvmPv: string; lvmRoot: string };
}

export function buildIssue4Images(): Issue4Disks {
  // AL2023: GPT 4Kn, root XFS with 4 KiB fs sectors, ESP as partition 2 (empty: not a filesystem we read).
  const installed = rpmFileTree(RPM_SQLITE);
  const al2023Xfs = xfsImage(
    'al2023-root',
    {
      ...installed,
      'usr/lib/os-release': AL2023_OS_RELEASE,
      'etc/os-release': { symlink: '../usr/lib/os-release' },
      'etc/system-release': 'Amazon Linux release 2023.6.20241010 (Amazon Linux)\n',
      'etc/hostname': 'ip-10-0-0-23.ec2.internal\n',
      'var/lib/rpm/rpmdb.sqlite': { from: RPM_SQLITE },
      'usr/bin/.keep': '',
    },
    { sectorSize: 4096, sizeMiB: 64 },
  );
  const al2023 = cachedFile('al2023-gpt4k.img', inputsKey('al2023', al2023Xfs), (tmp) =>
    writeGptDisk(tmp, {
      sectorSize: 4096,
      diskBytes: GiB,
      partitions: [
        { startBytes: MiB, sizeBytes: 64 * MiB, image: al2023Xfs, name: 'Linux' },
        { startBytes: 65 * MiB, sizeBytes: 10 * MiB, type: ESP_GUID, name: 'EFI System Partition' },
      ],
    }),
  );

  // AL2: MBR, bootable Linux partition at 1 MiB, XFS v5 with 512-byte sectors, BerkeleyDB rpmdb.
  const packages = genBdb({ sqlite: RPM_SQLITE });
  const al2Xfs = xfsImage(
    'al2-root',
    {
      ...installed,
      'etc/os-release': AL2_OS_RELEASE,
      'etc/system-release': 'Amazon Linux release 2 (Karoo)\n',
      'etc/image-id': 'image_name="amzn2-ami-kernel-5.10-hvm-2.0.20241001.0-x86_64-xfs.gpt"\n',
      'var/lib/rpm/Packages': { from: packages },
    },
    { sectorSize: 512, sizeMiB: 64 },
  );
  const al2 = cachedFile('al2-mbr.img', inputsKey('al2', al2Xfs), (tmp) =>
    writeMbrDisk(tmp, {
      diskBytes: GiB,
      partitions: [{ type: 0x83, bootable: true, startBytes: MiB, sizeBytes: 64 * MiB, image: al2Xfs }],
    }),
  );

  // LVM: GPT (512) → Linux LVM partition → PV → vg0/root (linear, 4 MiB extents) → ext4.
  const lvExt4 = ext4Image(
    'lvm-root',
    {
      'etc/os-release': UBUNTU_1804_OS_RELEASE,
      'etc/debian_version': 'buster/sid\n',
      'var/lib/dpkg/status': { from: join(DPKG_ROOT, 'var/lib/dpkg/status') },
    },
    32,
  );
  const pv = lvmPvImage('lvm-pv', { pvBytes: 48 * MiB, vgName: 'vg0', lvName: 'root', lvImage: lvExt4 });
  const lvm = cachedFile('lvm-gpt.img', inputsKey('lvm', pv), (tmp) =>
    writeGptDisk(tmp, {
      sectorSize: 512,
      diskBytes: GiB,
      partitions: [{ startBytes: MiB, sizeBytes: 48 * MiB, image: pv, type: LINUX_LVM_GUID, name: 'lvm' }],
    }),
  );

  // Alpine: a bare ext4, no partition table.
  const alpine = ext4Image(
    'alpine-bare',
    {
      'etc/alpine-release': '3.4.6\n',
      'etc/os-release': ALPINE_OS_RELEASE,
      'lib/apk/db/installed': { from: join(APK_ROOT, 'lib/apk/db/installed') },
    },
    16,
  );

  return {
    al2023,
    al2,
    lvm,
    alpine,
    parts: { al2023Root: al2023Xfs, al2Root: al2Xfs, lvmPv: pv, lvmRoot: lvExt4 },
  };
}
