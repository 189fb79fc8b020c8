/**
 * Go build info: the toolchain version and the module list the linker embeds in every Go binary
 * built in module mode (`go version -m` prints it; runtime/debug.ReadBuildInfo reads it).
 *
 * Where: the ELF section `.go.buildinfo`, the Mach-O section `__DATA,__go_buildinfo`; otherwise (PE,
 * or a section table that is gone) the start of the first writable data section/segment. The
 * header sits at a 16-byte boundary, within the first 64 KiB searched there:
 *
 *   0  "\xff Go buildinf:"   14 bytes of magic
 *   14 pointer size          4 or 8
 *   15 flags                 bit 0: big-endian pointers (old format); bit 1: inline strings (Go ≥ 1.18)
 *   16 old format (Go < 1.18): two pointers to Go string headers {data pointer, length}: the Go
 *      version and the module info, at virtual addresses mapped through the sections/segments
 *   32 inline format: two strings, each an unsigned LEB128 length then the bytes: version, modinfo
 *
 * modinfo is framed by two 16-byte sentinels (kept when `len >= 33 && s[len-17] == '\n'`) and holds
 * tab-separated lines (runtime/debug.BuildInfo.String):
 *   path  <main package path>
 *   mod   <module path> <version> [<sum>]            the main module; version "(devel)" when built
 *   dep   <module path> <version> [<sum>]            from a checkout (before Go 1.24)
 *   =>    <replacement path> <version> [<sum>]       replaces the dep/mod line above it
 *   build <key>=<value>                             -ldflags, GOOS, vcs.revision… (value Go-quoted
 *                                                    when it holds spaces, quotes or tabs)
 * Spec: https://go.dev/src/debug/buildinfo/buildinfo.go , https://pkg.go.dev/runtime/debug#BuildInfo
 */
import { CorruptError, LimitExceededError, NotFoundError } from '../../../engine/errors.js';
import type { Limits } from '../../../engine/limits.js';
import type { RandomAccess } from '../../bytes/random-access.js';
import { addrToOffset, type Executable, openExecutable } from '../executable.js';

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const HEADER_BYTES = 32;
/** How far into the data section the header is searched (debug/buildinfo searches the same). */
const SEARCH_BYTES = 64 * 1024;

export interface GoModule {
  path: string;
  version: string;
  sum?: string;
  replace?: GoModule;
}

export interface GoBuildInfo {
  /** Toolchain version as written: `go1.22.1`, `go1.22.1 X:boringcrypto`, `devel go1.23-…`. */
  goVersion: string;
  /** Main package path (`path` line). */
  path?: string;
  main?: GoModule;
  deps: GoModule[];
  settings: Array<{ key: string; value: string }>;
  /** Which header format the binary carries. */
  format: 'inline' | 'pointer';
  container: Executable['format'];
}

export async function readGoBuildInfo(ra: RandomAccess, limits: Limits): Promise<GoBuildInfo> {
  const exe = await openExecutable(ra, limits);
  const { offset, window } = await findHeader(ra, exe);
  const loc = { format: 'go-buildinfo', struct: 'build info header', offset };
  const ptrSize = window[14]!;
  const flags = window[15]!;
  let version: string;
  let modinfo: string;
  let format: GoBuildInfo['format'];
  if (flags & 2) {
    format = 'inline';
    const readAt = async (at: number): Promise<{ s: string; next: number }> => {
      // A varint is at most 10 bytes; read it, then the string it announces.
      const head = await ra.read(at, Math.min(10, ra.size - at), 'build info string length');
      const { value, bytes } = uvarint(head, { ...loc, offset: at });
      if (value > limits.MAX_GO_BUILDINFO_BYTES) {
        throw new LimitExceededError(
          { ...loc, offset: at, field: 'string length' },
          'MAX_GO_BUILDINFO_BYTES',
          value,
          limits.MAX_GO_BUILDINFO_BYTES,
        );
      }
      const s = (await ra.read(at + bytes, value, 'build info string')).toString('utf8');
      return { s, next: at + bytes + value };
    };
    const v = await readAt(offset + HEADER_BYTES);
    const m = await readAt(v.next);
    version = v.s;
    modinfo = m.s;
  } else {
    format = 'pointer';
    if (ptrSize !== 4 && ptrSize !== 8)
      throw new CorruptError({ ...loc, field: 'pointer size' }, ptrSize, 'not in', '{4, 8}');
    const le = (flags & 1) === 0;
    const ptr = (b: Buffer, at: number): bigint =>
      ptrSize === 8
        ? le
          ? b.readBigUInt64LE(at)
          : b.readBigUInt64BE(at)
        : BigInt(le ? b.readUInt32LE(at) : b.readUInt32BE(at));
    const goString = async (addr: bigint, field: string): Promise<string> => {
      const hdrOff = addrToOffset(exe, addr, 2 * ptrSize);
      if (hdrOff === undefined)
        throw new CorruptError({ ...loc, field }, `0x${addr.toString(16)}`, 'is', 'not mapped in the file');
      const hdr = await ra.read(hdrOff, 2 * ptrSize, `${field} string header`);
      const dataAddr = ptr(hdr, 0);
      const len = ptr(hdr, ptrSize);
      if (len > BigInt(limits.MAX_GO_BUILDINFO_BYTES)) {
        throw new LimitExceededError(
          { ...loc, offset: hdrOff, field },
          'MAX_GO_BUILDINFO_BYTES',
          len,
          limits.MAX_GO_BUILDINFO_BYTES,
        );
      }
      const n = Number(len);
      const dataOff = addrToOffset(exe, dataAddr, n);
      if (dataOff === undefined)
        throw new CorruptError(
          { ...loc, offset: hdrOff, field },
          `0x${dataAddr.toString(16)}`,
          'is',
          'not mapped in the file',
        );
      return (await ra.read(dataOff, n, `${field} string`)).toString('utf8');
    };
    version = await goString(ptr(window, 16), 'version');
    modinfo = await goString(ptr(window, 16 + ptrSize), 'modinfo');
  }
  // Strip the sentinels; a modinfo without them is empty (a binary built outside module mode).
  modinfo = modinfo.length >= 33 && modinfo[modinfo.length - 17] === '\n' ? modinfo.slice(16, -16) : '';
  return { goVersion: version, ...parseModInfo(modinfo), format, container: exe.format };
}

