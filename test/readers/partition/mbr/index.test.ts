import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../../../engine/limits.js';
import { RawFileSource } from '../../../../readers/block/raw-file/index.js';
import { looksLikeVolumeBootRecord, readMbr } from '../../../../readers/partition/mbr/index.js';
import { listVolumes } from '../../../../readers/partition/probe.js';
import type { PartitionTable } from '../../../../readers/partition/types.js';
import { HAVE_SHARED, SHARED_FIXTURES } from '../../../helpers/paths.js';
import { cachedImage, haveTool, MemorySource, writeMbrSector } from '../helpers.js';

const FIXTURE = resolve(SHARED_FIXTURES, 'fs-images/partition-tables/util-linux-dos+bsd');

describe.skipIf(!HAVE_SHARED)('readers/partition/mbr (util-linux dos+bsd fixture)', () => {
  it('matches lowprobe-pt-dos+bsd: DOS entries and the FreeBSD slices nested in partition 2', async () => {
    const want = JSON.parse(readFileSync(`${FIXTURE}.expected.json`, 'utf8'));
    const src = new MemorySource(gunzipSync(readFileSync(`${FIXTURE}.img.gz`)), 'dos+bsd');
    const t = (await readMbr(src))!;
    expect(t.scheme).toBe('mbr');
    expect(t.id).toBe(want.ptId);
    expect(t.warnings).toEqual([]);
    const flat: Record<string, unknown>[] = [];
    for (const p of t.partitions) {
      flat.push({
        number: p.number,
        startSector: Number(p.start / 512n),
        sizeSectors: Number(p.size / 512n),
        flags: `0x${Number.parseInt(p.type, 16).toString(16)}`,
        uuid: p.uuid,
      });
      for (const n of p.nested?.partitions ?? []) {
        expect(n.scheme).toBe('bsd');
        flat.push({
          number: n.number,
          startSector: Number((p.start + n.start) / 512n),
          sizeSectors: Number(n.size / 512n),
          flags: n.type,
          nestedTable: 'freebsd',
        });
      }
    }
    expect(flat).toEqual(want.partitions);
    // The slices replace the 0xA5 partition as volumes; they read the disk at the right place.
    const vols = listVolumes({ ...t, partitions: t.partitions });
    expect(vols.map((v) => v.number)).toEqual([1, 5, 6]);
    const e = vols[1]!;
    expect((await e.source.read(0n, 16)).equals(src.buf.subarray(7936 * 512, 7936 * 512 + 16))).toBe(true);
  });
});

interface SfdiskPart {
  node: string;
  start: number;
  size: number;
  type: string;
  bootable?: boolean;
}

function oracle(img: string) {
  const pt = JSON.parse(execFileSync('sfdisk', ['--json', img], { encoding: 'utf8' })).partitiontable;
  return {
    id: (pt.id as string).replace(/^0x/, ''),
    partitions: (pt.partitions as SfdiskPart[]).map((p) => ({
      number: Number(/(\d+)$/.exec(p.node)![1]),
      start: p.start,
      size: p.size,
      type: p.type.padStart(2, '0'),
      boot: p.bootable === true,
    })),
  };
}

function ours(t: PartitionTable) {
  return {
    id: t.id,
    partitions: t.partitions.map((p) => ({
      number: p.number,
      start: Number(p.start / 512n),
      size: Number(p.size / 512n),
      type: p.type.replace(/^0x/, ''),
      boot: p.flags === '0x80',
    })),
  };
}

describe.skipIf(!haveTool('sfdisk'))(
  'readers/partition/mbr (images made with sfdisk, oracle sfdisk --json)',
  () => {
    const cases = [
      {
        name: 'zero-boot-code',
        table: 'label: dos\nlabel-id: 0x12345678\n2048,4096,83\n6144,,83\n',
        logical: 0,
      },
      {
        name: 'boot-flag',
        table: 'label: dos\nlabel-id: 0x0badcafe\n2048,4096,83,*\n6144,,8e\n',
        logical: 0,
      },
      {
        name: 'extended-3-logical',
        table: 'label: dos\nlabel-id: 0xfeedf00d\n2048,4096,83\n6144,,5\n,2048,83\n,2048,82\n,,83\n',
        logical: 3,
      },
    ];

    it.each(cases)('$name: table equals sfdisk --json', async ({ name, table, logical }) => {
      const img = cachedImage(
        `mbr-${name}`,
        `truncate -s 16M "$IMG"; printf '${table.replace(/\n/g, '\\n')}' | sfdisk -q "$IMG" >/dev/null`,
      );
      // sfdisk writes no boot code on a fresh file: bytes 0..439 are zero.
      expect(
        readFileSync(img)
          .subarray(0, 440)
          .every((b) => b === 0),
      ).toBe(true);
      const src = await RawFileSource.open(img);
      try {
        const t = (await readMbr(src))!;
        expect(ours(t)).toEqual(oracle(img));
        expect(t.partitions.filter((p) => p.number >= 5)).toHaveLength(logical);
        expect(t.warnings).toEqual([]);
        for (const p of t.partitions)
          expect(p.uuid).toBe(`${t.id}-${p.number.toString(16).padStart(2, '0')}`);
      } finally {
        await src.close();
      }
    });

    it('boot code is irrelevant: GRUB-like bytes before the table change nothing', async () => {
      const img = cachedImage(
        'mbr-boot-flag',
        `truncate -s 16M "$IMG"; printf '${cases[1]!.table.replace(/\n/g, '\\n')}' | sfdisk -q "$IMG" >/dev/null`,
      );
      const buf = readFileSync(img);
      for (let i = 0; i < 440; i++) buf[i] = (i * 37 + 0xeb) & 0xff;
      const t = (await readMbr(new MemorySource(buf)))!;
      expect(ours(t)).toEqual(oracle(img));
    });
  },
);

