/**
 * EBS snapshot as a BlockSource, read through the EBS direct APIs: no volume is created, attached or
 * mounted. A read maps onto 512 KiB snapshot blocks:
 *
 *   offset ──► block index = offset / BlockSize
 *              ├─ not in the ListSnapshotBlocks map → zeros, no request (never written)
 *              ├─ in the LRU cache                  → copy
 *              ├─ already being fetched             → wait on the same promise (coalesced)
 *              └─ else GetSnapshotBlock via p-queue (bounded in flight), SHA-256 verified
 *
 * Block data is not covered by SigV4 signing (EBS User Guide, "Validate snapshot data"), so the
 * x-amz-Checksum of every block is checked against the body; a mismatch is retried, then fails with
 * ChecksumMismatchError naming the snapshot and block.
 */
import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { type EBSClient, GetSnapshotBlockCommand, ListSnapshotBlocksCommand } from '@aws-sdk/client-ebs';
import PQueue from 'p-queue';
import {
  AbortedError,
  checkAborted,
  LimitExceededError,
  ScanError,
  TruncatedError,
} from '../../../engine/errors.js';
import { DEFAULT_LIMITS, EBS_CACHE_BYTES } from '../../../engine/limits.js';
import { LruCache, type LruCacheStats } from '../lru-cache.js';
import type { BlockSource, ReadRange } from '../types.js';
import { BlockMap, MAX_EMPTY_PAGES } from './block-map.js';
import { type AwsClientOptions, createEbsClient } from './client.js';
import { ebsCostUsd } from './cost.js';
import { AwsApiError, ChecksumMismatchError } from './errors.js';
import { backoffMs, classify, type FailureKind, isRetryable, raceAbort, sleep } from './retry.js';

export interface EbsSourceOptions extends AwsClientOptions {
  snapshotId: string;
  /** A ready client (tests, or a caller with its own configuration); otherwise one is built. */
  client?: EBSClient;
  /** GetSnapshotBlock requests in flight at once. Default 64. */
  concurrency?: number;
  /**
   * LRU cache budget in bytes. Default EBS_CACHE_BYTES (64 MiB, an OS inventory); scans with the
   * language walk pass EBS_WALK_CACHE_BYTES (engine/limits.ts ebsCacheBytes gives the figures).
   * 0 disables caching and readahead.
   */
  cacheBytes?: number;
  /** Aborts every read and request of this source. */
  signal?: AbortSignal;
  /** Attempts per call for throttling, 5xx, resets and timeouts. Default 8. */
  maxAttempts?: number;
  /** Attempts per block when the checksum or length is wrong. Default 3. */
  checksumAttempts?: number;
  /** Backoff base and cap (full jitter). Defaults 100 ms and 20 s. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** MaxResults of ListSnapshotBlocks (100..10000 on AWS). Default 10000. */
  listPageSize?: number;
  /** Re-list a block's token this long before its ExpiryTime. Default 60 s. */
  tokenRefreshMarginMs?: number;
  /** Source of jitter (tests pass a seeded one). */
  random?: () => number;
  /** Told about every retry (progress output, debugging). */
  onRetry?: (info: RetryInfo) => void;
}

export interface RetryInfo {
  op: string;
  block: number | undefined;
  kind: FailureKind;
  attempt: number;
  delayMs: number;
  error: string;
}

export interface EbsStats {
  snapshotId: string;
  volumeBytes: number;
  blockSize: number;
  /** Blocks ListSnapshotBlocks reported written. */
  blocksListed: number;
  listCalls: number;
  getCalls: number;
  bytesFetched: number;
  cacheHits: number;
  coalescedReads: number;
  /** Block reads answered with zeros because the block was never written (no request). */
  zeroBlockReads: number;
  retries: number;
  /** Retries by failure kind: throttle, server, network, integrity, token-expired. */
  retriesByKind: Record<string, number>;
  throttles: number;
  checksumFailures: number;
  relists: number;
  prefetched: number;
  peakInFlight: number;
  /** Distinct listed blocks fetched at least once; with a cache that holds them, equals getCalls - retries. */
  distinctBlocksFetched: number;
  /** Distinct unlisted (zero) blocks read. distinctBlocksFetched + this = CountingSource's distinctBlocks. */
  distinctZeroBlocks: number;
  /** At list prices, see cost.ts. */
  costUsd: number;
  cache: LruCacheStats;
}

class IntegrityError extends Error {
  constructor(
    readonly checksum: boolean,
    message: string,
  ) {
    super(message);
  }
}

