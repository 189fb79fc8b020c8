import { execFileSync, spawnSync } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import type { ScanError } from '../../../../engine/errors.js';
import { DEFAULT_LIMITS } from '../../../../engine/limits.js';
import { CountingSource } from '../../../../readers/block/counting.js';
import { RawFileSource } from '../../../../readers/block/raw-file/index.js';
import { readPhysicalVolume } from '../../../../readers/partition/lvm2/index.js';
import { listVolumes, readPartitions } from '../../../../readers/partition/probe.js';
import type { Partition } from '../../../../readers/partition/types.js';
import { HAVE_SHARED, SHARED_FIXTURES, TEST_CACHE } from '../../../helpers/paths.js';
import {
  buildGpt,
  buildPv,
  fixMdaCrc,
  haveTool,
  LINUX_LVM_GUID,
  lvmUuid,
  MemorySource,
  tagBlocks,
} from '../helpers.js';

const UTIL_LINUX = resolve(SHARED_FIXTURES, 'fs-images/lvm/util-linux-lvm2');
const DISCUTILS_ZIP = resolve(SHARED_FIXTURES, 'fs-images/vhdx/discutils-lvm2.zip');

describe.skipIf(!HAVE_SHARED)('readers/partition/lvm2 (util-linux lvm2 fixture: orphan PV)', () => {
  it('finds the PV label with the UUID blkid reports; no VG → no volumes, a warning', async () => {
    const want = JSON.parse(readFileSync(`${UTIL_LINUX}.expected.json`, 'utf8'));
    const src = new MemorySource(gunzipSync(readFileSync(`${UTIL_LINUX}.img.gz`)), 'util-linux-lvm2');
    const pv = (await readPhysicalVolume(src))!;
    expect(pv.label.pvUuid).toBe(want.blkidLowProbe.ID_FS_UUID);
    expect(pv.label.sector).toBe(1);
    expect(pv.vg).toBeNull();
    const t = await readPartitions(src);
    expect(t.scheme).toBe('none');
    expect(t.partitions[0]!.nested?.scheme).toBe('lvm2');
    expect(t.partitions[0]!.nested?.warnings.join()).toMatch(/orphan PV/);
    expect(listVolumes(t)).toEqual([]);
  });
});

