/**
 * The fuzz contract and the mutators shared by every harness (targets.ts).
 *
 * Contract, checked on every mutated input:
 *   - only typed errors escape: a reader throws a ScanError subclass (engine/errors.ts) or
 *     returns; an ingest parser rejects a record with an Error (the importer notes it) — never a
 *     non-Error, never a stack overflow;
 *   - bounded work, counted in steps, not wall-clock time: every block read is a step, and every
 *     check of the AbortSignal a reader makes (once per record, block, directory entry) is a step;
 *     past the budget the signal aborts, and an input that needed that is a "hang";
 *   - bounded memory: heap + array buffers may not grow by more than MEMORY_BUDGET_BYTES over a run;
 *   - no silent empty result where the target can tell: a mutated input yields results, a typed
 *     error, or a reported issue (each target says what "empty" means for it).
 *
 * Mutations are structure-aware: image mutations land only on bytes the reader read from the
 * unmutated seed (its metadata: the reads recorded in a baseline run), and write the values that
 * break parsers (0, 1, -1, 2^31, 2^32-1, sizes ± 1); text mutations work on lines and fields; JSON
 * mutations replace, delete or retype values of the parsed tree. fast-check drives them, so a
 * failure shrinks to the smallest mutation list that still breaks the contract.
 */
import fc from 'fast-check';
import { AbortedError, ScanError, TruncatedError } from '../../engine/errors.js';
import type { BlockSource, ReadRange } from '../../readers/block/types.js';

export const MEMORY_BUDGET_BYTES = 256 * 1024 * 1024;

export type Verdict =
  | { kind: 'ok'; items: number; issues: number; error?: string }
  | { kind: 'crash' | 'hang' | 'memory' | 'silent-empty'; detail: string };

export interface Outcome {
  /** Results: packages, records, entries, volumes. */
  items: number;
  /** Problems reported alongside (per-record errors, scan issues, warnings). */
  issues: number;
}

const realAborted = Object.getOwnPropertyDescriptor(AbortSignal.prototype, 'aborted')!.get!;

/** An AbortSignal that counts every look at `aborted` as a step and aborts past `max` steps. */
export class StepBudget {
  private readonly controller = new AbortController();
  readonly signal: AbortSignal = this.controller.signal;
  steps = 0;
  exhausted = false;
  constructor(readonly max: number) {
    const sig = this.signal;
    Object.defineProperty(sig, 'aborted', {
      configurable: true,
      get: () => {
        this.step();
        return realAborted.call(sig) as boolean;
      },
    });
  }
  step(): void {
    this.steps++;
    if (this.steps > this.max && !this.exhausted) {
      this.exhausted = true;
      this.controller.abort();
    }
  }
}

export interface TargetRunContext {
  budget: StepBudget;
  signal: AbortSignal;
}

/** Runs one input against the contract. `strict`: only ScanError may escape (readers). */
export async function checkContract(
  run: (ctx: TargetRunContext) => Promise<Outcome>,
  opts: { maxSteps: number; strict: boolean; emptyIsSilent?: (o: Outcome) => boolean },
): Promise<Verdict> {
  const budget = new StepBudget(opts.maxSteps);
  const mem0 = memoryNow();
  let peak = 0;
  try {
    const o = await run({ budget, signal: budget.signal });
    peak = memoryNow() - mem0;
    if (budget.exhausted) return { kind: 'hang', detail: `returned after ${budget.steps} steps` };
    if (peak > MEMORY_BUDGET_BYTES)
      return { kind: 'memory', detail: `${(peak / 2 ** 20).toFixed(0)} MiB retained` };
    if (opts.emptyIsSilent?.(o))
      return { kind: 'silent-empty', detail: `0 results, 0 issues: ${JSON.stringify(o)}` };
    return { kind: 'ok', ...o };
  } catch (err) {
    peak = memoryNow() - mem0;
    if (budget.exhausted && err instanceof AbortedError) {
      return { kind: 'hang', detail: `still running after ${opts.maxSteps} steps` };
    }
    if (peak > MEMORY_BUDGET_BYTES)
      return { kind: 'memory', detail: `${(peak / 2 ** 20).toFixed(0)} MiB retained` };
    const stackOverflow = err instanceof RangeError && /call stack/i.test(err.message);
    if (err instanceof ScanError) return { kind: 'ok', items: 0, issues: 1, error: err.code };
    if (!opts.strict && err instanceof Error && !stackOverflow) {
      return { kind: 'ok', items: 0, issues: 1, error: err.name };
    }
    const e = err as Error;
    return {
      kind: 'crash',
      detail: `${e?.name ?? typeof err}: ${e?.message ?? String(err)}\n${e?.stack ?? ''}`,
    };
  }
}

