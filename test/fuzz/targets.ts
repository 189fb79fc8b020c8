/**
 * One fuzz harness per reader: its seeds (test/fuzz/corpus, the demo disks, images built here by
 * committed code), the mutator that fits its input (image bytes the reader reads, text lines, JSON
 * trees), what one run calls, and what "silently empty" means for it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import type fc from 'fast-check';
import { rawImagePath } from '../../engine/cli/image.js';
import { DEFAULT_LIMITS } from '../../engine/limits.js';
import { scanBlockSource } from '../../engine/pipeline.js';
import { parseAlasUpdateinfo } from '../../engine/vulndb/ingest/alas.js';
import { parseDebianTracker } from '../../engine/vulndb/ingest/debian-tracker.js';
import { parseOsvRecord, parseOsvText } from '../../engine/vulndb/ingest/osv.js';
import { RawFileSource } from '../../readers/block/raw-file/index.js';
import { SliceSource } from '../../readers/block/slice.js';
import type { BlockSource } from '../../readers/block/types.js';
import { probeFileSystem } from '../../readers/fs/formats.js';
import { PathFileSystem } from '../../readers/fs/path-fs.js';
import { osFromOsRelease, parseOsRelease } from '../../readers/os/os-release.js';
import { allErrors, allWarnings, listVolumes, readPartitions } from '../../readers/partition/probe.js';
import { parseApkInstalled } from '../../readers/pkgdb/apk/installed.js';
import { parseDpkgStatus } from '../../readers/pkgdb/dpkg/status.js';
import { catalogRpmDb } from '../../readers/pkgdb/rpm/index.js';
import { decodeRpmPackage } from '../../readers/pkgdb/rpm/record.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { craftStandard } from '../readers/fs/xfs/crafted.js';
import {
  buildGpt,
  buildPv,
  LINUX_LVM_GUID,
  lvmUuid,
  MemorySource,
  writeMbrSector,
} from '../readers/partition/helpers.js';
import { buildNdb } from '../readers/pkgdb/rpm/builders.js';
import {
  bytesInputArb,
  checkContract,
  HotMap,
  imageInputArb,
  imagePatches,
  jsonInputArb,
  MutatedSource,
  mutateBytes,
  mutateJson,
  type Outcome,
  RecordingSource,
  type TargetRunContext,
  type Verdict,
} from './harness.js';

type ArbValue<A> = A extends fc.Arbitrary<infer T> ? T : never;

const CORPUS = join(REPO_ROOT, 'test/fuzz/corpus');
const corpus = (name: string) => readFileSync(join(CORPUS, name));
const MiB = 1024 * 1024;
/** Steps one input may take: block reads plus signal checks (a clean seed takes far fewer). */
const MAX_STEPS = 200_000;

export interface FuzzTarget {
  name: string;
  /** Builds the seeds and whatever the runs need; called once. */
  prepare(): Promise<PreparedTarget>;
}

export interface PreparedTarget {
  seeds: number;
  /** Draws one input (fast-check) and checks the contract on it. */
  arbitrary: fc.Arbitrary<unknown>;
  check(input: unknown): Promise<Verdict>;
  close?(): Promise<void>;
}

// ---- images -----------------------------------------------------------------------------------

interface ImageSeed {
  name: string;
  source: BlockSource;
  /** Reads buffered for the patch base lookup. */
  byteAt?: (at: number) => number;
  close?: () => Promise<void>;
}

async function demoDisk(gz: string): Promise<ImageSeed> {
  const src = await RawFileSource.open(await rawImagePath(join(REPO_ROOT, 'test/fixtures/demo', gz)));
  return { name: gz, source: src, close: () => src.close() };
}

function memorySeed(name: string, buf: Buffer): ImageSeed {
  return { name, source: new MemorySource(buf, name), byteAt: (at) => buf[at] ?? 0 };
}

