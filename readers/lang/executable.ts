/**
 * Executable containers for the binary catalogers (lang/go-binary, lang/rust-binary): ELF, PE and
 * Mach-O headers and section tables, read by range (a few KiB of headers, then one section), never
 * the whole file.
 *
 * ELF (System V gABI, https://refspecs.linuxfoundation.org/elf/gabi4+/ch4.eheader.html):
 *   e_ident 0 "\x7fELF" · 4 class (1: 32-bit, 2: 64-bit) · 5 data (1: LE, 2: BE)
 *   64-bit: 32 e_phoff u64 · 40 e_shoff u64 · 54 e_phentsize · 56 e_phnum · 58 e_shentsize ·
 *           60 e_shnum · 62 e_shstrndx           32-bit: 28 e_phoff · 32 e_shoff · 42..50 the same
 *   section header (64: 64 B, 32: 40 B): 0 name · 4 type · 8 flags · addr · offset · size
 *   program header (64: 56 B, 32: 32 B): type · flags · offset · vaddr · filesz (order differs)
 *   e_shnum 0 with e_shoff set: the count is section 0's sh_size; e_shstrndx 0xffff: its sh_link.
 * PE/COFF (https://learn.microsoft.com/en-us/windows/win32/debug/pe-format):
 *   "MZ" · 0x3c e_lfanew → "PE\0\0" · COFF header (20 B: 2 NumberOfSections, 16 SizeOfOptionalHeader)
 *   · optional header (magic 0x10b PE32: ImageBase u32 at 28; 0x20b PE32+: u64 at 24) · section
 *   table (40 B: 0 name[8] · 8 VirtualSize · 12 VirtualAddress · 16 SizeOfRawData · 20 PointerToRawData ·
 *   36 Characteristics)
 * Mach-O (<mach-o/loader.h>): magic 0xfeedfacf (64) / 0xfeedface (32), little-endian only · 16 ncmds ·
 *   20 sizeofcmds · load commands from 32 (64) / 28 (32); LC_SEGMENT_64 (0x19): 24 vmaddr · 40 fileoff ·
 *   48 filesize · 64 nsects · sections of 80 B from 72 (0 sectname[16] · 16 segname[16] · 32 addr ·
 *   40 size · 48 offset u32); LC_SEGMENT (0x1): sections of 68 B from 56 (32 addr · 36 size · 40 offset).
 *
 * Bounds: section and command counts ≤ MAX_EXEC_SECTIONS, tables inside the file, section names read
 * from a string table of at most MAX_EXEC_STRTAB_BYTES; a section read is capped by its caller.
 */
import { BadMagicError, CorruptError, type FormatLocation, LimitExceededError } from '../../engine/errors.js';
import type { Limits } from '../../engine/limits.js';
import { Cursor, toSafeNumber } from '../bytes/cursor.js';
import type { RandomAccess } from '../bytes/random-access.js';

export type ExecFormat = 'elf' | 'pe' | 'macho';

export interface ExecSection {
  name: string;
  /** Mach-O: the segment (`__DATA`); ELF/PE: ''. */
  segment: string;
  /** Virtual address (PE: image base + RVA). */
  addr: bigint;
  /** File offset of the section's bytes; size 0 when it has none in the file (ELF NOBITS). */
  offset: number;
  size: number;
  /** Writable data (ELF SHF_WRITE, PE MEM_WRITE, Mach-O __DATA*). */
  writable: boolean;
}

/** A loadable range: virtual addresses [vaddr, vaddr+size) live at file offset `offset`. */
export interface ExecSegment {
  vaddr: bigint;
  offset: number;
  size: number;
  writable: boolean;
}

export interface Executable {
  format: ExecFormat;
  ptrSize: 4 | 8;
  littleEndian: boolean;
  sections: ExecSection[];
  segments: ExecSegment[];
}

const ELF_MAGIC = 0x7f454c46; // "\x7fELF" read big-endian
const MACHO_64 = 0xfeedfacf;
const MACHO_32 = 0xfeedface;

/**
 * Headers already read per file: the walk hands one RandomAccess per file to every binary
 * cataloger (go-binary, rust-binary), which then share one read of the section table.
 */
const opened = new WeakMap<RandomAccess, Promise<Executable>>();

