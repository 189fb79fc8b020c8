/**
 * Issue 10 benchmark: a full inventory (OS + language packages: the dpkg database, then one
 * bounded walk shared by every language cataloger, then dpkg ownership) of the language root
 * (test/fixtures/lang/build-rootfs.sh: Debian 12 with python3, nodejs/npm and ~490 debs, a venv,
 * an npm app; about 1.5 GB of filesystem) as ext4 and XFS:
 *   - locally from the raw image file;
 *   - through the wire-level EBS emulator at 20 ms per GetSnapshotBlock (snapscan's source:
 *     64 in flight, LRU cache, readahead).
 * Prints wall time, peak RSS, reads, bytes read, distinct 512 KiB blocks, EBS API calls and
 * bytes fetched, and the package counts (OS / language / language owned by a deb).
 *
 * usage: npx tsx bench/lang-inventory.ts [--only ext4|xfs] [--local-only] [--cache-mib N]
 */
import { ebsCacheBytes } from '../engine/limits.js';
import { scanBlockSource } from '../engine/pipeline.js';
import { langImages } from '../test/helpers/lang-images.js';
import { emulatedVolume, startEbsEmulator, timedImageScan } from './lib.js';

const args = process.argv.slice(2);
const oi = args.indexOf('--only');
const only = oi >= 0 ? args[oi + 1] : undefined;
const localOnly = args.includes('--local-only');
const ci = args.indexOf('--cache-mib');
/** EBS block cache budget (default: the source's own default). */
const cacheBytes = ci >= 0 ? Number(args[ci + 1]) * 1024 * 1024 : undefined;

function counts(inv: Awaited<ReturnType<typeof scanBlockSource>>): string {
  const os = inv.packages.filter((p) => p.foundBy.startsWith('pkgdb/')).length;
  const lang = inv.packages.length - os;
  const owned = inv.packages.filter((p) => p.ownedBy).length;
  const w = inv.stats.lang ?? {};
  return `${os} OS, ${lang} lang (${owned} owned by an OS package), ${inv.status.issues.length} issues; walk: ${w.entries} entries, ${w.wanted} wanted, executables ${w.executables} by mode / ${w.executablesOwned} OS-owned, not read / ${w.executablesProbed} probed / ${w.executablesOpened} ELF-PE-Mach-O`;
}

async function main() {
  const imgs = langImages();
  if (typeof imgs === 'string') throw new Error(imgs);
  const images = [
    { name: 'ext4', path: imgs.ext4 },
    { name: 'xfs', path: imgs.xfs },
  ].filter((i) => !only || i.name === only);
  console.log(
    'image  where          wall ms  peak RSS MiB   reads  MiB read  blocks  list  get  MiB fetched  packages',
  );
  for (const img of images) {
    // Local: warm page cache (one untimed run), then a timed run.
    for (const timed of [false, true]) {
      const { inv, wall } = await timedImageScan(img.path, img.name);
      if (!timed) continue;
      const st = inv.stats;
      console.log(
        `${img.name.padEnd(6)} local        ${wall.toFixed(0).padStart(8)} ${(process.resourceUsage().maxRSS / 1024).toFixed(0).padStart(13)} ${String(st.reads).padStart(7)} ${(st.bytesRead / 1048576).toFixed(1).padStart(9)} ${String(st.distinctBlocks).padStart(7)}     -    -            -  ${counts(inv)}`,
      );
    }
  }
  if (localOnly) return;
  const emu = await startEbsEmulator();
  for (const img of images) {
    const open = await emulatedVolume(emu, img.path);
    const t0 = performance.now();
    const { snapshotId: snap, source: src } = await open({
      // The scan worker's default for an OS + language scan, unless --cache-mib overrides it.
      cacheBytes: cacheBytes ?? ebsCacheBytes(['os', 'lang']),
    });
    const inv = await scanBlockSource(src, { resource: { type: 'snapshot', id: snap } });
    const wall = performance.now() - t0;
    const eb = src.stats();
    src.close();
    const st = inv.stats;
    console.log(
      `${img.name.padEnd(6)} EBS 20 ms     ${wall.toFixed(0).padStart(8)} ${(process.resourceUsage().maxRSS / 1024).toFixed(0).padStart(13)} ${String(st.reads).padStart(7)} ${(st.bytesRead / 1048576).toFixed(1).padStart(9)} ${String(st.distinctBlocks).padStart(7)} ${String(eb.listCalls).padStart(5)} ${String(eb.getCalls).padStart(4)} ${(eb.bytesFetched / 1048576).toFixed(1).padStart(12)}  ${counts(inv)}`,
    );
  }
  await emu.close();
}

await main();
