import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ScanError } from '../../../../engine/errors.js';
import { DEFAULT_LIMITS } from '../../../../engine/limits.js';
import { RawFileSource } from '../../../../readers/block/raw-file/index.js';
import { readGpt } from '../../../../readers/partition/gpt/index.js';
import type { PartitionTable } from '../../../../readers/partition/types.js';
import { HAVE_SHARED, NO_SHARED_REASON, SHARED_FIXTURES } from '../../../helpers/paths.js';
import {
  buildGpt,
  cachedImage,
  fixGptHeaderCrc as fixHeaderCrc,
  haveTool,
  MemorySource,
} from '../helpers.js';

const FIXTURE = resolve(SHARED_FIXTURES, 'fs-images/partition-tables/util-linux-gpt');

interface SfdiskPart {
  node: string;
  start: number;
  size: number;
  type: string;
  uuid?: string;
  name?: string;
  attrs?: string;
}

function sfdiskJson(img: string): { id: string; sectorsize: number; partitions: SfdiskPart[] } {
  const out = execFileSync('sfdisk', ['--json', img], { encoding: 'utf8' });
  return JSON.parse(out).partitiontable;
}

/** Our table in sfdisk's terms: number, start/size in sectors, upper-case GUIDs. */
function asSfdisk(t: PartitionTable) {
  const ss = BigInt(t.sectorSize);
  return t.partitions.map((p) => ({
    number: p.number,
    start: Number(p.start / ss),
    size: Number(p.size / ss),
    type: p.type.toUpperCase(),
    uuid: p.uuid?.toUpperCase(),
    name: p.name,
  }));
}

function fromSfdisk(parts: SfdiskPart[]) {
  return parts.map((p) => ({
    number: Number(/(\d+)$/.exec(p.node)![1]),
    start: p.start,
    size: p.size,
    type: p.type.toUpperCase(),
    uuid: p.uuid?.toUpperCase(),
    name: p.name,
  }));
}

describe.skipIf(!HAVE_SHARED)('readers/partition/gpt (util-linux fixture)', () => {
  it('matches util-linux lowprobe-pt-gpt: id, partitions, names, type GUIDs', async () => {
    if (!HAVE_SHARED) return void console.warn(NO_SHARED_REASON);
    const want = JSON.parse(readFileSync(`${FIXTURE}.expected.json`, 'utf8'));
    const src = new MemorySource(gunzipSync(readFileSync(`${FIXTURE}.img.gz`)), 'util-linux-gpt');
    const t = (await readGpt(src))!;
    expect(t.scheme).toBe('gpt');
    expect(t.sectorSize).toBe(want.sectorSize);
    expect(t.id).toBe(want.ptId);
    expect(t.warnings).toEqual([]);
    expect(
      t.partitions.map((p) => ({
        number: p.number,
        startSector: Number(p.start / 512n),
        sizeSectors: Number(p.size / 512n),
        flags: p.flags,
        name: p.name,
        uuid: p.uuid,
        type: p.type,
      })),
    ).toEqual(want.partitions);
  });
});

const HAVE_SGDISK = haveTool('sgdisk') && haveTool('sfdisk');