function memoryNow(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

// ---- image mutations -------------------------------------------------------------------------

/** Values that break parsers: zero, one, all-ones, sign bits, small and large sizes. */
export const INTERESTING = [
  0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x1000, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000,
  0xfffffffe, 0xffffffff,
] as const;

export type ImageOp = 'byte' | 'bit' | 'u16le' | 'u32le' | 'u32be' | 'u64le' | 'zero16' | 'copy8';

export interface ImageMutation {
  /** Index into the hot bytes (mod their count). */
  at: number;
  op: ImageOp;
  v: number;
}

export const imageMutationArb: fc.Arbitrary<ImageMutation> = fc.record({
  at: fc.nat(),
  op: fc.constantFrom<ImageOp>('byte', 'bit', 'u16le', 'u32le', 'u32be', 'u64le', 'zero16', 'copy8'),
  v: fc.nat(),
});

export const imageInputArb = (seeds: number) =>
  fc.record({
    seed: fc.nat(seeds - 1),
    muts: fc.array(imageMutationArb, { minLength: 1, maxLength: 6 }),
    /** Cut the disk at a hot byte (rarely). */
    truncate: fc.option(fc.nat(), { freq: 12 }),
  });

/** Byte ranges a reader read from the unmutated seed: where mutations go. */
export class HotMap {
  private readonly starts: number[] = [];
  private readonly lens: number[] = [];
  private readonly cum: number[] = [];
  total = 0;
  constructor(ranges: ReadRange[], maxRangeBytes = 64 * 1024) {
    const sorted = [...ranges].sort((a, b) => (a.offset < b.offset ? -1 : 1));
    let lastEnd = -1;
    for (const r of sorted) {
      let s = Number(r.offset);
      const e = s + Math.min(r.length, maxRangeBytes);
      if (e <= lastEnd) continue;
      if (s < lastEnd) s = lastEnd;
      this.starts.push(s);
      this.lens.push(e - s);
      this.total += e - s;
      this.cum.push(this.total);
      lastEnd = e;
    }
  }
  offset(i: number): number {
    if (this.total === 0) return 0;
    const k = i % this.total;
    let lo = 0;
    let hi = this.cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cum[mid]! > k) hi = mid;
      else lo = mid + 1;
    }
    const before = lo === 0 ? 0 : this.cum[lo - 1]!;
    return this.starts[lo]! + (k - before);
  }
}

