import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CountingSource } from '../../../../readers/block/counting.js';
import {
  type EbsSnapshotSource,
  ebsCostUsd,
  openSnapshotSource,
} from '../../../../readers/block/ebs/index.js';
import { EBS_TEST_OPTIONS } from '../../../emulator/clients.js';
import { EMULATOR_BLOCK_BYTES, type Emulator, startEmulator } from '../../../emulator/index.js';
import { buildTestImage } from '../../../emulator/test-image.js';
import { mulberry32 as prng } from '../../../helpers/prng.js';

const BS = EMULATOR_BLOCK_BYTES;

const ZERO_BLOCK = Buffer.alloc(BS);
const writtenByFile = new WeakMap<Buffer, readonly number[]>();
/**
 * Independent oracle: 512 KiB blocks of the file holding a non-zero byte. Computed once per file
 * (a byte-by-byte scan of the 70 MiB image took most of a second, and 18 tests ask).
 */
function writtenBlocks(file: Buffer): readonly number[] {
  let out = writtenByFile.get(file);
  if (!out) {
    const blocks: number[] = [];
    for (let b = 0; b * BS < file.length; b++) {
      const chunk = file.subarray(b * BS, Math.min(file.length, (b + 1) * BS));
      if (!chunk.equals(ZERO_BLOCK.subarray(0, chunk.length))) blocks.push(b);
    }
    out = Object.freeze(blocks);
    writtenByFile.set(file, out);
  }
  return out;
}

/** The volume's bytes at [offset, offset+length): the file, then zeros to the end of the volume. */
function expected(file: Buffer, offset: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  if (offset < file.length) file.copy(out, 0, offset, Math.min(file.length, offset + length));
  return out;
}

