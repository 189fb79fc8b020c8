/**
 * Scan outcome regression tests (issue 11 §1): the reproducers of the mutation campaign, rebuilt
 * from images the project's own builders make (mkfs.ext4 -d, mkfs.xfs -p, GPT/MBR/LVM2 writers),
 * then damaged the way the campaign found them. Each disk must end `complete`, `partial` or
 * `failed` with the named reason — never "0 packages, ok".
 */
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Inventory } from '../../engine/inventory/types.js';
import type { OutcomeCode, OutcomeState } from '../../engine/model/scan-status.js';
import { scanBlockSource } from '../../engine/pipeline.js';
import { RawFileSource } from '../../readers/block/raw-file/index.js';
import type { BlockSource } from '../../readers/block/types.js';
import {
  ext4Image,
  haveTools,
  lvmPvImage,
  MiB,
  type TreeSpec,
  writeGptDisk,
  writeMbrDisk,
  xfsImage,
} from '../helpers/disk-builder.js';
import { buildGpt, LINUX_LVM_GUID, MemorySource } from '../readers/partition/helpers.js';

const OS_RELEASE = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
`;
const STATUS = `Package: base-files
Status: install ok installed
Priority: required
Section: admin
Installed-Size: 341
Maintainer: Santiago Vila <sanvila@debian.org>
Architecture: amd64
Version: 12.4+deb12u5
Description: Debian base system miscellaneous files