const VG = (pv: string) => `vg0 {
id = "vgvgvg-0000-1111-2222-3333-4444-555555"
seqno = 3
format = "lvm2"
status = ["RESIZEABLE", "READ", "WRITE"]
extent_size = 128
physical_volumes {
pv0 {
id = "${lvmUuid(pv)}"
device = "/dev/vda2"
status = ["ALLOCATABLE"]
pe_start = 2048
pe_count = 48
}
}
logical_volumes {
root {
id = "lvlvlv-0000-1111-2222-3333-4444-555555"
status = ["READ", "WRITE", "VISIBLE"]
segment_count = 2
segment1 {
start_extent = 0
extent_count = 4
type = "striped"
stripe_count = 1
stripes = ["pv0", 0]
}
segment2 {
start_extent = 4
extent_count = 2
type = "striped"
stripe_count = 1
stripes = ["pv0", 20]
}
}
}
}
`;

function builtPartitionSeeds(): ImageSeed[] {
  const mbr = Buffer.alloc(4 * MiB);
  writeMbrSector(mbr, 0, [
    { type: 0x83, start: 2048, sectors: 1024 },
    { type: 0x05, start: 4096, sectors: 4096 },
  ]);
  for (let i = 0; i < 3; i++) {
    writeMbrSector(mbr, (4096 + i * 512) * 512, [
      { type: 0x83, start: 1, sectors: 100 },
      i < 2 ? { type: 0x05, start: (i + 1) * 512, sectors: 200 } : { type: 0, start: 0, sectors: 0 },
    ]);
  }
  const pv = 'QQQQQQ0000111122223333444455RRRR';
  const lvm = buildGpt({
    sectorSize: 512,
    diskBytes: 6 * MiB,
    entryCount: 4,
    entries: [{ type: LINUX_LVM_GUID, start: 2048, end: 2048 + 8192 - 1 }],
  });
  buildPv({ bytes: 4 * MiB, uuid: pv, metadata: VG(pv) }).copy(lvm.buf, 2048 * 512);
  return [memorySeed('mbr-ebr-chain', mbr), memorySeed('gpt-lvm2', lvm.buf)];
}

/** The volume of a seed disk that holds `fsType`, found on the unmutated disk. */
async function fsVolume(seed: ImageSeed, fsType: string): Promise<{ start: bigint; size: bigint }> {
  for (const v of listVolumes(await readPartitions(seed.source))) {
    const f = await probeFileSystem(v.source);
    if (f?.id === fsType) {
      let start = 0n;
      let s: BlockSource = v.source;
      while (s instanceof SliceSource) {
        start += s.start;
        s = s.parent;
      }
      return { start, size: v.source.size };
    }
  }
  if ((await probeFileSystem(seed.source))?.id === fsType) return { start: 0n, size: seed.source.size };
  throw new Error(`${seed.name}: no ${fsType} volume`);
}

type ImageRun = (source: BlockSource, ctx: TargetRunContext) => Promise<Outcome>;