/** Unzips the VHDX with yauzl and converts it with qemu-img into .cache (sparse raw, ~8 MB used). */
async function discutilsRaw(): Promise<string> {
  const dir = join(TEST_CACHE, 'partition');
  mkdirSync(dir, { recursive: true });
  const st = statSync(DISCUTILS_ZIP);
  const out = join(dir, `discutils-lvm2-${st.size}.raw`);
  if (existsSync(out)) return out;
  const vhdx = join(dir, `discutils-lvm2-${process.pid}.vhdx`);
  const zip = await new Promise<yauzl.ZipFile>((res, rej) =>
    yauzl.open(DISCUTILS_ZIP, { lazyEntries: true }, (e, z) => (e ? rej(e) : res(z!))),
  );
  try {
    await new Promise<void>((res, rej) => {
      zip.on('entry', (entry: yauzl.Entry) => {
        if (!entry.fileName.endsWith('.vhdx')) return zip.readEntry();
        zip.openReadStream(entry, (e, stream) => {
          if (e) return rej(e);
          pipeline(stream!, createWriteStream(vhdx)).then(() => res(), rej);
        });
      });
      zip.on('end', () => rej(new Error('no .vhdx in zip')));
      zip.on('error', rej);
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
  try {
    execFileSync('qemu-img', ['convert', '-f', 'vhdx', '-O', 'raw', vhdx, `${out}.tmp`], { stdio: 'pipe' });
    renameSync(`${out}.tmp`, out);
  } finally {
    rmSync(vhdx, { force: true });
  }
  return out;
}

const HAVE_QEMU = haveTool('qemu-img');
if (!HAVE_QEMU) console.warn('qemu-img not installed: the DiscUtils LVM2 VHDX test is skipped');

describe.skipIf(!HAVE_SHARED || !HAVE_QEMU)(
  'readers/partition/lvm2 (DiscUtils VHDX: GPT → PV → 3 LVs)',
  () => {
    it('lists the 3 LVs with the DiscUtils byte lengths and filesystem magic at their start', async () => {
      const want = JSON.parse(readFileSync(DISCUTILS_ZIP.replace(/\.zip$/, '.expected.json'), 'utf8'));
      const raw = await discutilsRaw();
      const file = await RawFileSource.open(raw);
      const src = new CountingSource(file);
      try {
        const t = await readPartitions(src);
        const probeStats = src.stats();
        expect(t.scheme).toBe('gpt');
        expect(t.partitions).toHaveLength(1);
        expect(t.partitions[0]!.type).toBe(LINUX_LVM_GUID);
        const lvs = listVolumes(t);
        expect(lvs).toHaveLength(want.expected.logicalVolumeCount);
        expect(lvs.map((v) => Number(v.size))).toEqual(want.expected.logicalVolumeLengths);
        expect(lvs.map((v) => v.name)).toEqual(['test/vol01', 'test/fat', 'test/ntfs']);
        expect(lvs.every((v) => v.scheme === 'lvm2' && v.source.size === v.size)).toBe(true);
        // The expected file gives lengths only; the LV names say which filesystem each holds
        // (vol01: ext*, fat, ntfs). Check the magic at the start of each LV.
        const [ext, fat, ntfs] = await Promise.all(lvs.map((v) => v.source.read(0n, 2048)));
        expect(ext!.readUInt16LE(1024 + 56)).toBe(0xef53);
        expect(fat![0]).toBe(0xeb);
        expect(fat!.readUInt16BE(510)).toBe(0x55aa);
        expect(fat!.subarray(54, 57).toString('latin1') + fat!.subarray(82, 85).toString('latin1')).toMatch(
          /FAT/,
        );
        expect(ntfs!.subarray(3, 11).toString('latin1')).toBe('NTFS    ');
        // vol01 spans two segments (1 GiB + 200 MiB, not adjacent on the PV): the ext3 backup
        // superblock of block group 9 (sparse_super: groups 0, 1, 3, 5, 7, 9, …) sits at 1152 MiB, in
        // the second segment, and must carry the magic when read through the LV.
        const sb = ext!;
        const blockBytes = 1024 << sb.readUInt32LE(1024 + 24);
        const perGroup = sb.readUInt32LE(1024 + 32);
        expect(BigInt(sb.readUInt32LE(1024 + 4) * blockBytes)).toBe(lvs[0]!.size);
        const g9 = await lvs[0]!.source.read(BigInt(9 * perGroup * blockBytes), 1024);
        expect(9 * perGroup * blockBytes).toBeGreaterThan(1 << 30);
        expect(g9.readUInt16LE(56)).toBe(0xef53);
        // Independent prober: blkid on the first 4 MiB of each LV as read through our sources.
        if (haveTool('blkid')) {
          const types: string[] = [];
          for (const v of lvs) {
            const head = join(TEST_CACHE, 'partition', `lv-head-${process.pid}.img`);
            writeFileSync(head, await v.source.read(0n, 4 * 1024 * 1024));
            try {
              types.push(
                execFileSync('blkid', ['-p', '-o', 'value', '-s', 'TYPE', head], { encoding: 'utf8' }).trim(),
              );
            } finally {
              rmSync(head, { force: true });
            }
          }
          expect(types).toEqual(['ext3', 'vfat', 'ntfs']);
        }
        // Cost of finding the table and the LVs: a handful of small reads.
        const s = probeStats;
        expect(s.reads).toBeLessThan(40);
        expect(s.bytesRead).toBeLessThan(256 * 1024);
      } finally {
        await file.close();
      }
    });
  },
);

// ---------------------------------------------------------------------------------------------
// Crafted PVs

const PV0 = 'AAAAAA0000111122223333444455BBBB'.slice(0, 32);
const PV1 = 'CCCCCC5555666677778888999900DDDD'.slice(0, 32);
const MiB = 1024 * 1024;
const EXTENT = 64 * 1024; // extent_size = 128 sectors
const PV_BYTES = 4 * MiB; // 1 MiB metadata + 48 extents

function vg(opts: { seqno?: number; pvs: [string, string][]; lvs: string }): string {
  const pvs = opts.pvs
    .map(
      ([name, uuid]) => `${name} {
id = "${lvmUuid(uuid)}"
device = "/dev/${name}"
status = ["ALLOCATABLE"]
flags = []
dev_size = ${PV_BYTES / 512}
pe_start = 2048
pe_count = 48
}`,
    )
    .join('\n');
  return `crafted {
id = "vgvgvg-0000-1111-2222-3333-4444-555555"
seqno = ${opts.seqno ?? 1}
format = "lvm2"
status = ["RESIZEABLE", "READ", "WRITE"]
flags = []
extent_size = 128
max_lv = 0
max_pv = 0
physical_volumes {
${pvs}
}
logical_volumes {
${opts.lvs}
}
}
contents = "Text Format Volume Group"
version = 1
`;
}

const lv = (name: string, segments: string) => `${name} {
id = "${name}-lvid"
status = ["READ", "WRITE", "VISIBLE"]
flags = []
segment_count = 1
${segments}
}`;
const linear = (n: number, start: number, count: number, pv: string, pe: number) => `segment${n} {
start_extent = ${start}
extent_count = ${count}
type = "striped"
stripe_count = 1 # linear
stripes = [
"${pv}", ${pe}
]
}`;
const striped = (n: number, start: number, count: number, stripes: [string, number][]) => `segment${n} {
start_extent = ${start}
extent_count = ${count}
type = "striped"
stripe_count = ${stripes.length}
stripe_size = 8
stripes = [
${stripes.map(([p, e]) => `"${p}", ${e}`).join(',\n')}
]
}`;

const SINGLE_PV_LVS = [
  // Two segments, out of order on disk → a concatenating source.
  lv('lin', `${linear(1, 0, 4, 'pv0', 10)}\n${linear(2, 4, 2, 'pv0', 2)}`),
  // Two stripes of 4 KiB (stripe_size 8 sectors) on the same PV, 2 extents each.
  lv(
    'str',
    striped(1, 0, 4, [
      ['pv0', 20],
      ['pv0', 30],
    ]),
  ),
].join('\n');

function singlePv(extra: Partial<Parameters<typeof buildPv>[0]> = {}, lvs = SINGLE_PV_LVS): Buffer {
  const buf = buildPv({ bytes: PV_BYTES, uuid: PV0, metadata: vg({ pvs: [['pv0', PV0]], lvs }), ...extra });
  tagBlocks(buf, 'pv0', MiB);
  return buf;
}

async function tagAt(v: Partial<Pick<Partition, 'source'>>, offset: number): Promise<string> {
  const b = await v.source!.read(BigInt(offset), 32);
  return b.toString('latin1').replace(/\.+$/, '');
}

const peOff = (extent: number, within = 0) => MiB + extent * EXTENT + within;

describe('readers/partition/lvm2 (crafted single PV)', () => {
  it('whole-disk PV: LVs nested under partition 0, named vg/lv, sizes from extents', async () => {
    const t = await readPartitions(new MemorySource(singlePv(), 'disk'));
    expect(t.scheme).toBe('none');
    const nested = t.partitions[0]!.nested!;
    expect(nested.scheme).toBe('lvm2');
    expect(nested.warnings).toEqual([]);
    const vols = listVolumes(t);
    expect(vols.map((v) => [v.number, v.name, v.size, v.type, v.uuid])).toEqual([
      [1, 'crafted/lin', BigInt(6 * EXTENT), 'linear', 'lin-lvid'],
      [2, 'crafted/str', BigInt(4 * EXTENT), 'striped', 'str-lvid'],
    ]);
    expect(vols[0]!.source.id).toBe('disk#lv:crafted/lin');
  });

  it.each([
    { lvOffset: 0, pv: peOff(10) },
    { lvOffset: 3 * EXTENT + 61440, pv: peOff(13, 61440) },
    { lvOffset: 4 * EXTENT, pv: peOff(2) },
    { lvOffset: 6 * EXTENT - 4096, pv: peOff(3, EXTENT - 4096) },
  ])('linear LV of two segments: LV byte $lvOffset is PV byte $pv', async ({ lvOffset, pv }) => {
    const t = await readPartitions(new MemorySource(singlePv()));
    expect(await tagAt(listVolumes(t)[0]!, lvOffset)).toBe(`pv0@${pv}`);
  });

  it('a read across the segment boundary is stitched from both segments', async () => {
    const v = listVolumes(await readPartitions(new MemorySource(singlePv())))[0]!;
    const b = await v.source.read(BigInt(4 * EXTENT - 4096), 8192);
    expect(b.subarray(0, 32).toString('latin1')).toMatch(`pv0@${peOff(13, EXTENT - 4096)}`);
    expect(b.subarray(4096, 4128).toString('latin1')).toMatch(`pv0@${peOff(2)}`);
  });

  it.each([
    { chunk: 0, want: peOff(20) },
    { chunk: 1, want: peOff(30) },
    { chunk: 2, want: peOff(20, 4096) },
    { chunk: 3, want: peOff(30, 4096) },
    { chunk: 63, want: peOff(30, 31 * 4096) },
  ])('striped LV: 4 KiB chunk $chunk comes from PV byte $want', async ({ chunk, want }) => {
    const v = listVolumes(await readPartitions(new MemorySource(singlePv())))[1]!;
    expect(await tagAt(v, chunk * 4096)).toBe(`pv0@${want}`);
  });

  it('a striped read spanning chunks interleaves the stripes', async () => {
    const v = listVolumes(await readPartitions(new MemorySource(singlePv())))[1]!;
    const b = await v.source.read(2048n, 8192);
    // bytes 2048..4095 of chunk 0, all of chunk 1, bytes 0..2047 of chunk 2
    expect(b.subarray(2048, 2080).toString('latin1')).toMatch(`pv0@${peOff(30)}`);
  });

  it('metadata text wrapping around the end of the metadata area is reassembled', async () => {
    const t = await readPartitions(new MemorySource(singlePv({ wrap: true })));
    expect(listVolumes(t).map((v) => v.name)).toEqual(['crafted/lin', 'crafted/str']);
  });

  it.each([0, 2, 3])('label in sector %i is found', async (labelSector) => {
    const pv = (await readPhysicalVolume(new MemorySource(singlePv({ labelSector }))))!;
    expect(pv.label.sector).toBe(labelSector);
    expect(pv.label.pvUuid).toBe(lvmUuid(PV0));
    expect(pv.vg?.lvs.map((l) => l.name)).toEqual(['lin', 'str']);
  });

  it.each([
    {
      name: 'unsupported segment type (thin)',
      bad: linear(1, 0, 2, 'pv0', 40).replace('"striped"', '"thin"'),
      code: 'unsupported',
    },
    { name: 'extents beyond pe_count', bad: linear(1, 0, 2, 'pv0', 47), code: 'corrupt' },
    { name: 'stripe on an undeclared PV', bad: linear(1, 0, 2, 'pv9', 0), code: 'corrupt' },
    {
      name: 'segments not contiguous',
      bad: `${linear(1, 0, 2, 'pv0', 40)}\n${linear(2, 3, 1, 'pv0', 44)}`,
      code: 'corrupt',
    },
    {
      name: 'stripe_size not dividing the extent',
      bad: striped(1, 0, 2, [
        ['pv0', 40],
        ['pv0', 42],
      ]).replace('stripe_size = 8', 'stripe_size = 24'),
      code: 'corrupt',
    },
    {
      name: 'stripe_size of one sector',
      bad: striped(1, 0, 2, [
        ['pv0', 40],
        ['pv0', 42],
      ]).replace('stripe_size = 8', 'stripe_size = 1'),
      code: 'corrupt',
    },
  ])('$name → that LV skipped with a typed error, the other kept', async ({ bad, code }) => {
    const t = await readPartitions(new MemorySource(singlePv({}, `${SINGLE_PV_LVS}\n${lv('bad', bad)}`)));
    const nested = t.partitions[0]!.nested!;
    expect(listVolumes(t).map((v) => v.name)).toEqual(['crafted/lin', 'crafted/str']);
    expect(nested.errors?.map((e) => e.code)).toEqual([code]);
    expect(nested.warnings.join()).toMatch(/LV crafted\/bad skipped/);
  });

  const corruptions: { name: string; mutate: (b: Buffer) => void; code: string }[] = [
    {
      name: 'label CRC',
      mutate: (b) => {
        b.writeUInt8(b.readUInt8(512 + 40) ^ 1, 512 + 40);
      },
      code: 'corrupt',
    },
    {
      name: 'mda header checksum',
      mutate: (b) => {
        b.writeUInt8(b.readUInt8(4096 + 100) ^ 1, 4096 + 100);
      },
      code: 'corrupt',
    },
    {
      name: 'metadata text checksum',
      mutate: (b) => {
        b.writeUInt8(b.readUInt8(4096 + 520) ^ 1, 4096 + 520);
      },
      code: 'corrupt',
    },
    {
      name: 'raw_locn size above MAX_LVM_METADATA_BYTES',
      mutate: (b) => {
        b.writeBigUInt64LE(BigInt(DEFAULT_LIMITS.MAX_LVM_METADATA_BYTES + 1), 4096 + 48);
        fixMdaCrc(b, 4096);
      },
      code: 'limit-exceeded',
    },
    {
      name: 'raw_locn offset inside the mda header',
      mutate: (b) => {
        b.writeBigUInt64LE(8n, 4096 + 40);
        fixMdaCrc(b, 4096);
      },
      code: 'corrupt',
    },
    {
      name: 'mda start field disagrees with the PV header',
      mutate: (b) => {
        b.writeBigUInt64LE(8192n, 4096 + 24);
        fixMdaCrc(b, 4096);
      },
      code: 'corrupt',
    },
  ];

  it.each(corruptions)(
    '$name → typed $code; readPartitions keeps going with a warning',
    async ({ mutate, code }) => {
      const buf = singlePv();
      mutate(buf);
      const err = await readPhysicalVolume(new MemorySource(buf)).catch((e: unknown) => e as ScanError);
      if (code === 'corrupt' && err === null) throw new Error('expected an error');
      expect((err as ScanError).code).toBe(code);
      const t = await readPartitions(new MemorySource(buf));
      expect(listVolumes(t)).toEqual([]);
      expect(t.partitions[0]!.nested?.errors?.[0]?.code).toBe(code);
      expect(t.warnings.join()).toMatch(/PV with unreadable metadata/);
    },
  );

  it('bad metadata syntax → typed error naming the text offset', async () => {
    const buf = buildPv({ bytes: PV_BYTES, uuid: PV0, metadata: 'crafted {\nid = "x"\nextent_size = \n' });
    const err = (await readPhysicalVolume(new MemorySource(buf)).catch((e: unknown) => e)) as ScanError;
    expect(err.code).toBe('corrupt');
    expect(err.message).toMatch(/^lvm2: metadata text at 0x12[0-9a-f]{2}: /);
  });
});

const HAVE_PVCK = haveTool('pvck');

describe.skipIf(!HAVE_PVCK)(
  'readers/partition/lvm2 (crafted PVs checked by lvm2 pvck --dump headers)',
  () => {
    const flipAt = (at: number) => (b: Buffer) => b.writeUInt8(b.readUInt8(at) ^ 1, at);
    const cases: { name: string; make: () => Buffer; valid: boolean; args?: string[] }[] = [
      { name: 'plain', make: () => singlePv(), valid: true },
      { name: 'wrapped text', make: () => singlePv({ wrap: true }), valid: true },
      // pvck reads the label sector it is told (default 1).
      {
        name: 'label in sector 3',
        make: () => singlePv({ labelSector: 3 }),
        valid: true,
        args: ['--labelsector', '3'],
      },
      { name: 'label CRC broken', make: () => mutated(flipAt(512 + 40)), valid: false },
      { name: 'mda header checksum broken', make: () => mutated(flipAt(4096 + 100)), valid: false },
      { name: 'metadata text CRC broken', make: () => mutated(flipAt(4096 + 600)), valid: false },
    ];
    function mutated(f: (b: Buffer) => void): Buffer {
      const b = singlePv();
      f(b);
      return b;
    }

    it.each(cases)(
      '$name: our verdict and VG agree with pvck (valid=$valid)',
      async ({ name, make, valid, args }) => {
        const buf = make();
        const dir = join(TEST_CACHE, 'partition');
        mkdirSync(dir, { recursive: true });
        const file = join(dir, `pvck-${name.replace(/\W+/g, '-')}-${process.pid}.img`);
        writeFileSync(file, buf);
        let out: string;
        try {
          const r = spawnSync('pvck', ['--dump', 'headers', ...(args ?? []), file], {
            encoding: 'utf8',
            env: { ...process.env, LVM_SUPPRESS_FD_WARNINGS: '1' },
          });
          out = `${r.stdout}\n${r.stderr}`;
        } finally {
          rmSync(file, { force: true });
        }
        const pvckValid = !/CHECK:/.test(out);
        expect(pvckValid).toBe(valid);
        const ours = await readPhysicalVolume(new MemorySource(buf)).then(
          (pv) => pv,
          (e: unknown) => e as ScanError,
        );
        if (valid) {
          const m = /metadata text at \d+ crc 0x[0-9a-f]+ # vgname (\S+) seqno (\d+)/.exec(out);
          expect(m).not.toBeNull();
          const pv = ours as Awaited<ReturnType<typeof readPhysicalVolume>>;
          expect([pv?.vg?.name, String(pv?.vg?.seqno)]).toEqual([m![1], m![2]]);
          expect(/pv_header\.pv_uuid (\S+)/.exec(out)![1]).toBe(pv!.label.pvUuid.replace(/-/g, ''));
        } else {
          expect((ours as ScanError).code).toBe('corrupt');
        }
      },
    );
  },
);

describe('readers/partition/lvm2 (crafted two-PV VG on a GPT disk)', () => {
  const lvs = [
    lv('only0', linear(1, 0, 2, 'pv0', 0)),
    lv('span', `${linear(1, 0, 2, 'pv0', 5)}\n${linear(2, 2, 2, 'pv1', 7)}`),
    lv(
      'str2',
      striped(1, 0, 4, [
        ['pv0', 20],
        ['pv1', 20],
      ]),
    ),
  ].join('\n');
  const pvs: [string, string][] = [
    ['pv0', PV0],
    ['pv1', PV1],
  ];

  function disk(withSecond = true): Buffer {
    const g = buildGpt({
      sectorSize: 512,
      diskBytes: 12 * MiB,
      entries: [
        { type: LINUX_LVM_GUID, start: 2048, end: 2048 + PV_BYTES / 512 - 1, name: 'pv-a' },
        { type: LINUX_LVM_GUID, start: 12288, end: 12288 + PV_BYTES / 512 - 1, name: 'pv-b' },
      ],
    });
    const a = buildPv({ bytes: PV_BYTES, uuid: PV0, metadata: vg({ seqno: 3, pvs, lvs }) });
    tagBlocks(a, 'pv0', MiB);
    a.copy(g.buf, 2048 * 512);
    if (withSecond) {
      // The second PV carries a newer copy (seqno 4): its partition owns the LVs.
      const b = buildPv({ bytes: PV_BYTES, uuid: PV1, metadata: vg({ seqno: 4, pvs, lvs }) });
      tagBlocks(b, 'pv1', MiB);
      b.copy(g.buf, 12288 * 512);
    }
    return g.buf;
  }

  it('assembles LVs across both PVs; they hang under the PV with the newest metadata', async () => {
    const t = await readPartitions(new MemorySource(disk()));
    expect(t.scheme).toBe('gpt');
    expect(t.partitions[0]!.nested?.partitions).toEqual([]);
    expect(t.partitions[0]!.nested?.warnings.join()).toMatch(/listed under partition 2/);
    expect(t.partitions[1]!.nested?.partitions.map((p) => p.name)).toEqual([
      'crafted/only0',
      'crafted/span',
      'crafted/str2',
    ]);
    const vols = listVolumes(t);
    expect(vols.map((v) => v.name)).toEqual(['crafted/only0', 'crafted/span', 'crafted/str2']);
    const [, span, str2] = vols;
    expect(await tagAt(span!, 0)).toBe(`pv0@${peOff(5)}`);
    expect(await tagAt(span!, 2 * EXTENT)).toBe(`pv1@${peOff(7)}`);
    expect(await tagAt(str2!, 0)).toBe(`pv0@${peOff(20)}`);
    expect(await tagAt(str2!, 4096)).toBe(`pv1@${peOff(20)}`);
    expect(await tagAt(str2!, 3 * 4096)).toBe(`pv1@${peOff(20, 4096)}`);
  });

  it('second PV missing → LVs needing it skipped with a warning, the rest kept', async () => {
    const t = await readPartitions(new MemorySource(disk(false)));
    const nested = t.partitions[0]!.nested!;
    // Partition 2 holds no PV here: it stays a plain leaf volume.
    expect(listVolumes(t).map((v) => v.name)).toEqual(['crafted/only0', 'pv-b']);
    expect(nested.errors?.map((e) => e.code)).toEqual(['lvm2-missing-pv', 'lvm2-missing-pv']);
    expect(nested.warnings.filter((w) => /not on this disk/.test(w))).toHaveLength(2);
  });
});