Package: zlib1g
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 168
Maintainer: Mark Brown <broonie@debian.org>
Architecture: amd64
Multi-Arch: same
Source: zlib
Version: 1:1.2.13.dfsg-1
Description: compression library - runtime
`;
const DEBIAN: TreeSpec = {
  'etc/os-release': OS_RELEASE,
  'etc/debian_version': '12.5\n',
  'etc/hostname': 'outcome\n',
  'var/lib/dpkg/status': STATUS,
  'var/lib/dpkg/info/.keep': '',
};

const HAVE = haveTools('mkfs.ext4', 'debugfs', 'mkfs.xfs', 'xfs_db');
const work = mkdtempSync(join(tmpdir(), 'snapscan-outcome-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let n = 0;
/** A private copy of a cached image, to damage. */
function copy(src: string): string {
  const dst = join(work, `img-${++n}`);
  copyFileSync(src, dst);
  return dst;
}
function patch(path: string, offset: number, bytes: Buffer | number[]): void {
  const fd = openSync(path, 'r+');
  try {
    const b = Buffer.from(bytes);
    writeSync(fd, b, 0, b.length, offset);
  } finally {
    closeSync(fd);
  }
}
function debugfs(img: string, cmd: string, write = false): string {
  return execFileSync('debugfs', [...(write ? ['-w'] : []), '-R', cmd, img], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

const ext4 = (spec: TreeSpec = DEBIAN, name = 'outcome-debian') => ext4Image(name, spec, 8);
const gptDisk = (fsImage: string, type?: string) => {
  const p = join(work, `gpt-${++n}.img`);
  writeGptDisk(p, {
    sectorSize: 512,
    diskBytes: 24 * MiB,
    partitions: [{ startBytes: MiB, sizeBytes: 16 * MiB, image: fsImage, ...(type ? { type } : {}) }],
  });
  return p;
};

async function scanFile(path: string): Promise<Inventory> {
  const src = await RawFileSource.open(path);
  try {
    return await scanSource(src);
  } finally {
    await src.close();
  }
}
function scanSource(src: BlockSource): Promise<Inventory> {
  return scanBlockSource(src, {
    resource: { type: 'image', id: 'outcome' },
    packages: ['os'],
    now: () => new Date(0),
  });
}

interface Case {
  name: string;
  make: () => Promise<Inventory>;
  state: OutcomeState;
  codes: OutcomeCode[];
  /** Packages still found (partial results kept). */
  packages: number;
}
type Outcome = Pick<Case, 'state' | 'codes' | 'packages'>;
const complete = (): Outcome => ({ state: 'complete', codes: [], packages: 2 });
const failed = (code: OutcomeCode): Outcome => ({ state: 'failed', codes: [code], packages: 0 });
const partial = (code: OutcomeCode, packages: number): Outcome => ({
  state: 'partial',
  codes: [code],
  packages,
});

/** Scans a private copy of the Debian ext4 image (bare, or in a GPT disk) after `damage`. */
const damaged =
  (damage: (img: string) => void, wrap: (fs: string) => string = copy) =>
  () => {
    const p = wrap(ext4());
    damage(p);
    return scanFile(p);
  };
/** A GPT disk whose one partition, typed Linux LVM, is a PV holding the Debian ext4 as LV "root". */
function lvmDisk(): string {
  const pv = lvmPvImage('outcome-pv', { pvBytes: 16 * MiB, vgName: 'vg0', lvName: 'root', lvImage: ext4() });
  const p = join(work, `lvm-${++n}.img`);
  writeGptDisk(p, {
    sectorSize: 512,
    diskBytes: 24 * MiB,
    partitions: [{ startBytes: MiB, sizeBytes: 16 * MiB, image: pv, type: LINUX_LVM_GUID }],
  });
  return p;
}
/** An MBR disk with the Debian ext4 as one Linux (0x83) partition of `partBytes`. */
function mbrDisk(diskBytes: number, partBytes: number): string {
  const p = join(work, `mbr-${++n}.img`);
  writeMbrDisk(p, {
    diskBytes,
    partitions: [{ startBytes: MiB, sizeBytes: partBytes, type: 0x83, image: ext4() }],
  });
  return p;
}
/** A GPT disk built in memory with `entries`, the Debian ext4 at 1 MiB, cut to `keepBytes`. */
function gptInMemory(diskBytes: number, entries: GptEntries, keepBytes = diskBytes): Promise<Inventory> {
  const g = buildGpt({ sectorSize: 512, diskBytes, entries });
  readFileSync(ext4()).copy(g.buf, MiB);
  return scanSource(new MemorySource(g.buf.subarray(0, keepBytes)));
}
type GptEntries = Parameters<typeof buildGpt>[0]['entries'];
const root = (sizeBytes: number) => ({ start: 2048, end: 2048 + sizeBytes / 512 - 1, name: 'root' });
const emptyFile = (name: string, size?: string) => async () => {
  const p = join(work, name);
  writeFileSync(p, '');
  if (size) execFileSync('truncate', ['-s', size, p]);
  return scanFile(p);
};

const cases: Case[] = [
  { name: 'bare ext4 with a dpkg database', ...complete(), make: () => scanFile(ext4()) },
  { name: 'GPT + ext4', ...complete(), make: () => scanFile(gptDisk(ext4())) },
  { name: 'an empty file', ...failed('no-volume-recognised'), make: emptyFile('empty.img') },
  { name: '10 GiB of zeros', ...failed('no-volume-recognised'), make: emptyFile('zeros.img', '10G') },
  {
    name: 'ext4 superblock zeroed (bare disk)',
    ...failed('no-volume-recognised'),
    make: damaged((p) => patch(p, 1024, Buffer.alloc(1024))),
  },
  {
    name: 'bad ext4 magic in a GPT partition typed Linux',
    ...failed('filesystem-unreadable'),
    make: damaged((p) => patch(p, MiB + 1024 + 0x38, [0x00, 0x00]), gptDisk),
  },
  {
    name: 'MBR boot signature flipped',
    ...failed('no-volume-recognised'),
    make: async () => {
      const p = mbrDisk(24 * MiB, 16 * MiB);
      patch(p, 510, [0xaa, 0x55]);
      return scanFile(p);
    },
  },
  {
    name: 'LVM label sector zeroed (GPT partition typed Linux LVM)',
    ...failed('filesystem-unreadable'),
    make: async () => {
      const p = lvmDisk();
      patch(p, MiB + 512, Buffer.alloc(512));
      return scanFile(p);
    },
  },
  {
    name: 'LVM metadata area unreadable',
    ...failed('partition-table-damaged'),
    make: async () => {
      const p = lvmDisk();
      // The mda_header's magic (" LVM2 x[5A%r0N*>") at PV offset 4096 + 4.
      patch(p, MiB + 4096 + 4, Buffer.from('XXXX'));
      return scanFile(p);
    },
  },
  {
    name: 'a GPT entry outside the disk beside the root',
    ...partial('partition-table-damaged', 2),
    make: () => gptInMemory(24 * MiB, [root(16 * MiB), { start: 40_000, end: 90_000, name: 'past-end' }]),
  },
  {
    name: 'a truncated disk: GPT LastUsableLBA past the end, database still inside',
    ...partial('partition-table-damaged', 2),
    // Cut after the 8 MiB filesystem: the partition runs on, the backup header is gone.
    make: () => gptInMemory(40 * MiB, [root(32 * MiB)], 12 * MiB),
  },
  {
    name: 'a truncated MBR disk: the root partition runs past the end, database still inside',
    ...partial('partition-table-damaged', 2),
    make: async () => {
      const p = mbrDisk(40 * MiB, 32 * MiB);
      execFileSync('truncate', ['-s', `${12 * MiB}`, p]);
      return scanFile(p);
    },
  },
  {
    name: 'an OS but no package database',
    ...partial('no-package-database', 0),
    make: () =>
      scanFile(ext4({ 'etc/os-release': OS_RELEASE, 'etc/debian_version': '12.5\n' }, 'outcome-nodb')),
  },
  {
    name: 'a filesystem with no OS',
    ...partial('no-os-identified', 0),
    make: () => scanFile(ext4({ 'data/readme.txt': 'just data\n' }, 'outcome-noos')),
  },
  {
    name: 'ext4: the directory inode of /var/lib/dpkg has no file type',
    ...partial('corrupt-structure', 0),
    make: damaged((p) => debugfs(p, 'sif /var/lib/dpkg mode 0755', true)),
  },
  {
    name: 'ext4: the directory block of /var/lib/dpkg became a hole',
    ...partial('corrupt-structure', 0),
    make: damaged((p) => debugfs(p, 'punch /var/lib/dpkg 0 0', true)),
  },
  {
    name: 'ext4: the directory entry of status has name length 0',
    ...partial('corrupt-structure', 0),
    make: damaged((p) => {
      const block = Number(debugfs(p, 'bmap /var/lib/dpkg 0').trim());
      const buf = readFileSync(p).subarray(block * 4096, block * 4096 + 4096);
      const at = buf.indexOf(Buffer.from('status'));
      expect(at).toBeGreaterThan(8);
      patch(p, block * 4096 + at - 2, [0]); // name_len sits 2 bytes before the name
    }),
  },
  {
    name: 'XFS: /var/lib/dpkg turned into a regular file (valid CRC)',
    ...partial('corrupt-structure', 0),
    make: async () => {
      const p = copy(xfsImage('outcome-debian', DEBIAN, { sizeMiB: 300 }));
      execFileSync('xfs_db', ['-x', '-c', 'path /var/lib/dpkg', '-c', 'write core.mode 0100644', p], {
        stdio: 'pipe',
      });
      return scanFile(p);
    },
  },
];

describe.skipIf(!HAVE)('engine/pipeline: scan outcome', () => {
  it.each(cases)('$name → $state $codes', async ({ make, state, codes, packages }) => {
    const inv = await make();
    const got = [...new Set(inv.status.reasons.map((r) => r.code))].sort();
    expect({ state: inv.status.state, codes: got }).toEqual({ state, codes: [...codes].sort() });
    expect(inv.packages).toHaveLength(packages);
    // Every reason says what happened; a volume that failed says so on the volume too.
    for (const r of inv.status.reasons) expect(r.message).not.toBe('');
    if (state === 'complete') expect(inv.volumes.every((v) => v.status.state === 'complete')).toBe(true);
  });
});