describe('readers/partition/mbr (crafted)', () => {
  const disk = () => Buffer.alloc(8 * 1024 * 1024); // 16384 sectors

  it('returns null for a protective MBR (GPT handles it)', async () => {
    const b = disk();
    writeMbrSector(b, 0, [{ type: 0xee, start: 1, sectors: 16383 }]);
    expect(await readMbr(new MemorySource(b))).toBeNull();
  });

  it.each([
    { name: 'no 55AA', make: (b: Buffer) => b.writeUInt8(0x83, 446 + 4) },
    { name: 'all entries empty', make: (b: Buffer) => writeMbrSector(b, 0, []) },
    {
      name: 'status byte 0x12',
      make: (b: Buffer) => writeMbrSector(b, 0, [{ status: 0x12, type: 0x83, start: 2048, sectors: 100 }]),
    },
    {
      name: 'entry starting past the disk end',
      make: (b: Buffer) => writeMbrSector(b, 0, [{ type: 0x83, start: 1 << 20, sectors: 100 }]),
    },
    {
      name: 'entry with zero start',
      make: (b: Buffer) => writeMbrSector(b, 0, [{ type: 0x83, start: 0, sectors: 100 }]),
    },
    {
      name: 'FAT32 boot sector whose "entries" happen to be sane',
      make: (b: Buffer) => {
        b.set([0xeb, 0x58, 0x90], 0);
        b.write('mkfs.fat', 3, 'latin1');
        b.writeUInt16LE(512, 11);
        b.writeUInt8(8, 13);
        b.write('FAT32   ', 82, 'latin1');
        writeMbrSector(b, 0, [{ type: 0x0c, start: 2048, sectors: 100 }]);
      },
    },
    {
      name: 'NTFS boot sector',
      make: (b: Buffer) => {
        b.set([0xeb, 0x52, 0x90], 0);
        b.write('NTFS    ', 3, 'latin1');
        writeMbrSector(b, 0, [{ type: 0x07, start: 2048, sectors: 100 }]);
      },
    },
  ])('not an MBR: $name → null', async ({ make }) => {
    const b = disk();
    make(b);
    expect(await readMbr(new MemorySource(b))).toBeNull();
  });

  it('a partition running past the disk end (truncated image) is kept, cut at the end, with a typed error', async () => {
    const b = disk();
    writeMbrSector(b, 0, [
      { type: 0x83, start: 2048, sectors: 2048 },
      { type: 0x83, start: 8192, sectors: 1 << 20 },
    ]);
    const t = (await readMbr(new MemorySource(b)))!;
    expect(t.partitions.map((p) => [p.number, p.start, p.size])).toEqual([
      [1, 2048n * 512n, 2048n * 512n],
      [2, 8192n * 512n, BigInt(b.length) - 8192n * 512n],
    ]);
    expect(t.errors?.map((e) => [e.code, (e as unknown as { field: string }).field])).toEqual([
      ['truncated', 'extent'],
    ]);
    expect(t.warnings).toEqual([expect.stringMatching(/^mbr: partition 2 cut at the end of the disk: /)]);
  });

  it('looksLikeVolumeBootRecord needs a plausible BPB, not just the string', () => {
    const b = Buffer.alloc(512);
    b.set([0xeb, 0x58, 0x90], 0);
    b.write('FAT32   ', 82, 'latin1');
    b.writeUInt16LE(700, 11);
    expect(looksLikeVolumeBootRecord(b)).toBe(false);
    b.writeUInt16LE(4096, 11);
    b.writeUInt8(1, 13);
    expect(looksLikeVolumeBootRecord(b)).toBe(true);
  });

  /** Extended partition at sectors 4096..16383 with EBRs written by `ebrs` (offsets in sectors). */
  function withExtended(ebrs: (b: Buffer) => void): Buffer {
    const b = disk();
    writeMbrSector(b, 0, [
      { type: 0x83, start: 2048, sectors: 2048 },
      { type: 0x05, start: 4096, sectors: 12288 },
    ]);
    ebrs(b);
    return b;
  }

  it('EBR chain cycle → typed error, logical partitions before the cycle kept, no hang', async () => {
    const b = withExtended((b) => {
      writeMbrSector(b, 4096 * 512, [
        { type: 0x83, start: 2048, sectors: 1000 },
        { type: 0x05, start: 4000, sectors: 3000 },
      ]);
      // Second EBR links back to the first one (relative offset 0 from the extended start).
      writeMbrSector(b, 8096 * 512, [
        { type: 0x83, start: 100, sectors: 1000 },
        { type: 0x05, start: 0, sectors: 3000 },
      ]);
    });
    const t = (await readMbr(new MemorySource(b)))!;
    expect(t.partitions.map((p) => [p.number, Number(p.start / 512n)])).toEqual([
      [1, 2048],
      [2, 4096],
      [5, 6144],
      [6, 8196],
    ]);
    expect(t.partitions[1]!.container).toBe(true);
    expect(t.errors?.map((e) => e.code)).toEqual(['corrupt']);
    expect(t.warnings.join()).toMatch(/cycle/);
  });

  it('self-linked EBR → cycle error after one logical partition', async () => {
    const b = withExtended((b) =>
      writeMbrSector(b, 4096 * 512, [
        { type: 0x83, start: 2048, sectors: 1000 },
        { type: 0x0f, start: 0, sectors: 3000 },
      ]),
    );
    const t = (await readMbr(new MemorySource(b)))!;
    expect(t.partitions.filter((p) => p.number >= 5)).toHaveLength(1);
    expect(t.warnings.join()).toMatch(/cycle/);
  });

  it.each([
    {
      name: 'EBR link outside the extended partition',
      ebr: [
        { type: 0x83, start: 2048, sectors: 1000 },
        { type: 0x05, start: 20000, sectors: 100 },
      ],
      logical: 1,
      field: 'next EBR',
    },
    {
      name: 'logical partition running past the extended partition',
      ebr: [
        { type: 0x83, start: 2048, sectors: 100000 },
        { type: 0, start: 0, sectors: 0 },
      ],
      logical: 0,
      field: 'logical partition',
    },
  ])('$name → typed error, the rest kept', async ({ ebr, logical, field }) => {
    const b = withExtended((b) => writeMbrSector(b, 4096 * 512, ebr));
    const t = (await readMbr(new MemorySource(b)))!;
    expect(t.partitions.filter((p) => p.number >= 5)).toHaveLength(logical);
    expect(t.partitions.filter((p) => p.number < 5)).toHaveLength(2);
    expect(t.errors?.map((e) => [e.code, (e as unknown as { field: string }).field])).toEqual([
      ['corrupt', field],
    ]);
  });

  it('EBR without 55AA ends the chain with a typed error', async () => {
    const b = withExtended(() => {});
    const t = (await readMbr(new MemorySource(b)))!;
    expect(t.partitions.filter((p) => p.number >= 5)).toHaveLength(0);
    expect(t.errors?.[0]?.code).toBe('corrupt');
  });

  it('a long chain stops at MAX_MBR_LOGICAL_PARTITIONS (below, at, above)', async () => {
    // 40 EBRs, each 100 sectors apart, each holding a 50-sector logical partition.
    const chain = (n: number) =>
      withExtended((b) => {
        for (let i = 0; i < n; i++) {
          const rel = i * 100;
          writeMbrSector(b, (4096 + rel) * 512, [
            { type: 0x83, start: 1, sectors: 50 },
            i + 1 < n ? { type: 0x05, start: rel + 100, sectors: 100 } : { type: 0, start: 0, sectors: 0 },
          ]);
        }
      });
    const b = chain(40);
    for (const [max, logical, errors] of [
      [41, 40, 0],
      [40, 40, 0],
      [39, 39, 1],
    ] as const) {
      const t = (await readMbr(new MemorySource(b), {
        limits: { ...DEFAULT_LIMITS, MAX_MBR_LOGICAL_PARTITIONS: max },
      }))!;
      expect(t.partitions.filter((p) => p.number >= 5)).toHaveLength(logical);
      expect(t.errors?.length ?? 0).toBe(errors);
      if (errors) expect(t.errors![0]!.code).toBe('limit-exceeded');
    }
  });
});
