import { describe, expect, it } from 'vitest';
import { BSD_MAGIC, decodeBsdLabel } from '../../../../readers/partition/bsd/index.js';
import { readMbr } from '../../../../readers/partition/mbr/index.js';
import { listVolumes } from '../../../../readers/partition/probe.js';
import { MemorySource, writeMbrSector } from '../helpers.js';

/** A disklabel sector: slices as [size, offset, fstype]; the checksum is made valid unless told. */
function label(
  slices: [number, number, number][],
  opts: { badChecksum?: boolean; npartitions?: number } = {},
): Buffer {
  const b = Buffer.alloc(512);
  b.writeUInt32LE(BSD_MAGIC, 0);
  b.writeUInt32LE(512, 40);
  b.writeUInt32LE(BSD_MAGIC, 132);
  const n = opts.npartitions ?? slices.length;
  b.writeUInt16LE(n, 138);
  slices.forEach(([size, offset, fstype], i) => {
    b.writeUInt32LE(size, 148 + i * 16);
    b.writeUInt32LE(offset, 148 + i * 16 + 4);
    b.writeUInt8(fstype, 148 + i * 16 + 12);
  });
  let x = 0;
  for (let at = 0; at < Math.min(512, 148 + n * 16); at += 2) x ^= b.readUInt16LE(at);
  b.writeUInt16LE(x ^ (opts.badChecksum ? 1 : 0), 136);
  return b;
}

/** 8 MiB disk: partition 1 Linux, partition 2 FreeBSD at sectors 4096..12287 holding `lbl`. */
function disk(lbl: Buffer): Buffer {
  const b = Buffer.alloc(8 * 1024 * 1024);
  writeMbrSector(b, 0, [
    { type: 0x83, start: 2048, sectors: 2048 },
    { type: 0xa5, start: 4096, sectors: 8192 },
  ]);
  lbl.copy(b, 4097 * 512);
  return b;
}

describe('readers/partition/bsd', () => {
  it.each([
    {
      name: 'absolute offsets',
      slices: [
        [8192, 4096, 0],
        [0, 0, 0],
        [8192, 4096, 0],
        [1000, 4200, 7],
        [2000, 6000, 1],
      ],
    },
    {
      name: 'slice-relative offsets',
      slices: [
        [1000, 104, 7],
        [0, 0, 0],
        [8192, 0, 0],
        [2000, 1904, 1],
      ],
    },
  ] as { name: string; slices: [number, number, number][] }[])(
    '$name: used slices become volumes numbered from 5, the raw partition is skipped',
    async ({ slices }) => {
      const t = (await readMbr(new MemorySource(disk(label(slices)))))!;
      const nested = t.partitions[1]!.nested!;
      expect(nested.scheme).toBe('bsd');
      expect(
        nested.partitions.map((p) => [
          p.number,
          p.name,
          Number((t.partitions[1]!.start + p.start) / 512n),
          Number(p.size / 512n),
        ]),
      ).toEqual([
        [5, slices.length === 5 ? 'd' : 'a', 4200, 1000],
        [6, slices.length === 5 ? 'e' : 'd', 6000, 2000],
      ]);
      expect(listVolumes(t).map((p) => p.number)).toEqual([1, 5, 6]);
    },
  );

  it('a slice running outside its MBR partition is dropped with a typed error', async () => {
    const t = (await readMbr(
      new MemorySource(
        disk(
          label([
            [1000, 4200, 7],
            [5000, 12000, 7],
          ]),
        ),
      ),
    ))!;
    const nested = t.partitions[1]!.nested!;
    expect(nested.partitions.map((p) => p.name)).toEqual(['a']);
    expect(nested.errors?.map((e) => e.code)).toEqual(['corrupt']);
  });

  it.each([
    { name: 'bad checksum', lbl: label([[1000, 4200, 7]], { badChecksum: true }), code: 'corrupt' },
    {
      name: 'd_npartitions beyond the sector',
      lbl: label([[1000, 4200, 7]], { npartitions: 200 }),
      code: 'limit-exceeded',
    },
  ])('$name → the partition stays one volume, typed error + warning', async ({ lbl, code }) => {
    const t = (await readMbr(new MemorySource(disk(lbl))))!;
    expect(t.partitions[1]!.nested).toBeUndefined();
    expect(t.errors?.map((e) => e.code)).toEqual([code]);
    expect(t.warnings).toEqual([expect.stringMatching(/^mbr: partition 2: BSD disklabel unreadable/)]);
    expect(listVolumes(t).map((p) => p.number)).toEqual([1, 2]);
  });

  it('no magic → not a label', () => {
    expect(decodeBsdLabel(Buffer.alloc(512), 0n)).toBeNull();
  });
});
