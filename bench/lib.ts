/** Shared by the bench scripts: a full walk of every volume of an image, with read figures. */
import { CountingSource } from '../readers/block/counting.js';
import { RawFileSource } from '../readers/block/raw-file/index.js';
import { probeFileSystem } from '../readers/fs/formats.js';
import { PathFileSystem } from '../readers/fs/path-fs.js';
import { listVolumes, readPartitions } from '../readers/partition/probe.js';

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