const READ_PRIORITY = 1;
const PREFETCH_PRIORITY = 0;
const MAX_TOKEN_REFRESHES = 3;

export class EbsSnapshotSource implements BlockSource {
  readonly id: string;
  size = 0n;
  blockSize = 0;
  private readonly map: BlockMap;
  private readonly queue: PQueue;
  private readonly cache: LruCache<number, Buffer>;
  private readonly inflight = new Map<number, Promise<Buffer>>();
  private readonly relisting = new Map<number, Promise<void>>();
  private readonly client: EBSClient;
  private readonly ownsClient: boolean;
  private readonly signal: AbortSignal | undefined;
  private readonly onRetry: ((info: RetryInfo) => void) | undefined;
  private readonly o: Required<
    Pick<
      EbsSourceOptions,
      | 'concurrency'
      | 'cacheBytes'
      | 'maxAttempts'
      | 'checksumAttempts'
      | 'baseDelayMs'
      | 'maxDelayMs'
      | 'listPageSize'
      | 'tokenRefreshMarginMs'
      | 'random'
    >
  >;
  private inFlight = 0;
  private readonly backlog: number[] = [];
  private backlogHead = 0;
  private readonly outstanding = new Set<number>();
  private readonly fetchedSet = new Set<number>();
  private readonly zeroSet = new Set<number>();
  private readonly retryKinds: Record<string, number> = {};
  private readonly c = {
    listCalls: 0,
    getCalls: 0,
    bytesFetched: 0,
    cacheHits: 0,
    coalescedReads: 0,
    zeroBlockReads: 0,
    retries: 0,
    throttles: 0,
    checksumFailures: 0,
    relists: 0,
    prefetched: 0,
    peakInFlight: 0,
  };