/** A harness over disk images: mutations land on the bytes `run` read from the clean seed. */
function imageTarget(
  name: string,
  seedsOf: () => Promise<ImageSeed[]>,
  run: ImageRun,
  emptyIsSilent?: (o: Outcome) => boolean,
): FuzzTarget {
  return {
    name,
    async prepare() {
      const seeds = await seedsOf();
      const hot: HotMap[] = [];
      const cache: Array<Map<number, Buffer>> = [];
      for (const s of seeds) {
        const rec = new RecordingSource(s.source);
        const v = await checkContract((ctx) => run(rec, ctx), { maxSteps: MAX_STEPS, strict: true });
        if (v.kind !== 'ok') throw new Error(`${name}: seed ${s.name} fails unmutated: ${JSON.stringify(v)}`);
        hot.push(new HotMap(rec.ranges));
        cache.push(new Map());
      }
      // Patch base values come from the seed: sectors read once and kept.
      const baseByte = (i: number) => async (at: number) => {
        const s = seeds[i]!;
        if (s.byteAt) return s.byteAt(at);
        const sector = Math.floor(at / 512);
        let b = cache[i]!.get(sector);
        if (!b) {
          b = await s.source.read(BigInt(sector * 512), 512);
          cache[i]!.set(sector, b);
        }
        return b[at % 512]!;
      };
      return {
        seeds: seeds.length,
        arbitrary: imageInputArb(seeds.length),
        async check(input) {
          const { seed, muts, truncate } = input as ArbValue<ReturnType<typeof imageInputArb>>;
          const s = seeds[seed]!;
          const h = hot[seed]!;
          // Pre-read the base bytes the patches need (async), then build the patch map.
          const get = baseByte(seed);
          const needed = new Map<number, number>();
          for (const m of muts) {
            for (const at of [h.offset(m.at), h.offset(m.v)])
              for (let k = 0; k < 16; k++) needed.set(at + k, await get(at + k));
          }
          const patches = imagePatches((at) => needed.get(at) ?? 0, h, muts);
          const size = truncate === null ? undefined : BigInt(h.offset(truncate));
          return checkContract((ctx) => run(new MutatedSource(s.source, patches, ctx.budget, size), ctx), {
            maxSteps: MAX_STEPS,
            strict: true,
            ...(emptyIsSilent ? { emptyIsSilent } : {}),
          });
        },
        async close() {
          for (const s of seeds) await s.close?.();
        },
      };
    },
  };
}

/** Partition layer: every volume is listed and both of its ends can be read. */
const partitionRun: ImageRun = async (source, ctx) => {
  const table = await readPartitions(source, { signal: ctx.signal });
  const vols = listVolumes(table);
  for (const v of vols) {
    if (v.source.size === 0n) continue;
    await v.source.read(0n, Math.min(512, Number(v.source.size)));
    await v.source.read(v.source.size - 1n, 1);
  }
  return { items: vols.length, issues: allErrors(table).length + allWarnings(table).length };
};

/** A filesystem: opened, walked (bounded), and a few files read. */
function fsRun(fsType: string, vol: (seedIndex: BlockSource) => { start: bigint; size: bigint }): ImageRun {
  return async (source, ctx) => {
    const { start, size } = vol(source);
    // bigint: no Math.min. A truncated disk cuts the volume short.
    let end = start + size;
    if (end > source.size) end = source.size;
    const slice = new SliceSource(source, start, end - start, fsType);
    const f = await probeFileSystem(slice);
    if (!f) return { items: 0, issues: 1 };
    const fs = new PathFileSystem(await f.open(slice, { signal: ctx.signal }));
    let items = 0;
    let issues = 0;
    for await (const e of fs.walk('/', {
      signal: ctx.signal,
      maxEntries: 3_000,
      onError: () => {
        issues++;
      },
    })) {
      items++;
      if (e.type === 'file' && /os-release$|status$|rpmdb\.sqlite$|btree$|holes$/.test(e.path)) {
        try {
          await fs.readFile(e.path, { maxBytes: 64 * MiB, signal: ctx.signal });
        } catch (err) {
          if (!(err instanceof Error) || !('code' in err)) throw err;
          issues++;
        }
      }
    }
    return { items, issues };
  };
}

/** The whole pipeline over a disk: never "0 packages, complete". */
const pipelineRun: ImageRun = async (source, ctx) => {
  const inv = await scanBlockSource(source, {
    resource: { type: 'image', id: 'fuzz' },
    packages: ['os'],
    signal: ctx.signal,
  });
  // A result that is not `complete` carries its reasons: that is a reported problem.
  const reasons = inv.status.state === 'complete' ? 0 : Math.max(1, inv.status.reasons.length);
  return { items: inv.packages.length, issues: inv.status.issues.length + reasons };
};

// ---- buffers, text and JSON ---------------------------------------------------------------------

