/**
 * buildElf: a minimal ELF file (header, section data, .shstrtab, section header table; no program
 * headers) for binary-cataloger tests — Go build info in the old pointer format, a cargo-auditable
 * .dep-v0 section, and hostile variants. 32/64-bit, little/big-endian. Layout per the System V gABI.
 */
export interface ElfSection {
  name: string;
  data: Buffer;
  addr?: bigint;
  /** sh_flags: 1 SHF_WRITE, 2 SHF_ALLOC. */
  flags?: number;
  /** sh_type: 1 PROGBITS (default), 8 NOBITS. */
  type?: number;
}

export function buildElf(sections: ElfSection[], opts: { is64?: boolean; bigEndian?: boolean } = {}): Buffer {
  const is64 = opts.is64 ?? true;
  const le = !opts.bigEndian;
  const ehsize = is64 ? 64 : 52;
  const shentsize = is64 ? 64 : 40;
  const names = ['', ...sections.map((s) => s.name), '.shstrtab'];
  const strtab = Buffer.from(`${names.join('\0')}\0`);
  const nameOff = (i: number) => names.slice(0, i).reduce((n, s) => n + s.length + 1, 0);
  const align = (n: number) => (n + 15) & ~15;
  let at = align(ehsize);
  const placed = sections.map((s) => {
    const off = at;
    at = align(at + (s.type === 8 ? 0 : s.data.length));
    return off;
  });
  const strOff = at;
  at = align(at + strtab.length);
  const shoff = at;
  const shnum = sections.length + 2;
  const buf = Buffer.alloc(shoff + shnum * shentsize);
  const w16 = (o: number, v: number) => (le ? buf.writeUInt16LE(v, o) : buf.writeUInt16BE(v, o));
  const w32 = (o: number, v: number) => (le ? buf.writeUInt32LE(v >>> 0, o) : buf.writeUInt32BE(v >>> 0, o));
  const wword = (o: number, v: bigint | number) => {
    if (is64) le ? buf.writeBigUInt64LE(BigInt(v), o) : buf.writeBigUInt64BE(BigInt(v), o);
    else w32(o, Number(v));
  };
  buf.write('\x7fELF', 0, 'latin1');
  buf[4] = is64 ? 2 : 1;
  buf[5] = le ? 1 : 2;
  buf[6] = 1;
  w16(16, 2); // ET_EXEC
  w16(18, is64 ? 62 : 3);
  w32(20, 1);
  wword(is64 ? 40 : 32, shoff);
  w16(is64 ? 52 : 40, ehsize);
  w16(is64 ? 58 : 46, shentsize);
  w16(is64 ? 60 : 48, shnum);
  w16(is64 ? 62 : 50, shnum - 1);
  const header = (
    i: number,
    name: number,
    type: number,
    flags: number,
    addr: bigint,
    off: number,
    size: number,
  ) => {
    const h = shoff + i * shentsize;
    w32(h, name);
    w32(h + 4, type);
    wword(h + 8, flags);
    wword(h + (is64 ? 16 : 12), addr);
    wword(h + (is64 ? 24 : 16), off);
    wword(h + (is64 ? 32 : 20), size);
  };
  sections.forEach((s, i) => {
    if (s.type !== 8) s.data.copy(buf, placed[i]!);
    header(i + 1, nameOff(i + 1), s.type ?? 1, s.flags ?? 2, s.addr ?? 0n, placed[i]!, s.data.length);
  });
  strtab.copy(buf, strOff);
  header(shnum - 1, nameOff(shnum - 1), 3, 0, 0n, strOff, strtab.length);
  return buf;
}