/** Reads the container headers; BadMagicError "unrecognized executable format" for anything else. */
export function openExecutable(ra: RandomAccess, limits: Limits): Promise<Executable> {
  let p = opened.get(ra);
  if (!p) {
    p = readExecutable(ra, limits);
    opened.set(ra, p);
  }
  return p;
}

/** ELF and Mach-O binaries keep their section table at the end: fetched with the header. */
const TAIL_HINT_BYTES = 64 * 1024;

async function readExecutable(ra: RandomAccess, limits: Limits): Promise<Executable> {
  if (ra.size < 64) throw unrecognized(ra);
  if (ra.size > TAIL_HINT_BYTES) ra.prefetch?.(ra.size - TAIL_HINT_BYTES, TAIL_HINT_BYTES);
  const head = await ra.read(0, 64, 'executable header');
  if (head.readUInt32BE(0) === ELF_MAGIC) return openElf(ra, head, limits);
  if (head[0] === 0x4d && head[1] === 0x5a) return openPe(ra, head, limits);
  const m = head.readUInt32LE(0);
  if (m === MACHO_64 || m === MACHO_32) return openMachO(ra, m === MACHO_64, limits);
  throw unrecognized(ra);
}

function unrecognized(ra: RandomAccess): BadMagicError {
  return new BadMagicError(
    {
      format: 'executable',
      struct: `header of ${ra.name}`,
      offset: 0,
      field: 'unrecognized executable format: magic',
    },
    'not ELF, PE or Mach-O',
    '\\x7fELF | MZ | 0xfeedface/0xfeedfacf',
  );
}

function checkCount(n: number, limits: Limits, loc: FormatLocation): void {
  if (n > limits.MAX_EXEC_SECTIONS) {
    throw new LimitExceededError(loc, 'MAX_EXEC_SECTIONS', n, limits.MAX_EXEC_SECTIONS);
  }
}

async function table(
  ra: RandomAccess,
  offset: number,
  count: number,
  entSize: number,
  struct: string,
): Promise<Cursor> {
  const bytes = await ra.read(offset, count * entSize, struct);
  return new Cursor(bytes, { base: offset, format: 'executable', struct });
}