function bytesTarget(
  name: string,
  seedsOf: () => Buffer[],
  run: (input: Buffer, ctx: TargetRunContext) => Promise<Outcome> | Outcome,
  opts: { strict?: boolean; emptyIsSilent?: (o: Outcome, input: Buffer) => boolean } = {},
): FuzzTarget {
  return {
    name,
    async prepare() {
      const seeds = seedsOf();
      for (const s of seeds) {
        const v = await checkContract(async (ctx) => run(s, ctx), { maxSteps: MAX_STEPS, strict: true });
        if (v.kind !== 'ok' || v.items === 0)
          throw new Error(`${name}: a seed fails unmutated: ${JSON.stringify(v)}`);
      }
      return {
        seeds: seeds.length,
        arbitrary: bytesInputArb(seeds.length),
        async check(input) {
          const { seed, muts } = input as ArbValue<ReturnType<typeof bytesInputArb>>;
          const bytes = mutateBytes(seeds[seed]!, muts);
          const silent = opts.emptyIsSilent;
          return checkContract(async (ctx) => run(bytes, ctx), {
            maxSteps: MAX_STEPS,
            strict: opts.strict ?? true,
            ...(silent ? { emptyIsSilent: (o: Outcome) => silent(o, bytes) } : {}),
          });
        },
      };
    },
  };
}

function jsonTarget(
  name: string,
  seedsOf: () => unknown[],
  run: (doc: unknown) => Outcome,
  emptyIsSilent?: (o: Outcome) => boolean,
): FuzzTarget {
  return {
    name,
    async prepare() {
      const seeds = seedsOf();
      return {
        seeds: seeds.length,
        arbitrary: jsonInputArb(seeds.length),
        async check(input) {
          const { seed, muts } = input as ArbValue<ReturnType<typeof jsonInputArb>>;
          const doc = mutateJson(seeds[seed], muts);
          return checkContract(async () => run(doc), {
            maxSteps: MAX_STEPS,
            strict: false,
            ...(emptyIsSilent ? { emptyIsSilent } : {}),
          });
        },
      };
    },
  };
}

function sqliteBlobs(bytes: Buffer): Buffer[] {
  const db = new Database(bytes, { readonly: true });
  try {
    return (db.prepare('SELECT blob FROM Packages ORDER BY hnum').all() as Array<{ blob: Buffer }>).map(
      (r) => r.blob,
    );
  } finally {
    db.close();
  }
}

const limits = { ...DEFAULT_LIMITS };
const rpmRun = async (bytes: Buffer, ctx: TargetRunContext): Promise<Outcome> => {
  const res = await catalogRpmDb({ path: '/var/lib/rpm/Packages', bytes }, {
    limits,
    signal: ctx.signal,
  } as never);
  return { items: res.packages.length + res.gpgPubkeys.length, issues: res.errors.length };
};
/** A database that held records and now yields none must say why. */
const rpmSilent = (o: Outcome) => o.items === 0 && o.issues === 0;
const hasLine = (re: RegExp) => (o: Outcome, input: Buffer) =>
  o.items === 0 && o.issues === 0 && re.test(input.toString('latin1'));