describe.skipIf(!HAVE_SGDISK)(
  'readers/partition/gpt (images made with sgdisk, oracle sfdisk --json / sgdisk -p)',
  () => {
    const cases = [
      {
        name: 'linux-512',
        script: 'truncate -s 8M "$IMG"; sgdisk -n 1:2048:+4M -t 1:8300 -c 1:Linux "$IMG" >/dev/null',
        names: ['Linux'],
      },
      {
        // Ubuntu cloud-image layout: BIOS boot (14) + ESP (15) first, root (1) last; here root
        // starts above 4 GiB so byte offsets exceed 2^32 (sparse file: no disk cost).
        name: 'cloud-style',
        script: [
          'truncate -s 6G "$IMG"',
          'sgdisk -n 14:2048:+1M -t 14:EF02 -c 14:bios -n 15:0:+106M -t 15:EF00 -c 15:UEFI' +
            ' -n 1:8388608:0 -t 1:8300 -c 1:root "$IMG" >/dev/null',
        ].join('; '),
        names: ['root', 'bios', 'UEFI'],
      },
    ];

    it.each(cases)('$name: partitions equal sfdisk --json', async ({ name, script, names }) => {
      const img = cachedImage(`gpt-${name}`, script);
      const src = await RawFileSource.open(img);
      try {
        const t = (await readGpt(src))!;
        const oracle = sfdiskJson(img);
        expect(t.id).toBe(oracle.id.toLowerCase());
        expect(asSfdisk(t)).toEqual(fromSfdisk(oracle.partitions));
        expect(t.partitions.map((p) => p.name)).toEqual(names);
        expect(t.warnings).toEqual([]);
      } finally {
        await src.close();
      }
    });

    it('cloud-style: the root slice reads the bytes at its >4 GiB offset', async () => {
      const img = cachedImage('gpt-cloud-style', cases[1]!.script);
      const src = await RawFileSource.open(img);
      try {
        const t = (await readGpt(src))!;
        const root = t.partitions.find((p) => p.name === 'root')!;
        expect(root.number).toBe(1);
        expect(root.start).toBe(8388608n * 512n);
        // sgdisk -p agrees on the start sector.
        const p = execFileSync('sgdisk', ['-p', img], { encoding: 'utf8' });
        expect(p).toMatch(/^\s+1\s+8388608\s+\d+\s.*root$/m);
        const fh = await open(img, 'r+');
        try {
          const marker = Buffer.from('snapscan-root-marker');
          await fh.write(marker, 0, marker.length, Number(root.start) + 4096);
          expect((await root.source.read(4096n, marker.length)).equals(marker)).toBe(true);
          await fh.write(Buffer.alloc(marker.length), 0, marker.length, Number(root.start) + 4096);
        } finally {
          await fh.close();
        }
      } finally {
        await src.close();
      }
    });
  },
);

const HAVE_FDISK = haveTool('fdisk');

describe.skipIf(!HAVE_FDISK)('readers/partition/gpt (4096-byte sectors, fdisk -b 4096 on a file)', () => {
  // sfdisk 2.38 has no --sector-size; fdisk -b does. Expert mode ("x", "n") names partition 2.
  const script =
    'truncate -s 16M "$IMG"; printf \'g\\nn\\n1\\n\\n+1M\\nn\\n2\\n\\n\\nx\\nn\\n2\\nroot\\nr\\nw\\n\' | fdisk -b 4096 "$IMG" >/dev/null 2>&1';

  it('detects the 4K header at byte 4096 and matches fdisk -l', async () => {
    const img = cachedImage('gpt-4k', script);
    const src = await RawFileSource.open(img);
    try {
      const t = (await readGpt(src))!;
      expect(t.sectorSize).toBe(4096);
      const out = execFileSync(
        'fdisk',
        ['-b', '4096', '-l', '-o', 'Device,Start,End,Type-UUID,UUID,Name', img],
        {
          encoding: 'utf8',
        },
      );
      const rows = out
        .split('\n')
        .filter((l) => l.startsWith(img))
        .map((l) => l.trim().split(/\s+/));
      expect(rows.length).toBe(2);
      expect(
        t.partitions.map((p) => [
          `${img}${p.number}`,
          String(p.start / 4096n),
          String((p.start + p.size) / 4096n - 1n),
          p.type.toUpperCase(),
          p.uuid!.toUpperCase(),
          ...(p.name ? [p.name] : []),
        ]),
      ).toEqual(rows);
      expect(t.partitions[1]!.name).toBe('root');
    } finally {
      await src.close();
    }
  });
});