async function openElf(ra: RandomAccess, head: Buffer, limits: Limits): Promise<Executable> {
  const h = new Cursor(head, { format: 'elf', struct: 'ELF header' });
  const cls = h.u8At(4, 'EI_CLASS');
  const data = h.u8At(5, 'EI_DATA');
  if (cls !== 1 && cls !== 2) throw new CorruptError(h.loc('EI_CLASS', 4), cls, 'not in', '{1, 2}');
  if (data !== 1 && data !== 2) throw new CorruptError(h.loc('EI_DATA', 5), data, 'not in', '{1, 2}');
  const is64 = cls === 2;
  const le = data === 1;
  const u16 = (c: Cursor, at: number, f: string) => (le ? c.u16leAt(at, f) : c.u16beAt(at, f));
  const u32 = (c: Cursor, at: number, f: string) => (le ? c.u32leAt(at, f) : c.u32beAt(at, f));
  const word = (c: Cursor, at: number, f: string): bigint =>
    is64 ? (le ? c.u64leAt(at, f) : c.u64beAt(at, f)) : BigInt(u32(c, at, f));
  const num = (c: Cursor, at: number, f: string) => toSafeNumber(word(c, at, f), ra.size, c.loc(f, at));
  const phoff = num(h, is64 ? 32 : 28, 'e_phoff');
  const shoff = num(h, is64 ? 40 : 32, 'e_shoff');
  const phentsize = u16(h, is64 ? 54 : 42, 'e_phentsize');
  const phnum = u16(h, is64 ? 56 : 44, 'e_phnum');
  const shentsize = u16(h, is64 ? 58 : 46, 'e_shentsize');
  let shnum = u16(h, is64 ? 60 : 48, 'e_shnum');
  let shstrndx = u16(h, is64 ? 62 : 50, 'e_shstrndx');
  const shMin = is64 ? 64 : 40;
  const phMin = is64 ? 56 : 32;

  const segments: ExecSegment[] = [];
  if (phoff !== 0 && phnum > 0) {
    if (phentsize < phMin) throw new CorruptError(h.loc('e_phentsize'), phentsize, '<', phMin);
    checkCount(phnum, limits, h.loc('e_phnum'));
    const p = await table(ra, phoff, phnum, phentsize, 'ELF program headers');
    for (let i = 0; i < phnum; i++) {
      const at = i * phentsize;
      if (u32(p, at, 'p_type') !== 1) continue; // PT_LOAD
      const flags = u32(p, is64 ? at + 4 : at + 24, 'p_flags');
      const offset = num(p, is64 ? at + 8 : at + 4, 'p_offset');
      const vaddr = word(p, is64 ? at + 16 : at + 8, 'p_vaddr');
      const filesz = toSafeNumber(
        word(p, is64 ? at + 32 : at + 16, 'p_filesz'),
        ra.size - offset,
        p.loc('p_filesz', at),
      );
      segments.push({ vaddr, offset, size: filesz, writable: (flags & 2) !== 0 });
    }
  }

  const sections: ExecSection[] = [];
  if (shoff !== 0) {
    if (shentsize < shMin) throw new CorruptError(h.loc('e_shentsize'), shentsize, '<', shMin);
    if (shnum === 0 || shstrndx === 0xffff) {
      // Extended numbering: the real values live in section header 0.
      const s0 = await table(ra, shoff, 1, shentsize, 'ELF section header 0');
      if (shnum === 0)
        shnum = toSafeNumber(
          word(s0, is64 ? 32 : 20, 'sh_size'),
          limits.MAX_EXEC_SECTIONS + 1,
          s0.loc('sh_size'),
        );
      if (shstrndx === 0xffff) shstrndx = u32(s0, is64 ? 40 : 24, 'sh_link');
    }
    checkCount(shnum, limits, h.loc('e_shnum'));
    const s = await table(ra, shoff, shnum, shentsize, 'ELF section headers');
    const raw = [];
    for (let i = 0; i < shnum; i++) {
      const at = i * shentsize;
      const type = u32(s, at + 4, 'sh_type');
      const flags = Number(word(s, at + 8, 'sh_flags') & 0xffn);
      const addr = word(s, is64 ? at + 16 : at + 12, 'sh_addr');
      const offset = type === 8 ? 0 : num(s, is64 ? at + 24 : at + 16, 'sh_offset'); // SHT_NOBITS
      const size =
        type === 8
          ? 0
          : toSafeNumber(
              word(s, is64 ? at + 32 : at + 20, 'sh_size'),
              ra.size - offset,
              s.loc('sh_size', at),
            );
      raw.push({ nameOff: u32(s, at, 'sh_name'), addr, offset, size, writable: (flags & 1) !== 0 });
    }
    const strtab = raw[shstrndx];
    if (!strtab) throw new CorruptError(h.loc('e_shstrndx'), shstrndx, '>=', shnum);
    if (strtab.size > limits.MAX_EXEC_STRTAB_BYTES) {
      throw new LimitExceededError(
        h.loc('e_shstrndx'),
        'MAX_EXEC_STRTAB_BYTES',
        strtab.size,
        limits.MAX_EXEC_STRTAB_BYTES,
      );
    }
    const names = new Cursor(await ra.read(strtab.offset, strtab.size, 'ELF section names'), {
      base: strtab.offset,
      format: 'elf',
      struct: 'section name table',
    });
    for (const r of raw) {
      const name =
        r.nameOff < names.length
          ? names.cstringAt(r.nameOff, Math.min(256, names.length - r.nameOff), 'sh_name')
          : '';
      sections.push({
        name,
        segment: '',
        addr: r.addr,
        offset: r.offset,
        size: r.size,
        writable: r.writable,
      });
    }
  }
  return { format: 'elf', ptrSize: is64 ? 8 : 4, littleEndian: le, sections, segments };
}