  private constructor(options: EbsSourceOptions) {
    const o = {
      concurrency: options.concurrency ?? 64,
      cacheBytes: options.cacheBytes ?? EBS_CACHE_BYTES,
      maxAttempts: options.maxAttempts ?? 8,
      checksumAttempts: options.checksumAttempts ?? 3,
      baseDelayMs: options.baseDelayMs ?? 100,
      maxDelayMs: options.maxDelayMs ?? 20_000,
      listPageSize: options.listPageSize ?? 10_000,
      tokenRefreshMarginMs: options.tokenRefreshMarginMs ?? 60_000,
      random: options.random ?? Math.random,
    };
    for (const [k, v] of Object.entries(o)) {
      if (k === 'random') continue;
      const min =
        k === 'concurrency' || k === 'maxAttempts' || k === 'checksumAttempts' || k === 'listPageSize'
          ? 1
          : 0;
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
        throw new RangeError(`ebs option "${k}" must be an integer >= ${min}, got ${String(v)}`);
      }
    }
    if (o.listPageSize > 10_000) throw new RangeError(`ebs option "listPageSize" must be <= 10000`);
    if (!/^snap-[0-9a-f]{8,17}$/.test(options.snapshotId)) {
      throw new RangeError(`not a snapshot id: "${options.snapshotId}" (expected snap-<hex>)`);
    }
    this.o = o;
    this.id = options.snapshotId;
    this.signal = options.signal;
    this.onRetry = options.onRetry;
    // Every waiting read and queued fetch listens on the scan's signal (removed when settled): a
    // 64 MiB read alone has 128 of them, far past the default warning threshold of 10.
    if (this.signal) setMaxListeners(0, this.signal);
    this.map = new BlockMap(options.snapshotId, DEFAULT_LIMITS.MAX_EBS_BLOCK_BYTES);
    this.queue = new PQueue({ concurrency: o.concurrency });
    this.cache = new LruCache<number, Buffer>({
      maxBytes: o.cacheBytes,
      sizeOf: (b) => b.length,
      onEvict: (b) => this.release(b as number),
    });
    this.ownsClient = !options.client;
    this.client = options.client ?? createEbsClient({ maxSockets: o.concurrency, ...options });
  }

  /** Lists the snapshot's blocks (all pages) and returns a source ready to read. */
  static async open(options: EbsSourceOptions): Promise<EbsSnapshotSource> {
    const source = new EbsSnapshotSource(options);
    try {
      await source.listFrom(0, Number.POSITIVE_INFINITY);
    } catch (err) {
      source.close();
      throw err;
    }
    source.size = source.map.volumeBytes;
    source.blockSize = source.map.blockSize;
    return source;
  }

  /** Indexes of the blocks the snapshot lists (ascending). */
  listedBlocks(): number[] {
    return [...this.map.blocks.keys()].sort((a, b) => a - b);
  }

  async read(offset: bigint, length: number, signal?: AbortSignal): Promise<Buffer> {
    if (offset < 0n || !Number.isSafeInteger(length) || length < 0 || offset + BigInt(length) > this.size) {
      throw new TruncatedError(
        { format: 'block', struct: this.id, offset, field: 'read' },
        length,
        this.size - offset,
      );
    }
    checkAborted(signal);
    checkAborted(this.signal);
    if (length === 0) return Buffer.alloc(0);
    const bs = BigInt(this.blockSize);
    const first = Number(offset / bs);
    const last = Number((offset + BigInt(length) - 1n) / bs);
    const out = Buffer.allocUnsafe(length);
    const end = offset + BigInt(length);
    const jobs: Promise<void>[] = [];
    for (let b = first; b <= last; b++) {
      const blockStart = BigInt(b) * bs;
      const from = offset > blockStart ? offset : blockStart;
      const to = end < blockStart + bs ? end : blockStart + bs;
      const dst = Number(from - offset);
      const src = Number(from - blockStart);
      const n = Number(to - from);
      jobs.push(
        this.block(b, READ_PRIORITY, signal).then((data) => {
          if (data) data.copy(out, dst, src, src + n);
          else out.fill(0, dst, dst + n);
        }),
      );
    }
    await Promise.all(jobs);
    return out;
  }

  /**
   * Readahead. The blocks join a backlog that is fetched at low priority while fewer than half the
   * cache's blocks are "outstanding" (prefetched and not yet read): more would evict readahead
   * before it is used. Reading, evicting or failing a prefetched block lets the next one start.
   */
  prefetch(ranges: readonly ReadRange[]): void {
    if (this.signal?.aborted || this.cache.maxBytes < this.blockSize) return;
    const bs = BigInt(this.blockSize);
    for (const r of ranges) {
      if (r.length <= 0 || r.offset < 0n || r.offset + BigInt(r.length) > this.size) continue;
      const first = Number(r.offset / bs);
      const last = Number((r.offset + BigInt(r.length) - 1n) / bs);
      for (let b = first; b <= last; b++) {
        // The backlog is bounded by the volume's block count (a caller repeating itself).
        if (this.backlog.length - this.backlogHead >= this.map.blockCount) break;
        if (this.map.blocks.has(b)) this.backlog.push(b);
      }
    }
    this.pump();
  }

  private pump(): void {
    const budget = Math.max(1, Math.floor(this.cache.maxBytes / this.blockSize / 2));
    while (this.outstanding.size < budget && this.backlogHead < this.backlog.length) {
      if (this.signal?.aborted) return;
      const b = this.backlog[this.backlogHead++]!;
      if (this.cache.has(b) || this.inflight.has(b) || this.outstanding.has(b)) continue;
      this.c.prefetched++;
      this.outstanding.add(b);
      this.startFetch(b, PREFETCH_PRIORITY).catch(() => this.release(b));
    }
    if (this.backlogHead === this.backlog.length) {
      this.backlog.length = 0;
      this.backlogHead = 0;
    }
  }

  /** A prefetched block was read, evicted or failed: room for the next one. */
  private release(b: number): void {
    if (this.outstanding.delete(b)) this.pump();
  }

  stats(): EbsStats {
    return {
      snapshotId: this.id,
      volumeBytes: Number(this.size),
      blockSize: this.blockSize,
      blocksListed: this.map.blocks.size,
      ...this.c,
      distinctBlocksFetched: this.fetchedSet.size,
      distinctZeroBlocks: this.zeroSet.size,
      retriesByKind: { ...this.retryKinds },
      costUsd: ebsCostUsd(this.c.listCalls, this.c.getCalls),
      cache: this.cache.stats(),
    };
  }

  /** Drops queued work and the cache; destroys the client when this source built it. */
  close(): void {
    this.backlog.length = 0;
    this.backlogHead = 0;
    this.queue.clear();
    this.cache.clear();
    if (this.ownsClient) this.client.destroy();
  }

  // ---- blocks -------------------------------------------------------------------------------

  /** A block's bytes, or null for a block that was never written (zeros). */
  private block(b: number, priority: number, signal?: AbortSignal): Promise<Buffer | null> {
    if (!this.map.blocks.has(b)) {
      this.c.zeroBlockReads++;
      this.zeroSet.add(b);
      return Promise.resolve(null);
    }
    const cached = this.cache.get(b);
    if (cached) {
      this.c.cacheHits++;
      this.release(b);
      return Promise.resolve(cached);
    }
    let p = this.inflight.get(b);
    if (p) {
      this.c.coalescedReads++;
      // A read waiting on a prefetch consumes it when it lands.
      if (this.outstanding.has(b))
        p.then(
          () => this.release(b),
          () => {},
        );
    } else p = this.startFetch(b, priority);
    return raceAbort(raceAbort(p, signal), this.signal);
  }

  private startFetch(b: number, priority: number): Promise<Buffer> {
    const p = (this.queue.add(() => this.fetchBlock(b), { priority, signal: this.signal }) as Promise<Buffer>)
      .then((data) => {
        this.fetchedSet.add(b);
        this.cache.set(b, data);
        return data;
      })
      .catch((err) => {
        throw this.signal?.aborted ? new AbortedError() : err;
      })
      .finally(() => {
        this.inflight.delete(b);
      });
    this.inflight.set(b, p);
    return p;
  }

  private fetchBlock(b: number): Promise<Buffer> {
    // The token the last attempt sent: a re-list is needed only if no one has replaced it since.
    let sent: string | undefined;
    return this.withRetry(
      'GetSnapshotBlock',
      b,
      async () => {
        let entry = this.map.blocks.get(b)!;
        if (entry.expiresAt - this.o.tokenRefreshMarginMs <= Date.now()) {
          await this.relist(b, entry.token);
          entry = this.map.blocks.get(b)!;
        }
        sent = entry.token;
        this.c.getCalls++;
        this.inFlight++;
        if (this.inFlight > this.c.peakInFlight) this.c.peakInFlight = this.inFlight;
        try {
          const out = await this.client.send(
            new GetSnapshotBlockCommand({ SnapshotId: this.id, BlockIndex: b, BlockToken: entry.token }),
            this.signal ? { abortSignal: this.signal as never } : {},
          );
          const data = await readCapped(out.BlockData, this.blockSize);
          this.c.bytesFetched += data.length;
          if (
            data.length !== this.blockSize ||
            (out.DataLength !== undefined && out.DataLength !== this.blockSize)
          ) {
            throw new IntegrityError(
              false,
              `body ${data.length} bytes, DataLength ${out.DataLength}, BlockSize ${this.blockSize}`,
            );
          }
          if (out.ChecksumAlgorithm !== 'SHA256' || !out.Checksum) {
            throw new IntegrityError(true, `unsupported checksum algorithm ${String(out.ChecksumAlgorithm)}`);
          }
          const actual = createHash('sha256').update(data).digest('base64');
          if (actual !== out.Checksum) {
            this.c.checksumFailures++;
            throw new IntegrityError(true, `SHA-256 ${actual} != x-amz-Checksum ${out.Checksum}`);
          }
          return data;
        } finally {
          this.inFlight--;
        }
      },
      () => this.relist(b, sent),
    );
  }

  // ---- listing ------------------------------------------------------------------------------

  /**
   * Refreshes the tokens of the range holding block `b` (tokens expire). Concurrent refreshes of the
   * same range share one listing; a refresh whose token was already replaced is skipped.
   */
  private relist(b: number, staleToken: string | undefined): Promise<void> {
    const start = b - (b % this.o.listPageSize);
    let p = this.relisting.get(start);
    if (!p) {
      if (staleToken !== undefined && this.map.blocks.get(b)?.token !== staleToken) return Promise.resolve();
      this.c.relists++;
      p = this.listFrom(start, b).finally(() => this.relisting.delete(start));
      this.relisting.set(start, p);
    }
    return p;
  }

  /** Lists pages from block `start` until a page passes block `stopAfter` or the listing ends. */
  private async listFrom(start: number, stopAfter: number): Promise<void> {
    let token: string | undefined;
    let from = start;
    let last = start - 1;
    let empty = 0;
    const maxPages = (this.map.blockCount || 2 ** 27) + MAX_EMPTY_PAGES;
    for (let pages = 0; ; pages++) {
      if (pages > maxPages) {
        throw new LimitExceededError(
          { format: 'ebs', struct: `ListSnapshotBlocks ${this.id}`, offset: 0, field: 'pages' },
          'pages',
          pages,
          maxPages,
        );
      }
      const page = await this.withRetry(
        'ListSnapshotBlocks',
        undefined,
        () => {
          this.c.listCalls++;
          return this.client.send(
            new ListSnapshotBlocksCommand({
              SnapshotId: this.id,
              MaxResults: this.o.listPageSize,
              ...(token ? { NextToken: token } : { StartingBlockIndex: from }),
            }),
            this.signal ? { abortSignal: this.signal as never } : {},
          );
        },
        async () => {
          // The page token expired mid-listing: continue after the last block seen, without it.
          token = undefined;
          from = last + 1;
        },
      );
      const next = this.map.addPage(page, last);
      if ((page.Blocks ?? []).length === 0) empty++;
      if (empty > MAX_EMPTY_PAGES) {
        throw new LimitExceededError(
          { format: 'ebs', struct: `ListSnapshotBlocks ${this.id}`, offset: 0, field: 'empty pages' },
          'MAX_EMPTY_PAGES',
          empty,
          MAX_EMPTY_PAGES,
        );
      }
      last = next;
      if (!page.NextToken || last >= stopAfter) return;
      if (page.NextToken === token) {
        throw new AwsApiError(
          'ListSnapshotBlocks',
          'NoProgress',
          `ebs: ${this.id}: NextToken repeated, listing stalled`,
        );
      }
      token = page.NextToken;
    }
  }

  // ---- retry --------------------------------------------------------------------------------

  private async withRetry<T>(
    op: string,
    block: number | undefined,
    fn: () => Promise<T>,
    onTokenExpired: () => Promise<void>,
  ): Promise<T> {
    let integrity = 0;
    let refreshes = 0;
    for (let attempt = 0; ; attempt++) {
      checkAborted(this.signal);
      try {
        return await fn();
      } catch (err) {
        // Already final (a nested re-list that failed, an invalid listing): keep its code.
        if (err instanceof ScanError) throw err;
        const kind: FailureKind = err instanceof IntegrityError ? 'integrity' : classify(err, this.signal);
        const where = `ebs: ${op} ${this.id}${block === undefined ? '' : ` block ${block}`}`;
        if (kind === 'aborted') throw new AbortedError();
        if (kind === 'token-expired' && refreshes < MAX_TOKEN_REFRESHES) {
          refreshes++;
          this.c.retries++;
          this.retryKinds[kind] = (this.retryKinds[kind] ?? 0) + 1;
          await onTokenExpired();
          continue;
        }
        if (err instanceof IntegrityError) {
          integrity++;
          if (integrity >= this.o.checksumAttempts) {
            if (err.checksum) throw new ChecksumMismatchError(this.id, block ?? -1, integrity, err.message);
            throw new AwsApiError(
              op,
              'TruncatedBlock',
              `${where}: ${err.message} (after ${integrity} attempts)`,
              {
                code: 'truncated-block',
              },
            );
          }
        }
        if (!isRetryable(kind) || attempt + 1 >= this.o.maxAttempts)
          throw finalError(where, op, kind, err, attempt + 1);
        this.c.retries++;
        this.retryKinds[kind] = (this.retryKinds[kind] ?? 0) + 1;
        if (kind === 'throttle') this.c.throttles++;
        const delayMs = backoffMs(attempt, this.o);
        const e = err as { name?: string; message?: string };
        this.onRetry?.({ op, block, kind, attempt, delayMs, error: `${e.name}: ${e.message}` });
        await sleep(delayMs, this.signal);
      }
    }
  }
}