/** Turns mutations into byte patches (offset → value) over the seed. */
export function imagePatches(
  base: (at: number) => number,
  hot: HotMap,
  muts: ImageMutation[],
): Map<number, number> {
  const p = new Map<number, number>();
  const get = (at: number) => p.get(at) ?? base(at);
  const put = (at: number, bytes: number[]) => {
    for (let i = 0; i < bytes.length; i++) p.set(at + i, bytes[i]! & 0xff);
  };
  const le = (v: number, n: number) =>
    Array.from({ length: n }, (_, i) => Math.floor(v / 2 ** (8 * i)) & 0xff);
  for (const m of muts) {
    const at = hot.offset(m.at);
    const val = INTERESTING[m.v % INTERESTING.length]!;
    switch (m.op) {
      case 'byte':
        put(at, [m.v]);
        break;
      case 'bit':
        put(at, [get(at) ^ (1 << (m.v % 8))]);
        break;
      case 'u16le':
        put(at, le(val, 2));
        break;
      case 'u32le':
        put(at, le(val, 4));
        break;
      case 'u32be':
        put(at, le(val, 4).reverse());
        break;
      case 'u64le':
        put(at, [...le(val, 4), ...(m.v % 3 === 0 ? [0xff, 0xff, 0xff, 0xff] : [0, 0, 0, 0])]);
        break;
      case 'zero16':
        put(at, new Array(16).fill(0));
        break;
      case 'copy8': {
        const from = hot.offset(m.v);
        put(
          at,
          Array.from({ length: 8 }, (_, i) => get(from + i)),
        );
        break;
      }
    }
  }
  return p;
}

/** A seed image with byte patches and an optional cut; every read is a step of the budget. */
export class MutatedSource implements BlockSource {
  readonly id: string;
  readonly blockSize: number;
  readonly size: bigint;
  constructor(
    private readonly base: BlockSource,
    private readonly patches: Map<number, number>,
    private readonly budget: StepBudget,
    size?: bigint,
  ) {
    this.id = `mutated:${base.id}`;
    this.blockSize = base.blockSize;
    this.size = size ?? base.size;
    this.sorted = [...patches.keys()].sort((a, b) => a - b);
  }
  private readonly sorted: number[];
  async read(offset: bigint, length: number, signal?: AbortSignal): Promise<Buffer> {
    this.budget.step();
    if (this.budget.exhausted) throw new AbortedError('fuzz step budget exhausted');
    if (offset < 0n || length < 0 || offset + BigInt(length) > this.size) {
      // The same typed error a truncated raw file gives.
      throw new TruncatedError(
        { format: 'block', struct: this.id, offset, field: 'read' },
        length,
        this.size - offset,
      );
    }
    const out = Buffer.from(await this.base.read(offset, length, signal));
    const o = Number(offset);
    for (const at of this.sorted) {
      if (at < o) continue;
      if (at >= o + length) break;
      out[at - o] = this.patches.get(at)!;
    }
    return out;
  }
}

/** Records the byte ranges read (the baseline run of a seed). */
export class RecordingSource implements BlockSource {
  readonly ranges: ReadRange[] = [];
  readonly id: string;
  readonly size: bigint;
  readonly blockSize: number;
  constructor(private readonly inner: BlockSource) {
    this.id = inner.id;
    this.size = inner.size;
    this.blockSize = inner.blockSize;
  }
  async read(offset: bigint, length: number, signal?: AbortSignal): Promise<Buffer> {
    this.ranges.push({ offset, length });
    return this.inner.read(offset, length, signal);
  }
}

// ---- text and binary-buffer mutations ----------------------------------------------------------

export type BytesOp = 'byte' | 'bit' | 'delete' | 'dup' | 'insert' | 'truncate' | 'swap-lines' | 'u32le';

export const TOKENS = [
  '\n',
  '\n\n',
  ':',
  ' ',
  '\t',
  '\0',
  '=',
  '"',
  '\\',
  '\r\n',
  'Package: x\n',
  'Status: install ok installed\n',
  'Version: 1:2.3-4\n',
  'P:x\n',
  'V:1-r0\n',
  ' .\n',
  '\xff\xfe',
  'A'.repeat(300),
  '9'.repeat(40),
  '-1',
  '{',
  '}',
  '[',
  ']',
] as const;

export interface BytesMutation {
  at: number;
  op: BytesOp;
  v: number;
}

export const bytesMutationArb: fc.Arbitrary<BytesMutation> = fc.record({
  at: fc.nat(),
  op: fc.constantFrom<BytesOp>('byte', 'bit', 'delete', 'dup', 'insert', 'truncate', 'swap-lines', 'u32le'),
  v: fc.nat(),
});