describe('readers/partition/gpt (crafted)', () => {
  const base = () =>
    buildGpt({
      sectorSize: 512,
      diskBytes: 1024 * 1024,
      entries: [
        { start: 34, end: 1000, name: 'Linux' },
        { start: 1001, end: 1500, name: 'données ✓' },
      ],
    });

  it.each([512, 4096] as const)(
    'crafted %i-byte sectors: both partitions, UTF-16 names, no warnings',
    async (ss) => {
      const g = buildGpt({
        sectorSize: ss,
        diskBytes: 4 * 1024 * 1024,
        entries: [
          { start: 40, end: 129, name: 'Linux', attrs: 1n << 60n },
          { start: 130, end: 229, name: 'données ✓' },
        ],
      });
      const t = (await readGpt(new MemorySource(g.buf)))!;
      expect(t.sectorSize).toBe(ss);
      expect(t.warnings).toEqual([]);
      expect(t.partitions.map((p) => [p.number, p.start, p.size, p.name, p.flags])).toEqual([
        [1, 40n * BigInt(ss), 90n * BigInt(ss), 'Linux', '0x1000000000000000'],
        [2, 130n * BigInt(ss), 100n * BigInt(ss), 'données ✓', '0x0'],
      ]);
    },
  );

  it.each([
    { name: 'zeroed', mutate: (b: Buffer, at: number) => b.fill(0, at, at + 4096) },
    { name: 'CRC-broken', mutate: (b: Buffer, at: number) => flip(b, at + 60, 1) },
  ])('4096-byte sectors, $name primary → backup at the last 4K LBA', async ({ mutate }) => {
    const g = buildGpt({
      sectorSize: 4096,
      diskBytes: 4 << 20,
      entries: [{ start: 40, end: 99, name: 'four-k' }],
    });
    mutate(g.buf, g.primaryHeader);
    const t = (await readGpt(new MemorySource(g.buf)))!;
    expect(t.sectorSize).toBe(4096);
    expect(t.partitions.map((p) => [p.name, p.start])).toEqual([['four-k', 40n * 4096n]]);
    expect(t.warnings.join('\n')).toMatch(/using backup header at LBA 1023 \(sector size 4096\)/);
  });

  it.each([
    { name: 'AlternateLBA of the checked primary', pmbrSize: 0xffffffff },
    { name: 'protective MBR end', pmbrSize: 2047, breakHeader: true },
  ])(
    'grown disk (backup not at the end), primary bad → backup found via $name',
    async ({ pmbrSize, breakHeader }) => {
      const g = buildGpt({
        sectorSize: 512,
        diskBytes: 1 << 20,
        entries: [{ start: 40, end: 99, name: 'grown' }],
      });
      const grown = Buffer.concat([g.buf, Buffer.alloc(1 << 20)]);
      grown.writeUInt32LE(pmbrSize, 446 + 12);
      if (breakHeader) flip(grown, g.primaryHeader + 60, 1);
      else flip(grown, g.primaryArray + 60, 1);
      const t = (await readGpt(new MemorySource(grown)))!;
      expect(t.partitions.map((p) => p.name)).toEqual(['grown']);
      expect(t.warnings.join('\n')).toMatch(/using backup header at LBA 2047 \(sector size 512\)/);
    },
  );

  it('keeps the entry slot as the partition number (empty slots skipped)', async () => {
    const g = buildGpt({ sectorSize: 512, diskBytes: 1 << 20, entries: [{ start: 40, end: 99, slot: 6 }] });
    const t = (await readGpt(new MemorySource(g.buf)))!;
    expect(t.partitions.map((p) => p.number)).toEqual([7]);
  });

  it('returns null without a GPT signature or protective MBR', async () => {
    expect(await readGpt(new MemorySource(Buffer.alloc(1 << 20)))).toBeNull();
  });

  const breakers: { name: string; mutate: (g: ReturnType<typeof base>) => void; warn: RegExp }[] = [
    {
      name: 'corrupt primary header (CRC)',
      mutate: (g) => {
        flip(g.buf, g.primaryHeader + 60, 0xff); // inside DiskGUID, CRC not fixed
      },
      warn: /primary header .*CRC32/,
    },
    {
      name: 'zeroed primary header (signature gone, protective MBR left)',
      mutate: (g) => g.buf.fill(0, g.primaryHeader, g.primaryHeader + 512),
      warn: /no primary header/,
    },
    {
      name: 'bad primary entry-array CRC',
      mutate: (g) => {
        flip(g.buf, g.primaryArray + 60, 0x01);
      },
      warn: /PartitionEntryArrayCRC32/,
    },
    {
      name: 'primary entry count huge (CRC fixed)',
      mutate: (g) => {
        g.buf.writeUInt32LE(0xffffffff, g.primaryHeader + 80);
        fixHeaderCrc(g.buf, g.primaryHeader);
      },
      warn: /MAX_GPT_ENTRIES/,
    },
    {
      name: 'primary entry size not 128×2^n',
      mutate: (g) => {
        g.buf.writeUInt32LE(200, g.primaryHeader + 84);
        fixHeaderCrc(g.buf, g.primaryHeader);
      },
      warn: /SizeOfPartitionEntry/,
    },
    {
      name: 'primary MyLBA wrong',
      mutate: (g) => {
        g.buf.writeBigUInt64LE(5n, g.primaryHeader + 24);
        fixHeaderCrc(g.buf, g.primaryHeader);
      },
      warn: /MyLBA/,
    },
  ];

  it.each(breakers)('$name → backup header used, warning recorded', async ({ mutate, warn }) => {
    const g = base();
    mutate(g);
    const t = (await readGpt(new MemorySource(g.buf)))!;
    expect(t.partitions.map((p) => p.name)).toEqual(['Linux', 'données ✓']);
    expect(t.warnings.join('\n')).toMatch(warn);
    expect(t.warnings.join('\n')).toMatch(/using backup header at LBA 2047/);
  });

  it.each([
    {
      name: 'both entry arrays bad',
      mutate: (g: ReturnType<typeof base>) => {
        flip(g.buf, g.primaryArray + 60, 1);
        flip(g.buf, g.backupArray + 60, 1);
      },
      code: 'corrupt',
    },
    {
      name: 'both entry counts huge',
      mutate: (g: ReturnType<typeof base>) => {
        for (const at of [g.primaryHeader, g.backupHeader]) {
          g.buf.writeUInt32LE(10_000_000, at + 80);
          fixHeaderCrc(g.buf, at);
        }
      },
      code: 'limit-exceeded',
    },
    {
      name: 'entry size above MAX_GPT_ENTRY_BYTES in both',
      mutate: (g: ReturnType<typeof base>) => {
        for (const at of [g.primaryHeader, g.backupHeader]) {
          g.buf.writeUInt32LE(8192, at + 84);
          fixHeaderCrc(g.buf, at);
        }
      },
      code: 'limit-exceeded',
    },
    {
      name: 'primary and backup headers both corrupt',
      mutate: (g: ReturnType<typeof base>) => {
        flip(g.buf, g.primaryHeader + 60, 1);
        flip(g.buf, g.backupHeader + 60, 1);
      },
      code: 'corrupt',
    },
    {
      name: 'protective MBR, no header anywhere',
      mutate: (g: ReturnType<typeof base>) => {
        g.buf.fill(0, g.primaryHeader, g.primaryHeader + 512);
        g.buf.fill(0, g.backupHeader, g.backupHeader + 512);
      },
      code: 'corrupt',
    },
  ])('$name → typed error $code, reads stay small', async ({ mutate, code }) => {
    const g = base();
    mutate(g);
    const src = new MemorySource(g.buf);
    const err = await readGpt(src).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScanError);
    expect((err as ScanError).code).toBe(code);
    // A huge header count must not lead to a huge read.
    expect(src.bytesRead()).toBeLessThan(64 * 1024);
  });

  it('entry count exactly at MAX_GPT_ENTRIES is accepted, one above is not', async () => {
    const max = DEFAULT_LIMITS.MAX_GPT_ENTRIES;
    const ok = buildGpt({
      sectorSize: 512,
      diskBytes: 4 << 20,
      entryCount: max,
      entries: [{ start: 2000, end: 2100 }],
    });
    expect((await readGpt(new MemorySource(ok.buf)))!.partitions).toHaveLength(1);
    const limits = { ...DEFAULT_LIMITS, MAX_GPT_ENTRIES: max - 1 };
    const err = await readGpt(new MemorySource(ok.buf), { limits }).catch((e: unknown) => e);
    expect((err as ScanError).code).toBe('limit-exceeded');
  });

  it('entries outside the disk or with end < start are dropped with typed errors; the rest kept', async () => {
    const g = buildGpt({
      sectorSize: 512,
      diskBytes: 1 << 20,
      entries: [
        { start: 40, end: 99, name: 'good' },
        { start: 500, end: 400, name: 'backwards' },
        { start: 1000, end: 1n << 40n, name: 'past-end' },
        { start: 100, end: 199, name: 'good2' },
      ],
    });
    const t = (await readGpt(new MemorySource(g.buf)))!;
    expect(t.partitions.map((p) => [p.number, p.name])).toEqual([
      [1, 'good'],
      [4, 'good2'],
    ]);
    expect(t.errors?.map((e) => [e.code, (e as unknown as { field: string }).field])).toEqual([
      ['corrupt', 'EndingLBA'],
      ['corrupt', 'LBA range'],
    ]);
    expect(t.warnings.filter((w) => /dropped/.test(w))).toHaveLength(2);
  });

  it('overlapping partitions are kept and reported', async () => {
    const g = buildGpt({
      sectorSize: 512,
      diskBytes: 1 << 20,
      entries: [
        { start: 40, end: 199 },
        { start: 100, end: 299 },
      ],
    });
    const t = (await readGpt(new MemorySource(g.buf)))!;
    expect(t.partitions).toHaveLength(2);
    expect(t.warnings).toEqual(['gpt: partitions 1 and 2 overlap']);
  });
});

function flip(buf: Buffer, at: number, mask: number): void {
  buf.writeUInt8(buf.readUInt8(at) ^ mask, at);
}
