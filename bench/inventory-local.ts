/**
 * Issue 2 benchmark: OS inventory and full walk of the Debian minbase images, from local files.
 * Prints wall time, peak RSS, reads, bytes read and distinct 512 KiB blocks (what an EBS snapshot
 * scan would fetch). Builds the images first if needed (test/fixtures/debian/build-images.sh).
 *
 * usage: npx tsx bench/inventory-local.ts [IMAGE...]
 */
import { join } from 'node:path';
import { debianImages } from '../test/helpers/debian-images.js';
import { fullWalk, timedImageScan } from './lib.js';

const MiB = 1024 * 1024;

async function main() {
  const imgs = debianImages();
  if (typeof imgs === 'string') throw new Error(imgs);
  const names = process.argv.slice(2).length
    ? process.argv.slice(2)
    : ['ext4-4k.img', 'gpt-cloud.img', 'ext4-1k.img'];
  console.log(
    'image            what          wall ms   reads   MiB read  512K blocks  packages/entries  peak RSS MiB',
  );
  for (const name of names) {
    const path = join(imgs.dir, name);
    const { inv, wall } = await timedImageScan(path, name, ['os']);
    const s = inv.stats;
    const rss = process.resourceUsage().maxRSS / 1024;
    console.log(
      `${name.padEnd(16)} os-inventory ${wall.toFixed(0).padStart(8)} ${String(s.reads).padStart(7)} ${(s.bytesRead / MiB).toFixed(2).padStart(10)} ${String(s.distinctBlocks).padStart(12)} ${String(inv.packages.length).padStart(17)} ${rss.toFixed(0).padStart(13)}`,
    );
    const w = await fullWalk(path);
    const rss2 = process.resourceUsage().maxRSS / 1024;
    console.log(
      `${name.padEnd(16)} full-walk    ${w.wall.toFixed(0).padStart(8)} ${String(w.stats.reads).padStart(7)} ${(w.stats.bytesRead / MiB).toFixed(2).padStart(10)} ${String(w.stats.distinctBlocks).padStart(12)} ${String(w.entries).padStart(17)} ${rss2.toFixed(0).padStart(13)}`,
    );
  }
}

await main();