export const bytesInputArb = (seeds: number) =>
  fc.record({ seed: fc.nat(seeds - 1), muts: fc.array(bytesMutationArb, { minLength: 1, maxLength: 8 }) });

export function mutateBytes(seed: Buffer, muts: BytesMutation[]): Buffer {
  let b = Buffer.from(seed);
  for (const m of muts) {
    if (b.length === 0) b = Buffer.from(TOKENS[m.v % TOKENS.length]!, 'latin1');
    const at = m.at % b.length;
    switch (m.op) {
      case 'byte':
        b[at] = m.v & 0xff;
        break;
      case 'bit':
        b[at] = b[at]! ^ (1 << (m.v % 8));
        break;
      case 'u32le':
        if (at + 4 <= b.length) b.writeUInt32LE(INTERESTING[m.v % INTERESTING.length]!, at);
        break;
      case 'delete':
        b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + (m.v % 64)))]);
        break;
      case 'dup': {
        const part = b.subarray(at, Math.min(b.length, at + 1 + (m.v % 256)));
        b = Buffer.concat([b.subarray(0, at), part, part, b.subarray(at + part.length)]);
        break;
      }
      case 'insert':
        b = Buffer.concat([
          b.subarray(0, at),
          Buffer.from(TOKENS[m.v % TOKENS.length]!, 'latin1'),
          b.subarray(at),
        ]);
        break;
      case 'truncate':
        b = b.subarray(0, at);
        break;
      case 'swap-lines': {
        const lines = b.toString('latin1').split('\n');
        const i = at % lines.length;
        const j = m.v % lines.length;
        [lines[i], lines[j]] = [lines[j]!, lines[i]!];
        b = Buffer.from(lines.join('\n'), 'latin1');
        break;
      }
    }
  }
  return b;
}

// ---- JSON tree mutations -------------------------------------------------------------------------

export interface JsonMutation {
  path: number[];
  op: 'replace' | 'delete' | 'stringify' | 'wrap-array' | 'empty';
  value: unknown;
}

export const jsonMutationArb: fc.Arbitrary<JsonMutation> = fc.record({
  path: fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
  op: fc.constantFrom<JsonMutation['op']>('replace', 'delete', 'stringify', 'wrap-array', 'empty'),
  value: fc.jsonValue({ maxDepth: 2 }),
});

export const jsonInputArb = (seeds: number) =>
  fc.record({ seed: fc.nat(seeds - 1), muts: fc.array(jsonMutationArb, { minLength: 1, maxLength: 5 }) });

/** Applies each mutation at the node its path of child indexes leads to (stopping at leaves). */
export function mutateJson(doc: unknown, muts: JsonMutation[]): unknown {
  const root = { v: structuredClone(doc) as unknown };
  for (const m of muts) {
    let parent: Record<string, unknown> | unknown[] = root as unknown as Record<string, unknown>;
    let key: string | number = 'v';
    for (const step of m.path) {
      const node: unknown = (parent as Record<string | number, unknown>)[key];
      if (node === null || typeof node !== 'object') break;
      const keys: Array<string | number> = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
      if (keys.length === 0) break;
      parent = node as Record<string, unknown>;
      key = keys[step % keys.length]!;
    }
    const slot = parent as Record<string | number, unknown>;
    switch (m.op) {
      case 'replace':
        slot[key] = m.value;
        break;
      case 'delete':
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete slot[key];
        break;
      case 'stringify':
        slot[key] = JSON.stringify(slot[key]) ?? 'undefined';
        break;
      case 'wrap-array':
        slot[key] = [slot[key]];
        break;
      case 'empty':
        slot[key] = Array.isArray(slot[key]) ? [] : typeof slot[key] === 'object' ? {} : '';
        break;
    }
  }
  return root.v;
}
