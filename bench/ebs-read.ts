/**
 * EBS read benchmark: reads a list of byte ranges from a snapshot served by the wire-level emulator
 * (latency per EBS call, optional throttling), once as snapscan reads (64 in flight, LRU cache,
 * readahead of the known ranges) and once as a sequential reader does (1 in flight, no cache, no
 * readahead). Each configuration runs in its own child process so peak RSS is its own.
 *
 *   node --import tsx bench/ebs-read.ts [--image FILE] [--ranges FILE.json] [--latency-ms 20]
 *        [--throttle-rate 0.05] [--max-blocks 200] [--reads-per-block 8]
 *
 * --ranges: JSON array of [offset, length] (e.g. the ranges a local scan read, from CountingSource);
 * default: `reads-per-block` 4 KiB reads spread over each written block, in disk order (a
 * filesystem walk touching inodes, directories and file extents), over the first `max-blocks`.
 * Prints one table row per configuration and a JSON line with every figure.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openSnapshotSource } from '../readers/block/ebs/index.js';
import { EBS_TEST_OPTIONS } from '../test/emulator/clients.js';
import { startEmulator } from '../test/emulator/index.js';
import { buildTestImage, REPO_ROOT } from '../test/emulator/test-image.js';

const SELF = fileURLToPath(import.meta.url);
const KiB = 1024;
const MiB = 1024 * KiB;

interface Config {
  name: string;
  concurrency: number;
  cacheBytes: number;
  readahead: boolean;
}

interface ChildResult {
  config: string;
  wallMs: number;
  listMs: number;
  reads: number;
  bytesRead: number;
  listCalls: number;
  getCalls: number;
  bytesFetched: number;
  cacheHits: number;
  coalescedReads: number;
  retries: number;
  retriesByKind: Record<string, number>;
  throttles: number;
  costUsd: number;
  peakRssMiB: number;
  sha256: string;
}

const CONFIGS: Config[] = [
  {
    name: 'snapscan: 64 in flight + 256 MiB cache + readahead',
    concurrency: 64,
    cacheBytes: 256 * MiB,
    readahead: true,
  },
  { name: 'sequential: 1 in flight, no cache', concurrency: 1, cacheBytes: 0, readahead: false },
];

async function child(argv: string[]): Promise<void> {
  const [endpoint, snapshotId, rangesFile, configJson] = argv;
  const config = JSON.parse(configJson!) as Config;
  const ranges = (JSON.parse(readFileSync(rangesFile!, 'utf8')) as [number, number][]).map(([o, l]) => ({
    offset: BigInt(o),
    length: l,
  }));
  const t0 = performance.now();
  const src = await openSnapshotSource({
    snapshotId: snapshotId!,
    endpoint: endpoint!,
    ...EBS_TEST_OPTIONS,
    baseDelayMs: 50,
    maxDelayMs: 2000,
    concurrency: config.concurrency,
    cacheBytes: config.cacheBytes,
  });
  const listMs = performance.now() - t0;
  if (config.readahead) src.prefetch(ranges);
  const hash = createHash('sha256');
  let bytes = 0;
  // Reads are issued one after another, as a filesystem walk does; readahead is what overlaps them.
  for (const r of ranges) {
    const data = await src.read(r.offset, r.length);
    hash.update(data);
    bytes += data.length;
  }
  const wallMs = performance.now() - t0;
  const s = src.stats();
  src.close();
  const out: ChildResult = {
    config: config.name,
    wallMs: Math.round(wallMs),
    listMs: Math.round(listMs),
    reads: ranges.length,
    bytesRead: bytes,
    listCalls: s.listCalls,
    getCalls: s.getCalls,
    bytesFetched: s.bytesFetched,
    cacheHits: s.cacheHits,
    coalescedReads: s.coalescedReads,
    retries: s.retries,
    retriesByKind: s.retriesByKind,
    throttles: s.throttles,
    costUsd: s.costUsd,
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    sha256: hash.digest('hex'),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

function runChild(args: string[]): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', SELF, '--child', ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' },
    });
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
    });
    p.on('error', reject);
    p.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) reject(new Error(`bench child failed (${code}): ${out}`));
      else resolve(JSON.parse(line) as ChildResult);
    });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      image: { type: 'string' },
      ranges: { type: 'string' },
      'latency-ms': { type: 'string', default: '20' },
      'throttle-rate': { type: 'string', default: '0' },
      'max-blocks': { type: 'string', default: '200' },
      'reads-per-block': { type: 'string', default: '8' },
    },
  });
  const image = path.resolve(values.image ?? buildTestImage());
  const latency = Number(values['latency-ms']);
  const throttleRate = Number(values['throttle-rate']);
  const emu = await startEmulator({
    seed: 2024,
    faults: { latency: { kind: 'fixed', ms: latency }, throttleRate, actions: ['GetSnapshotBlock'] },
  });
  try {
    const volumeId = await emu.addVolume({ imagePath: image });
    const snapshotId = emu.addSnapshot(volumeId);
    let ranges: [number, number][];
    if (values.ranges) ranges = JSON.parse(readFileSync(values.ranges, 'utf8'));
    else {
      const blocks = (await emu.images.written(image)).slice(0, Number(values['max-blocks']));
      const per = Number(values['reads-per-block']);
      const step = Math.floor((512 * KiB) / per);
      ranges = blocks.flatMap((b) =>
        Array.from({ length: per }, (_, i) => [b * 512 * KiB + i * step, 4 * KiB] as [number, number]),
      );
    }
    const rangesFile = path.join(REPO_ROOT, '.cache', `bench-ranges-${process.pid}.json`);
    writeFileSync(rangesFile, JSON.stringify(ranges));
    process.stdout.write(
      `image ${image}\nsnapshot ${snapshotId}: ${ranges.length} reads, latency ${latency} ms per GetSnapshotBlock, throttling ${throttleRate * 100}%\n\n`,
    );
    const results: ChildResult[] = [];
    for (const c of CONFIGS) {
      emu.resetCounts();
      results.push(await runChild([emu.endpoint, snapshotId, rangesFile, JSON.stringify(c)]));
    }
    const header = [
      'configuration',
      'wall s',
      'Get calls',
      'List calls',
      'MiB fetched',
      'hits',
      'retries',
      'cost $',
      'peak RSS MiB',
    ];
    const rows = results.map((r) => [
      r.config,
      (r.wallMs / 1000).toFixed(2),
      String(r.getCalls),
      String(r.listCalls),
      (r.bytesFetched / MiB).toFixed(1),
      String(r.cacheHits + r.coalescedReads),
      String(r.retries),
      r.costUsd.toFixed(6),
      String(r.peakRssMiB),
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    for (const row of [header, ...rows])
      process.stdout.write(`${row.map((c, i) => c.padEnd(widths[i]!)).join('  ')}\n`);
    const [fast, slow] = results;
    process.stdout.write(
      `\nspeed-up ${(slow!.wallMs / fast!.wallMs).toFixed(1)}x, ${(slow!.getCalls / Math.max(1, fast!.getCalls)).toFixed(1)}x fewer GetSnapshotBlock calls; same bytes: ${fast!.sha256 === slow!.sha256}\n`,
    );
    process.stdout.write(`${JSON.stringify({ image, latency, throttleRate, results })}\n`);
    if (fast!.sha256 !== slow!.sha256) process.exitCode = 1;
  } finally {
    await emu.close();
  }
}

if (process.argv[2] === '--child') await child(process.argv.slice(3));
else await main();