async function openPe(ra: RandomAccess, head: Buffer, limits: Limits): Promise<Executable> {
  const lfanew = head.readUInt32LE(0x3c);
  const peHead = new Cursor(await ra.read(lfanew, 24 + 2, 'PE header'), {
    base: lfanew,
    format: 'pe',
    struct: 'PE header',
  });
  if (peHead.u32beAt(0, 'signature') !== 0x50450000) {
    throw new BadMagicError(
      peHead.loc('unrecognized executable format: PE signature', 0),
      'not PE\\0\\0',
      'PE\\0\\0',
    );
  }
  const nsect = peHead.u16leAt(4 + 2, 'NumberOfSections');
  const optSize = peHead.u16leAt(4 + 16, 'SizeOfOptionalHeader');
  const optMagic = peHead.u16leAt(24, 'optional header magic');
  if (optMagic !== 0x10b && optMagic !== 0x20b)
    throw new CorruptError(peHead.loc('optional header magic', 24), optMagic, 'not in', '{0x10b, 0x20b}');
  const pe32plus = optMagic === 0x20b;
  const opt = new Cursor(
    await ra.read(lfanew + 24, Math.max(optSize, pe32plus ? 32 : 32), 'PE optional header'),
    {
      base: lfanew + 24,
      format: 'pe',
      struct: 'optional header',
    },
  );
  const imageBase = pe32plus ? opt.u64leAt(24, 'ImageBase') : BigInt(opt.u32leAt(28, 'ImageBase'));
  checkCount(nsect, limits, peHead.loc('NumberOfSections', 6));
  const s = await table(ra, lfanew + 24 + optSize, nsect, 40, 'PE section table');
  const sections: ExecSection[] = [];
  const segments: ExecSegment[] = [];
  for (let i = 0; i < nsect; i++) {
    const at = i * 40;
    const name = s.cstringAt(at, 8, 'Name', 'latin1');
    const rva = s.u32leAt(at + 12, 'VirtualAddress');
    const rawSize = s.u32leAt(at + 16, 'SizeOfRawData');
    const rawPtr = s.u32leAt(at + 20, 'PointerToRawData');
    const chars = s.u32leAt(at + 36, 'Characteristics');
    if (rawPtr + rawSize > ra.size)
      throw new CorruptError(s.loc('SizeOfRawData', at + 16), rawPtr + rawSize, '> file size', ra.size);
    const writable = (chars & 0x80000000) !== 0;
    const sec = { name, segment: '', addr: imageBase + BigInt(rva), offset: rawPtr, size: rawSize, writable };
    sections.push(sec);
    segments.push({ vaddr: sec.addr, offset: rawPtr, size: rawSize, writable });
  }
  return { format: 'pe', ptrSize: pe32plus ? 8 : 4, littleEndian: true, sections, segments };
}

async function openMachO(ra: RandomAccess, is64: boolean, limits: Limits): Promise<Executable> {
  const hdrSize = is64 ? 32 : 28;
  const h = new Cursor(await ra.read(0, hdrSize, 'Mach-O header'), {
    format: 'macho',
    struct: 'Mach-O header',
  });
  const ncmds = h.u32leAt(16, 'ncmds');
  const sizeofcmds = h.u32leAt(20, 'sizeofcmds');
  checkCount(ncmds, limits, h.loc('ncmds', 16));
  if (sizeofcmds > limits.MAX_EXEC_STRTAB_BYTES) {
    throw new LimitExceededError(
      h.loc('sizeofcmds', 20),
      'MAX_EXEC_STRTAB_BYTES',
      sizeofcmds,
      limits.MAX_EXEC_STRTAB_BYTES,
    );
  }
  const c = new Cursor(await ra.read(hdrSize, sizeofcmds, 'Mach-O load commands'), {
    base: hdrSize,
    format: 'macho',
    struct: 'load command',
  });
  const sections: ExecSection[] = [];
  const segments: ExecSegment[] = [];
  let at = 0;
  for (let i = 0; i < ncmds; i++) {
    const cmd = c.u32leAt(at, 'cmd');
    const size = c.u32leAt(at + 4, 'cmdsize');
    if (size < 8) throw new CorruptError(c.loc('cmdsize', at + 4), size, '<', 8);
    c.need(at, size, 'load command');
    if (cmd === 0x19 || cmd === 0x1) {
      const seg64 = cmd === 0x19;
      const segname = c.cstringAt(at + 8, 16, 'segname', 'latin1');
      const vmaddr = seg64 ? c.u64leAt(at + 24, 'vmaddr') : BigInt(c.u32leAt(at + 24, 'vmaddr'));
      const fileoff = seg64
        ? toSafeNumber(c.u64leAt(at + 40), ra.size, c.loc('fileoff', at + 40))
        : c.u32leAt(at + 32, 'fileoff');
      const filesize = seg64
        ? toSafeNumber(c.u64leAt(at + 48), ra.size, c.loc('filesize', at + 48))
        : c.u32leAt(at + 36, 'filesize');
      const nsects = c.u32leAt(at + (seg64 ? 64 : 48), 'nsects');
      const sectSize = seg64 ? 80 : 68;
      const first = at + (seg64 ? 72 : 56);
      if (first + nsects * sectSize > at + size)
        throw new CorruptError(c.loc('nsects', at), nsects, 'overflows cmdsize', size);
      const writable = segname.startsWith('__DATA');
      segments.push({ vaddr: vmaddr, offset: fileoff, size: filesize, writable });
      for (let k = 0; k < nsects; k++) {
        const s = first + k * sectSize;
        const name = c.cstringAt(s, 16, 'sectname', 'latin1');
        const addr = seg64 ? c.u64leAt(s + 32, 'addr') : BigInt(c.u32leAt(s + 32, 'addr'));
        const ssize = seg64
          ? toSafeNumber(c.u64leAt(s + 40), ra.size, c.loc('size', s + 40))
          : c.u32leAt(s + 36, 'size');
        const off = c.u32leAt(s + (seg64 ? 48 : 40), 'offset');
        if (off + ssize > ra.size)
          throw new CorruptError(c.loc('size', s), off + ssize, '> file size', ra.size);
        sections.push({ name, segment: segname, addr, offset: off, size: off === 0 ? 0 : ssize, writable });
      }
    }
    at += size;
  }
  return { format: 'macho', ptrSize: is64 ? 8 : 4, littleEndian: true, sections, segments };
}

