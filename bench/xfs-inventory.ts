/**
 * Issue 4 benchmark: the OS inventory and a full walk of the XFS disks of the issue 4 end-to-end
 * test (Amazon-Linux-2023-like: GPT with 4096-byte sectors, XFS with 4 KiB fs sectors, SQLite rpmdb;
 * Amazon-Linux-2-like: MBR, XFS with 512-byte sectors, BerkeleyDB Packages), from local files.
 * Prints wall time, reads, bytes read and distinct 512 KiB blocks (what an EBS snapshot scan would
 * fetch). Builds the images first if needed (test/helpers/disk-builder.ts, needs ../shared).
 *
 * usage: npx tsx bench/xfs-inventory.ts [al2023|al2|lvm|alpine ...]
 */
import { buildIssue4Images } from '../test/helpers/disk-builder.js';
import { fullWalk, timedImageScan } from './lib.js';

const MiB = 1024 * 1024;

async function main() {
  const images = buildIssue4Images();
  const names = (process.argv.slice(2).length ? process.argv.slice(2) : ['al2023', 'al2']) as Array<
    'al2023' | 'al2' | 'lvm' | 'alpine'
  >;
  console.log('image    what          wall ms   reads   MiB read  512K blocks  packages/entries');
  for (const name of names) {
    const path = images[name];
    if (!path) throw new Error(`unknown image ${name}`);
    const { inv, wall } = await timedImageScan(path, name, ['os']);
    const s = inv.stats;
    console.log(
      `${name.padEnd(8)} os-inventory ${wall.toFixed(0).padStart(8)} ${String(s.reads).padStart(7)} ${(s.bytesRead / MiB).toFixed(2).padStart(10)} ${String(s.distinctBlocks).padStart(12)} ${String(inv.packages.length).padStart(17)}`,
    );
    const w = await fullWalk(path);
    console.log(
      `${name.padEnd(8)} full-walk    ${w.wall.toFixed(0).padStart(8)} ${String(w.stats.reads).padStart(7)} ${(w.stats.bytesRead / MiB).toFixed(2).padStart(10)} ${String(w.stats.distinctBlocks).padStart(12)} ${String(w.entries).padStart(17)}`,
    );
  }
}

await main();