describe('readers/block/ebs', () => {
  let emu: Emulator;
  let image: string;
  let file: Buffer;
  let volumeId: string;
  let snapshotId: string;
  const open: EbsSnapshotSource[] = [];

  async function source(extra: Record<string, unknown> = {}, snap = snapshotId) {
    const s = await openSnapshotSource({
      snapshotId: snap,
      endpoint: emu.endpoint,
      ...EBS_TEST_OPTIONS,
      ...extra,
    });
    open.push(s);
    return s;
  }

  beforeAll(async () => {
    image = buildTestImage();
    file = readFileSync(image);
    emu = await startEmulator({ seed: 11 });
    volumeId = await emu.addVolume({ imagePath: image });
    snapshotId = emu.addSnapshot(volumeId);
  });
  beforeEach(() => {
    emu.configure({ faults: {}, maxPageSize: 10_000, tokenTtlMs: 3_600_000, advertisedExpiryExtraMs: 0 });
    emu.resetCounts();
  });
  afterAll(async () => {
    for (const s of open) s.close();
    await emu?.close();
  });

  it('lists exactly the written blocks and reports the volume geometry', async () => {
    const src = await source();
    expect(src.size).toBe(1024n ** 3n);
    expect(src.blockSize).toBe(BS);
    expect(src.listedBlocks()).toEqual(writtenBlocks(file));
    expect(src.stats().listCalls).toBe(1);
  });

  it('reads every byte of the image, and seeded random ranges, identical to the file', async () => {
    const src = await source();
    const whole = await src.read(0n, file.length);
    expect(whole.equals(file)).toBe(true);
    const rand = prng(5);
    const volume = Number(src.size);
    for (let i = 0; i < 300; i++) {
      const near =
        i % 3 === 0 ? Math.floor(rand() * 140) * BS - 50 : Math.floor(rand() * (file.length + 4 * BS));
      const offset = Math.max(0, Math.min(volume - 1, near));
      const length = Math.min(volume - offset, 1 + Math.floor(rand() * (i % 5 === 0 ? 3 * BS : 9000)));
      const got = await src.read(BigInt(offset), length);
      expect(got.equals(expected(file, offset, length)), `range ${offset}+${length}`).toBe(true);
    }
    // The last byte of the volume, far past the image: zeros.
    expect((await src.read(src.size - 1n, 1))[0]).toBe(0);
    // Every block was fetched once; everything else came from the cache or was a hole.
    const s = src.stats();
    expect(s.getCalls).toBe(writtenBlocks(file).length);
    expect(s.distinctBlocksFetched).toBe(writtenBlocks(file).length);
    expect(s.distinctBlocksFetched + s.distinctZeroBlocks).toBeLessThanOrEqual(2048);
  });

  it('fetches each touched written block exactly once: GetSnapshotBlock calls = CountingSource distinct blocks that are written', async () => {
    const src = await source();
    const counting = new CountingSource(src);
    const rand = prng(21);
    for (let i = 0; i < 200; i++) {
      const offset = Math.floor(rand() * (file.length - 70_000));
      await counting.read(BigInt(offset), 1 + Math.floor(rand() * 65_536));
    }
    const written = new Set(writtenBlocks(file));
    const touched = counting.touchedBlocks();
    const s = src.stats();
    expect(s.getCalls).toBe(touched.filter((b) => written.has(b)).length);
    expect(s.distinctBlocksFetched + s.distinctZeroBlocks).toBe(counting.stats().distinctBlocks);
  });

  it.each([
    { case: 'negative offset', offset: -1n, length: 1 },
    { case: 'past the end', offset: 1024n ** 3n - 1n, length: 2 },
    { case: 'negative length', offset: 0n, length: -1 },
  ])('rejects a read $case with TruncatedError', async ({ offset, length }) => {
    const src = await source();
    await expect(src.read(offset, length)).rejects.toMatchObject({ code: 'truncated' });
  });

  it.each([
    { pageSize: 1, via: 'server' },
    { pageSize: 7, via: 'server' },
    { pageSize: 10, via: 'client' },
  ])('paginates ListSnapshotBlocks ($pageSize per page, capped by the $via)', async ({ pageSize, via }) => {
    if (via === 'server') emu.configure({ maxPageSize: pageSize });
    const src = await source(via === 'client' ? { listPageSize: pageSize } : {});
    const written = writtenBlocks(file);
    expect(src.listedBlocks()).toEqual(written);
    expect(src.stats().listCalls).toBe(Math.ceil(written.length / pageSize));
    expect(emu.counts.ListSnapshotBlocks).toBe(Math.ceil(written.length / pageSize));
  });

  it('reads unlisted blocks as zeros without any request', async () => {
    const src = await source();
    const written = new Set(writtenBlocks(file));
    const hole = [...Array(140).keys()].find((b) => !written.has(b) && b * BS < file.length)!;
    const a = await src.read(BigInt(hole * BS), BS);
    const b = await src.read(200n * 1024n * 1024n, 8 * BS);
    expect(a.every((x) => x === 0) && b.every((x) => x === 0)).toBe(true);
    expect(src.stats().getCalls).toBe(0);
    expect(src.stats().zeroBlockReads).toBe(9);
    expect(emu.counts.GetSnapshotBlock ?? 0).toBe(0);
  });

  it('retries a checksum mismatch and then succeeds', async () => {
    const block = writtenBlocks(file)[3]!;
    emu.configure({ faults: { corruptBlocks: [block], corruptAttempts: 2 } });
    const src = await source();
    const got = await src.read(BigInt(block * BS), BS);
    expect(got.equals(expected(file, block * BS, BS))).toBe(true);
    expect(src.stats()).toMatchObject({ getCalls: 3, checksumFailures: 2, retries: 2 });
  });

  it('fails with a typed error naming snapshot and block when the checksum never matches', async () => {
    const block = writtenBlocks(file)[5]!;
    emu.configure({ faults: { corruptBlocks: [block] } });
    const src = await source({ checksumAttempts: 3 });
    const err = await src.read(BigInt(block * BS) + 10n, 100).catch((e) => e);
    expect(err).toMatchObject({ code: 'checksum-mismatch', snapshotId, blockIndex: block, attempts: 3 });
    expect(err.message).toContain(`${snapshotId} block ${block}`);
    expect(emu.counts.GetSnapshotBlock).toBe(3);
  });

  it('reads identical bytes under 10% throttling, 2% 5xx, 1% resets, 1% bad checksums, 1% truncation', async () => {
    emu.configure({
      seed: 99,
      faults: {
        throttleRate: 0.1,
        serverErrorRate: 0.02,
        resetRate: 0.01,
        corruptRate: 0.01,
        truncateRate: 0.01,
      },
    });
    const src = await source({ concurrency: 16 });
    const whole = await src.read(0n, file.length);
    expect(whole.equals(file)).toBe(true);
    const s = src.stats();
    expect(s.retries).toBeGreaterThan(0);
    expect(s.throttles).toBe(emu.injected.throttle);
    expect(s.retriesByKind.throttle).toBe(s.throttles);
    expect(Object.values(s.retriesByKind).reduce((a, b) => a + b, 0)).toBe(s.retries);
    // Every request the server saw was counted by the client, and vice versa.
    expect(s.getCalls + s.listCalls).toBe(
      (emu.counts.GetSnapshotBlock ?? 0) + (emu.counts.ListSnapshotBlocks ?? 0),
    );
    expect(s.getCalls).toBe(writtenBlocks(file).length + s.retries - (s.listCalls - 1));
  });

  it('coalesces concurrent reads of one block into one request', async () => {
    emu.configure({ faults: { latency: { kind: 'fixed', ms: 50 } } });
    const src = await source({ cacheBytes: 0 });
    const block = writtenBlocks(file)[2]!;
    const reads = await Promise.all(
      Array.from({ length: 16 }, (_, i) => src.read(BigInt(block * BS + i * 1000), 500)),
    );
    reads.forEach((r, i) => {
      expect(r.equals(expected(file, block * BS + i * 1000, 500))).toBe(true);
    });
    expect(src.stats()).toMatchObject({ getCalls: 1, coalescedReads: 15, cacheHits: 0 });
    expect(emu.counts.GetSnapshotBlock).toBe(1);
  });

  it('keeps the cache within its byte budget and serves hits without requests', async () => {
    const src = await source({ cacheBytes: 3 * BS });
    const written = writtenBlocks(file);
    for (const b of written) await src.read(BigInt(b * BS), 10);
    const s = src.stats();
    expect(s.cache.peakBytes).toBeLessThanOrEqual(3 * BS);
    expect(s.cache.entries).toBe(3);
    expect(s.cache.evictions).toBe(written.length - 3);
    const last = written.at(-1)!;
    await src.read(BigInt(last * BS) + 100n, 10);
    expect(src.stats().getCalls).toBe(written.length);
    expect(src.stats().cacheHits).toBe(1);
  });

  it('prefetch fetches ranges in parallel so the later reads are cache hits', async () => {
    emu.configure({ faults: { latency: { kind: 'fixed', ms: 20 } } });
    const src = await source({ concurrency: 64 });
    const written = writtenBlocks(file).slice(0, 30);
    src.prefetch(written.map((b) => ({ offset: BigInt(b * BS), length: 4096 })));
    expect(src.stats().prefetched).toBe(30);
    for (const b of written) await src.read(BigInt(b * BS), 4096);
    const s = src.stats();
    expect(s.getCalls).toBe(30);
    expect(s.cacheHits + s.coalescedReads).toBe(30);
    // The blocks were in flight together, not one round trip after another.
    expect(s.peakInFlight).toBeGreaterThan(10);
  });

  it('keeps readahead beyond the cache in a backlog so no prefetched block is evicted unread', async () => {
    emu.configure({ faults: { latency: { kind: 'fixed', ms: 10 } } });
    const src = await source({ cacheBytes: 8 * BS });
    const blocks = writtenBlocks(file).slice(0, 24);
    src.prefetch(blocks.map((b) => ({ offset: BigInt(b * BS), length: 100 })));
    // Half the cache may be outstanding at once.
    expect(src.stats().prefetched).toBe(4);
    for (const b of blocks) {
      const got = await src.read(BigInt(b * BS), 100);
      expect(got.equals(expected(file, b * BS, 100))).toBe(true);
    }
    const s = src.stats();
    expect(s.getCalls).toBe(24);
    expect(s.prefetched).toBeGreaterThan(20);
    expect(s.cacheHits + s.coalescedReads).toBeGreaterThan(20);
    expect(s.cache.peakBytes).toBeLessThanOrEqual(8 * BS);
  });

  it('re-lists when a block token has expired (and refreshes ahead of a known expiry)', async () => {
    // The server advertises a later ExpiryTime than it enforces (a skewed clock): only the
    // ValidationException tells the client its token is stale.
    emu.configure({ tokenTtlMs: 1500, advertisedExpiryExtraMs: 3_600_000 });
    const reactive = await source({ tokenRefreshMarginMs: 0 });
    await new Promise((r) => setTimeout(r, 1700));
    const block = writtenBlocks(file)[1]!;
    const got = await reactive.read(BigInt(block * BS), 100);
    expect(got.equals(expected(file, block * BS, 100))).toBe(true);
    expect(reactive.stats()).toMatchObject({ relists: 1, getCalls: 2, retries: 1, listCalls: 2 });

    emu.configure({ advertisedExpiryExtraMs: 0 });
    const proactive = await source({ tokenRefreshMarginMs: 10_000 });
    await proactive.read(BigInt(block * BS), 100);
    expect(proactive.stats()).toMatchObject({ relists: 1, getCalls: 1, retries: 0 });
  });

  it('resumes a listing after the block following the last one seen when its NextToken expired', async () => {
    // Every page token is stale by the time the next page is asked for.
    emu.configure({
      maxPageSize: 5,
      tokenTtlMs: 40,
      faults: { latency: { kind: 'fixed', ms: 60 }, actions: ['ListSnapshotBlocks'] },
    });
    const src = await source({ tokenRefreshMarginMs: 0 });
    const written = writtenBlocks(file);
    expect(src.listedBlocks()).toEqual(written);
    const pages = Math.ceil(written.length / 5);
    // Each page after the first: one call rejected for its expired token, one restarted call.
    expect(src.stats().listCalls).toBe(2 * pages - 1);
    expect(src.stats().retries).toBe(pages - 1);
  });

  it('says the caller needs kms:Decrypt when KMS denies an encrypted snapshot', async () => {
    const vol = await emu.addVolume({ imagePath: image, kmsDenied: true });
    const snap = emu.addSnapshot(vol);
    const err = await source({}, snap).catch((e) => e);
    expect(err.code).toBe('kms-access-denied');
    expect(err.message).toContain('kms:Decrypt');
    expect(err.message).toContain(snap);
  });

  it('names a missing snapshot', async () => {
    const err = await source({}, 'snap-0123456789abcdef0').catch((e) => e);
    expect(err.code).toBe('snapshot-not-found');
  });

  it('gives up after maxAttempts on a block that always fails, counting every retry', async () => {
    const block = writtenBlocks(file)[4]!;
    emu.configure({ faults: { failBlocks: [block] } });
    const src = await source({ maxAttempts: 4 });
    const err = await src.read(BigInt(block * BS), 1).catch((e) => e);
    expect(err.code).toBe('aws-error');
    expect(err.message).toContain(`block ${block}`);
    expect(err.message).toContain('after 4 attempts');
    expect(src.stats()).toMatchObject({ getCalls: 4, retries: 3 });
  });

  it('aborts in-flight and queued reads when the scan signal fires', async () => {
    emu.configure({ faults: { latency: { kind: 'fixed', ms: 500 }, actions: ['GetSnapshotBlock'] } });
    const controller = new AbortController();
    const src = await source({ signal: controller.signal, concurrency: 2 });
    const t0 = Date.now();
    const pending = src.read(0n, file.length);
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toMatchObject({ code: 'aborted' });
    // 49 blocks at 500 ms, two at a time, would take 12 s: the queued ones were dropped.
    expect(Date.now() - t0).toBeLessThan(8000);
    expect(src.stats().getCalls).toBeLessThanOrEqual(4);
    await expect(src.read(0n, 1)).rejects.toMatchObject({ code: 'aborted' });
  });

  it('aborts one read by its own signal without failing the shared fetch', async () => {
    emu.configure({ faults: { latency: { kind: 'fixed', ms: 100 } } });
    const src = await source();
    const block = writtenBlocks(file)[0]!;
    const controller = new AbortController();
    const a = src.read(BigInt(block * BS), 10, controller.signal);
    const b = src.read(BigInt(block * BS), 10);
    controller.abort();
    await expect(a).rejects.toMatchObject({ code: 'aborted' });
    expect((await b).equals(expected(file, block * BS, 10))).toBe(true);
  });

  it('takes its endpoint from AWS_ENDPOINT_URL_EBS when none is given', async () => {
    const saved = process.env.AWS_ENDPOINT_URL_EBS;
    process.env.AWS_ENDPOINT_URL_EBS = emu.endpoint;
    try {
      const src = await openSnapshotSource({ snapshotId, ...EBS_TEST_OPTIONS });
      open.push(src);
      expect(src.listedBlocks().length).toBe(writtenBlocks(file).length);
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_EBS;
      else process.env.AWS_ENDPOINT_URL_EBS = saved;
    }
  });

  it('reports cost at list prices', async () => {
    const src = await source();
    await src.read(0n, 4 * BS);
    const s = src.stats();
    expect(s.costUsd).toBeCloseTo(ebsCostUsd(s.listCalls, s.getCalls), 12);
    expect(ebsCostUsd(1000, 1000)).toBeCloseTo(0.0036, 12);
  });

  it.each([
    { option: 'concurrency', value: 0 },
    { option: 'cacheBytes', value: -1 },
    { option: 'listPageSize', value: 20_000 },
    { option: 'snapshotId', value: 'vol-123' },
  ])('rejects option $option=$value', async ({ option, value }) => {
    await expect(source({ [option]: value })).rejects.toThrow(RangeError);
  });
});
