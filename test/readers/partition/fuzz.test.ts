/**
 * Mutation fuzzing of the partition layer: flip random bytes in the metadata regions of valid
 * images (GPT, MBR with an EBR chain, GPT → LVM2 PV) and check that readPartitions either returns
 * a table or throws a ScanError — never another exception, never a hang — and that every volume
 * it returns lies inside its parent and can be read at both ends.
 */
import { describe, expect, it } from 'vitest';
import { ScanError } from '../../../engine/errors.js';
import { crc32 } from '../../../readers/bytes/crc32.js';
import { lvmCrc } from '../../../readers/partition/lvm2/index.js';
import { listVolumes, readPartitions } from '../../../readers/partition/probe.js';
import type { PartitionTable } from '../../../readers/partition/types.js';
import {
  buildGpt,
  buildPv,
  fixGptHeaderCrc,
  fixMdaCrc,
  LINUX_LVM_GUID,
  lvmUuid,
  MemorySource,
  writeMbrSector,
} from './helpers.js';

const MiB = 1024 * 1024;

function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

const PV = 'QQQQQQ0000111122223333444455RRRR';
const VG = `v {
id = "vgvgvg-0000-1111-2222-3333-4444-555555"
seqno = 1
extent_size = 128
physical_volumes {
pv0 {
id = "${lvmUuid(PV)}"
pe_start = 2048
pe_count = 48
}
}
logical_volumes {
a {
segment1 {
start_extent = 0
extent_count = 4
type = "striped"
stripe_count = 2
stripe_size = 8
stripes = ["pv0", 0, "pv0", 10]
}
segment2 {
start_extent = 4
extent_count = 1
type = "striped"
stripe_count = 1
stripes = ["pv0", 20]
}
}
}
}
`;

interface FuzzImage {
  name: string;
  buf: Buffer;
  /** Byte ranges mutated. */
  hot: [number, number][];
  /** Recomputes checksums after mutating, so the semantic checks behind them are exercised. */
  fix?: (b: Buffer) => void;
  /** Ranges to restore after each iteration (default: hot). */
  dirty?: [number, number][];
}

function images(): FuzzImage[] {
  const gpt = buildGpt({
    sectorSize: 512,
    diskBytes: 2 * MiB,
    entryCount: 16,
    entries: [
      { start: 40, end: 99, name: 'a' },
      { start: 100, end: 3000, name: 'b' },
    ],
  });
  const mbr = Buffer.alloc(4 * MiB);
  writeMbrSector(mbr, 0, [
    { type: 0x83, start: 2048, sectors: 1024 },
    { type: 0x05, start: 4096, sectors: 4096 },
  ]);
  for (let i = 0; i < 4; i++) {
    writeMbrSector(mbr, (4096 + i * 512) * 512, [
      { type: 0x83, start: 1, sectors: 100 },
      i < 3 ? { type: 0x05, start: (i + 1) * 512, sectors: 200 } : { type: 0, start: 0, sectors: 0 },
    ]);
  }
  const lvm = buildGpt({
    sectorSize: 512,
    diskBytes: 6 * MiB,
    entryCount: 4,
    entries: [{ type: LINUX_LVM_GUID, start: 2048, end: 2048 + 8192 - 1 }],
  });
  buildPv({ bytes: 4 * MiB, uuid: PV, metadata: VG }).copy(lvm.buf, 2048 * 512);
  const mda = 2048 * 512 + 4096;
  const textLen = Buffer.byteLength(VG) + 1;
  // MBR with a FreeBSD slice (sectors 4096..12287) holding a disklabel at its sector 1.
  const bsd = Buffer.alloc(8 * MiB);
  writeMbrSector(bsd, 0, [
    { type: 0x83, start: 2048, sectors: 2048 },
    { type: 0xa5, start: 4096, sectors: 8192 },
  ]);
  const lbl = 4097 * 512;
  bsd.writeUInt32LE(0x82564557, lbl);
  bsd.writeUInt32LE(0x82564557, lbl + 132);
  bsd.writeUInt16LE(4, lbl + 138);
  for (const [i, size, off] of [
    [0, 1000, 4200],
    [2, 8192, 4096],
    [3, 2000, 6000],
  ] as const) {
    bsd.writeUInt32LE(size, lbl + 148 + i * 16);
    bsd.writeUInt32LE(off, lbl + 152 + i * 16);
    bsd.writeUInt8(7, lbl + 160 + i * 16);
  }
  const bsdSum = (b: Buffer) => {
    b.writeUInt16LE(0, lbl + 136);
    const n = Math.min(b.readUInt16LE(lbl + 138), 22);
    let x = 0;
    for (let at = 0; at < 148 + n * 16; at += 2) x ^= b.readUInt16LE(lbl + at);
    b.writeUInt16LE(x, lbl + 136);
  };
  bsdSum(bsd);
  return [
    {
      name: 'mbr+bsd, checksum recomputed',
      buf: bsd,
      hot: [[lbl, lbl + 148 + 4 * 16]],
      dirty: [[lbl, lbl + 512]],
      fix: bsdSum,
    },
    {
      name: 'gpt',
      buf: gpt.buf,
      hot: [
        [0, 4096],
        [gpt.backupArray, gpt.buf.length],
      ],
    },
    {
      name: 'mbr+ebr',
      buf: mbr,
      hot: [
        [0, 512],
        [4096 * 512, (4096 + 2048) * 512],
      ],
    },
    { name: 'gpt+lvm2', buf: lvm.buf, hot: [[2048 * 512, 2048 * 512 + 4096 + 1024]] },
    {
      name: 'gpt, CRCs recomputed',
      buf: Buffer.from(gpt.buf),
      hot: [
        [512, 512 + 92],
        [1024, 1024 + 16 * 128],
      ],
      dirty: [[512, 1024 + 16 * 128]],
      fix: (b) => {
        b.writeUInt32LE(crc32(b.subarray(1024, 1024 + 16 * 128)), 512 + 88);
        if (b.readUInt32LE(512 + 12) <= 512) fixGptHeaderCrc(b, 512);
      },
    },
    {
      name: 'gpt+lvm2, metadata text mutated, checksums recomputed',
      buf: Buffer.from(lvm.buf),
      hot: [[mda + 512, mda + 512 + textLen]],
      dirty: [[mda, mda + 512 + textLen]],
      fix: (b) => {
        b.writeUInt32LE(lvmCrc(b.subarray(mda + 512, mda + 512 + textLen)), mda + 56);
        fixMdaCrc(b, mda);
      },
    },
  ];
}

