/**
 * Issue 3 benchmark: a real OS inventory and a full tree walk of the Debian minbase images (and the
 * AlmaLinux demo disk) read from snapshots served by the wire-level emulator with 20 ms latency per
 * GetSnapshotBlock (optionally 5% throttling) — OS inventory, OS + language inventory (one bounded
 * walk), full walk — side by side: snapscan's source (64 in flight, LRU
 * cache, readahead) versus a sequential reader (1 in flight, no cache).
 * Prints wall time, ListSnapshotBlocks/GetSnapshotBlock calls, bytes fetched, retries, cost, peak RSS.
 *
 * usage: npx tsx bench/ebs-scan.ts [--throttle 0.05] [--setup snapscan|sequential] [IMAGE...]
 */
import { join } from 'node:path';
import { rawImagePath } from '../engine/cli/image.js';
import { scanBlockSource } from '../engine/pipeline.js';
import { probeFileSystem } from '../readers/fs/formats.js';
import { PathFileSystem } from '../readers/fs/path-fs.js';
import { listVolumes, readPartitions } from '../readers/partition/probe.js';
import { debianImages } from '../test/helpers/debian-images.js';
import { REPO_ROOT } from '../test/helpers/paths.js';
import { emulatedVolume, startEbsEmulator } from './lib.js';

const args = process.argv.slice(2);
const ti = args.indexOf('--throttle');
const throttle = ti >= 0 ? Number(args.splice(ti, 2)[1]) : 0;

const si = args.indexOf('--setup');
const only = si >= 0 ? args.splice(si, 2)[1] : undefined;

const setups = [
  { name: 'snapscan', concurrency: 64, cacheBytes: 256 * 1024 * 1024 },
  { name: 'sequential', concurrency: 1, cacheBytes: 1 },
].filter((s) => !only || s.name === only);

async function main() {
  const imgs = debianImages();
  if (typeof imgs === 'string') throw new Error(imgs);
  const images = args.length
    ? args
    : [
        join(imgs.dir, 'ext4-4k.img'),
        join(imgs.dir, 'gpt-cloud.img'),
        await rawImagePath(join(REPO_ROOT, 'test/fixtures/demo/almalinux-9-cloud.img.gz')),
      ];
  const emu = await startEbsEmulator(throttle);
  console.log(`20 ms per GetSnapshotBlock, throttling ${(throttle * 100).toFixed(0)}%`);
  console.log(
    'image              job          setup       wall ms  list  get  MiB fetched  retries  cost $     peak RSS MiB',
  );
  for (const image of images) {
    const open = await emulatedVolume(emu, image);
    for (const job of ['os-inventory', 'os+lang', 'full-walk'] as const) {
      for (const s of setups) {
        const t0 = performance.now();
        const { snapshotId: snap, source: src } = await open({
          concurrency: s.concurrency,
          cacheBytes: s.cacheBytes,
        });
        let n = 0;
        if (job === 'os-inventory' || job === 'os+lang') {
          const packages: Array<'os' | 'lang'> = job === 'os+lang' ? ['os', 'lang'] : ['os'];
          n = (await scanBlockSource(src, { resource: { type: 'snapshot', id: snap }, packages })).packages
            .length;
        } else {
          for (const part of listVolumes(await readPartitions(src))) {
            const f = await probeFileSystem(part.source);
            if (!f) continue;
            const fs = new PathFileSystem(await f.open(part.source));
            for await (const _ of fs.walk('/')) n++;
          }
        }
        const wall = performance.now() - t0;
        const st = src.stats();
        src.close();
        const rss = process.resourceUsage().maxRSS / 1024;
        const name = image
          .split('/')
          .pop()!
          .replace(/\.\d+-\d+\.raw$/, '')
          .slice(0, 18);
        console.log(
          `${name.padEnd(18)} ${job.padEnd(12)} ${s.name.padEnd(10)} ${wall.toFixed(0).padStart(8)} ${String(st.listCalls).padStart(5)} ${String(st.getCalls).padStart(4)} ${(st.bytesFetched / 1048576).toFixed(1).padStart(12)} ${String(st.retries).padStart(8)}  ${st.costUsd.toFixed(6)}  ${rss.toFixed(0).padStart(8)}   (${n} ${job === 'full-walk' ? 'entries' : 'packages'})`,
        );
      }
    }
  }
  await emu.close();
}

await main();
