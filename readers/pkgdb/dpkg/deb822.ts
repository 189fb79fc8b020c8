/**
 * deb822 control-file stanzas (Debian Policy §5.1, deb-control(5), deb822(5)):
 *
 *   Package: libpam-runtime          ← field: name, ':', value (leading/trailing space dropped)
 *   Depends: debconf (>= 0.5) | …
 *   Conffiles:                       ← a field may start empty …
 *    /etc/pam.conf 87fc…             ← … continuation lines begin with a space or a tab
 *   Description: Runtime support …
 *    .                               ← " ." is an empty line inside a multi-line value
 *                                    ← one or more blank lines end the stanza
 *   Package: …
 *
 * Read line by line with a record state machine: a line longer than MAX_LINE_BYTES, a line that is
 * neither a field nor a continuation, a continuation with no field before it, or a repeated field
 * marks the stanza malformed; it is skipped up to the next blank line and reported with its byte
 * offset, and parsing goes on with the next stanza. Field names are case-insensitive (Policy
 * §5.1): they are stored lower-cased. Multi-line values keep their continuation lines verbatim,
 * joined by '\n'.
 */
import { CorruptError, checkAborted, LimitExceededError, type ScanError } from '../../../engine/errors.js';
import { splitLines } from '../../bytes/lines.js';

export interface Stanza {
  /** Byte offset of the stanza's first line. */
  offset: number;
  /** 1-based line number of the stanza's first line. */
  line: number;
  /** Lower-cased field name → value. */
  fields: Map<string, string>;
}

export interface Deb822Result {
  stanzas: Stanza[];
  errors: ScanError[];
}

export interface Deb822Options {
  /** Format id for errors (`dpkg/status`). */
  format: string;
  maxLineBytes: number;
  maxStanzas: number;
  signal?: AbortSignal;
  /**
   * Called with each well-formed stanza as soon as it ends, instead of collecting them in
   * `stanzas` (which is then empty): a caller that keeps a few fields lets the rest go at once.
   */
  onStanza?: (stanza: Stanza) => void;
}

const FIELD_RE = /^([!-9;-~][!-9;-~]*)[ \t]*:(.*)$/;

export function parseDeb822(bytes: Buffer, opts: Deb822Options): Deb822Result {
  const stanzas: Stanza[] = [];
  const errors: ScanError[] = [];
  // State: 'between' stanzas, inside a 'stanza', or 'skip'ping a malformed one to its end.
  let state: 'between' | 'stanza' | 'skip' = 'between';
  // Read through a function: TypeScript would otherwise narrow `state` across the closures that set it.
  const inState = (s: typeof state) => state === s;
  let cur: Stanza | undefined;
  let key: string | undefined;
  // Continuation lines of `key`, joined once when the field ends: one flat string, not a chain
  // of concatenations that keeps every line alive (a Description has tens of lines).
  let more: string[] = [];
  let lineNo = 0;
  let count = 0;
  const flush = () => {
    if (cur && key !== undefined && more.length > 0)
      cur.fields.set(key, [cur.fields.get(key), ...more].join('\n'));
    more = [];
  };

  const fail = (err: ScanError) => {
    errors.push(err);
    cur = undefined;
    key = undefined;
    more = [];
    state = 'skip';
  };
  const loc = (offset: number, field?: string) => ({
    format: opts.format,
    struct: `stanza at line ${cur?.line ?? lineNo}`,
    offset,
    ...(field ? { field } : {}),
  });
  const finish = () => {
    if (state === 'stanza' && cur) {
      flush();
      if (count >= opts.maxStanzas) {
        throw new LimitExceededError(loc(cur.offset), 'MAX_PACKAGES_PER_DB', count + 1, opts.maxStanzas);
      }
      count++;
      if (opts.onStanza) opts.onStanza(cur);
      else stanzas.push(cur);
      checkAborted(opts.signal);
    }
    cur = undefined;
    key = undefined;
    more = [];
    state = 'between';
  };

  for (const l of splitLines(bytes, opts.maxLineBytes)) {
    const { start, len } = l;
    lineNo = l.no;
    if (l.text === undefined) {
      if (state === 'between') cur = { offset: start, line: lineNo, fields: new Map() };
      if (!inState('skip')) {
        fail(new LimitExceededError(loc(start, 'line'), 'MAX_LINE_BYTES', len, opts.maxLineBytes));
      }
      continue;
    }
    const line = l.text;
    if (line.trim() === '') {
      finish();
      continue;
    }
    const first = line.charCodeAt(0);
    if (first === 0x20 || first === 0x09) {
      // Continuation of the previous field.
      if (inState('skip')) continue;
      if (inState('between') || !cur || key === undefined) {
        cur = { offset: start, line: lineNo, fields: new Map() };
        fail(new CorruptError(loc(start, 'line'), 'continuation', 'without', 'a field before it'));
        continue;
      }
      more.push(line.trimEnd());
      continue;
    }
    if (first === 0x23 /* '#' */) continue; // deb822 comment line
    if (inState('skip')) continue;
    if (inState('between')) {
      cur = { offset: start, line: lineNo, fields: new Map() };
      state = 'stanza';
    }
    const m = FIELD_RE.exec(line);
    if (!m) {
      fail(
        new CorruptError(
          loc(start, 'line'),
          JSON.stringify(line.slice(0, 60)),
          'is not',
          'a "Field: value" line',
        ),
      );
      continue;
    }
    flush();
    const name = m[1]!.toLowerCase();
    if (cur!.fields.has(name)) {
      fail(new CorruptError(loc(start, m[1]), 'field', 'repeated in', 'one stanza'));
      continue;
    }
    key = name;
    cur!.fields.set(name, m[2]!.trim());
  }
  finish();
  return { stanzas, errors };
}