function check(t: PartitionTable, size: bigint): void {
  for (const p of t.partitions) {
    expect(p.start >= 0n && p.size >= 0n && p.start + p.size <= size).toBe(true);
    if (p.nested) check(p.nested, p.size);
  }
}

describe('readers/partition (mutation fuzz)', () => {
  it.each(images())(
    '$name: 400 mutated copies → table or ScanError, volumes readable',
    async ({ buf, hot, fix, dirty }) => {
      const rand = rng(buf.length);
      let tables = 0;
      let errors = 0;
      const t0 = Date.now();
      for (let iter = 0; iter < 400; iter++) {
        // Mutate in place and restore afterwards: copying a multi-MiB image 400 times costs more
        // than the parsing under test.
        const copy = buf;
        const saved = (dirty ?? hot).map(([lo, hi]) => [lo, Buffer.from(copy.subarray(lo, hi))] as const);
        const flips = 1 + Math.floor(rand() * 8);
        for (let f = 0; f < flips; f++) {
          const [lo, hi] = hot[Math.floor(rand() * hot.length)]!;
          const at = lo + Math.floor(rand() * (hi - lo));
          copy[at] = rand() < 0.5 ? copy[at]! ^ (1 << Math.floor(rand() * 8)) : Math.floor(rand() * 256);
        }
        fix?.(copy);
        const src = new MemorySource(copy);
        try {
          const t = await readPartitions(src);
          tables++;
          check(t, src.size);
          for (const v of listVolumes(t)) {
            if (v.size === 0n) continue;
            await v.source.read(0n, Number(v.size < 512n ? v.size : 512n));
            const tail = v.size < 512n ? v.size : 512n;
            await v.source.read(v.size - tail, Number(tail));
          }
        } catch (err) {
          if (!(err instanceof ScanError)) throw err;
          errors++;
        } finally {
          for (const [lo, bytes] of saved) bytes.copy(copy, lo);
        }
      }
      expect(tables + errors).toBe(400);
      expect(tables).toBeGreaterThan(0);
      expect(Date.now() - t0).toBeLessThan(60_000);
    },
  );
});
