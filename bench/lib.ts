/**
 * Shared by the bench scripts: a timed scan and a full walk of every volume of an image, with read
 * figures; the emulator at 20 ms per GetSnapshotBlock and warmed snapshots of an image served by it.
 */
import { type PackageKind, scanBlockSource } from '../engine/pipeline.js';
import { CountingSource } from '../readers/block/counting.js';
import { type EbsSnapshotSource, openSnapshotSource } from '../readers/block/ebs/index.js';
import type { EbsSourceOptions } from '../readers/block/ebs/source.js';
import { RawFileSource } from '../readers/block/raw-file/index.js';
import { probeFileSystem } from '../readers/fs/formats.js';
import { PathFileSystem } from '../readers/fs/path-fs.js';
import { listVolumes, readPartitions } from '../readers/partition/probe.js';
import type { SchedulerRunOptions } from '../scheduler/run.js';
import { EMULATOR_CREDENTIALS, type Emulator, startEmulator } from '../test/emulator/index.js';

// Benches print figures, not the SDK's Node-version notice (the CLI silences it the same way).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** A scan of the local image file at `path` (`packages`: the pipeline's default when absent), timed. */
export async function timedImageScan(path: string, id: string, packages?: PackageKind[]) {
  const src = await RawFileSource.open(path);
  try {
    const t0 = performance.now();
    const inv = await scanBlockSource(src, {
      resource: { type: 'image', id },
      ...(packages ? { packages } : {}),
    });
    return { inv, wall: performance.now() - t0 };
  } finally {
    await src.close();
  }
}

/** Every volume (partitions and LVs) probed; every entry listed and every regular file stat'ed. */
export async function fullWalk(path: string) {
  const source = new CountingSource(await RawFileSource.open(path));
  const t0 = performance.now();
  let entries = 0;
  let bytes = 0;
  const table = await readPartitions(source);
  for (const vol of listVolumes(table)) {
    const format = await probeFileSystem(vol.source);
    if (!format) continue;
    const fs = new PathFileSystem(await format.open(vol.source));
    for await (const e of fs.walk('/', { readaheadFileInodes: true })) {
      entries++;
      if (e.type === 'file') bytes += (await fs.store.stat(e.ino)).size;
    }
  }
  const wall = performance.now() - t0;
  await (source.inner as RawFileSource).close();
  return { entries, bytes, wall, stats: source.stats() };
}

/** The emulator with a fixed 20 ms per GetSnapshotBlock and `throttleRate` of those throttled. */
export function startEbsEmulator(throttleRate = 0): Promise<Emulator> {
  return startEmulator({
    seed: 1,
    faults: { latency: { kind: 'fixed', ms: 20 }, throttleRate, actions: ['GetSnapshotBlock'] },
  });
}

export type SnapshotOpener = (
  options?: Partial<EbsSourceOptions>,
) => Promise<{ snapshotId: string; source: EbsSnapshotSource }>;

/**
 * Serves `imagePath` as a volume of `emu` and returns a function that opens a fresh snapshot of it
 * through the EBS direct source (`options` added). One snapshot is opened first, untimed: on its
 * first listing the emulator scans the image file for written blocks.
 */
export async function emulatedVolume(emu: Emulator, imagePath: string): Promise<SnapshotOpener> {
  const vol = await emu.addVolume({ imagePath });
  const open: SnapshotOpener = async (options = {}) => {
    const snapshotId = emu.addSnapshot(vol);
    const source = await openSnapshotSource({
      snapshotId,
      endpoint: emu.endpoint,
      region: 'us-east-1',
      credentials: EMULATOR_CREDENTIALS,
      ...options,
    });
    return { snapshotId, source };
  };
  (await open()).source.close();
  return open;
}

/**
 * The scheduler options the fleet benches run with: hybrid, us-east-1, everything due once, a 50 ms
 * snapshot poll, output and state in the emulator's S3 bucket `snapscan-bench` under `prefix`.
 */
export function benchSchedulerOptions(
  db: string,
  prefix: string,
  o: Partial<SchedulerRunOptions> = {},
): SchedulerRunOptions {
  const HOUR = 3_600_000;
  return {
    mode: 'hybrid',
    regions: ['us-east-1'],
    intervalMs: 24 * HOUR,
    concurrency: 8,
    suppressions: [],
    reuseSnapshotsMaxAgeMs: 24 * HOUR,
    maxInventoryAgeMs: 24 * HOUR,
    closedRetentionMs: 30 * 24 * HOUR,
    retryFailedMs: HOUR,
    snapshotTtlMs: 6 * HOUR,
    snapshotPollMs: 50,
    jitterMs: 0,
    once: true,
    output: `s3://snapscan-bench/${prefix}`,
    state: `s3://snapscan-bench/${prefix}/state`,
    db,
    dbUpdate: 'never',
    passEveryMs: 1000,
    log: () => {},
    ...o,
  };
}
