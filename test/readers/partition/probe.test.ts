import { describe, expect, it } from 'vitest';
import { ScanError, SourceError } from '../../../engine/errors.js';
import {
  allWarnings,
  formats,
  listVolumes,
  nestedSchemes,
  readPartitions,
  schemes,
} from '../../../readers/partition/probe.js';
import { buildGpt, buildPv, MemorySource, writeMbrSector } from './helpers.js';

const MiB = 1024 * 1024;

describe('readers/partition/probe', () => {
  it('registers GPT before MBR, LVM2 as the nested scheme, each with metadata', () => {
    expect(schemes.map((s) => s.id)).toEqual(['gpt', 'mbr']);
    expect(nestedSchemes.map((s) => s.id)).toEqual(['lvm2']);
    expect(formats.map((f) => f.id)).toEqual(['gpt', 'mbr', 'bsd', 'lvm2']);
    for (const m of formats) {
      expect(m.id).toMatch(/^[a-z0-9]+$/);
      expect(m.displayName.length).toBeGreaterThan(3);
      expect(m.specUrls.length).toBeGreaterThan(0);
      expect(m.version).toBeGreaterThanOrEqual(1);
    }
  });

  it.each([
    { name: 'all zeros', make: () => Buffer.alloc(MiB) },
    {
      name: 'bare ext4-like filesystem (magic at 1080, no table)',
      make: () => {
        const b = Buffer.alloc(MiB);
        b.writeUInt16LE(0xef53, 1080);
        return b;
      },
    },
    {
      name: 'FAT boot sector ending in 55AA',
      make: () => {
        const b = Buffer.alloc(MiB);
        b.set([0xeb, 0x3c, 0x90], 0);
        b.write('mkfs.fat', 3, 'latin1');
        b.writeUInt16LE(512, 11);
        b.writeUInt8(4, 13);
        b.write('FAT16   ', 54, 'latin1');
        b.fill(0x41, 446, 510); // boot code / message bytes where the table would be
        b.writeUInt16BE(0x55aa, 510);
        return b;
      },
    },
    { name: 'tiny source (100 bytes)', make: () => Buffer.alloc(100) },
  ])('$name → scheme none, one volume covering the whole source', async ({ make }) => {
    const src = new MemorySource(make());
    const t = await readPartitions(src);
    expect(t.scheme).toBe('none');
    expect(t.partitions).toHaveLength(1);
    const [p] = t.partitions;
    expect([p!.number, p!.start, p!.size, p!.source]).toEqual([0, 0n, src.size, src]);
    expect(listVolumes(t)).toEqual([p]);
  });

  it('hybrid MBR (0xEE + a DOS entry): GPT wins', async () => {
    const g = buildGpt({
      sectorSize: 512,
      diskBytes: MiB,
      entries: [{ start: 40, end: 99, name: 'gpt-one' }],
    });
    writeMbrSector(g.buf, 0, [
      { type: 0xee, start: 1, sectors: 39 },
      { type: 0x83, start: 40, sectors: 60 },
    ]);
    const t = await readPartitions(new MemorySource(g.buf));
    expect(t.scheme).toBe('gpt');
    expect(t.partitions.map((p) => p.name)).toEqual(['gpt-one']);
  });

  it('stale GPT behind a DOS MBR (no 0xEE): the MBR wins, as in Linux, with a warning', async () => {
    const g = buildGpt({ sectorSize: 512, diskBytes: MiB, entries: [{ start: 40, end: 99, name: 'stale' }] });
    writeMbrSector(g.buf, 0, [{ type: 0x83, start: 100, sectors: 900 }]);
    const t = await readPartitions(new MemorySource(g.buf));
    expect(t.scheme).toBe('mbr');
    expect(t.partitions.map((p) => [p.number, p.start])).toEqual([[1, 100n * 512n]]);
    expect(t.warnings).toEqual([expect.stringMatching(/^gpt: header at LBA 1 ignored/)]);
  });

  it('GPT without any MBR in LBA 0 is still read', async () => {
    const g = buildGpt({
      sectorSize: 512,
      diskBytes: MiB,
      entries: [{ start: 40, end: 99, name: 'no-pmbr' }],
    });
    g.buf.fill(0, 0, 512);
    const t = await readPartitions(new MemorySource(g.buf));
    expect(t.scheme).toBe('gpt');
    expect(t.partitions.map((p) => p.name)).toEqual(['no-pmbr']);
  });

  it('protective MBR with both GPT headers destroyed → the typed error propagates', async () => {
    const g = buildGpt({ sectorSize: 512, diskBytes: MiB, entries: [{ start: 40, end: 99 }] });
    g.buf.writeUInt8(g.buf.readUInt8(g.primaryHeader + 60) ^ 1, g.primaryHeader + 60);
    g.buf.writeUInt8(g.buf.readUInt8(g.backupHeader + 60) ^ 1, g.backupHeader + 60);
    const err = await readPartitions(new MemorySource(g.buf)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScanError);
    expect((err as ScanError).code).toBe('corrupt');
  });

  it('every GPT partition is a volume, whatever its type or name', async () => {
    const g = buildGpt({
      sectorSize: 512,
      diskBytes: 2 * MiB,
      entries: [
        { type: '21686148-6449-6e6f-744e-656564454649', start: 40, end: 99, name: 'BIOS boot' },
        { type: 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b', start: 100, end: 199, name: 'EFI System' },
        { type: '0657fd6d-a4ab-43c4-84e5-0933c84b4f4f', start: 200, end: 299, name: 'swap' },
        { type: 'ffffffff-ffff-ffff-ffff-ffffffffffff', start: 300, end: 399, name: 'weird' },
      ],
    });
    const t = await readPartitions(new MemorySource(g.buf));
    expect(listVolumes(t).map((p) => p.name)).toEqual(['BIOS boot', 'EFI System', 'swap', 'weird']);
  });

  it('MBR extended container is listed in the table but not as a volume; logicals are', async () => {
    const b = Buffer.alloc(8 * MiB);
    writeMbrSector(b, 0, [
      { type: 0x83, start: 2048, sectors: 2048 },
      { type: 0x0f, start: 4096, sectors: 8192 },
    ]);
    writeMbrSector(b, 4096 * 512, [{ type: 0x83, start: 2048, sectors: 1024 }]);
    const t = await readPartitions(new MemorySource(b));
    expect(t.partitions.map((p) => [p.number, p.container ?? false])).toEqual([
      [1, false],
      [2, true],
      [5, false],
    ]);
    expect(listVolumes(t).map((p) => p.number)).toEqual([1, 5]);
  });

  it('a PV inside an MBR partition → its LVs replace it in listVolumes; warnings are prefixed', async () => {
    const b = Buffer.alloc(8 * MiB);
    writeMbrSector(b, 0, [
      { type: 0x83, start: 2048, sectors: 2048 },
      { type: 0x8e, start: 4096, sectors: 8192 },
    ]);
    buildPv({ bytes: 4 * MiB, uuid: 'x'.repeat(32) }).copy(b, 4096 * 512);
    const t = await readPartitions(new MemorySource(b));
    expect(t.partitions[1]!.nested?.scheme).toBe('lvm2');
    expect(listVolumes(t).map((p) => p.number)).toEqual([1]);
    expect(allWarnings(t)).toEqual([
      'partition 2: lvm2: PV xxxxxx-xxxx-xxxx-xxxx-xxxx-xxxx-xxxxxx carries no volume group metadata (orphan PV)',
    ]);
  });

  it.each([
    { name: 'GPT primary header', failAt: 512n },
    { name: 'GPT backup header', failAt: MiB - 512 },
    { name: 'PV label inside partition 1', failAt: 40n * 512n },
  ])('an I/O error reading the $name propagates (not turned into a fallback)', async ({ failAt }) => {
    const g = buildGpt({ sectorSize: 512, diskBytes: MiB, entries: [{ start: 40, end: 99 }] });
    if (failAt === MiB - 512)
      g.buf.writeUInt8(g.buf.readUInt8(g.primaryHeader + 60) ^ 1, g.primaryHeader + 60);
    const inner = new MemorySource(g.buf);
    const failing = Object.assign(Object.create(inner) as MemorySource, {
      read: (offset: bigint, length: number) =>
        offset <= BigInt(failAt) && BigInt(failAt) < offset + BigInt(length)
          ? Promise.reject(new SourceError('disk on fire'))
          : inner.read(offset, length),
    });
    const err = await readPartitions(failing).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceError);
  });

  it('an aborted signal stops the probe with AbortedError', async () => {
    const ac = new AbortController();
    ac.abort();
    const err = await readPartitions(new MemorySource(Buffer.alloc(MiB)), { signal: ac.signal }).catch(
      (e: unknown) => e,
    );
    expect((err as ScanError).code).toBe('aborted');
  });
});