function finalError(where: string, op: string, kind: FailureKind, err: unknown, attempts: number): Error {
  const e = err as { name?: string; message?: string };
  const aws = `${e.name ?? 'Error'}: ${e.message ?? String(err)}`;
  if (kind === 'kms-denied') {
    return new AwsApiError(
      op,
      e.name ?? 'AccessDeniedException',
      `${where}: access denied by KMS: the snapshot is encrypted and the caller needs kms:Decrypt on its KMS key (${aws})`,
      { cause: err, code: 'kms-access-denied' },
    );
  }
  if (kind === 'not-found') {
    return new AwsApiError(op, e.name ?? 'ResourceNotFoundException', `${where}: ${aws}`, {
      cause: err,
      code: 'snapshot-not-found',
    });
  }
  const tail = attempts > 1 ? ` (after ${attempts} attempts)` : '';
  return new AwsApiError(op, e.name ?? 'Error', `${where}: ${aws}${tail}`, { cause: err });
}

/** Reads a streamed body, refusing more than `cap` bytes (a hostile or broken peer could send more). */
async function readCapped(body: unknown, cap: number): Promise<Buffer> {
  if (!body) return Buffer.alloc(0);
  const stream = body as AsyncIterable<Uint8Array> & { destroy?: () => void };
  const out = Buffer.allocUnsafe(cap);
  let n = 0;
  for await (const chunk of stream) {
    if (n + chunk.length > cap) {
      stream.destroy?.();
      throw new IntegrityError(false, `body longer than BlockSize ${cap}`);
    }
    out.set(chunk, n);
    n += chunk.length;
  }
  return n === cap ? out : out.subarray(0, n);
}
