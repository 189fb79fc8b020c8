/**
 * A small, bounded parser for the LVM2 text configuration language, the format of the volume group
 * metadata stored in a PV's metadata area (lvm2 libdm/libdm-config.c; `man lvm.conf` "SYNTAX").
 *
 *   file    = { item }
 *   item    = key "=" value | key "{" { item } "}"
 *   value   = string | number | "[" [ scalar { "," scalar } [","] ] "]"
 *   scalar  = string | number
 *   string  = '"' { char | '\' char } '"'          (single quotes accepted too)
 *   number  = ["-"] digits [ "." digits ]
 *   comment = "#" … end of line
 *
 * Bounded: nesting depth (MAX_LVM_CONFIG_DEPTH), number of nodes (MAX_LVM_CONFIG_NODES), integers
 * must be safe integers; the caller bounds the text size (MAX_LVM_METADATA_BYTES). Sections are
 * Maps, so a key such as `__proto__` is only a key.
 */
import { CorruptError, LimitExceededError } from '../../../engine/errors.js';
import { DEFAULT_LIMITS, type Limits } from '../../../engine/limits.js';

export type LvmScalar = string | number;
export type LvmValue = LvmScalar | LvmScalar[] | LvmSection;

export class LvmSection {
  readonly entries = new Map<string, LvmValue>();
  constructor(readonly name: string) {}

  get(key: string): LvmValue | undefined {
    return this.entries.get(key);
  }
  section(key: string): LvmSection | undefined {
    const v = this.entries.get(key);
    return v instanceof LvmSection ? v : undefined;
  }
  sections(): LvmSection[] {
    return [...this.entries.values()].filter((v): v is LvmSection => v instanceof LvmSection);
  }
  string(key: string): string | undefined {
    const v = this.entries.get(key);
    return typeof v === 'string' ? v : undefined;
  }
  number(key: string): number | undefined {
    const v = this.entries.get(key);
    return typeof v === 'number' ? v : undefined;
  }
  array(key: string): LvmScalar[] | undefined {
    const v = this.entries.get(key);
    return Array.isArray(v) ? v : undefined;
  }
}

export interface ParseOptions {
  limits?: Limits;
  /** Absolute offset of the text on disk, for error messages. */
  offset?: number | bigint;
}

const KEY_CHAR = /[A-Za-z0-9_+.\-/:@]/;

/** Parses LVM2 text config into a root section named ''. Throws CorruptError / LimitExceededError. */
export function parseLvmConfig(text: string, opts: ParseOptions = {}): LvmSection {
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const base = opts.offset ?? 0;
  let pos = 0;
  let nodes = 0;
  const n = text.length;

  const loc = (at: number, field: string) => ({
    format: 'lvm2',
    struct: 'metadata text',
    offset: typeof base === 'bigint' ? base + BigInt(at) : base + at,
    field,
  });
  const fail = (field: string, actual: string, relation: string, expected: string, at = pos): never => {
    throw new CorruptError(loc(at, field), actual, relation, expected);
  };
  const count = () => {
    if (++nodes > limits.MAX_LVM_CONFIG_NODES) {
      throw new LimitExceededError(
        loc(pos, 'nodes'),
        'MAX_LVM_CONFIG_NODES',
        nodes,
        limits.MAX_LVM_CONFIG_NODES,
      );
    }
  };
  const show = (at: number) => (at >= n ? 'end of text' : JSON.stringify(text.slice(at, at + 12)));

  /** Skips whitespace and comments. */
  const skip = () => {
    while (pos < n) {
      const ch = text.charCodeAt(pos);
      if (ch === 0x23 /* # */) {
        const nl = text.indexOf('\n', pos);
        pos = nl < 0 ? n : nl + 1;
      } else if (ch === 0x20 || ch === 0x09 || ch === 0x0a || ch === 0x0d || ch === 0x00) {
        pos++;
      } else {
        break;
      }
    }
  };

  const key = (): string => {
    const start = pos;
    while (pos < n && KEY_CHAR.test(text[pos]!)) pos++;
    if (pos === start) fail('key', show(start), 'is not', 'an identifier', start);
    return text.slice(start, pos);
  };

  const string = (): string => {
    const quote = text[pos]!;
    const start = pos;
    pos++;
    let out = '';
    let chunk = pos;
    while (pos < n) {
      const ch = text[pos]!;
      if (ch === quote) {
        out += text.slice(chunk, pos);
        pos++;
        return out;
      }
      if (ch === '\\') {
        out += text.slice(chunk, pos);
        if (pos + 1 >= n) break;
        out += text[pos + 1];
        pos += 2;
        chunk = pos;
        continue;
      }
      pos++;
    }
    return fail('string', show(start), 'is', 'unterminated', start);
  };

  const number = (): number => {
    const start = pos;
    if (text[pos] === '-' || text[pos] === '+') pos++;
    while (pos < n && text.charCodeAt(pos) >= 0x30 && text.charCodeAt(pos) <= 0x39) pos++;
    let isFloat = false;
    if (text[pos] === '.') {
      isFloat = true;
      pos++;
      while (pos < n && text.charCodeAt(pos) >= 0x30 && text.charCodeAt(pos) <= 0x39) pos++;
    }
    const lit = text.slice(start, pos);
    if (!/\d/.test(lit)) fail('number', show(start), 'is not', 'a number', start);
    const v = isFloat ? Number.parseFloat(lit) : Number(lit);
    if (!Number.isFinite(v) || (!isFloat && !Number.isSafeInteger(v))) {
      fail('number', lit.length > 40 ? `${lit.slice(0, 40)}…` : lit, 'is not', 'a safe integer', start);
    }
    return v;
  };

  const scalar = (): LvmScalar => {
    count();
    const ch = text[pos];
    if (ch === '"' || ch === "'") return string();
    return number();
  };

  const value = (): LvmScalar | LvmScalar[] => {
    if (text[pos] !== '[') return scalar();
    const start = pos;
    pos++;
    count();
    const arr: LvmScalar[] = [];
    for (;;) {
      skip();
      if (pos >= n) fail('array', show(start), 'is', 'unterminated', start);
      if (text[pos] === ']') {
        pos++;
        return arr;
      }
      arr.push(scalar());
      skip();
      if (text[pos] === ',') pos++;
      else if (text[pos] !== ']') fail('array', show(pos), 'is not', '"," or "]"');
    }
  };

  const items = (section: LvmSection, depth: number, closing: boolean): void => {
    for (;;) {
      skip();
      if (pos >= n) {
        if (closing) fail('section', section.name, 'is', 'unterminated (missing "}")');
        return;
      }
      if (text[pos] === '}') {
        if (!closing) fail('section', show(pos), 'is', 'an unmatched "}"');
        pos++;
        return;
      }
      const k = key();
      count();
      skip();
      const ch = text[pos];
      if (ch === '{') {
        if (depth + 1 > limits.MAX_LVM_CONFIG_DEPTH) {
          throw new LimitExceededError(
            loc(pos, 'depth'),
            'MAX_LVM_CONFIG_DEPTH',
            depth + 1,
            limits.MAX_LVM_CONFIG_DEPTH,
          );
        }
        pos++;
        const child = new LvmSection(k);
        items(child, depth + 1, true);
        section.entries.set(k, child);
      } else if (ch === '=') {
        pos++;
        skip();
        section.entries.set(k, value());
      } else {
        fail('item', `${k} ${show(pos)}`, 'is not', '"key = value" or "key {"');
      }
    }
  };

  const root = new LvmSection('');
  items(root, 0, false);
  return root;
}