/** The header's file offset, and the 32 bytes there. */
async function findHeader(ra: RandomAccess, exe: Executable): Promise<{ offset: number; window: Buffer }> {
  const named = exe.sections.find(
    (s) =>
      s.size > 0 &&
      (s.name === '.go.buildinfo' || (s.name === '__go_buildinfo' && s.segment.startsWith('__DATA'))),
  );
  // Every Go ELF since Go 1.13 names the section: an ELF whose section table lacks it is not Go
  // (no 64 KiB search of a C program's .data). Without a section table, and for PE/Mach-O, search
  // the start of the first writable data, as debug/buildinfo does.
  const searchData = !named && (exe.format !== 'elf' || exe.sections.length === 0);
  const candidates = named
    ? [named]
    : searchData
      ? [
          ...exe.sections.filter((s) => s.writable && s.size > 0),
          ...exe.segments.filter((s) => s.writable && s.size > 0),
        ].slice(0, 1)
      : [];
  for (const c of candidates) {
    const len = Math.min(c.size, SEARCH_BYTES);
    const buf = await ra.read(c.offset, len, 'build info search window');
    // Data sections start 16-aligned in every Go binary; search aligned to the file offset too.
    for (let i = (16 - (c.offset % 16)) % 16; i + HEADER_BYTES <= buf.length; i += 16) {
      if (buf.compare(MAGIC, 0, MAGIC.length, i, i + MAGIC.length) === 0) {
        return { offset: c.offset + i, window: buf.subarray(i, i + HEADER_BYTES) };
      }
    }
  }
  throw new NotFoundError('.go.buildinfo', `go-buildinfo: no Go build info in ${ra.name} (not a Go binary)`);
}

function uvarint(
  b: Buffer,
  loc: { format: string; struct: string; offset: number },
): { value: number; bytes: number } {
  let value = 0;
  let mul = 1;
  for (let i = 0; i < b.length && i < 10; i++) {
    const byte = b[i]!;
    value += (byte & 0x7f) * mul;
    if (!Number.isSafeInteger(value))
      throw new CorruptError({ ...loc, field: 'varint' }, 'overflow', '>', '2^53');
    if ((byte & 0x80) === 0) return { value, bytes: i + 1 };
    mul *= 128;
  }
  throw new CorruptError({ ...loc, field: 'varint' }, 'unterminated', 'within', '10 bytes');
}

/** runtime/debug.ParseBuildInfo's line format (minus the `go` line, which the header carries). */
export function parseModInfo(text: string): Pick<GoBuildInfo, 'path' | 'main' | 'deps' | 'settings'> {
  const out: Pick<GoBuildInfo, 'path' | 'main' | 'deps' | 'settings'> = { deps: [], settings: [] };
  let last: GoModule | undefined;
  for (const line of text.split('\n')) {
    const f = line.split('\t');
    const mod = (): GoModule => ({ path: f[1] ?? '', version: f[2] ?? '', ...(f[3] ? { sum: f[3] } : {}) });
    switch (f[0]) {
      case 'path':
        out.path = f[1];
        break;
      case 'mod':
        out.main = mod();
        last = out.main;
        break;
      case 'dep':
        last = mod();
        out.deps.push(last);
        break;
      case '=>':
        if (last && !last.replace) last.replace = mod();
        break;
      case 'build': {
        const kv = f.slice(1).join('\t');
        const { key, value } = splitSetting(kv);
        out.settings.push({ key, value });
        break;
      }
      default:
        break;
    }
  }
  return out;
}

/** `key=value` with either side possibly Go-quoted ("-ldflags=\"-X main.v=1\"" is written `-ldflags="-X main.v=1"`). */
function splitSetting(kv: string): { key: string; value: string } {
  let key: string;
  let rest: string;
  if (kv.startsWith('"')) {
    const end = quotedEnd(kv, 0);
    key = goUnquote(kv.slice(0, end));
    rest = kv.slice(end + 1);
  } else {
    const eq = kv.indexOf('=');
    key = eq < 0 ? kv : kv.slice(0, eq);
    rest = eq < 0 ? '' : kv.slice(eq + 1);
  }
  const value = rest.startsWith('"') ? goUnquote(rest.slice(0, quotedEnd(rest, 0) + 1)) : rest;
  return { key, value };
}

/** Index of the closing quote of the Go string starting at `at`. */
function quotedEnd(s: string, at: number): number {
  for (let i = at + 1; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') return i;
  }
  return s.length - 1;
}

/** strconv.Unquote for the escapes strconv.Quote writes. */
export function goUnquote(q: string): string {
  const s = q.startsWith('"') && q.endsWith('"') && q.length >= 2 ? q.slice(1, -1) : q;
  return s.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)/g, (_, e: string) => {
    switch (e[0]) {
      case 'x':
      case 'u':
      case 'U':
        return String.fromCodePoint(Number.parseInt(e.slice(1), 16));
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case 'r':
        return '\r';
      case 'a':
        return '\x07';
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      case 'v':
        return '\v';
      default:
        return /^[0-7]{3}$/.test(e) ? String.fromCharCode(Number.parseInt(e, 8)) : e;
    }
  });
}