/** File offset of virtual address `addr` with `length` bytes readable there, or undefined. */
export function addrToOffset(exe: Executable, addr: bigint, length: number): number | undefined {
  const ranges = [
    ...exe.sections,
    ...exe.segments.map((g) => ({ addr: g.vaddr, offset: g.offset, size: g.size })),
  ];
  for (const s of ranges) {
    if (s.size === 0 || addr < s.addr) continue;
    const delta = addr - s.addr;
    if (delta + BigInt(length) <= BigInt(s.size)) return s.offset + Number(delta);
  }
  return undefined;
}

/** Reads a section's bytes, capped at `max` (LimitExceededError above it). */
export async function readSection(
  ra: RandomAccess,
  s: ExecSection,
  max: number,
  limit: string,
): Promise<Buffer> {
  if (s.size > max) {
    throw new LimitExceededError(
      { format: 'executable', struct: `section ${s.name}`, offset: s.offset, field: 'size' },
      limit,
      s.size,
      max,
    );
  }
  return ra.read(s.offset, s.size, `section ${s.name}`);
}

/**
 * Extensions of files that are never ELF/PE/Mach-O executables even with an execute bit: scripts,
 * data, archives, sources, and dpkg's maintainer scripts and control files (`/var/lib/dpkg/info/
 * <pkg>.postinst`, mode 0755, a hundred or more on a Debian root).
 */
const NOT_BINARY =
  /\.(sh|bash|py|pl|rb|js|mjs|cjs|php|txt|md|json|ya?ml|conf|cfg|ini|xml|html?|css|jar|war|ear|zip|gz|xz|bz2|zst|tar|pyc|h|c|go|rs|ts|preinst|postinst|prerm|postrm|config|templates|triggers|list|md5sums|conffiles|shlibs|symbols)$/i;

/**
 * Cheap, no I/O: could this walk entry be an executable the binary catalogers read? A regular file
 * of at least 64 bytes with any execute bit (`mode & 0o111`), wherever it lies, without a
 * script/data extension. Without the mode (the walk asks before it stats), "maybe": every regular
 * file without such an extension is worth a stat. The file's first bytes decide (isExecutableHeader).
 */
export function mayBeExecutable(path: string, stat: { type: string; size?: number; mode?: number }): boolean {
  if (stat.type !== 'file') return false;
  if (stat.size !== undefined && stat.size < 64) return false;
  if (NOT_BINARY.test(path)) return false;
  return stat.mode === undefined || (stat.mode & 0o111) !== 0;
}

/** Bytes the walk reads from a candidate before handing it to an executable cataloger. */
export const EXEC_MAGIC_BYTES = 4;

/** ELF (`\x7fELF`), PE (`MZ`, the DOS stub every PE starts with) or Mach-O (0xfeedface/0xfeedfacf, little-endian). */
export function isExecutableHeader(head: Buffer): boolean {
  if (head.length < 4) return false;
  if (head.readUInt32BE(0) === ELF_MAGIC) return true;
  if (head[0] === 0x4d && head[1] === 0x5a) return true;
  const m = head.readUInt32LE(0);
  return m === MACHO_64 || m === MACHO_32;
}