export const TARGETS: FuzzTarget[] = [
  imageTarget(
    'partition (gpt, mbr, lvm2)',
    async () => [
      await demoDisk('debian-12-cloud.img.gz'),
      await demoDisk('almalinux-9-cloud.img.gz'),
      ...builtPartitionSeeds(),
    ],
    partitionRun,
  ),
  (() => {
    let vols: Map<string, { start: bigint; size: bigint }>;
    return imageTarget(
      'ext4',
      async () => {
        const seeds = [await demoDisk('debian-12-cloud.img.gz')];
        vols = new Map([[seeds[0]!.source.id, await fsVolume(seeds[0]!, 'ext4')]]);
        return seeds;
      },
      fsRun('ext4', (s) => vols.get(s.id.replace(/^mutated:/, ''))!),
    );
  })(),
  (() => {
    let vols: Map<string, { start: bigint; size: bigint }>;
    return imageTarget(
      'xfs',
      async () => {
        const alma = await demoDisk('almalinux-9-cloud.img.gz');
        const crafted = memorySeed('crafted-xfs-v5', craftStandard().img);
        vols = new Map([
          [alma.source.id, await fsVolume(alma, 'xfs')],
          [crafted.source.id, { start: 0n, size: crafted.source.size }],
        ]);
        return [alma, crafted];
      },
      fsRun('xfs', (s) => vols.get(s.id.replace(/^mutated:/, ''))!),
    );
  })(),
  imageTarget(
    'pipeline (disk → os packages)',
    async () => [await demoDisk('debian-12-cloud.img.gz'), await demoDisk('almalinux-9-cloud.img.gz')],
    pipelineRun,
    (o) => o.items === 0 && o.issues === 0,
  ),
  bytesTarget(
    'dpkg status',
    () => [corpus('dpkg-status')],
    (b, ctx) => {
      const r = parseDpkgStatus(b, {
        maxLineBytes: limits.MAX_LINE_BYTES,
        maxPackages: limits.MAX_PACKAGES_PER_DB,
        signal: ctx.signal,
      });
      return { items: r.entries.length, issues: r.errors.length };
    },
    { emptyIsSilent: hasLine(/^Package:\s*\S/m) },
  ),
  bytesTarget(
    'apk installed',
    () => [corpus('apk-installed')],
    (b, ctx) => {
      const r = parseApkInstalled(b, {
        maxLineBytes: limits.MAX_LINE_BYTES,
        maxPackages: limits.MAX_PACKAGES_PER_DB,
        signal: ctx.signal,
      });
      return { items: r.entries.length, issues: r.errors.length };
    },
    { emptyIsSilent: hasLine(/^P:\S/m) },
  ),
  bytesTarget(
    'os-release',
    () => [corpus('os-release.debian'), corpus('os-release.alma')],
    (b) => {
      const os = osFromOsRelease(parseOsRelease(b.toString('utf8')), '/etc/os-release');
      return { items: os ? 1 : 0, issues: 0 };
    },
  ),
  bytesTarget(
    'rpm header blob',
    () => sqliteBlobs(corpus('rpmdb-small.sqlite')),
    (b) => {
      decodeRpmPackage(b, { limits });
      return { items: 1, issues: 0 };
    },
  ),
  bytesTarget('rpm sqlite', () => [corpus('rpmdb-small.sqlite')], rpmRun, { emptyIsSilent: rpmSilent }),
  bytesTarget('rpm bdb', () => [gunzipSync(corpus('bdb-512.Packages.gz'))], rpmRun, {
    emptyIsSilent: rpmSilent,
  }),
  bytesTarget(
    'rpm ndb',
    () => [buildNdb(sqliteBlobs(corpus('rpmdb-small.sqlite')).map((blob, i) => ({ pkgidx: i + 1, blob })))],
    rpmRun,
    { emptyIsSilent: rpmSilent },
  ),
  jsonTarget(
    'osv ingest',
    () => [JSON.parse(corpus('osv.json').toString('utf8'))],
    (doc) => {
      // As ingestFile does: each document becomes an advisory or a noted problem.
      let items = 0;
      let issues = 0;
      for (const d of parseOsvText(JSON.stringify(doc), 'fuzz.json')) {
        try {
          parseOsvRecord(d);
          items++;
        } catch (err) {
          if (!(err instanceof Error)) throw err;
          issues++;
        }
      }
      return { items, issues };
    },
    (o) => o.items === 0 && o.issues === 0,
  ),
  jsonTarget(
    'debian tracker ingest',
    () => [JSON.parse(corpus('debian-tracker.json').toString('utf8'))],
    (doc) => ({ items: parseDebianTracker(doc).length, issues: 0 }),
  ),
  bytesTarget(
    'alas updateinfo ingest',
    () => [corpus('alas-updateinfo.xml')],
    (b) => {
      let issues = 0;
      const r = parseAlasUpdateinfo(b.toString('utf8'), '2023', undefined, () => {
        issues++;
      });
      return { items: r.length, issues };
    },
    { strict: false, emptyIsSilent: hasLine(/<update[\s>]/) },
  ),
];
