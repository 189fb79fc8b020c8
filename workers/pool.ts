/**
 * The worker pools: MatchPool (piscina over workers/match.worker.ts) and ScanPool (over
 * workers/scan.worker.ts), options validated up front with messages naming the option. Workers run
 * the compiled files in a build and the TypeScript sources through tsx in a checkout
 * (workers/entry.ts), so the pools work from the installed package and from any working directory.
 */

import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { checkAborted, deserializeError } from '../engine/errors.js';
import type { Inventory } from '../engine/inventory/types.js';
import { chunkPackages } from '../engine/match/chunk.js';
import type { MatchResult } from '../engine/match/matcher.js';
import type { OsInfo } from '../engine/model/os.js';
import type { Package } from '../engine/model/package.js';
import { workerEntry } from './entry.js';
import { isStoreSpec, type MatchTask, type MatchTaskResult, type StoreSpec } from './protocol.js';
import type { ScanTask, ScanTaskResult } from './scan.worker.js';

export interface MatchPoolOptions {
  /** Worker threads (default: available parallelism, at most 8). */
  threads?: number;
  /** Idle worker lifetime in ms before piscina ends it (default 30 s). */
  idleTimeoutMs?: number;
  /** Packages per task bounds (see engine/match/chunk.ts). */
  minChunk?: number;
  maxChunk?: number;
}

export type ValidatedPoolOptions = Required<MatchPoolOptions>;

const MAX_THREADS = 64;

function checkInt(name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new RangeError(
      `match pool option "${name}" must be an integer in [${min}, ${max}], got ${String(v)}`,
    );
  }
  return v;
}

export function validatePoolOptions(options: MatchPoolOptions = {}): ValidatedPoolOptions {
  for (const key of Object.keys(options)) {
    if (!['threads', 'idleTimeoutMs', 'minChunk', 'maxChunk'].includes(key)) {
      throw new RangeError(`unknown match pool option "${key}"`);
    }
  }
  const threads = checkInt('threads', options.threads ?? Math.min(8, availableParallelism()), 1, MAX_THREADS);
  const idleTimeoutMs = checkInt('idleTimeoutMs', options.idleTimeoutMs ?? 30_000, 0, 3_600_000);
  const minChunk = checkInt('minChunk', options.minChunk ?? 50, 1, 1_000_000);
  const maxChunk = checkInt('maxChunk', options.maxChunk ?? 1000, minChunk, 1_000_000);
  return { threads, idleTimeoutMs, minChunk, maxChunk };
}

export class MatchPool {
  readonly options: ValidatedPoolOptions;
  readonly store: StoreSpec;
  private readonly piscina: Piscina;

  constructor(store: StoreSpec, options: MatchPoolOptions = {}) {
    if (!isStoreSpec(store))
      throw new RangeError('match pool "store" must be { kind: "sqlite" | "json", path }');
    this.store = store;
    this.options = validatePoolOptions(options);
    this.piscina = new Piscina({
      ...workerEntry('./match.worker', import.meta.url),
      minThreads: 1,
      maxThreads: this.options.threads,
      idleTimeout: this.options.idleTimeoutMs,
    });
  }

  /** Matches an inventory: slices run in parallel, results are concatenated in input order. */
  async match(packages: Package[], os: OsInfo | undefined, signal?: AbortSignal): Promise<MatchResult> {
    checkAborted(signal);
    const slices = chunkPackages(packages, {
      workers: this.options.threads,
      minChunk: this.options.minChunk,
      maxChunk: this.options.maxChunk,
    });
    const results = await Promise.all(
      slices.map((slice) => {
        const task: MatchTask = { store: this.store, packages: slice, ...(os ? { os } : {}) };
        return this.piscina.run(task, signal ? { signal } : {}) as Promise<MatchTaskResult>;
      }),
    );
    const out: MatchResult = { matches: [], skipped: [], lookups: 0 };
    for (const r of results) {
      if (!r.ok) throw deserializeError(r.error);
      out.matches.push(...r.matches);
      out.skipped.push(...r.skipped);
      out.lookups += r.lookups;
    }
    return out;
  }

  /** Starts every worker and opens the store in each, so the first scan does not pay for it. */
  async warm(): Promise<void> {
    const tasks = Array.from(
      { length: this.options.threads },
      () =>
        this.piscina.run({ store: this.store, packages: [] } satisfies MatchTask) as Promise<MatchTaskResult>,
    );
    for (const r of await Promise.all(tasks)) if (!r.ok) throw deserializeError(r.error);
  }

  async close(): Promise<void> {
    await this.piscina.destroy();
  }
}

export interface ScanPoolOptions {
  /** Targets read at once (worker threads; each keeps many EBS requests in flight). Default 4. */
  threads?: number;
  /** Idle worker lifetime in ms before piscina ends it (default 1 s). */
  idleTimeoutMs?: number;
  /**
   * Targets one thread reads at once (default 1). Reading is I/O-bound (EBS requests in flight), so
   * a long-running process (the scheduler) keeps few threads — each costs a module graph and a heap
   * — and gives each several targets.
   */
  tasksPerThread?: number;
}

/** Reads and parses targets (images, snapshots) in worker threads; the main thread orchestrates. */
export class ScanPool {
  readonly threads: number;
  private readonly piscina: Piscina;

  constructor(options: ScanPoolOptions = {}) {
    for (const key of Object.keys(options)) {
      if (!['threads', 'idleTimeoutMs', 'tasksPerThread'].includes(key))
        throw new RangeError(`unknown scan pool option "${key}"`);
    }
    this.threads = checkInt('threads', options.threads ?? 4, 1, MAX_THREADS);
    this.piscina = new Piscina({
      ...workerEntry('./scan.worker', import.meta.url),
      minThreads: 1,
      maxThreads: this.threads,
      idleTimeout: checkInt('idleTimeoutMs', options.idleTimeoutMs ?? 1000, 0, 3_600_000),
      concurrentTasksPerWorker: checkInt('tasksPerThread', options.tasksPerThread ?? 1, 1, 64),
      resourceLimits: { maxYoungGenerationSizeMb: 8 },
    });
  }

  /** Scans one target; a failed scan rejects with the rebuilt ScanError. */
  async scan(task: ScanTask, signal?: AbortSignal): Promise<Inventory> {
    checkAborted(signal);
    const res = (await this.piscina.run(task, { signal: signal ?? null })) as ScanTaskResult;
    if (!res.ok) throw deserializeError(res.error);
    return res.inventory;
  }

  async close(): Promise<void> {
    await this.piscina.destroy();
  }
}
